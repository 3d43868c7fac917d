package io.metarec.task;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One user's task in the meta-learning sense (Finn et al. 2017, MAML; Lee et al. 2019, MeLU): the
 * user's interactions as primitive arrays, rows {@code [0, supportSize)} being the support set the
 * inner loop adapts on and rows {@code [supportSize, size())} the query set the adapted model is
 * scored on. Row order is the task order (for example time order).
 *
 * <p>No per-interaction objects: a task is {@code items}, {@code labels} and the user's categorical
 * features ({@code userFeatures[field]} holds the vocabulary indices of that field; multi-valued
 * fields hold several, an empty array means unknown, index 0 of every vocabulary means
 * unknown/missing). The constructor takes ownership of the arrays without copying them: callers
 * must not mutate them afterwards, and accessors return them without copying (read only).
 * {@link #withSplit(int)} shares the arrays. Instances are immutable and Serializable so Spark
 * (Java or Kryo serialization) can ship them.
 */
public final class Task implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final long taskId;
  private final int[] items;
  private final float[] labels;
  private final int supportSize;
  private final int[][] userFeatures;

  /**
   * Creates a task, validating shapes and indices.
   *
   * @param taskId stable id, also the key of the task's random streams
   * @param items item indices, one per interaction, each {@code >= 0}
   * @param labels label per interaction (rating, or 0/1 for implicit feedback), finite
   * @param supportSize number of leading rows forming the support set, {@code 0..items.length}
   * @param userFeatures per user field the vocabulary indices ({@code >= 0}) of this user
   * @throws IllegalArgumentException naming the offending argument and value
   */
  public Task(long taskId, int[] items, float[] labels, int supportSize, int[][] userFeatures) {
    if (items == null || labels == null || userFeatures == null) {
      throw new IllegalArgumentException("task " + taskId + ": items, labels and userFeatures must be non-null");
    }
    if (items.length != labels.length) {
      throw new IllegalArgumentException("task " + taskId + ": labels.length must equal items.length ("
          + items.length + "), got " + labels.length);
    }
    if (supportSize < 0 || supportSize > items.length) {
      throw new IllegalArgumentException("task " + taskId + ": supportSize must be in [0, " + items.length
          + "], got " + supportSize);
    }
    for (int r = 0; r < items.length; r++) {
      if (items[r] < 0) {
        throw new IllegalArgumentException("task " + taskId + ": items[" + r + "] must be >= 0, got " + items[r]);
      }
      if (!Float.isFinite(labels[r])) {
        throw new IllegalArgumentException("task " + taskId + ": labels[" + r + "] must be finite, got " + labels[r]);
      }
    }
    for (int f = 0; f < userFeatures.length; f++) {
      int[] vals = userFeatures[f];
      if (vals == null) {
        throw new IllegalArgumentException("task " + taskId + ": userFeatures[" + f + "] must be non-null");
      }
      for (int v : vals) {
        if (v < 0) {
          throw new IllegalArgumentException("task " + taskId + ": userFeatures[" + f + "] values must be >= 0, got " + v);
        }
      }
    }
    this.taskId = taskId;
    this.items = items;
    this.labels = labels;
    this.supportSize = supportSize;
    this.userFeatures = userFeatures;
  }

  /** @return the stable task id (the key of this task's random streams) */
  public long taskId() {
    return taskId;
  }

  /** @return the item index of every row, support first; shared, do not mutate */
  public int[] items() {
    return items;
  }

  /** @return the label of every row; shared, do not mutate */
  public float[] labels() {
    return labels;
  }

  /** @return number of support rows (rows {@code [0, supportSize)}) */
  public int supportSize() {
    return supportSize;
  }

  /** @return number of query rows */
  public int querySize() {
    return items.length - supportSize;
  }

  /** @return number of rows */
  public int size() {
    return items.length;
  }

  /** @return per user field the user's vocabulary indices; shared, do not mutate */
  public int[][] userFeatures() {
    return userFeatures;
  }

  /**
   * Returns a task over the same rows (arrays shared) with another support/query boundary.
   *
   * @param newSupportSize the new number of leading support rows, {@code 0..size()}
   * @return the re-split task
   */
  public Task withSplit(int newSupportSize) {
    if (newSupportSize < 0 || newSupportSize > items.length) {
      throw new IllegalArgumentException("task " + taskId + ": newSupportSize must be in [0, " + items.length
          + "], got " + newSupportSize);
    }
    return newSupportSize == supportSize ? this : new Task(taskId, items, labels, newSupportSize, userFeatures, true);
  }

  /** Trusted constructor: arrays already validated. */
  private Task(long taskId, int[] items, float[] labels, int supportSize, int[][] userFeatures, boolean trusted) {
    this.taskId = taskId;
    this.items = items;
    this.labels = labels;
    this.supportSize = supportSize;
    this.userFeatures = userFeatures;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Task t && t.taskId == taskId && t.supportSize == supportSize
        && Arrays.equals(t.items, items) && Arrays.equals(t.labels, labels)
        && Arrays.deepEquals(t.userFeatures, userFeatures);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(taskId) * 31 + Arrays.hashCode(items);
  }

  @Override
  public String toString() {
    return "Task[id=" + taskId + ", rows=" + items.length + ", support=" + supportSize + "]";
  }
}
