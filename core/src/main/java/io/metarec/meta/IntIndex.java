package io.metarec.meta;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Int key → dense id {@code 0..size-1}, numbered in insertion order: open addressing on primitive
 * arrays, grown as needed. Backs {@link SparseRows} (a table's touched rows) and the ND4J engine's
 * per-partition row numbering, which both need "the id of this global row, adding it when new" and
 * "the key of id i" in a fixed, hash-independent order. Not thread-safe; serializable (it travels
 * with the accumulator through Spark).
 */
public final class IntIndex implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private int[] table;
  private int[] keys;
  private int size;

  public IntIndex() {
    table = new int[16];
    Arrays.fill(table, -1);
    keys = new int[8];
  }

  /** @return the id of {@code key}, the next id ({@link #size()} before the call) when new */
  public int idOf(int key) {
    if ((size + 1) * 2 > table.length) {
      rehash(table.length * 2);
    }
    int h = slot(key);
    if (table[h] >= 0) {
      return table[h];
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
    }
    keys[size] = key;
    table[h] = size;
    return size++;
  }

  /** @return the id of {@code key}, or -1 when it was never added */
  public int find(int key) {
    return table[slot(key)];
  }

  /** @return number of keys */
  public int size() {
    return size;
  }

  /** @return the key of id {@code id} */
  public int key(int id) {
    return keys[id];
  }

  private int slot(int key) {
    int mask = table.length - 1;
    int h = (key * 0x9E3779B9) >>> 7 & mask;
    while (table[h] >= 0 && keys[table[h]] != key) {
      h = (h + 1) & mask;
    }
    return h;
  }

  private void rehash(int cap) {
    table = new int[cap];
    Arrays.fill(table, -1);
    int mask = cap - 1;
    for (int i = 0; i < size; i++) {
      int h = (keys[i] * 0x9E3779B9) >>> 7 & mask;
      while (table[h] >= 0) {
        h = (h + 1) & mask;
      }
      table[h] = i;
    }
  }
}
