package io.metarec.jobs.train;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Distributed validation: every validation task is adapted on its support and scored on its query.
 * Explicit feedback reports the query loss (mean squared error), MAE and RMSE over query
 * interactions; implicit feedback reports the binary cross-entropy and the per-user AUC of the
 * query items against as many sampled unseen items (seeded per task).
 */
public final class Validation {
  /** Purpose constant of the negative-sampling stream. */
  static final long PURPOSE_NEGATIVES = 0x6e65_6761_74L;

  private Validation() {}

  /** Whether a lower or a higher primary metric is better. */
  public enum Direction {
    /** MAE: lower is better. */
    LOWER,
    /** AUC: higher is better. */
    HIGHER
  }

  /**
   * Validation metrics.
   *
   * @param tasks tasks scored (with a non-empty query)
   * @param interactions query interactions scored
   * @param loss mean query loss
   * @param mae mean absolute error (explicit; NaN for implicit)
   * @param rmse root mean squared error (explicit; NaN for implicit)
   * @param auc mean per-user AUC (implicit; NaN for explicit)
   */
  public record Metrics(long tasks, long interactions, double loss, double mae, double rmse,
      double auc) implements Serializable {
    /** The metric early stopping watches: MAE (explicit) or AUC (implicit). */
    public double primary() {
      return Double.isNaN(auc) ? mae : auc;
    }

    @Override
    public String toString() {
      return Double.isNaN(auc)
          ? String.format(Locale.ROOT, "mae %.4f rmse %.4f", mae, rmse)
          : String.format(Locale.ROOT, "auc %.4f loss %.4f", auc, loss);
    }
  }

  /** Adapts and scores every task of {@code tasks} against {@code theta}. */
  public static Metrics run(JavaSparkContext jsc, JavaRDD<Task> tasks, Params theta,
      Broadcast<ModelSpec> bSpec, Broadcast<ItemFeatureTable> bItems, InnerLoopConfig inner) {
    Broadcast<float[]> bTheta = jsc.broadcast(theta.flatten());
    try {
      double[] s = tasks.mapPartitions(it -> {
        ModelSpec spec = bSpec.value();
        Params th = ExecutorCache.theta(bTheta, spec);
        JvmAdaptationEngine engine = ExecutorCache.engine(bSpec, bItems);
        double[] acc = new double[6];
        while (it.hasNext()) {
          score(engine, th, inner, it.next(), spec, acc);
        }
        return List.of(acc).iterator();
      }).reduce((a, b) -> {
        for (int i = 0; i < a.length; i++) {
          a[i] += b[i];
        }
        return a;
      });
      long n = (long) s[1];
      if (bSpec.value().feedback() == Feedback.EXPLICIT) {
        return new Metrics((long) s[0], n, s[3] / n, s[2] / n, Math.sqrt(s[3] / n), Double.NaN);
      }
      return new Metrics((long) s[0], n, s[4] / n, Double.NaN, Double.NaN, s[5] / s[0]);
    } finally {
      bTheta.destroy();
    }
  }

  /**
   * Adds one task's sums to {@code acc}: tasks, interactions, |error|, error², BCE, AUC.
   */
  static void score(JvmAdaptationEngine engine, Params theta, InnerLoopConfig inner, Task t,
      ModelSpec spec, double[] acc) {
    int k = t.supportSize();
    int q = t.querySize();
    if (q == 0) {
      return;
    }
    if (spec.feedback() == Feedback.EXPLICIT) {
      float[] p = engine.adaptAndPredict(theta, inner, t);
      for (int r = 0; r < q; r++) {
        double e = p[r] - t.labels()[k + r];
        acc[2] += Math.abs(e);
        acc[3] += e * e;
      }
      acc[0]++;
      acc[1] += q;
      return;
    }
    // Implicit: the query items are positives; as many unseen items drawn per task are negatives.
    Set<Integer> seen = new HashSet<>();
    for (int item : t.items()) {
      seen.add(item);
    }
    int[] candidates = new int[2 * q];
    System.arraycopy(t.items(), k, candidates, 0, q);
    SplittableRandom rng = TaskRandom.stream(0, 0, t.taskId(), PURPOSE_NEGATIVES);
    int numItems = spec.numItems();
    for (int j = 0; j < q; j++) {
      int neg = 0;
      for (int tries = 0; tries < 100 && (neg == 0 || seen.contains(neg)); tries++) {
        neg = 1 + rng.nextInt(Math.max(1, numItems - 1));
      }
      candidates[q + j] = neg;
    }
    int[] supportItems = java.util.Arrays.copyOf(t.items(), k);
    float[] supportLabels = java.util.Arrays.copyOf(t.labels(), k);
    float[] logits = engine.adaptAndScore(theta, inner, supportItems, supportLabels,
        t.userFeatures(), candidates);
    double bce = 0;
    double pairs = 0;
    for (int a = 0; a < q; a++) {
      bce += softplus(-logits[a]) + softplus(logits[q + a]);
      for (int b = 0; b < q; b++) {
        pairs += logits[a] > logits[q + b] ? 1 : logits[a] == logits[q + b] ? 0.5 : 0;
      }
    }
    acc[0]++;
    acc[1] += q;
    acc[4] += bce / 2;
    acc[5] += pairs / ((double) q * q);
  }

  private static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }
}
