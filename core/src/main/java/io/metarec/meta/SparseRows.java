package io.metarec.meta;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Sparse rows of one embedding table: global row index → summed row, kept in insertion order with an
 * {@link IntIndex}. The value of each row is the sum of its contributions in the order they
 * were added, whatever the hash layout. Serializable (the accumulator travels through Spark).
 */
public final class SparseRows implements Serializable {
  @Serial private static final long serialVersionUID = 2L;

  private final int cols;
  private final IntIndex index = new IntIndex();
  private float[][] rows = new float[8][];

  public SparseRows(int cols) {
    this.cols = cols;
  }

  /** @return number of rows held */
  public int size() {
    return index.size();
  }

  public int cols() {
    return cols;
  }

  /** @return the global row index of the {@code i}-th row (insertion order) */
  public int key(int i) {
    return index.key(i);
  }

  /** @return the {@code i}-th summed row (live) */
  public float[] row(int i) {
    return rows[i];
  }

  /** @return the summed row of global index {@code key}, or null */
  public float[] get(int key) {
    int id = index.find(key);
    return id < 0 ? null : rows[id];
  }

  /** @return the row keys in insertion order (a copy) */
  public int[] keys() {
    int[] k = new int[size()];
    for (int i = 0; i < k.length; i++) {
      k[i] = index.key(i);
    }
    return k;
  }

  /**
   * @return the positions {@code i} of the rows in ascending key order: walking a large table's
   *     rows in address order instead of insertion order halves the cache and TLB misses of an
   *     outer step over a million-row table (measured)
   */
  public int[] ascendingKeys() {
    int n = size();
    long[] packed = new long[n];
    for (int i = 0; i < n; i++) {
      packed[i] = (long) index.key(i) << 32 | i;
    }
    Arrays.sort(packed);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = (int) packed[i];
    }
    return order;
  }

  /** @return the rows in insertion order, one after another ({@code size() * cols} floats) */
  public float[] flatRows() {
    float[] f = new float[size() * cols];
    for (int i = 0; i < size(); i++) {
      System.arraycopy(rows[i], 0, f, i * cols, cols);
    }
    return f;
  }

  /**
   * Rows {@code keys} (distinct) with the values {@code flat} ({@code keys.length * cols} floats),
   * in that insertion order: the inverse of {@link #keys} and {@link #flatRows}, for compact
   * serialization.
   */
  public static SparseRows of(int cols, int[] keys, float[] flat) {
    if (flat.length != (long) keys.length * cols) {
      throw new IllegalArgumentException(keys.length + " rows of width " + cols + " need "
          + (long) keys.length * cols + " floats, got " + flat.length);
    }
    SparseRows r = new SparseRows(cols);
    for (int i = 0; i < keys.length; i++) {
      int before = r.size();
      float[] row = r.rowFor(keys[i]);
      if (r.size() == before) {
        throw new IllegalArgumentException("row " + keys[i] + " appears twice");
      }
      System.arraycopy(flat, i * cols, row, 0, cols);
    }
    return r;
  }

  /** Adds {@code scale * src[0..cols)} to the row of {@code key}, creating it (zero) if absent. */
  public void addInPlace(int key, float[] src, float scale) {
    float[] row = rowFor(key);
    for (int c = 0; c < cols; c++) {
      row[c] += scale * src[c];
    }
  }

  /** Adds every row of {@code other} into this, in place (other's insertion order). */
  public void mergeInPlace(SparseRows other) {
    if (other.cols != cols) {
      throw new IllegalArgumentException("cannot merge rows of width " + other.cols + " into width " + cols);
    }
    for (int i = 0; i < other.size(); i++) {
      float[] row = rowFor(other.key(i));
      float[] src = other.rows[i];
      for (int c = 0; c < cols; c++) {
        row[c] += src[c];
      }
    }
  }

  private float[] rowFor(int key) {
    int before = index.size();
    int id = index.idOf(key);
    if (id < before) {
      return rows[id];
    }
    if (id == rows.length) {
      rows = Arrays.copyOf(rows, id * 2);
    }
    float[] row = new float[cols];
    rows[id] = row;
    return row;
  }
}
