package io.metarec.task;

import java.util.SplittableRandom;

/**
 * Random support/query re-splitting of training tasks, as meta-training samples a fresh split of
 * every task each iteration (Finn et al. 2017; Lee et al. 2019). The draw depends only on
 * (seed, iteration, task id), so it is identical on every executor and in every run.
 */
public final class TaskSplitter {
  /** Purpose constant for {@link TaskRandom#stream}: support/query re-splitting. */
  public static final long PURPOSE_SPLIT = 1L;

  private TaskSplitter() {
  }

  /**
   * Draws a support size uniformly in {@code [minSupport, maxSupport]} (clipped so that at least one
   * query row remains; tasks with one row keep it as query) and a uniformly random subset of rows of
   * that size as support. Within support and within query the task order is kept.
   *
   * @return a new task with new arrays; the input is not modified
   */
  public static Task resplit(Task task, long seed, long iteration, int minSupport, int maxSupport) {
    if (minSupport < 0 || maxSupport < minSupport) {
      throw new IllegalArgumentException("support range must satisfy 0 <= minSupport <= maxSupport, got ["
          + minSupport + ", " + maxSupport + "]");
    }
    int n = task.size();
    int hi = Math.max(0, Math.min(maxSupport, n - 1));
    int lo = Math.min(minSupport, hi);
    SplittableRandom rng = TaskRandom.stream(seed, iteration, task.taskId(), PURPOSE_SPLIT);
    int s = lo + rng.nextInt(hi - lo + 1);
    // Selection sampling (Knuth's algorithm S): each row chosen with the right conditional probability,
    // visiting rows in order, so the chosen set is uniform and order is preserved for free.
    int[] items = task.items();
    float[] labels = task.labels();
    int[] newItems = new int[n];
    float[] newLabels = new float[n];
    int needed = s;
    int sp = 0;
    int qp = s;
    for (int r = 0; r < n; r++) {
      int remaining = n - r;
      if (rng.nextInt(remaining) < needed) {
        newItems[sp] = items[r];
        newLabels[sp++] = labels[r];
        needed--;
      } else {
        newItems[qp] = items[r];
        newLabels[qp++] = labels[r];
      }
    }
    return new Task(task.taskId(), newItems, newLabels, s, task.userFeatures());
  }
}
