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
   * the bias baseline with b_u fitted on those rows (explicit), or the event's weight (implicit).
   */
  private List<Row> alsRows(Task t, int user, int k, boolean explicit) {
    double bu = userBias(t.items(), t.labels(), k);
    List<Row> rows = new ArrayList<>(k);
    for (int r = 0; r < k; r++) {
      int i = t.items()[r];
      // An implicit event's label is its weight (1, or its count's log2(1 + count)): ALS's
      // confidence 1 + alpha * rating is then the model's 1 + confidence * weight.
      float y = explicit ? (float) (t.labels()[r] - mu - itemBias[i] - bu) : t.labels()[r];
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
