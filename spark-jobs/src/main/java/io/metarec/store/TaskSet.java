package io.metarec.store;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.xxhash64;

import io.metarec.config.Checks;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.ItemStats;
import io.metarec.task.Task;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a build-tasks output folder ({@link TaskSetLayout}): its feature spec, its tasks per split,
 * its item table, its per-item label sums.
 */
public final class TaskSet {
  private TaskSet() {}

  /**
   * The data-dependent part of a model, from {@code features.json}.
   *
   * @param feedback explicit or implicit
   * @param labelMin smallest label
   * @param labelMax largest label
   * @param numItems size of the item vocabulary (index 0 = unknown)
   * @param userFields user feature fields, in task order
   * @param itemFields item feature fields, in item-table order
   * @param fingerprint input fingerprint and config hash of the task set, for model provenance
   * @param randomOrder whether the tasks were built with {@code tasks.ordering = random} (a user's
   *     support is a random sample of their history, not its beginning), from {@code stats.json}
   */
  public record Spec(Feedback feedback, double labelMin, double labelMax, int numItems,
      List<FieldSpec> userFields, List<FieldSpec> itemFields, String fingerprint,
      boolean randomOrder) implements Serializable {}

  /** Reads {@code features.json} (and the fingerprint in {@code stats.json}) of a task set. */
  @SuppressWarnings("unchecked")
  public static Spec spec(Configuration conf, String dir) {
    TaskSetLayout layout = TaskSetLayout.of(dir);
    String features = layout.features();
    if (!HadoopFiles.exists(conf, features)) {
      throw new JobFailedException(dir + " is not a build-tasks output: it has no features.json");
    }
    Map<String, Object> f = Json.readObject(HadoopFiles.readText(conf, features));
    int version = ((Number) f.get("formatVersion")).intValue();
    if (version > io.metarec.jobs.tasks.BuildTasksJob.FORMAT_VERSION) {
      throw new JobFailedException(features + " has format version " + version
          + ", newer than this build reads (" + io.metarec.jobs.tasks.BuildTasksJob.FORMAT_VERSION
          + ")");
    }
    String fingerprint = "";
    boolean randomOrder = false;
    if (HadoopFiles.exists(conf, layout.stats())) {
      Map<String, Object> s = Json.readObject(HadoopFiles.readText(conf, layout.stats()));
      fingerprint = s.get("inputFingerprint") + "/" + s.get("configHash");
      if (s.get("config") instanceof Map<?, ?> c && c.get("tasks") instanceof Map<?, ?> t) {
        randomOrder = "random".equals(t.get("ordering"));
      }
    }
    return new Spec(Checks.enumValue(features + ": feedback", (String) f.get("feedback"),
        Feedback.class),
        ((Number) f.get("labelMin")).doubleValue(), ((Number) f.get("labelMax")).doubleValue(),
        ((Number) f.get("numItems")).intValue(),
        fields((List<Map<String, Object>>) f.get("userFields")),
        fields((List<Map<String, Object>>) f.get("itemFields")), fingerprint, randomOrder);
  }

  /** Field specs from their JSON form ({@code name, vocabSize, multiValued}), as in features.json. */
  static List<FieldSpec> fields(List<Map<String, Object>> list) {
    List<FieldSpec> out = new ArrayList<>();
    for (Map<String, Object> m : list) {
      out.add(new FieldSpec((String) m.get("name"), ((Number) m.get("vocabSize")).intValue(),
          (Boolean) m.get("multiValued")));
    }
    return out;
  }

  /**
   * The tasks of one split as compact {@link Task}s: items and labels of the support then the
   * query, the support size, the user's feature indices, and a task id that is a stable 64-bit
   * hash of the user id.
   */
  public static JavaRDD<Task> tasks(SparkSession spark, String dir, String split) {
    Dataset<Row> df = spark.read().parquet(TaskSetLayout.of(dir).tasks())
        .filter(col("split").equalTo(split))
        .select(xxhash64(col("user_id")).as("task_id"),
            concat(col("support_items"), col("query_items")).as("items"),
            concat(col("support_labels"), col("query_labels")).as("labels"),
            size(col("support_items")).as("k"),
            col("user_features"));
    return df.javaRDD().map(TaskSet::toTask);
  }

  static Task toTask(Row r) {
    int[] items = ints(r.getList(1));
    List<Object> labelList = r.getList(2);
    float[] labels = new float[labelList.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = ((Number) labelList.get(i)).floatValue();
    }
    List<Object> uf = r.getList(4);
    int[][] userFeatures = new int[uf.size()][];
    for (int f = 0; f < userFeatures.length; f++) {
      userFeatures[f] = ints(uf.get(f));
    }
    return new Task(r.getLong(0), items, labels, r.getInt(3), userFeatures);
  }

  /** A Java list or Scala sequence of integers as an int[]. */
  @SuppressWarnings("unchecked")
  public static int[] ints(Object listOrSeq) {
    List<Object> list = listOrSeq instanceof List<?> l ? (List<Object>) l
        : scala.collection.JavaConverters.seqAsJavaList((scala.collection.Seq<Object>) listOrSeq);
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).intValue();
    }
    return out;
  }

  /** The {@link ItemStats} of {@code tasks} over {@code numItems} item indices. */
  public static ItemStats itemStats(JavaRDD<Task> tasks, int numItems) {
    return tasks.mapPartitions(it -> {
      ItemStats s = ItemStats.empty(numItems);
      it.forEachRemaining(s::addTaskInPlace);
      return List.of(s).iterator();
    }).treeReduce(ItemStats::mergeInPlace, 2);
  }

  /** The item feature table of a task set ({@code items/}), unknown items with index 0. */
  public static ItemFeatureTable items(SparkSession spark, String dir, Spec spec) {
    int fields = spec.itemFields().size();
    int[][][] nested = new int[spec.numItems()][][];
    long[] counts = new long[spec.numItems()];
    String itemsDir = TaskSetLayout.of(dir).items();
    for (Row r : spark.read().parquet(itemsDir).select("item_idx", "features", "count")
        .collectAsList()) {
      int idx = r.getInt(0);
      if (idx >= spec.numItems()) {
        throw new JobFailedException(itemsDir + " has item_idx " + idx
            + " beyond numItems " + spec.numItems() + " of features.json");
      }
      List<Object> f = r.getList(1);
      int[][] row = new int[fields][];
      for (int k = 0; k < fields; k++) {
        row[k] = ints(f.get(k));
      }
      nested[idx] = row;
      counts[idx] = r.isNullAt(2) ? 0 : r.getLong(2);
    }
    for (int i = 0; i < nested.length; i++) {
      if (nested[i] == null) {
        nested[i] = new int[fields][];
        for (int k = 0; k < fields; k++) {
          nested[i][k] = new int[] {0};
        }
      }
    }
    return ItemFeatureTable.fromNested(fields, nested).withCounts(counts);
  }
}
