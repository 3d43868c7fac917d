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
  long users;
  long skipped;
  long queryRows;
  long adaptations;
  long adaptNanos;

  EvalAccumulator(int methods, int ks, int metrics, int steps) {
    this.methods = methods;
    this.ks = ks;
    this.metrics = metrics;
    this.steps = steps;
    this.stats = fresh(methods * ks * metrics);
    this.pooledAbs = new double[methods * ks];
    this.pooledSq = new double[methods * ks];
    this.pooledRows = new long[methods * ks];
    this.stepStats = fresh(steps * metrics);
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

  /** Adds one user's pooled errors of a method at one support size. */
  void addPooled(int method, int k, double absSum, double sqSum, int rows) {
    int i = method * ks + k;
    pooledAbs[i] += absSum;
    pooledSq[i] += sqSum;
    pooledRows[i] += rows;
  }

  /** Merges {@code o} into this accumulator; returns this. */
  EvalAccumulator mergeInPlace(EvalAccumulator o) {
    if (o.stats.length != stats.length || o.stepStats.length != stepStats.length) {
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
    users += o.users;
    skipped += o.skipped;
    queryRows += o.queryRows;
    adaptations += o.adaptations;
    adaptNanos += o.adaptNanos;
    return this;
  }
}
