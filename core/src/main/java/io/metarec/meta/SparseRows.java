package io.metarec.meta;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Sparse rows of one embedding table: global row index → summed row, kept in insertion order with an
 * open-addressing index. The value of each row is the sum of its contributions in the order they
 * were added, whatever the hash layout. Serializable (the accumulator travels through Spark).
 */
public final class SparseRows implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final int cols;
  private int[] table;
  private int[] rowKeys;
  private float[][] rows;
  private int size;

  public SparseRows(int cols) {
    this.cols = cols;
    this.table = new int[16];
    Arrays.fill(table, -1);
    this.rowKeys = new int[8];
    this.rows = new float[8][];
  }

  /** @return number of rows held */
  public int size() {
    return size;
  }

  public int cols() {
    return cols;
  }

  /** @return the global row index of the {@code i}-th row (insertion order) */
  public int key(int i) {
    return rowKeys[i];
  }

  /** @return the {@code i}-th summed row (live) */
  public float[] row(int i) {
    return rows[i];
  }

  /** @return the summed row of global index {@code key}, or null */
  public float[] get(int key) {
    int h = find(key);
    return table[h] < 0 ? null : rows[table[h]];
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
    for (int i = 0; i < other.size; i++) {
      float[] row = rowFor(other.rowKeys[i]);
      float[] src = other.rows[i];
      for (int c = 0; c < cols; c++) {
        row[c] += src[c];
      }
    }
  }

  private float[] rowFor(int key) {
    if ((size + 1) * 2 > table.length) {
      rehash(table.length * 2);
    }
    int h = find(key);
    if (table[h] >= 0) {
      return rows[table[h]];
    }
    if (size == rowKeys.length) {
      rowKeys = Arrays.copyOf(rowKeys, size * 2);
      rows = Arrays.copyOf(rows, size * 2);
    }
    table[h] = size;
    rowKeys[size] = key;
    float[] row = new float[cols];
    rows[size] = row;
    size++;
    return row;
  }

  private int find(int key) {
    int mask = table.length - 1;
    int h = (key * 0x9E3779B9) >>> 7 & mask;
    while (table[h] >= 0 && rowKeys[table[h]] != key) {
      h = (h + 1) & mask;
    }
    return h;
  }

  private void rehash(int cap) {
    table = new int[cap];
    Arrays.fill(table, -1);
    int mask = cap - 1;
    for (int i = 0; i < size; i++) {
      int h = (rowKeys[i] * 0x9E3779B9) >>> 7 & mask;
      while (table[h] >= 0) {
        h = (h + 1) & mask;
      }
      table[h] = i;
    }
  }
}
