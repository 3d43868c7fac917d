/**
 * The evaluation report: its data (records mirrored one to one by {@code metrics.json}) and the
 * writer of {@code report.md}, a self-contained {@code report.html} and PNG charts (XChart).
 * No Spark here: the evaluate job renders locally and publishes the folder.
 */
package io.metarec.report;
