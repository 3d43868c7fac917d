/**
 * Evaluation metrics of one user's query (MAE, RMSE, nDCG@k, precision/recall@k, AUC, HR@k) and
 * the mergeable per-user mean with a 95% confidence interval that distributed evaluation sums.
 */
package io.metarec.metrics;
