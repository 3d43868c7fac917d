package io.metarec.store;

import io.metarec.model.ItemNeighbours;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Fits item neighbourhoods ({@link ItemNeighbours}: cosine item-item similarity over the training
 * users) on a task set: the item-knn baseline of {@code evaluate} and the neighbourhoods of an
 * implicit-feedback model's neighbourhood term ({@code train}).
 */
public final class ItemNeighbourFit {
  private ItemNeighbourFit() {}

  /**
   * Fits {@link ItemNeighbours} on the training users: each user's distinct items among its most recent
   * {@code maxUserItems} rows count once per pair, the {@code top} most similar neighbours of each
   * item are kept. The pairs are counted in each partition in a primitive map and leave it as one
   * sparse row per item, so the shuffle carries rows (at most items × partitions records) rather
   * than one boxed record per co-occurring pair (ml-100k: 160 million of them, minutes of
   * Spark's generic aggregation); the neighbours are chosen on the executors.
   */
  public static ItemNeighbours fit(JavaRDD<Task> train, int numItems, int top, int maxUserItems) {
    JavaRDD<int[]> users = train.map(t -> {
      int from = Math.max(0, t.size() - maxUserItems);
      return java.util.Arrays.stream(t.items(), from, t.size()).filter(i -> i > 0).distinct()
          .sorted().toArray();
    }).cache();
    try {
      long[] degree = users.aggregate(new long[numItems], (d, items) -> {
        for (int i : items) {
          d[i]++;
        }
        return d;
      }, (a, b) -> {
        for (int i = 0; i < a.length; i++) {
          a[i] += b[i];
        }
        return a;
      });
      org.apache.spark.broadcast.Broadcast<long[]> deg =
          org.apache.spark.api.java.JavaSparkContext.fromSparkContext(train.context())
              .broadcast(degree);
      try {
        List<scala.Tuple2<Integer, scala.Tuple2<int[], float[]>>> rows = users
            .mapPartitionsToPair(it -> {
              PairCounts counts = new PairCounts();
              while (it.hasNext()) {
                int[] items = it.next();
                for (int x = 0; x < items.length; x++) {
                  for (int y = x + 1; y < items.length; y++) {
                    counts.increment(items[x], items[y]);
                  }
                }
              }
              return counts.rows(numItems).iterator();
            })
            .reduceByKey(ItemNeighbourFit::mergeRows)
            .mapToPair(r -> new scala.Tuple2<>(r._1(), topNeighbours(r._1(), r._2(),
                deg.value(), top)))
            .collect();
        int[][] nb = new int[numItems][0];
        float[][] sim = new float[numItems][0];
        for (scala.Tuple2<Integer, scala.Tuple2<int[], float[]>> r : rows) {
          nb[r._1()] = r._2()._1();
          sim[r._1()] = r._2()._2();
        }
        return ItemNeighbours.of(nb, sim);
      } finally {
        deg.destroy();
      }
    } finally {
      users.unpersist();
    }
  }

  /**
   * Item {@code i}'s {@code top} neighbours from its co-occurrence row ({@code (j, count)} pairs)
   * by cosine, most similar first; equal similarities by item index, so the lists are
   * deterministic.
   */
  static scala.Tuple2<int[], float[]> topNeighbours(int i, int[] row, long[] degree, int top) {
    int n = row.length / 2;
    Integer[] order = new Integer[n];
    float[] s = new float[n];
    for (int k = 0; k < n; k++) {
      order[k] = k;
      s[k] = (float) (row[2 * k + 1] / Math.sqrt((double) degree[i] * degree[row[2 * k]]));
    }
    java.util.Arrays.sort(order, (a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a])
        : Integer.compare(row[2 * a], row[2 * b]));
    int keep = Math.min(top, n);
    int[] nb = new int[keep];
    float[] sim = new float[keep];
    for (int k = 0; k < keep; k++) {
      nb[k] = row[2 * order[k]];
      sim[k] = s[order[k]];
    }
    return new scala.Tuple2<>(nb, sim);
  }

  /** The sum of two co-occurrence rows, each {@code (j, count)} pairs in increasing {@code j}. */
  static int[] mergeRows(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    int x = 0;
    int y = 0;
    int o = 0;
    while (x < a.length || y < b.length) {
      if (y >= b.length || (x < a.length && a[x] < b[y])) {
        out[o++] = a[x++];
        out[o++] = a[x++];
      } else if (x >= a.length || b[y] < a[x]) {
        out[o++] = b[y++];
        out[o++] = b[y++];
      } else {
        out[o++] = a[x];
        out[o++] = a[x + 1] + b[y + 1];
        x += 2;
        y += 2;
      }
    }
    return o == out.length ? out : java.util.Arrays.copyOf(out, o);
  }

  /**
   * Counts of item pairs {@code a < b} (both {@code >= 1}) in open addressing: one long key and one
   * int count per pair, no boxing. Single-threaded.
   */
  static final class PairCounts {
    private long[] keys = new long[1 << 12];
    private int[] values = new int[1 << 12];
    private int size;

    void increment(int a, int b) {
      long key = ((long) a << 32) | b;
      int mask = keys.length - 1;
      int slot = slot(key, mask);
      while (keys[slot] != 0 && keys[slot] != key) {
        slot = (slot + 1) & mask;
      }
      if (keys[slot] == 0) {
        keys[slot] = key;
        size++;
      }
      values[slot]++;
      if (size * 2 > keys.length) {
        grow();
      }
    }

    private static int slot(long key, int mask) {
      long z = key * 0x9E3779B97F4A7C15L;
      return (int) (z ^ (z >>> 29)) & mask;
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldValues = values;
      keys = new long[oldKeys.length * 2];
      values = new int[oldKeys.length * 2];
      int mask = keys.length - 1;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldKeys[i] != 0) {
          int slot = slot(oldKeys[i], mask);
          while (keys[slot] != 0) {
            slot = (slot + 1) & mask;
          }
          keys[slot] = oldKeys[i];
          values[slot] = oldValues[i];
        }
      }
    }

    /**
     * One row per item that has a pair, both directions ({@code (j, count)} for every pair of
     * {@code i} and {@code j}), each in increasing {@code j}.
     */
    List<scala.Tuple2<Integer, int[]>> rows(int numItems) {
      long[] sorted = new long[size];
      int[] count = new int[size];
      int n = 0;
      for (int i = 0; i < keys.length; i++) {
        if (keys[i] != 0) {
          sorted[n++] = keys[i];
        }
      }
      java.util.Arrays.sort(sorted);
      int[] length = new int[numItems];
      int mask = keys.length - 1;
      for (int k = 0; k < n; k++) {
        long key = sorted[k];
        int slot = slot(key, mask);
        while (keys[slot] != key) {
          slot = (slot + 1) & mask;
        }
        count[k] = values[slot];
        length[(int) (key >>> 32)] += 2;
        length[(int) key] += 2;
      }
      int[][] row = new int[numItems][];
      int[] fill = new int[numItems];
      List<scala.Tuple2<Integer, int[]>> out = new ArrayList<>();
      for (int i = 0; i < numItems; i++) {
        if (length[i] > 0) {
          row[i] = new int[length[i]];
          out.add(new scala.Tuple2<>(i, row[i]));
        }
      }
      // Keys in increasing (a, b): row x receives its pairs with w < x (as the b of (w, x)) before
      // those with y > x (as the a of (x, y)), each in increasing order: every row comes sorted.
      for (int k = 0; k < n; k++) {
        int a = (int) (sorted[k] >>> 32);
        int b = (int) sorted[k];
        row[a][fill[a]++] = b;
        row[a][fill[a]++] = count[k];
        row[b][fill[b]++] = a;
        row[b][fill[b]++] = count[k];
      }
      return out;
    }
  }
}
