/**
 * Cold-start evaluation ({@code metarec evaluate}): held-out users are adapted from their first K
 * interactions by every model and baseline in one distributed pass, scored on the same query rows,
 * and summarized with confidence intervals into a report.
 */
package io.metarec.jobs.evaluate;
