package io.metarec.engine;

import io.metarec.meta.IntIndex;
import io.metarec.model.ModelSpec;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;

/**
 * The embedding-table rows a partition's tasks touch, per table family, numbered in first-touch
 * order: the items of every row (shared by the item bias, item embedding, item factor and implicit
 * tables), the values of each item field of those items and of each user field (an empty list
 * touching the unknown value 0) — the rows the JVM engine's {@code TaskIndex} would gather, task by
 * task. The ND4J engine sums table gradients into dense device buffers of these local ids.
 */
final class PartitionRows {
  private static final int[] UNKNOWN = {0};

  final IntIndex items = new IntIndex();
  final IntIndex[] itemFields;
  final IntIndex[] userFields;
  private final ModelSpec spec;
  private final ItemFeatureTable itemFeatures;

  PartitionRows(ModelSpec spec, ItemFeatureTable itemFeatures) {
    this.spec = spec;
    this.itemFeatures = itemFeatures;
    itemFields = new IntIndex[spec.itemFields().size()];
    for (int f = 0; f < itemFields.length; f++) {
      itemFields[f] = new IntIndex();
    }
    userFields = new IntIndex[spec.userFields().size()];
    for (int g = 0; g < userFields.length; g++) {
      userFields[g] = new IntIndex();
    }
  }

  /**
   * Registers every row {@code t} touches, checking its indices against the model's ranges.
   *
   * @throws IllegalArgumentException naming the task and the bad index
   */
  void addTask(Task t) {
    if (t.userFeatures().length != userFields.length) {
      throw new IllegalArgumentException("task " + t.taskId() + ": userFeatures must have " + userFields.length
          + " fields, got " + t.userFeatures().length);
    }
    int[] it = t.items();
    for (int r = 0; r < it.length; r++) {
      if (it[r] < 0 || it[r] >= spec.numItems()) {
        throw new IllegalArgumentException("task " + t.taskId() + ": item index must be in [0, " + spec.numItems()
            + "), got " + it[r] + " at row " + r);
      }
      items.idOf(it[r]);
    }
    for (int f = 0; f < itemFields.length; f++) {
      int vocab = spec.itemFields().get(f).vocabSize();
      for (int r = 0; r < it.length; r++) {
        int[] vals = itemValues(f, it[r]);
        for (int k = itemStart(f, it[r]), e = itemEnd(f, it[r]); k < e; k++) {
          if (vals[k] >= vocab) {
            throw new IllegalArgumentException("item " + it[r] + ": field " + spec.itemFields().get(f).name()
                + " value must be < vocabSize=" + vocab + ", got " + vals[k]);
          }
          itemFields[f].idOf(vals[k]);
        }
      }
    }
    for (int g = 0; g < userFields.length; g++) {
      int vocab = spec.userFields().get(g).vocabSize();
      for (int v : userValues(t, g)) {
        if (v >= vocab) {
          throw new IllegalArgumentException("task " + t.taskId() + ": user field " + spec.userFields().get(g).name()
              + " value must be < vocabSize=" + vocab + ", got " + v);
        }
        userFields[g].idOf(v);
      }
    }
  }

  /** @return the CSR value array holding item {@code item}'s values of field {@code f}, or {@code {0}} if none */
  int[] itemValues(int f, int item) {
    return itemFeatures.start(f, item) == itemFeatures.end(f, item) ? UNKNOWN : itemFeatures.indices(f);
  }

  /** @return [start, end) of item {@code item}'s values of field {@code f} in {@link #itemValues} */
  int itemStart(int f, int item) {
    return itemFeatures.start(f, item) == itemFeatures.end(f, item) ? 0 : itemFeatures.start(f, item);
  }

  /** @return one past the last of item {@code item}'s values of field {@code f} in {@link #itemValues} */
  int itemEnd(int f, int item) {
    return itemFeatures.start(f, item) == itemFeatures.end(f, item) ? 1 : itemFeatures.end(f, item);
  }

  /** @return task {@code t}'s values of user field {@code g}, or {@code {0}} if none */
  static int[] userValues(Task t, int g) {
    int[] v = t.userFeatures()[g];
    return v.length == 0 ? UNKNOWN : v;
  }
}
