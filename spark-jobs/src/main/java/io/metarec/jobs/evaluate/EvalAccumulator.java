package io.metarec.jobs.evaluate;

import io.metarec.metrics.MeanStat;
import java.io.Serializable;

/**
 * Per-partition sums of an evaluation, merged on the driver: for every method, support size and
 * metric the per-user values ({@link MeanStat}), the pooled absolute and squared errors over all
 * query rows (explicit feedback), the steps curve, and counters. Never one object per user.
 */
final class EvalAccumulator implements Serializable {
  final int methods;
  final int ks;
  final int metrics;
  final int steps;
  /** [method][k][metric], flattened. */
  final MeanStat[] stats;
  /** [method][k]: sum |e|, sum e^2 and rows over all query rows. */
  final double[] pooledAbs;
  final double[] pooledSq;
  final long[] pooledRows;
  /** [step][metric], flattened. */
  final MeanStat[] stepStats;
  /**
   * [baseline][k][metric], flattened: the per-user differences (headline method - baseline) of
   * the same users on the same query items, for the headline's paired intervals.
   */
  final MeanStat[] diffStats;
  long users;
  long skipped;
  long queryRows;
  long adaptations;
  long adaptNanos;

  EvalAccumulator(int methods, int ks, int metrics, int steps) {
    this(methods, ks, metrics, steps, 0);
  }

  /** With {@code pairs} headline baselines whose paired differences are kept. */
  EvalAccumulator(int methods, int ks, int metrics, int steps, int pairs) {
    this.methods = methods;
    this.ks = ks;
    this.metrics = metrics;
    this.steps = steps;
    this.stats = fresh(methods * ks * metrics);
    this.pooledAbs = new double[methods * ks];
    this.pooledSq = new double[methods * ks];
    this.pooledRows = new long[methods * ks];
    this.stepStats = fresh(steps * metrics);
    this.diffStats = fresh(pairs * ks * metrics);
  }

  private static MeanStat[] fresh(int n) {
    MeanStat[] out = new MeanStat[n];
    for (int i = 0; i < n; i++) {
      out[i] = new MeanStat();
    }
    return out;
  }

  MeanStat stat(int method, int k, int metric) {
    return stats[(method * ks + k) * metrics + metric];
  }

  MeanStat stepStat(int step, int metric) {
    return stepStats[step * metrics + metric];
  }

  /** The differences (headline - baseline {@code pair}) at support index k of metric. */
  MeanStat diffStat(int pair, int k, int metric) {
    return diffStats[(pair * ks + k) * metrics + metric];
  }

  /**
   * Adds one user's paired differences at support index {@code k}: {@code values[m]} holds the
   * user's metric values of method m (null when not scored).
   */
  void addPaired(int k, int headline, java.util.List<Integer> baselines, double[][] values) {
    double[] h = values[headline];
    for (int b = 0; b < baselines.size(); b++) {
      double[] v = values[baselines.get(b)];
      if (h == null || v == null) {
        continue;
      }
      for (int j = 0; j < metrics; j++) {
        diffStat(b, k, j).add(h[j] - v[j]);
      }
    }
  }

  /** Adds one user's pooled errors of a method at one support size. */
  void addPooled(int method, int k, double absSum, double sqSum, int rows) {
    int i = method * ks + k;
    pooledAbs[i] += absSum;
    pooledSq[i] += sqSum;
    pooledRows[i] += rows;
  }

  /** Merges {@code o} into this accumulator; returns this. */
  EvalAccumulator mergeInPlace(EvalAccumulator o) {
    if (o.stats.length != stats.length || o.stepStats.length != stepStats.length
        || o.diffStats.length != diffStats.length) {
      throw new IllegalArgumentException("accumulators of different shapes");
    }
    for (int i = 0; i < stats.length; i++) {
      stats[i].mergeInPlace(o.stats[i]);
    }
    for (int i = 0; i < pooledAbs.length; i++) {
      pooledAbs[i] += o.pooledAbs[i];
      pooledSq[i] += o.pooledSq[i];
      pooledRows[i] += o.pooledRows[i];
    }
    for (int i = 0; i < stepStats.length; i++) {
      stepStats[i].mergeInPlace(o.stepStats[i]);
    }
    for (int i = 0; i < diffStats.length; i++) {
      diffStats[i].mergeInPlace(o.diffStats[i]);
    }
    users += o.users;
    skipped += o.skipped;
    queryRows += o.queryRows;
    adaptations += o.adaptations;
    adaptNanos += o.adaptNanos;
    return this;
  }
}
