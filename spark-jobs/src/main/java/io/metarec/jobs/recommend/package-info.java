/**
 * Top-N recommendation ({@code metarec recommend}): every user's model is adapted on their recent
 * history, the candidate items are scored, seen items are excluded, and the lists are written as
 * Parquet atomically.
 */
package io.metarec.jobs.recommend;
