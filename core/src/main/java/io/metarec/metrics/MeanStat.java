package io.metarec.metrics;

import java.io.Serial;
import java.io.Serializable;

/**
 * Mean of per-user values with a 95% confidence interval (Student's t), mergeable across
 * partitions: it keeps the count, the mean and the sum of squared deviations (Welford 1962; merged
 * with Chan et al. 1979's pairwise update), so merging in any order gives the same figures up to
 * rounding.
 */
public final class MeanStat implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom. */
  private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
      2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
      2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

  private long n;
  private double mean;
  private double m2;

  /** An empty statistic. */
  public MeanStat() {}

  /** Adds one value; NaN (a metric undefined for this user) is ignored. */
  public void add(double v) {
    if (Double.isNaN(v)) {
      return;
    }
    n++;
    double d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }

  /** Merges {@code other} into this statistic; returns this. */
  public MeanStat mergeInPlace(MeanStat other) {
    if (other.n == 0) {
      return this;
    }
    if (n == 0) {
      n = other.n;
      mean = other.mean;
      m2 = other.m2;
      return this;
    }
    long total = n + other.n;
    double d = other.mean - mean;
    mean += d * other.n / total;
    m2 += other.m2 + d * d * ((double) n * other.n / total);
    n = total;
    return this;
  }

  /** @return the number of values added */
  public long count() {
    return n;
  }

  /** @return the mean, NaN when empty */
  public double mean() {
    return n == 0 ? Double.NaN : mean;
  }

  /** @return the sample standard deviation, NaN with fewer than two values */
  public double stdDev() {
    return n < 2 ? Double.NaN : Math.sqrt(m2 / (n - 1));
  }

  /** @return the half-width of the 95% confidence interval of the mean, NaN with fewer than two */
  public double ci95() {
    if (n < 2) {
      return Double.NaN;
    }
    long df = n - 1;
    double t = df <= T975.length ? T975[(int) df - 1] : 1.96 + 2.4 / df;
    return t * stdDev() / Math.sqrt(n);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%.4f ± %.4f (n=%d)", mean(), ci95(), n);
  }
}
