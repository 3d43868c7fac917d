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
 * scored on its query. Explicit feedback sums each task's MAE and RMSE over its query interactions
 * (per-user means, as the evaluation reports them: a user with 300 query ratings counts as much as
 * one with 3) and the squared errors over every query interaction (the loss); implicit feedback ranks the query items against every item the user never interacted with and
 * sums the per-task full-ranking nDCG@10 and AUC ({@link UserMetrics}), and the mean binary
 * cross-entropy ({@link Losses#rowLoss}) of the positives and as many unseen items drawn from the
 * stream (seed, 0, task id, {@link #PURPOSE_NEGATIVES}). With support sizes ({@code
 * train.validationSupports}) each task is scored as the evaluation's strict protocol scores it:
 * adapted on its first K interactions for every K, the interactions after the largest K its query,
 * the scores averaged over the Ks, and kept per K as well ({@link #metricsAt}). Each task's own
 * primary score at each support size (its MAE, or its nDCG@10) is kept too ({@link #perTask}), so
 * that two settings validated on the same tasks can be compared user by user. Not thread-safe.
 */
public final class ValidationAccumulator implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  /** Purpose constant of the negative-sampling stream. */
  public static final long PURPOSE_NEGATIVES = 0x6e65_6761_74L;

  private final Feedback feedback;
  private final int[] supports;
  private long tasks;
  // Per support size (one slot without support sizes): splits, query interactions, the loss's sums
  // and the per-user sums; the totals over every size are their sums.
  private final long[] kSplits;
  private final long[] kInteractions;
  private final double[] kSqError;
  private final double[] kUserMae;
  private final double[] kUserRmse;
  private final double[] kBce;
  private final double[] kAuc;
  private final double[] kNdcg;
  // Per task scored: its id and its primary score at each slot (NaN where it has none).
  private long[] taskIds = new long[0];
  private double[] taskScores = new double[0];
  private int taskCount;

  /** An empty accumulator for {@code feedback} that scores each task's own support and query. */
  public ValidationAccumulator(Feedback feedback) {
    this(feedback, new int[0]);
  }

  /**
   * An empty accumulator for {@code feedback} that scores every task at the support sizes {@code
   * supports} (ascending, each {@code >= 1}); empty = each task's own support and query.
   */
  public ValidationAccumulator(Feedback feedback, int[] supports) {
    this.feedback = feedback;
    this.supports = supports.clone();
    for (int i = 0; i < this.supports.length; i++) {
      if (this.supports[i] < 1 || (i > 0 && this.supports[i] <= this.supports[i - 1])) {
        throw new IllegalArgumentException("validation support sizes must be >= 1 and ascending, got "
            + Arrays.toString(supports));
      }
    }
    int slots = Math.max(1, this.supports.length);
    kSplits = new long[slots];
    kInteractions = new long[slots];
    kSqError = new double[slots];
    kUserMae = new double[slots];
    kUserRmse = new double[slots];
    kBce = new double[slots];
    kAuc = new double[slots];
    kNdcg = new double[slots];
  }

  /**
   * The support sizes a validation can use: {@code ks} without its largest sizes until at least
   * half of the tasks have more interactions than the largest one kept (a user with K or fewer
   * has nothing to score after K and is left out); empty when not even the smallest qualifies
   * (then each task's own split is scored).
   *
   * @param sizes how many tasks have each size (interaction count)
   * @param total the number of tasks
   */
  public static int[] supportsCovering(int[] ks, java.util.Map<Integer, Long> sizes, long total) {
    int n = ks.length;
    while (n > 0) {
      int k = ks[n - 1];
      long above = 0;
      for (java.util.Map.Entry<Integer, Long> e : sizes.entrySet()) {
        above += e.getKey() > k ? e.getValue() : 0;
      }
      if (2 * above >= total && above > 0) {
        break;
      }
      n--;
    }
    return Arrays.copyOf(ks, n);
  }

  /** {@link #supportsCovering(int[], java.util.Map, long)} of the tasks {@code tasks}. */
  public static int[] supportsCovering(int[] ks, java.util.List<Task> tasks) {
    if (ks.length == 0 || tasks.isEmpty()) {
      return ks.clone();
    }
    java.util.Map<Integer, Long> sizes = new java.util.HashMap<>();
    for (Task t : tasks) {
      sizes.merge(t.size(), 1L, Long::sum);
    }
    return supportsCovering(ks, sizes, tasks.size());
  }

  /** The support sizes scored (empty: each task's own split). */
  public int[] supports() {
    return supports.clone();
  }

  /**
   * Adapts {@code t} on its support from {@code theta} with {@code inner} and adds its query's
   * scores, in place; a task without query rows adds nothing.
   *
   * @param seed the run's seed (implicit feedback's negatives)
   */
  public void addTaskInPlace(JvmAdaptationEngine engine, Params theta, InnerLoopConfig inner,
      Task t, long seed) {
    if (supports.length == 0) {
      if (t.querySize() > 0) {
        double score = addSplit(engine, theta, inner, t, t.supportSize(), t.supportSize(), seed, 0);
        int at = append(t.taskId()); // before the store: append may grow the array
        taskScores[at] = score;
        tasks++;
      }
      return;
    }
    int queryStart = supports[supports.length - 1];
    if (t.size() <= queryStart) {
      return;
    }
    double[] scores = new double[supports.length];
    for (int i = 0; i < supports.length; i++) {
      scores[i] = addSplit(engine, theta, inner, t, supports[i], queryStart, seed, i);
    }
    int at = append(t.taskId());
    System.arraycopy(scores, 0, taskScores, at * slots(), supports.length);
    tasks++;
  }

  private int slots() {
    return Math.max(1, supports.length);
  }

  /** Appends a task's row (scores NaN) and returns its index. */
  private int append(long taskId) {
    int w = slots();
    if (taskCount == taskIds.length) {
      int cap = Math.max(16, 2 * taskIds.length);
      taskIds = Arrays.copyOf(taskIds, cap);
      taskScores = Arrays.copyOf(taskScores, cap * w);
    }
    taskIds[taskCount] = taskId;
    Arrays.fill(taskScores, taskCount * w, (taskCount + 1) * w, Double.NaN);
    return taskCount++;
  }

  /**
   * Adapts on rows [0, k) of {@code t} and scores rows [queryStart, n); returns the task's primary
   * score (its MAE, or its nDCG@10).
   */
  private double addSplit(JvmAdaptationEngine engine, Params theta, InnerLoopConfig inner, Task t,
      int k, int queryStart, long seed, int slot) {
    int q = t.size() - queryStart;
    ModelSpec spec = theta.layout().spec();
    kSplits[slot]++;
    kInteractions[slot] += q;
    if (feedback == Feedback.EXPLICIT) {
      Task view = t;
      if (k != t.supportSize() || queryStart != k) {
        int[] items = new int[k + q];
        float[] labels = new float[k + q];
        System.arraycopy(t.items(), 0, items, 0, k);
        System.arraycopy(t.items(), queryStart, items, k, q);
        System.arraycopy(t.labels(), 0, labels, 0, k);
        System.arraycopy(t.labels(), queryStart, labels, k, q);
        view = new Task(t.taskId(), items, labels, k, t.userFeatures());
      }
      float[] p = engine.adaptAndPredict(theta, inner, view);
      double abs = 0;
      double sq = 0;
      for (int r = 0; r < q; r++) {
        double e = p[r] - t.labels()[queryStart + r];
        abs += Math.abs(e);
        sq += e * e;
      }
      kSqError[slot] += sq;
      kUserMae[slot] += abs / q;
      kUserRmse[slot] += Math.sqrt(sq / q);
      return abs / q;
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
    int[] candidates = Arrays.copyOf(Arrays.copyOfRange(t.items(), queryStart, t.size()),
        q + unseen);
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
    kBce[slot] += loss / 2;
    kAuc[slot] += unseen == 0 ? 1.0 : UserMetrics.auc(pos, all);
    double ndcg = UserMetrics.ndcgImplicit(pos, all, ValidationMetrics.NDCG_K);
    kNdcg[slot] += ndcg;
    return ndcg;
  }

  /** Adds {@code other}'s sums into this, in place; returns this. */
  public ValidationAccumulator mergeInPlace(ValidationAccumulator other) {
    if (other.feedback != feedback) {
      throw new IllegalArgumentException("cannot merge " + other.feedback + " validation sums into "
          + feedback);
    }
    if (!Arrays.equals(other.supports, supports)) {
      throw new IllegalArgumentException("cannot merge validation sums at support sizes "
          + Arrays.toString(other.supports) + " into sums at " + Arrays.toString(supports));
    }
    tasks += other.tasks;
    for (int i = 0; i < kSplits.length; i++) {
      kSplits[i] += other.kSplits[i];
      kInteractions[i] += other.kInteractions[i];
      kSqError[i] += other.kSqError[i];
      kUserMae[i] += other.kUserMae[i];
      kUserRmse[i] += other.kUserRmse[i];
      kBce[i] += other.kBce[i];
      kAuc[i] += other.kAuc[i];
      kNdcg[i] += other.kNdcg[i];
    }
    int w = slots();
    for (int j = 0; j < other.taskCount; j++) {
      int at = append(other.taskIds[j]);
      System.arraycopy(other.taskScores, j * w, taskScores, at * w, w);
    }
    return this;
  }

  /**
   * Each task's primary score (MAE, or nDCG@10) at each support size, by task id: the same
   * whatever order the tasks were added and merged in.
   */
  public PerTask perTask() {
    int w = slots();
    Integer[] order = new Integer[taskCount];
    for (int j = 0; j < taskCount; j++) {
      order[j] = j;
    }
    Arrays.sort(order, (a, b) -> Long.compare(taskIds[a], taskIds[b]));
    long[] ids = new long[taskCount];
    double[][] scores = new double[w][taskCount];
    for (int j = 0; j < taskCount; j++) {
      ids[j] = taskIds[order[j]];
      for (int i = 0; i < w; i++) {
        scores[i][j] = taskScores[order[j] * w + i];
      }
    }
    return new PerTask(ids, scores);
  }

  /**
   * Per-task primary scores.
   *
   * @param taskIds ascending
   * @param scores per support size (one row without support sizes), one score per task
   */
  public record PerTask(long[] taskIds, double[][] scores) implements Serializable {
    /** Each task's mean score over the support sizes (NaN where it has none). */
    public double[] meanOverSupports() {
      double[] out = new double[taskIds.length];
      for (int j = 0; j < out.length; j++) {
        double sum = 0;
        int n = 0;
        for (double[] row : scores) {
          if (!Double.isNaN(row[j])) {
            sum += row[j];
            n++;
          }
        }
        out[j] = n == 0 ? Double.NaN : sum / n;
      }
      return out;
    }
  }

  /**
   * The metrics of the tasks added so far (NaN where nothing was scored): MAE and RMSE are the
   * mean over tasks (and support sizes) of each task's own, the loss is over every query row.
   */
  public ValidationMetrics metrics() {
    return metrics(tasks, Arrays.stream(kSplits).sum(), Arrays.stream(kInteractions).sum(),
        sum(kSqError), sum(kBce), sum(kUserMae), sum(kUserRmse), sum(kAuc), sum(kNdcg));
  }

  /**
   * The metrics at the {@code i}-th support size of {@link #supports()} alone (i = 0 without
   * support sizes: the same as {@link #metrics()}).
   */
  public ValidationMetrics metricsAt(int i) {
    return metrics(kSplits[i], kSplits[i], kInteractions[i], kSqError[i], kBce[i], kUserMae[i],
        kUserRmse[i], kAuc[i], kNdcg[i]);
  }

  private ValidationMetrics metrics(long taskCount, long splitCount, long rows, double sq,
      double loss, double userMae, double userRmse, double aucSum, double ndcgSum) {
    double n = rows;
    if (feedback == Feedback.EXPLICIT) {
      return new ValidationMetrics(taskCount, rows, sq / n, userMae / splitCount,
          userRmse / splitCount, Double.NaN, Double.NaN);
    }
    return new ValidationMetrics(taskCount, rows, loss / n, Double.NaN, Double.NaN,
        aucSum / splitCount, ndcgSum / splitCount);
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double x : a) {
      s += x;
    }
    return s;
  }
}
