package io.metarec.jobs.tasks;

import io.metarec.input.InputCounts;
import io.metarec.input.InputReader;
import io.metarec.input.RawInput;
import io.metarec.input.RowValidation;
import io.metarec.store.TaskSetLayout;
import io.metarec.store.Vocabulary;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map_from_arrays;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.metarec.config.InputConfig;
import io.metarec.config.MetaRecConfig;
import io.metarec.config.SplitConfig;
import io.metarec.config.TasksConfig;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.StagedOutput;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code metarec build-tasks}: turns an interaction log into user-level meta-tasks.
 *
 * <p>Output, committed atomically under {@code buildTasks.out}:
 *
 * <ul>
 *   <li>{@code tasks/split=train|validation|test/} — one row per user: {@code user_id},
 *       {@code support_items/labels/timestamps}, {@code query_items/labels/timestamps} (arrays, in
 *       task order) and {@code user_features} (one array of indices per user field);
 *   <li>{@code items/} — {@code item_idx, item_id, count, features} (one array per item field);
 *   <li>{@code vocab/item}, {@code vocab/user.<field>}, {@code vocab/item.<field>} — value, index,
 *       count (index 0 = unknown, not listed);
 *   <li>{@code rejects/} — rejected rows as read, with {@code reason} and {@code source_file};
 *   <li>{@code features.json} (the feature spec a model is built from) and {@code stats.json}.
 * </ul>
 *
 * <p>The input is shuffled once: events are hash-partitioned by user, then duplicates are resolved
 * and each user's events gathered within those partitions.
 */
public final class BuildTasksJob {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BuildTasksJob.class);

  /** Version of the task output layout, recorded in features.json. */
  public static final int FORMAT_VERSION = 1;

  private static final long HASH_MASK = (1L << 53) - 1;

  private BuildTasksJob() {}

  /** Runs the job; returns the statistics written to stats.json. */
  public static Map<String, Object> run(SparkSession spark, MetaRecConfig cfg) {
    String outPath = cfg.buildTasksOut();
    if (outPath.isBlank()) {
      throw new JobFailedException("build-tasks needs an output folder: --out DIR (buildTasks.out)");
    }
    long start = System.nanoTime();
    InputConfig in = cfg.input();
    TasksConfig tc = cfg.tasks();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    RawInput raw = InputReader.read(spark, in, tc.ordering().equals("random"));
    // Read once: the counts, the rejects and the tasks all come from these rows.
    Dataset<Row> checked = RowValidation.check(raw, in.implicit(), in.weighted())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try (OutputClaim claim = OutputClaim.acquire(hconf, cfg.output(), OutputKind.TASKS,
            "buildTasks.out", outPath, OutputClaim.input("input.path", in.path()),
            OutputClaim.input("input.userFeatures.path", in.userFeatures().path()),
            OutputClaim.input("input.itemFeatures.path", in.itemFeatures().path()),
            // Rerun into its own folder, a task set extends the vocabulary it replaces.
            OutputClaim.inputMayBeOutput("tasks.vocabFrom", tc.vocabFrom()));
        StagedOutput out = StagedOutput.begin(claim)) {

      // 1. Validation counts, rejects, threshold.
      InputCounts counts = InputReader.reading(spark, in,
          () -> InputCounts.of(checked, in.untilEpochSeconds()));
      long total = counts.rows();
      long rejected = counts.rejected();
      if (total == 0) {
        throw new JobFailedException(raw.description() + " has no rows");
      }
      counts.checkTimestampUnit(raw.description(), raw.timestampMillis());
      if (rejected > 0) {
        RowValidation.rejects(checked).coalesce(1).write().parquet(out.path(TaskSetLayout.REJECTS));
      }
      String problem = counts.problem(raw, in);
      if (problem != null) {
        String kept = out.keepFailed();
        throw new JobFailedException(problem + ". No tasks were written; the rejected rows are "
            + "kept in " + kept + "/" + TaskSetLayout.REJECTS);
      }
      Dataset<Row> valid = checked.filter(col("reason").isNull())
          .select(col("user"), col("item"), col("label"), col("ts"));
      long afterUntil = counts.afterUntil();
      if (!in.until().isEmpty()) {
        valid = valid.filter(col("ts").lt(in.untilEpochSeconds()));
        LOG.info("input.until = {}: {} later events left out", in.until(), afterUntil);
      }

      // 2. Vocabularies, extended from an earlier run's when there is one.
      String vocabDir = previousVocab(hconf, tc, outPath);
      Map<String, Long> itemCounts = new HashMap<>();
      for (Row r : valid.groupBy("item").count().collectAsList()) {
        itemCounts.put(r.getString(0), r.getLong(1));
      }
      // The first passes over the feature tables: a file Spark cannot read is named in one line.
      InputReader.reading(spark, in, () -> {
        if (raw.itemFeatures() != null) {
          for (Row r : raw.itemFeatures().select("key").distinct().collectAsList()) {
            if (!r.isNullAt(0)) {
              itemCounts.putIfAbsent(r.getString(0), 0L);
            }
          }
        }
        return null;
      });
      Vocabulary itemVocab = load(spark, hconf, vocabDir, "item").extend(itemCounts);
      Map<String, Vocabulary> userVocabs = InputReader.reading(spark, in, () ->
          fieldVocabs(spark, hconf, vocabDir, "user", raw.userFeatures(), raw.userFields()));
      Map<String, Vocabulary> itemVocabs = InputReader.reading(spark, in, () ->
          fieldVocabs(spark, hconf, vocabDir, "item", raw.itemFeatures(), raw.itemFields()));

      // 3. One shuffle: partition by user, resolve duplicates, gather each user's events.
      int parts = Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));
      Dataset<Row> itemIndex = itemVocab.toDataFrame(spark)
          .select(col("value").as("item"), col("index").as("item_idx"));
      Column kept = in.duplicates().equals("latest")
          ? max(struct(col("ts"), col("label")))
          : min(struct(col("ts"), col("label").multiply(-1).as("label")));
      // A weighted implicit event's label is its confidence log2(1 + count), the count summed
      // over the (user, item)'s duplicate rows.
      boolean counted = in.implicit() && in.weighted();
      Column label = counted ? RowValidation.confidenceOfCount(col("count"))
          : (in.duplicates().equals("latest") ? col("e.label") : col("e.label").multiply(-1))
              .cast("float");
      Column[] countSum = counted ? new Column[] {sum(col("label").cast("double")).as("count")}
          : new Column[0];
      Dataset<Row> dedup = valid.repartition(parts, col("user"))
          .groupBy("user", "item").agg(kept.as("e"), countSum)
          .select(col("user"), col("item"), col("e.ts").as("ts"), label.as("label"));
      Dataset<Row> grouped = dedup.join(broadcast(itemIndex), "item")
          .groupBy("user")
          .agg(sort_array(collect_list(struct(col("ts"), col("item_idx"), col("label"))))
              .as("events"))
          .withColumn("n", size(col("events")))
          .persist(StorageLevel.MEMORY_AND_DISK());
      int minN = tc.effectiveMinInteractions();
      int maxN = tc.maxInteractions();
      Row u = grouped.agg(
              org.apache.spark.sql.functions.count(lit(1)),
              coalesce(sum(col("n")), lit(0L)),
              coalesce(sum(when(col("n").lt(minN), 1).otherwise(0)), lit(0L)),
              coalesce(sum(when(col("n").gt(maxN), 1).otherwise(0)), lit(0L)))
          .first();
      long usersSeen = u.getLong(0);
      long deduped = u.getLong(1);
      long tooFew = u.getLong(2);
      long tooMany = u.getLong(3);
      if (usersSeen - tooFew - (tc.overflow().equals("drop") ? tooMany : 0) == 0) {
        grouped.unpersist();
        throw new JobFailedException(String.format(Locale.ROOT, "%s: no tasks to write: of %d "
            + "users, %d have fewer than %d interactions (tasks.minInteractions, 0 = "
            + "tasks.supportSize or tasks.querySize + 1)%s. No tasks were written", raw.description(),
            usersSeen, tooFew, minN, tc.overflow().equals("drop") ? String.format(Locale.ROOT,
                " and %d more than tasks.maxInteractions = %d (tasks.overflow=drop)", tooMany, maxN)
                : ""));
      }

      // 4. Tasks: truncate, order, split into support and query, assign the user split.
      Dataset<Row> tasks = tasks(grouped, tc, cfg.split(), cfg.seed());
      Dataset<Row> userTable = raw.userFeatures() == null ? null
          : indexFeatures(raw.userFeatures(), raw.userFields(), userVocabs);
      Column userFeatures;
      if (userTable == null) {
        userFeatures = array().cast("array<array<int>>");
      } else {
        tasks = tasks.join(userTable.withColumnRenamed("key", "user"), new String[] {"user"}, "left");
        List<Column> fs = new ArrayList<>();
        for (String f : raw.userFields()) {
          fs.add(coalesce(col("`" + f + "`"), array(lit(0))));
        }
        userFeatures = array(fs.toArray(new Column[0]));
      }
      tasks.select(
              col("user").as("user_id"),
              col("split"),
              col("support.item_idx").as("support_items"),
              col("support.label").as("support_labels"),
              col("support.ts").as("support_timestamps"),
              col("query.item_idx").as("query_items"),
              col("query.label").as("query_labels"),
              col("query.ts").as("query_timestamps"),
              userFeatures.as("user_features"))
          .write().partitionBy("split").parquet(out.path(TaskSetLayout.TASKS));

      // 5. Items, vocabularies, feature spec.
      Dataset<Row> items = itemVocab.toDataFrame(spark)
          .select(col("index").as("item_idx"), col("value").as("item_id"), col("count"));
      List<Column> itemFeatureCols = new ArrayList<>();
      if (raw.itemFeatures() != null) {
        Dataset<Row> itemTable = indexFeatures(raw.itemFeatures(), raw.itemFields(), itemVocabs)
            .dropDuplicates("key");
        items = items.join(itemTable, items.col("item_id").equalTo(itemTable.col("key")), "left")
            .drop("key");
        for (String f : raw.itemFields()) {
          itemFeatureCols.add(coalesce(col("`" + f + "`"), array(lit(0))));
        }
      }
      Column itemFeatures = itemFeatureCols.isEmpty() ? array().cast("array<array<int>>")
          : array(itemFeatureCols.toArray(new Column[0]));
      items.select(col("item_idx"), col("item_id"), col("count"), itemFeatures.as("features"))
          .orderBy("item_idx").coalesce(1).write().parquet(out.path(TaskSetLayout.ITEMS));
      itemVocab.toDataFrame(spark).coalesce(1).write().parquet(out.path(TaskSetLayout.VOCAB + "/item"));
      for (Map.Entry<String, Vocabulary> e : userVocabs.entrySet()) {
        e.getValue().toDataFrame(spark).coalesce(1).write()
            .parquet(out.path(TaskSetLayout.VOCAB + "/user." + e.getKey()));
      }
      for (Map.Entry<String, Vocabulary> e : itemVocabs.entrySet()) {
        e.getValue().toDataFrame(spark).coalesce(1).write()
            .parquet(out.path(TaskSetLayout.VOCAB + "/item." + e.getKey()));
      }
      Map<String, Object> features = featureSpec(in, raw, itemVocab, userVocabs, itemVocabs);
      out.writeText(TaskSetLayout.FEATURES, Json.write(features));

      // 6. Statistics from what was written.
      Map<String, Object> stats = new LinkedHashMap<>();
      stats.put("input", raw.description());
      stats.put("inputFingerprint", HadoopFiles.fingerprint(hconf, raw.paths()));
      stats.put("until", in.until());
      stats.put("afterUntil", afterUntil);
      Map<String, Object> rows = new LinkedHashMap<>();
      rows.put("read", total);
      rows.put("valid", total - rejected);
      rows.put("rejected", rejected);
      rows.put("rejectedByReason", counts.byReason());
      rows.put("afterUntil", afterUntil);
      // Of the valid rows inside the window, those folded into another event of the same pair.
      rows.put("duplicates", total - rejected - afterUntil - deduped);
      rows.put("duplicatePolicy", in.duplicates());
      stats.put("rows", rows);
      Map<String, Object> users = new LinkedHashMap<>();
      users.put("seen", usersSeen);
      users.put("droppedTooFew", tooFew);
      users.put("minInteractions", minN);
      users.put(tc.overflow().equals("drop") ? "droppedTooMany" : "truncated", tooMany);
      users.put("maxInteractions", maxN);
      stats.put("users", users);
      stats.putAll(TaskStats.of(spark.read().parquet(out.path(TaskSetLayout.TASKS))));
      Map<String, Object> vocab = new LinkedHashMap<>();
      vocab.put("item", Map.of("size", itemVocab.size(), "added", itemVocab.added()));
      userVocabs.forEach((k, v) -> vocab.put("user." + k, Map.of("size", v.size(), "added", v.added())));
      itemVocabs.forEach((k, v) -> vocab.put("item." + k, Map.of("size", v.size(), "added", v.added())));
      stats.put("vocabulary", vocab);
      stats.put("vocabularyExtendedFrom", vocabDir == null ? "" : vocabDir);
      stats.put("configHash", cfg.hash("input", "split", "tasks", "seed"));
      stats.put("config", Json.readObject(cfg.toJson()));
      stats.put("createdAt", Instant.now().toString());
      stats.put("wallSeconds", (System.nanoTime() - start) / 1e9);
      out.writeText(TaskSetLayout.STATS, Json.write(stats));
      grouped.unpersist();
      out.commit();
      return stats;
    } finally {
      checked.unpersist();
    }
  }

  /** Builds each user's task columns {@code split, support, query} from the gathered events. */
  static Dataset<Row> tasks(Dataset<Row> grouped, TasksConfig tc, SplitConfig sc, long seed) {
    int minN = tc.effectiveMinInteractions();
    int maxN = tc.maxInteractions();
    Dataset<Row> t = grouped.filter(col("n").geq(minN));
    if (tc.overflow().equals("drop")) {
      t = t.filter(col("n").leq(maxN));
    }
    // Most recent maxN events (events are sorted by time, ties by item index).
    t = t.withColumn("events",
        expr("if(n > " + maxN + ", slice(events, n - " + maxN + " + 1, " + maxN + "), events)"));
    if (tc.ordering().equals("random")) {
      t = t.withColumn("events", expr("transform(sort_array(transform(events, x -> struct("
          + "xxhash64(" + seed + "L, user, x.item_idx) as k, x.ts as ts, x.item_idx as item_idx, "
          + "x.label as label))), y -> struct(y.ts as ts, y.item_idx as item_idx, y.label as label))"));
    }
    t = t.withColumn("m", size(col("events")));
    if (tc.supportSize() > 0) {
      int k = tc.supportSize();
      t = t.withColumn("support", expr("slice(events, 1, " + k + ")"))
          .withColumn("query", expr("slice(events, " + (k + 1) + ", m - " + k + ")"));
    } else {
      int q = tc.querySize();
      t = t.withColumn("support", expr("slice(events, 1, m - " + q + ")"))
          .withColumn("query", expr("slice(events, m - " + q + " + 1, " + q + ")"));
    }
    return t.withColumn("split", splitOf(sc));
  }

  /**
   * The split of a user: a uniform number in [0, 1) from a salted 64-bit hash of the user id
   * (xxHash64, stable across Spark versions and runs), compared with the test and validation
   * fractions. Adding users never moves existing ones.
   */
  static Column splitOf(SplitConfig sc) {
    String salt = sc.salt().replace("\\", "\\\\").replace("'", "\\'");
    String h = "((xxhash64('" + salt + "', user) & " + HASH_MASK + ") / "
        + (double) (HASH_MASK + 1) + ")";
    return expr("CASE WHEN " + h + " < " + sc.test() + " THEN 'test' WHEN " + h + " < "
        + (sc.test() + sc.validation()) + " THEN 'validation' ELSE 'train' END");
  }

  /** Replaces each feature column's values by their vocabulary indices; empty → [0]. */
  public static Dataset<Row> indexFeatures(
      Dataset<Row> table, List<String> fields, Map<String, Vocabulary> vocabs) {
    List<Column> cols = new ArrayList<>();
    cols.add(col("key"));
    for (String f : fields) {
      Vocabulary v = vocabs.get(f);
      List<String> keys = new ArrayList<>(v.entries().keySet());
      int[] vals = new int[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        vals[i] = v.entries().get(keys.get(i));
      }
      Column map = map_from_arrays(lit(keys.toArray(new String[0])), lit(vals));
      Column idx = org.apache.spark.sql.functions.transform(
          col("`" + f + "`"), x -> coalesce(element_at(map, x), lit(0)));
      cols.add(when(size(col("`" + f + "`")).gt(0), idx).otherwise(array(lit(0))).as(f));
    }
    return table.filter(col("key").isNotNull()).select(cols.toArray(new Column[0]));
  }

  private static Map<String, Vocabulary> fieldVocabs(SparkSession spark, Configuration hconf,
      String vocabDir, String side, Dataset<Row> table, List<String> fields) {
    Map<String, Vocabulary> out = new LinkedHashMap<>();
    for (String f : fields) {
      Map<String, Long> counts = new HashMap<>();
      for (Row r : table.select(explode(col("`" + f + "`")).as("v")).groupBy("v").count()
          .collectAsList()) {
        if (!r.isNullAt(0) && !r.getString(0).isBlank()) {
          counts.put(r.getString(0), r.getLong(1));
        }
      }
      out.put(f, load(spark, hconf, vocabDir, side + "." + f).extend(counts));
    }
    return out;
  }

  private static Vocabulary load(
      SparkSession spark, Configuration hconf, String vocabDir, String name) {
    if (vocabDir == null || !HadoopFiles.exists(hconf, vocabDir + "/" + name)) {
      return Vocabulary.empty();
    }
    return Vocabulary.read(spark, vocabDir + "/" + name);
  }

  /** The vocabulary folder to extend: tasks.vocabFrom's, else the output's own, else none. */
  private static String previousVocab(Configuration hconf, TasksConfig tc, String outPath) {
    if (!tc.vocabFrom().isBlank()) {
      String dir = tc.vocabFrom().replaceAll("/+$", "") + "/" + TaskSetLayout.VOCAB;
      if (!HadoopFiles.exists(hconf, dir)) {
        throw new JobFailedException("tasks.vocabFrom " + tc.vocabFrom()
            + " holds no vocab/ folder: is it a build-tasks output?");
      }
      return dir;
    }
    String own = outPath.replaceAll("/+$", "") + "/" + TaskSetLayout.VOCAB;
    return HadoopFiles.exists(hconf, own) ? own : null;
  }

  private static Map<String, Object> featureSpec(InputConfig in, RawInput raw, Vocabulary items,
      Map<String, Vocabulary> userVocabs, Map<String, Vocabulary> itemVocabs) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("formatVersion", FORMAT_VERSION);
    spec.put("feedback", in.feedback());
    spec.put("labelMin", raw.labelMin());
    spec.put("labelMax", raw.labelMax());
    spec.put("numItems", items.size());
    spec.put("userFields", fields(userVocabs, raw.userMultiValued()));
    spec.put("itemFields", fields(itemVocabs, raw.itemMultiValued()));
    return spec;
  }

  private static List<Map<String, Object>> fields(
      Map<String, Vocabulary> vocabs, List<String> multi) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map.Entry<String, Vocabulary> e : vocabs.entrySet()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("name", e.getKey());
      f.put("vocabSize", e.getValue().size());
      f.put("multiValued", multi.contains(e.getKey()));
      out.add(f);
    }
    return out;
  }
}
