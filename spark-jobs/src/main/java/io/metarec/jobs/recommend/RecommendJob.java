package io.metarec.jobs.recommend;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import io.metarec.config.MetaRecConfig;
import io.metarec.config.RecommendConfig;
import io.metarec.input.InputCounts;
import io.metarec.input.InputReader;
import io.metarec.input.RawInput;
import io.metarec.input.RowValidation;
import io.metarec.store.Vocabulary;
import io.metarec.store.ModelFiles;
import io.metarec.store.TaskSet;
import io.metarec.store.TaskSetLayout;
import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.StagedOutput;
import io.metarec.task.ItemFeatureTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metarec recommend}: top-N lists for every user of an interaction log.
 *
 * <p>Each user's interactions are mapped to the model's vocabulary (unknown items are ignored and
 * counted), the most recent {@code recommend.history} of them (by timestamp; all when 0) are the
 * support the model adapts on with the inner-loop settings it was trained with (a user whose
 * history is empty gets the meta-initialization: a non-personalized list), every candidate item
 * (all, or the {@code recommend.candidates} most popular) the user has not interacted with is
 * scored, and the best {@code recommend.top} are written as Parquet rows
 * {@code (user_id, rank, item_id, score)} under {@code <out>/recommendations}, with rejected input
 * rows under {@code <out>/rejects} and {@code <out>/summary.json}; the folder is written atomically.
 * Scores are predicted ratings (explicit feedback) or logits (implicit). Ties are broken by the
 * item index, so lists are deterministic.
 */
public final class RecommendJob {
  private static final Logger LOG = LoggerFactory.getLogger(RecommendJob.class);

  /** Schema of the recommendations. */
  public static final StructType SCHEMA = new StructType()
      .add("user_id", DataTypes.StringType, false)
      .add("rank", DataTypes.IntegerType, false)
      .add("item_id", DataTypes.StringType, false)
      .add("score", DataTypes.FloatType, false);

  private RecommendJob() {}

  /**
   * Outcome of a run.
   *
   * @param out the output folder
   * @param users users given a list
   * @param coldUsers users whose history had no known item (non-personalized lists)
   * @param unknownItems interactions with items the model does not know (ignored)
   * @param rejected input rows rejected by validation (kept under rejects/)
   * @param usersPerSecond users processed per second of the scoring pass
   * @param wallSeconds wall time of the job
   */
  public record Result(String out, long users, long coldUsers, long unknownItems, long rejected,
      double usersPerSecond, double wallSeconds) {}

  /** What executors need to score users. */
  record Plan(ModelSpec spec, io.metarec.config.AdaptationPlan adaptation, int[] candidates,
      String[] itemIds, int top, int history) implements Serializable {}

  /** Runs the job described by {@code cfg.recommend()} and {@code cfg.input()}. */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    RecommendConfig rc = cfg.recommend();
    if (rc.model().isBlank() || rc.out().isBlank()) {
      throw new JobFailedException("recommend needs --model DIR (recommend.model), --input PATH "
          + "(input.path) and --out DIR (recommend.out)");
    }
    try (OutputClaim claim = OutputClaim.acquire(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), OutputKind.RECOMMENDATIONS, "recommend.out", rc.out(),
        OutputClaim.input("recommend.model", rc.model()),
        OutputClaim.input("input.path", cfg.input().path()),
        OutputClaim.input("input.userFeatures.path", cfg.input().userFeatures().path()),
        OutputClaim.input("input.itemFeatures.path", cfg.input().itemFeatures().path()))) {
      return recommend(spark, cfg, claim);
    }
  }

  private static Result recommend(SparkSession spark, MetaRecConfig cfg, OutputClaim claim) {
    RecommendConfig rc = cfg.recommend();
    long start = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ModelFiles.Model model = ModelFiles.load(hconf, rc.model());
    ModelSpec spec = model.spec();
    TaskSetLayout vocab = TaskSetLayout.ofModel(model.dir());
    TaskSet.Spec data = TaskSet.spec(hconf, vocab.dir());
    // With the model's item neighbourhoods when it scores with the neighbourhood term.
    ItemFeatureTable itemTable = model.itemTable(TaskSet.items(spark, vocab.dir(), data));
    // A meta-trained model adapts as model.json says, per support size when it was chosen so.
    io.metarec.config.AdaptationPlan inner = model.pretrained()
        ? io.metarec.config.AdaptationPlan.of(cfg.engine().inner())
        : model.manifest().adaptationPlan(TrainSettings.innerDefaults(),
            model.dir() + "/model.json");
    boolean implicit = spec.feedback().name().equalsIgnoreCase("implicit");

    // Item vocabulary and candidates.
    Vocabulary itemVocab = Vocabulary.read(spark, vocab.vocab("item"));
    String[] itemIds = new String[spec.numItems()];
    itemVocab.entries().forEach((v, i) -> {
      if (i < itemIds.length) {
        itemIds[i] = v;
      }
    });
    int[] candidates = candidates(spark, vocab, spec.numItems(), rc.candidates(), itemIds);

    // Input: validated, mapped to the model's vocabularies.
    io.metarec.config.InputConfig historyInput =
        cfg.with("input.feedback", implicit ? "implicit" : "explicit").input();
    RawInput raw = InputReader.read(spark, historyInput);
    // With input.columns.weight the history's events carry their counts, as in build-tasks.
    Dataset<Row> checked = RowValidation.check(raw, implicit, historyInput.weighted())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try (StagedOutput out = StagedOutput.begin(claim)) {
      // The same checks as build-tasks: one pass, one line naming an unreadable file.
      InputCounts counts = InputReader.reading(spark, cfg.input(),
          () -> InputCounts.of(checked, Long.MAX_VALUE));
      long total = counts.rows();
      long rejected = counts.rejected();
      counts.checkTimestampUnit(raw.description(), raw.timestampMillis());
      if (rejected > 0) {
        RowValidation.rejects(checked).coalesce(1).write().parquet(out.path("rejects"));
      }
      String problem = counts.problem(raw, cfg.input());
      if (problem != null) {
        String kept = out.keepFailed();
        throw new JobFailedException(problem + ". No recommendations were written; the rejected "
            + "rows are kept in " + kept + "/rejects");
      }
      Dataset<Row> itemIndex = itemVocab.toDataFrame(spark)
          .select(col("value").as("item"), col("index").as("item_idx"));
      Dataset<Row> valid = checked.filter(col("reason").isNull())
          .join(org.apache.spark.sql.functions.broadcast(itemIndex), new String[] {"item"}, "left")
          .select(col("user"), col("item_idx"), col("label"), col("ts"));
      if (implicit) {
        // As build-tasks adds a (user, item)'s rows: an item's events add up to one event at its
        // latest time, weighted log2(1 + count) (Losses.confidenceOfCount; an event of a log
        // without input.columns.weight counts 1, so a single one weighs 1), as the serving API
        // weighs a history. Unknown items stay one row each, to be counted.
        Dataset<Row> known = valid.filter(col("item_idx").isNotNull())
            .groupBy("user", "item_idx")
            .agg(org.apache.spark.sql.functions.max(col("ts")).as("ts"),
                org.apache.spark.sql.functions.sum(col("label").cast("double")).as("count"))
            .select(col("user"), col("item_idx"),
                RowValidation.confidenceOfCount(col("count")).as("label"), col("ts"));
        valid = known.unionByName(valid.filter(col("item_idx").isNull()));
      }
      Dataset<Row> grouped = valid.groupBy("user")
          .agg(sort_array(collect_list(when(col("item_idx").isNotNull(),
              struct(col("ts"), col("item_idx"), col("label"))))).as("events"),
              org.apache.spark.sql.functions.sum(when(col("item_idx").isNull(), 1).otherwise(0))
                  .as("unknown"));
      grouped = withUserFeatures(spark, grouped, raw, spec, vocab);

      Broadcast<Plan> bPlan = jsc.broadcast(new Plan(spec, inner, candidates, itemIds, rc.top(),
          rc.history()));
      // θ as row arrays (Kryo writes them as flat runs); the value is one per executor JVM.
      Broadcast<Params> bTheta = jsc.broadcast(model.theta());
      Broadcast<ItemFeatureTable> bItems = jsc.broadcast(itemTable);
      LongAccumulator users = jsc.sc().longAccumulator("users");
      LongAccumulator cold = jsc.sc().longAccumulator("coldUsers");
      LongAccumulator unknown = jsc.sc().longAccumulator("unknownItems");
      int parts = rc.partitions() > 0 ? rc.partitions() : 3 * jsc.defaultParallelism();
      long scoreStart = System.nanoTime();
      try {
        var rows = grouped.javaRDD().repartition(parts).mapPartitions(it -> {
          Plan p = bPlan.value();
          // The broadcast value, shared read-only by the executor's tasks (a copy per task slot
          // would be gigabytes per slot for a large catalog).
          Params theta = bTheta.value();
          JvmAdaptationEngine engine = new JvmAdaptationEngine(p.spec(), bItems.value());
          List<Row> outRows = new ArrayList<>();
          while (it.hasNext()) {
            Row r = it.next();
            users.add(1);
            unknown.add(r.getLong(2));
            if (recommendInto(engine, theta, p, r, outRows)) {
              cold.add(1);
            }
          }
          return outRows.iterator();
        });
        spark.createDataFrame(rows, SCHEMA).write().parquet(out.path("recommendations"));
      } finally {
        bPlan.destroy();
        bTheta.destroy();
        bItems.destroy();
      }
      double scoreSeconds = (System.nanoTime() - scoreStart) / 1e9;
      double rate = users.value() / Math.max(scoreSeconds, 1e-9);
      double wall = (System.nanoTime() - start) / 1e9;
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("model", model.dir());
      summary.put("input", raw.description());
      summary.put("inputFingerprint", HadoopFiles.fingerprint(hconf, raw.paths()));
      summary.put("users", users.value());
      summary.put("coldUsers", cold.value());
      summary.put("unknownItemInteractions", unknown.value());
      summary.put("rowsRead", total);
      summary.put("rowsRejected", rejected);
      summary.put("candidates", candidates.length);
      summary.put("top", rc.top());
      summary.put("usersPerSecond", rate);
      summary.put("wallSeconds", wall);
      summary.put("config", ModelFiles.configSections(cfg, "recommend").get("recommend"));
      out.writeText("summary.json", Json.write(summary));
      out.commit();
      LOG.info("recommended for {} users ({} without known history, {} unknown-item "
          + "interactions ignored) at {} users/s -> {}", users.value(), cold.value(),
          unknown.value(), String.format(Locale.ROOT, "%.0f", rate), rc.out());
      return new Result(rc.out(), users.value(), cold.value(), unknown.value(), rejected, rate,
          wall);
    } finally {
      checked.unpersist();
    }
  }

  /** The candidate items: every known item, or the {@code m} most popular (by training count). */
  private static int[] candidates(SparkSession spark, TaskSetLayout vocab, int numItems, int m,
      String[] itemIds) {
    if (m == 0 || m >= numItems - 1) {
      int[] all = new int[numItems - 1];
      for (int i = 1; i < numItems; i++) {
        all[i - 1] = i;
      }
      return all;
    }
    List<Row> top = spark.read().parquet(vocab.items()).select("item_idx", "count")
        .orderBy(col("count").desc(), col("item_idx").asc()).limit(m).collectAsList();
    int[] out = new int[top.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = top.get(i).getInt(0);
    }
    Arrays.sort(out);
    return out;
  }

  /** Adds {@code user_features} (array of index arrays in the model's field order). */
  private static Dataset<Row> withUserFeatures(SparkSession spark, Dataset<Row> grouped,
      RawInput raw, ModelSpec spec, TaskSetLayout vocab) {
    List<String> fields = spec.userFields().stream().map(f -> f.name()).toList();
    if (fields.isEmpty()) {
      return grouped.withColumn("user_features", array().cast("array<array<int>>"));
    }
    List<Column> fs = new ArrayList<>();
    if (raw.userFeatures() == null) {
      for (int f = 0; f < fields.size(); f++) {
        fs.add(array(lit(0)));
      }
      return grouped.withColumn("user_features", array(fs.toArray(new Column[0])));
    }
    Map<String, Vocabulary> vocabs = new LinkedHashMap<>();
    for (String f : fields) {
      if (!raw.userFields().contains(f)) {
        throw new JobFailedException("the user feature table has no field '" + f + "' that the "
            + "model " + vocab.dir().replaceAll("/vocab$", "") + " was trained with (its fields: "
            + fields + "; the table's: " + raw.userFields() + ")");
      }
      vocabs.put(f, Vocabulary.read(spark, vocab.vocab("user." + f)));
    }
    Dataset<Row> table = io.metarec.jobs.tasks.BuildTasksJob.indexFeatures(raw.userFeatures(),
        fields, vocabs);
    Dataset<Row> joined = grouped.join(table.withColumnRenamed("key", "user"),
        new String[] {"user"}, "left");
    for (String f : fields) {
      fs.add(org.apache.spark.sql.functions.coalesce(col("`" + f + "`"), array(lit(0))));
    }
    return joined.select(col("user"), col("events"), col("unknown"),
        array(fs.toArray(new Column[0])).as("user_features"));
  }

  /**
   * Adapts on one user's history and appends their top-N rows; returns whether the history was
   * empty. Row: {@code user, events (sorted by ts, item_idx, label), unknown, user_features}.
   */
  static boolean recommendInto(JvmAdaptationEngine engine, Params theta, Plan p, Row r,
      List<Row> out) {
    String user = r.getString(0);
    List<Row> events = r.getList(1);
    Set<Integer> seen = new HashSet<>();
    for (Row e : events) {
      seen.add(e.getInt(1));
    }
    int from = p.history() > 0 ? Math.max(0, events.size() - p.history()) : 0;
    int n = events.size() - from;
    int[] items = new int[n];
    float[] labels = new float[n];
    for (int j = 0; j < n; j++) {
      Row e = events.get(from + j);
      items[j] = e.getInt(1);
      labels[j] = e.getFloat(2);
    }
    List<Object> uf = r.getList(3);
    int[][] userFeatures = new int[uf.size()][];
    for (int f = 0; f < userFeatures.length; f++) {
      userFeatures[f] = TaskSet.ints(uf.get(f));
    }
    int[] cand = p.candidates();
    int kept = 0;
    int[] unseen = new int[cand.length];
    for (int c : cand) {
      if (!seen.contains(c)) {
        unseen[kept++] = c;
      }
    }
    unseen = Arrays.copyOf(unseen, kept);
    float[] scores = engine.adaptAndScore(theta, p.adaptation().forSupport(items.length), items,
        labels, userFeatures, unseen);
    // The best `top` by score, highest first; equal scores keep the lower item index (candidates
    // are ascending). One pass with insertion into a short list, not a sort of every candidate.
    int top = Math.min(p.top(), unseen.length);
    int[] best = new int[top];
    int filled = 0;
    for (int i = 0; i < unseen.length; i++) {
      if (filled == top && Float.compare(scores[i], scores[best[top - 1]]) <= 0) {
        continue;
      }
      int pos = filled < top ? filled++ : top - 1;
      while (pos > 0 && Float.compare(scores[i], scores[best[pos - 1]]) > 0) {
        best[pos] = best[pos - 1];
        pos--;
      }
      best[pos] = i;
    }
    for (int rank = 0; rank < top; rank++) {
      int i = best[rank];
      out.add(RowFactory.create(user, rank + 1, p.itemIds()[unseen[i]], scores[i]));
    }
    return n == 0;
  }
}
