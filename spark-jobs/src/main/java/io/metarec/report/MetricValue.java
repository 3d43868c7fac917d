package io.metarec.report;

/**
 * One metric of one method at one support size.
 *
 * @param mean the mean over users (or over all query rows for the pooled "_all" metrics)
 * @param ci95 half-width of its 95% confidence interval (NaN when undefined)
 * @param users users averaged
 */
public record MetricValue(double mean, double ci95, long users) {
  @Override
  public boolean equals(Object o) {
    return o instanceof MetricValue v && Double.compare(v.mean, mean) == 0
        && Double.compare(v.ci95, ci95) == 0 && v.users == users;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(mean) * 31 + Double.hashCode(ci95) + Long.hashCode(users);
  }
}
