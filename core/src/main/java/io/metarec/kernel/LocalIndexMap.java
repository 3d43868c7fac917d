package io.metarec.kernel;

/**
 * Open-addressing map from a non-negative int key (a global row index) to a dense local id
 * {@code 0..size-1} in insertion order. Cleared in O(1) with generation stamps, so gathering a task
 * allocates nothing once the map is large enough. Single-threaded.
 */
final class LocalIndexMap {
  private int[] keys;
  private int[] values;
  private int[] stamps;
  private int generation = 1;
  private int size;
  private int mask;

  LocalIndexMap(int initialCapacity) {
    int cap = Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1) << 1;
    allocate(cap);
  }

  private void allocate(int cap) {
    keys = new int[cap];
    values = new int[cap];
    stamps = new int[cap];
    mask = cap - 1;
  }

  void clear() {
    size = 0;
    generation++;
    if (generation == Integer.MAX_VALUE) {
      java.util.Arrays.fill(stamps, 0);
      generation = 1;
    }
  }

  int size() {
    return size;
  }

  /** @return the local id of {@code key}, assigning the next id if absent */
  int getOrAdd(int key) {
    if ((size + 1) * 2 > keys.length) {
      rehash();
    }
    int h = mix(key) & mask;
    while (stamps[h] == generation) {
      if (keys[h] == key) {
        return values[h];
      }
      h = (h + 1) & mask;
    }
    stamps[h] = generation;
    keys[h] = key;
    values[h] = size;
    return size++;
  }

  private void rehash() {
    int[] oldKeys = keys;
    int[] oldValues = values;
    int[] oldStamps = stamps;
    int oldGen = generation;
    allocate(keys.length * 2);
    generation = 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldStamps[i] == oldGen) {
        int h = mix(oldKeys[i]) & mask;
        while (stamps[h] == generation) {
          h = (h + 1) & mask;
        }
        stamps[h] = generation;
        keys[h] = oldKeys[i];
        values[h] = oldValues[i];
      }
    }
  }

  private static int mix(int k) {
    int h = k * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
