package io.metarec.task;

import java.io.Serial;
import java.io.Serializable;

/**
 * Per-item label sums and counts over every row of some tasks, with {@link #addTaskInPlace} and
 * {@link #mergeInPlace}: what initializes μ and b_i in training and pretraining and fits the
 * evaluation's mean and item-mean baselines. Sums of labels that are multiples of a power of two
 * (whole and half stars, 0/1 events) are exact in any order, so the result does not depend on how
 * the tasks were split up.
 *
 * @param sums label sum per item index
 * @param counts rows per item index
 */
public record ItemStats(double[] sums, long[] counts) implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Empty sums over {@code numItems} item indices. */
  public static ItemStats empty(int numItems) {
    return new ItemStats(new double[numItems], new long[numItems]);
  }

  /** The sums of {@code tasks}. */
  public static ItemStats of(Iterable<Task> tasks, int numItems) {
    ItemStats s = empty(numItems);
    for (Task t : tasks) {
      s.addTaskInPlace(t);
    }
    return s;
  }

  /** Adds every row of {@code t}, in place. */
  public void addTaskInPlace(Task t) {
    for (int k = 0; k < t.size(); k++) {
      sums[t.items()[k]] += t.labels()[k];
      counts[t.items()[k]]++;
    }
  }

  /** Adds {@code o} into this, in place; returns this. */
  public ItemStats mergeInPlace(ItemStats o) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += o.sums[i];
      counts[i] += o.counts[i];
    }
    return this;
  }
}
