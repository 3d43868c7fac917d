package io.metarec.task;

import java.io.Serial;
import java.io.Serializable;

/**
 * The global item side features: for every item index and item feature field, the vocabulary
 * indices of that item in that field, stored as one CSR structure per field ({@code offsets[field]}
 * of length {@code numItems + 1} into {@code indices[field]}). An item with no value in a field is
 * treated by the model as the unknown index 0. It may carry each item's training count
 * ({@link #withCounts}), which implicit feedback's negative sampler draws by, and a model's item
 * neighbourhoods ({@link #withNeighbours}), which its neighbourhood term reads. Immutable; arrays are
 * owned, not copied.
 */
public final class ItemFeatureTable implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final int numItems;
  private final int[][] offsets;
  private final int[][] indices;
  private final long[] counts;
  private final io.metarec.model.ItemNeighbours neighbours;

  /**
   * @param numItems number of item indices covered ({@code 0..numItems-1})
   * @param offsets per field, CSR row offsets, length {@code numItems + 1}, non-decreasing, from 0
   * @param indices per field, the vocabulary indices ({@code >= 0})
   */
  public ItemFeatureTable(int numItems, int[][] offsets, int[][] indices) {
    if (numItems < 1) {
      throw new IllegalArgumentException("numItems must be >= 1, got " + numItems);
    }
    if (offsets.length != indices.length) {
      throw new IllegalArgumentException("offsets and indices must have one entry per field, got "
          + offsets.length + " and " + indices.length);
    }
    for (int f = 0; f < offsets.length; f++) {
      int[] o = offsets[f];
      if (o.length != numItems + 1 || o[0] != 0 || o[numItems] != indices[f].length) {
        throw new IllegalArgumentException("field " + f + ": offsets must have length numItems+1=" + (numItems + 1)
            + ", start at 0 and end at indices.length=" + indices[f].length + ", got length " + o.length);
      }
      for (int i = 0; i < numItems; i++) {
        if (o[i + 1] < o[i]) {
          throw new IllegalArgumentException("field " + f + ": offsets must be non-decreasing, offsets[" + (i + 1)
              + "]=" + o[i + 1] + " < " + o[i]);
        }
      }
      for (int v : indices[f]) {
        if (v < 0) {
          throw new IllegalArgumentException("field " + f + ": feature indices must be >= 0, got " + v);
        }
      }
    }
    this.numItems = numItems;
    this.offsets = offsets;
    this.indices = indices;
    this.counts = null;
    this.neighbours = null;
  }

  private ItemFeatureTable(ItemFeatureTable t, long[] counts,
      io.metarec.model.ItemNeighbours neighbours) {
    this.numItems = t.numItems;
    this.offsets = t.offsets;
    this.indices = t.indices;
    this.counts = counts;
    this.neighbours = neighbours;
  }

  /**
   * This table with each item's interaction count in the training data.
   *
   * @param counts one non-negative count per item index
   */
  public ItemFeatureTable withCounts(long[] counts) {
    if (counts.length != numItems) {
      throw new IllegalArgumentException("counts must have numItems=" + numItems + " entries, got "
          + counts.length);
    }
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("item counts must be >= 0, got " + c);
      }
    }
    return new ItemFeatureTable(this, counts, neighbours);
  }

  /**
   * This table with a model's item neighbourhoods (null: none).
   *
   * @throws IllegalArgumentException if they cover another number of items
   */
  public ItemFeatureTable withNeighbours(io.metarec.model.ItemNeighbours nb) {
    if (nb != null && nb.numItems() != numItems) {
      throw new IllegalArgumentException("item neighbours must cover numItems=" + numItems
          + " items, got " + nb.numItems());
    }
    return new ItemFeatureTable(this, counts, nb);
  }

  /** @return the model's item neighbourhoods (shared), or null when the table carries none */
  public io.metarec.model.ItemNeighbours neighbours() {
    return neighbours;
  }

  /** @return each item's training count (shared, do not mutate), or null when not known */
  public long[] counts() {
    return counts;
  }

  /** A table with {@code numFields} fields where every item has no value (unknown). */
  public static ItemFeatureTable empty(int numItems, int numFields) {
    int[][] o = new int[numFields][numItems + 1];
    int[][] ix = new int[numFields][0];
    return new ItemFeatureTable(numItems, o, ix);
  }

  /**
   * Builds the table from nested arrays {@code features[item][field]} (the values of that item in that
   * field).
   */
  public static ItemFeatureTable fromNested(int numFields, int[][][] features) {
    int numItems = features.length;
    int[][] o = new int[numFields][numItems + 1];
    int[][] ix = new int[numFields][];
    for (int f = 0; f < numFields; f++) {
      int total = 0;
      for (int i = 0; i < numItems; i++) {
        if (features[i].length != numFields) {
          throw new IllegalArgumentException("features[" + i + "] must have numFields=" + numFields + " entries, got "
              + features[i].length);
        }
        total += features[i][f].length;
        o[f][i + 1] = total;
      }
      ix[f] = new int[total];
      for (int i = 0; i < numItems; i++) {
        System.arraycopy(features[i][f], 0, ix[f], o[f][i], features[i][f].length);
      }
    }
    return new ItemFeatureTable(numItems, o, ix);
  }

  public int numItems() {
    return numItems;
  }

  public int numFields() {
    return offsets.length;
  }

  /** @return first position of {@code item}'s values of {@code field} in {@link #indices(int)} */
  public int start(int field, int item) {
    return offsets[field][item];
  }

  /** @return one past the last position of {@code item}'s values of {@code field} */
  public int end(int field, int item) {
    return offsets[field][item + 1];
  }

  /** @return the CSR value array of {@code field}; shared, do not mutate */
  public int[] indices(int field) {
    return indices[field];
  }
}
