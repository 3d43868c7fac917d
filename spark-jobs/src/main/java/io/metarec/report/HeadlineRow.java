package io.metarec.report;

/**
 * One line of a report's headline: the meta-learned model against the best baseline at one support
 * size and metric, with the paired 95% interval of their difference over the same users and query
 * items.
 *
 * @param k the support size
 * @param metric the metric ("mae", "ndcg@10_full", ...)
 * @param method the meta-learned model's name in the report
 * @param baseline the best baseline's name at this K and metric (best mean)
 * @param methodMean the model's per-user mean
 * @param baselineMean the baseline's per-user mean
 * @param diff the mean of the per-user differences (model - baseline)
 * @param ci95 the half-width of the difference's paired 95% interval (Student t over users; NaN
 *     with fewer than two users)
 * @param users the users both were scored on
 */
public record HeadlineRow(int k, String metric, String method, String baseline, double methodMean,
    double baselineMean, double diff, double ci95, long users) {

  /** Whether the difference favours the model ({@code diff} below 0 for errors, above for the rest). */
  public boolean better() {
    return EvalReport.lowerIsBetter(metric) ? diff < 0 : diff > 0;
  }

  /** Whether the paired interval excludes 0. */
  public boolean significant() {
    return Double.isFinite(ci95) && Math.abs(diff) > ci95;
  }
}
