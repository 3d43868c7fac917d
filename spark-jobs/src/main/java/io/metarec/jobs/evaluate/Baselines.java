package io.metarec.jobs.evaluate;

import io.metarec.config.EvaluateConfig;
import io.metarec.store.TaskSet;
import io.metarec.task.Task;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The closed-form baselines, fitted on the training users' interactions: the global mean
 * {@code mu}, the shrunk item bias {@code b_i = sum_i (y - mu) / (n_i + lambda_i)}, the item counts
 * (popularity, the implicit-feedback item baseline), and the support-fitted user bias
 * {@code b_u = sum_S (y - mu - b_i) / (|S| + lambda_u)} (Koren 2008's baseline predictor, fitted on
 * the cold user's support alone). {@link #fitAls} adds Spark MLlib ALS with fold-in.
 */
final class Baselines implements Serializable {
  final double mu;
  final float[] itemBias;
  final float[] popularity;
  final long[] counts;
  final double userShrinkage;

  private Baselines(double mu, float[] itemBias, long[] counts, double userShrinkage) {
    this.mu = mu;
    this.itemBias = itemBias;
    this.counts = counts;
    this.popularity = new float[counts.length];
    for (int i = 0; i < counts.length; i++) {
      popularity[i] = counts[i];
    }
    this.userShrinkage = userShrinkage;
  }

  /** Fits mu, the item biases and counts on every interaction of the training tasks. */
  static Baselines fit(JavaRDD<Task> train, int numItems, double itemShrinkage,
      double userShrinkage) {
    io.metarec.task.ItemStats stats = TaskSet.itemStats(train, numItems);
    double total = 0;
    long n = 0;
    for (int i = 0; i < numItems; i++) {
      total += stats.sums()[i];
      n += stats.counts()[i];
    }
    double mu = n > 0 ? total / n : 0;
    float[] bi = new float[numItems];
    for (int i = 0; i < numItems; i++) {
      double c = stats.counts()[i];
      bi[i] = (float) ((stats.sums()[i] - c * mu) / (c + itemShrinkage));
    }
    return new Baselines(mu, bi, stats.counts().clone(), userShrinkage);
  }

  /** The user bias fitted on the first {@code k} rows. */
  double userBias(int[] items, float[] labels, int k) {
    double s = 0;
    for (int r = 0; r < k; r++) {
      s += labels[r] - mu - itemBias[items[r]];
    }
    return s / (k + userShrinkage);
  }

  /**
   * ALS factors of one support size: the item factors ({@code null} rows for items ALS never saw)
   * and the factors of every evaluated user by its evaluation index (absent when its support was
   * empty).
   */
  record AlsFactors(float[][] items, Map<Long, float[]> users) implements Serializable {
    /** {@code <p_u, q_i>}, 0 when either factor is unknown. */
    double dot(long user, int item) {
      float[] p = users.get(user);
      float[] q = item < items.length ? items[item] : null;
      if (p == null || q == null) {
        return 0;
      }
      double s = 0;
      for (int f = 0; f < p.length; f++) {
        s += p[f] * q[f];
      }
      return s;
    }
  }

  /**
   * The item-knn baseline's neighbourhoods: for each item index its most similar items and their
   * cosine similarity over the training users ({@code |U_i ∩ U_j| / sqrt(|U_i| |U_j|)}, users as
   * sets of the items they interacted with), most similar first; empty for items no training user
   * saw.
   *
   * @param neighbours per item index, the neighbours' indices
   * @param similarity per item index, the neighbours' similarities
   */
  record ItemKnn(int[][] neighbours, float[][] similarity) implements Serializable {
    /**
     * Scores of {@code candidates} for a user with support {@code items[0..k)}: the sum of each
     * candidate's similarities to the distinct support items.
     */
    float[] score(int[] items, int k, int[] candidates) {
      float[] byItem = new float[neighbours.length];
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      for (int r = 0; r < k; r++) {
        int i = items[r];
        if (i <= 0 || i >= neighbours.length || !seen.add(i)) {
          continue;
        }
        int[] nb = neighbours[i];
        float[] s = similarity[i];
        for (int n = 0; n < nb.length; n++) {
          byItem[nb[n]] += s[n];
        }
      }
      float[] out = new float[candidates.length];
      for (int c = 0; c < out.length; c++) {
        int j = candidates[c];
        out[c] = j >= 0 && j < byItem.length ? byItem[j] : 0f;
      }
      return out;
    }
  }

  /**
   * Fits {@link ItemKnn} on the training users: each user's distinct items among its most recent
   * {@code maxUserItems} rows count once per pair, the {@code top} most similar neighbours of each
   * item are kept. The pairs are counted in each partition in a primitive map and leave it as one
   * sparse row per item, so the shuffle carries rows (at most items × partitions records) rather
   * than one boxed record per co-occurring pair (ml-100k: 160 million of them, minutes of
   * Spark's generic aggregation); the neighbours are chosen on the executors.
   */
  static ItemKnn fitItemKnn(JavaRDD<Task> train, int numItems, int top, int maxUserItems) {
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
            .reduceByKey(Baselines::mergeRows)
            .mapToPair(r -> new scala.Tuple2<>(r._1(), topNeighbours(r._1(), r._2(),
                deg.value(), top)))
            .collect();
        int[][] nb = new int[numItems][0];
        float[][] sim = new float[numItems][0];
        for (scala.Tuple2<Integer, scala.Tuple2<int[], float[]>> r : rows) {
          nb[r._1()] = r._2()._1();
          sim[r._1()] = r._2()._2();
        }
        return new ItemKnn(nb, sim);
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

  private static final StructType ALS_SCHEMA = new StructType()
      .add("user", DataTypes.IntegerType, false)
      .add("item", DataTypes.IntegerType, false)
      .add("rating", DataTypes.FloatType, false);

  /**
   * Fits Spark MLlib ALS once per support size on every training interaction plus each evaluated
   * user's first K interactions (ALS's fold-in of a new user is its presence in the training
   * data). Explicit feedback fits the residuals of the bias baseline (training users' b_u from all
   * their interactions, evaluated users' from the support), so ALS adds {@code <p_u, q_i>} to it;
   * implicit feedback fits the events with {@code implicitPrefs}.
   *
   * @param evalTasks the evaluated tasks by evaluation index
   * @param ks the support sizes ([0] standing for each task's own support under task-split)
   * @return factors per support size, in the order of {@code ks}
   */
  AlsFactors[] fitAls(SparkSession spark, JavaRDD<Task> train, JavaPairRDD<Long, Task> evalTasks,
      EvaluateConfig ec, List<Integer> ks, boolean explicit, long seed) {
    JavaPairRDD<Task, Long> trainIdx = train.zipWithIndex();
    long nTrain = trainIdx.count();
    if (nTrain + evalTasks.count() >= Integer.MAX_VALUE) {
      throw new IllegalStateException("ALS needs fewer than 2^31 users");
    }
    Baselines self = this;
    JavaRDD<Row> trainRows = trainIdx.flatMap(p ->
        self.alsRows(p._1(), (int) (long) p._2(), p._1().size(), explicit).iterator());
    trainRows.cache();
    AlsFactors[] out = new AlsFactors[ks.size()];
    boolean taskSplit = ec.taskSplit();
    try {
      for (int ki = 0; ki < out.length; ki++) {
        int k = ks.get(ki);
        JavaRDD<Row> evalRows = evalTasks.flatMap(p -> self.alsRows(p._2(),
            (int) (nTrain + p._1()), taskSplit ? p._2().supportSize() : Math.min(k, p._2().size()),
            explicit).iterator());
        Dataset<Row> data = spark.createDataFrame(trainRows.union(evalRows), ALS_SCHEMA);
        ALS als = new ALS().setUserCol("user").setItemCol("item").setRatingCol("rating")
            .setRank(ec.alsRank()).setRegParam(ec.alsRegParam()).setMaxIter(ec.alsIterations())
            .setImplicitPrefs(!explicit).setAlpha(ec.alsAlpha()).setSeed(seed + k);
        ALSModel model = als.fit(data);
        float[][] items = new float[self.itemBias.length][];
        for (Row r : model.itemFactors().collectAsList()) {
          int i = r.getInt(0);
          if (i >= 0 && i < items.length) {
            items[i] = floats(r.getList(1));
          }
        }
        Map<Long, float[]> users = new HashMap<>();
        for (Row r : model.userFactors().filter("id >= " + nTrain).collectAsList()) {
          users.put(r.getInt(0) - nTrain, floats(r.getList(1)));
        }
        out[ki] = new AlsFactors(items, users);
      }
    } finally {
      trainRows.unpersist(false);
    }
    return out;
  }

  /**
   * ALS rows {@code (user, item, rating)} of a task's first {@code k} interactions: the residual of
   * the bias baseline with b_u fitted on those rows (explicit), or 1 (implicit).
   */
  private List<Row> alsRows(Task t, int user, int k, boolean explicit) {
    double bu = userBias(t.items(), t.labels(), k);
    List<Row> rows = new ArrayList<>(k);
    for (int r = 0; r < k; r++) {
      int i = t.items()[r];
      float y = explicit ? (float) (t.labels()[r] - mu - itemBias[i] - bu) : 1f;
      rows.add(RowFactory.create(user, i, y));
    }
    return rows;
  }

  private static float[] floats(List<Object> list) {
    float[] f = new float[list.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = ((Number) list.get(i)).floatValue();
    }
    return f;
  }
}
