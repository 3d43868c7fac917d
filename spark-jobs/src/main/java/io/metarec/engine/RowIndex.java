package io.metarec.engine;

import java.util.Arrays;

/**
 * Global row id → dense local id of one embedding table, numbered in first-touch order (the order
 * the rows are later added to the accumulator's {@code SparseRows}). Open addressing on primitive
 * arrays; grows as needed. Not thread-safe.
 */
final class RowIndex {
  private int[] table = new int[64];
  private int[] keys = new int[32];
  private int size;

  RowIndex() {
    Arrays.fill(table, -1);
  }

  /** @return the local id of {@code global}, adding it when new */
  int idOf(int global) {
    if ((size + 1) * 2 > table.length) {
      rehash(table.length * 2);
    }
    int h = slot(global);
    if (table[h] >= 0) {
      return table[h];
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
    }
    keys[size] = global;
    table[h] = size;
    return size++;
  }

  /** @return number of distinct rows */
  int size() {
    return size;
  }

  /** @return the global row of local id {@code local} */
  int global(int local) {
    return keys[local];
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
