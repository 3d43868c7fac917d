package io.metarec.train;

import io.metarec.config.InnerLoopConfig;
import io.metarec.kernel.Losses;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.metrics.UserMetrics;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sums of validation scores over tasks, with {@link #addTaskInPlace} and {@link #mergeInPlace} (the
 * shape of Spark MLlib's aggregators): each task is adapted on its support with the JVM kernel and
 * scored on its query. Explicit feedback sums absolute and squared errors over query interactions;
 * implicit feedback ranks the query items against every item the user never interacted with and
 * sums the per-task full-ranking nDCG@10 and AUC ({@link UserMetrics}), and the mean binary
 * cross-entropy ({@link Losses#rowLoss}) of the positives and as many unseen items drawn from the
 * stream (seed, 0, task id, {@link #PURPOSE_NEGATIVES}). Not thread-safe.
 */
public final class ValidationAccumulator implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  /** Purpose constant of the negative-sampling stream. */
  public static final long PURPOSE_NEGATIVES = 0x6e65_6761_74L;

  private final Feedback feedback;
  private long tasks;
  private long interactions;
  private double absError;
  private double sqError;
  private double bce;
  private double auc;
  private double ndcg;

  /** An empty accumulator for {@code feedback}. */
  public ValidationAccumulator(Feedback feedback) {
    this.feedback = feedback;
  }

  /**
   * Adapts {@code t} on its support from {@code theta} with {@code inner} and adds its query's
   * scores, in place; a task without query rows adds nothing.
   *
   * @param seed the run's seed (implicit feedback's negatives)
   */
  public void addTaskInPlace(JvmAdaptationEngine engine, Params theta, InnerLoopConfig inner,
      Task t, long seed) {
    int k = t.supportSize();
    int q = t.querySize();
    if (q == 0) {
      return;
    }
    ModelSpec spec = theta.layout().spec();
    if (feedback == Feedback.EXPLICIT) {
      float[] p = engine.adaptAndPredict(theta, inner, t);
      for (int r = 0; r < q; r++) {
        double e = p[r] - t.labels()[k + r];
        absError += Math.abs(e);
        sqError += e * e;
      }
      tasks++;
      interactions += q;
      return;
    }
    // Full ranking: the query items against every item the user never interacted with.
    int numItems = spec.numItems();
    boolean[] seen = new boolean[numItems];
    for (int item : t.items()) {
      seen[item] = true;
    }
    int unseen = 0;
    for (int i = 1; i < numItems; i++) {
      unseen += seen[i] ? 0 : 1;
    }
    int[] candidates = Arrays.copyOf(Arrays.copyOfRange(t.items(), k, t.size()), q + unseen);
    int[] position = new int[numItems];
    int c = q;
    for (int i = 1; i < numItems; i++) {
      if (!seen[i]) {
        position[i] = c;
        candidates[c++] = i;
      }
    }
    float[] logits = engine.adaptAndScore(theta, inner, Arrays.copyOf(t.items(), k),
        Arrays.copyOf(t.labels(), k), t.userFeatures(), candidates);
    float[] pos = Arrays.copyOf(logits, q);
    float[] all = Arrays.copyOfRange(logits, q, logits.length);
    // The loss over the positives and as many unseen items drawn from the run's stream.
    SplittableRandom rng = TaskRandom.stream(seed, 0, t.taskId(), PURPOSE_NEGATIVES);
    double loss = 0;
    for (int a = 0; a < q; a++) {
      loss += Losses.rowLoss(Feedback.IMPLICIT, logits[a], 1f);
      if (unseen > 0) {
        int neg = 0;
        for (int tries = 0; tries < 100 && (neg == 0 || seen[neg]); tries++) {
          neg = 1 + rng.nextInt(Math.max(1, numItems - 1));
        }
        loss += seen[neg] ? 0 : Losses.rowLoss(Feedback.IMPLICIT, logits[position[neg]], 0f);
      }
    }
    tasks++;
    interactions += q;
    bce += loss / 2;
    auc += unseen == 0 ? 1.0 : UserMetrics.auc(pos, all);
    ndcg += UserMetrics.ndcgImplicit(pos, all, ValidationMetrics.NDCG_K);
  }

  /** Adds {@code other}'s sums into this, in place; returns this. */
  public ValidationAccumulator mergeInPlace(ValidationAccumulator other) {
    if (other.feedback != feedback) {
      throw new IllegalArgumentException("cannot merge " + other.feedback + " validation sums into "
          + feedback);
    }
    tasks += other.tasks;
    interactions += other.interactions;
    absError += other.absError;
    sqError += other.sqError;
    bce += other.bce;
    auc += other.auc;
    ndcg += other.ndcg;
    return this;
  }

  /** The metrics of the tasks added so far (NaN where nothing was scored). */
  public ValidationMetrics metrics() {
    double n = interactions;
    if (feedback == Feedback.EXPLICIT) {
      return new ValidationMetrics(tasks, interactions, sqError / n, absError / n,
          Math.sqrt(sqError / n), Double.NaN, Double.NaN);
    }
    return new ValidationMetrics(tasks, interactions, bce / n, Double.NaN, Double.NaN,
        auc / tasks, ndcg / tasks);
  }
}
