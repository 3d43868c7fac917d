package io.metarec.jobs;

import io.metarec.config.GenerateConfig;
import io.metarec.config.MetaRecConfig;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.StagedOutput;
import io.metarec.synthetic.SyntheticWorld;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code metarec generate}: writes the synthetic default data set ({@link SyntheticWorld}) as
 * Parquet: {@code interactions/} (user_id, item_id, rating, timestamp), {@code users/} (user_id,
 * age_band, occupation, region), {@code items/} (item_id, genres) and {@code generate.json}.
 * Users are generated in parallel, each from its own seeded stream, so the output does not depend
 * on the number of partitions or executors.
 */
public final class GenerateJob {
  /** Schema of {@code interactions/}. */
  public static final StructType INTERACTIONS = new StructType()
      .add("user_id", DataTypes.StringType, false)
      .add("item_id", DataTypes.StringType, false)
      .add("rating", DataTypes.FloatType, false)
      .add("timestamp", DataTypes.LongType, false);
  /** Schema of {@code interactions/} of an implicit-feedback data set (no rating). */
  public static final StructType EVENTS = new StructType()
      .add("user_id", DataTypes.StringType, false)
      .add("item_id", DataTypes.StringType, false)
      .add("timestamp", DataTypes.LongType, false);
  /** Schema of {@code users/}. */
  public static final StructType USERS = new StructType()
      .add("user_id", DataTypes.StringType, false)
      .add("age_band", DataTypes.StringType, false)
      .add("occupation", DataTypes.StringType, false)
      .add("region", DataTypes.StringType, false);
  /** Schema of {@code items/}. */
  public static final StructType ITEMS = new StructType()
      .add("item_id", DataTypes.StringType, false)
      .add("genres", DataTypes.createArrayType(DataTypes.StringType, false), false);

  private GenerateJob() {}

  /** Generates the data set into {@code generate.out}; returns the summary written to generate.json. */
  public static Map<String, Object> run(SparkSession spark, MetaRecConfig cfg) {
    GenerateConfig g = cfg.generate();
    if (g.out().isBlank()) {
      throw new JobFailedException("generate needs an output folder: --out DIR (generate.out)");
    }
    long start = System.nanoTime();
    SyntheticWorld world = new SyntheticWorld(g, cfg.seed());
    long expected = (long) (world.numUsers() * g.effectiveMeanInteractions());
    int parts = g.partitions() > 0 ? g.partitions()
        : (int) Math.max(spark.sparkContext().defaultParallelism(),
            Math.min(512, expected / 250_000 + 1));
    Dataset<Long> users = spark.range(0, world.numUsers(), 1, parts);
    try (OutputClaim claim = OutputClaim.acquire(spark.sparkContext().hadoopConfiguration(),
            cfg.output(), OutputKind.DATA, "generate.out", g.out());
        StagedOutput out = StagedOutput.begin(claim)) {
      boolean implicit = g.implicit();
      FlatMapFunction<Long, Row> interactions = u -> {
        SyntheticWorld.User user = world.user(u);
        String uid = SyntheticWorld.userId(u);
        List<Row> rows = new ArrayList<>(user.items().length);
        for (int k = 0; k < user.items().length; k++) {
          String item = SyntheticWorld.itemId(user.items()[k]);
          rows.add(implicit ? RowFactory.create(uid, item, user.timestamps()[k])
              : RowFactory.create(uid, item, user.ratings()[k], user.timestamps()[k]));
        }
        Iterator<Row> it = rows.iterator();
        return it;
      };
      users.flatMap(interactions, Encoders.row(implicit ? EVENTS : INTERACTIONS))
          .write().parquet(out.path("interactions"));
      MapFunction<Long, Row> profile = u -> {
        SyntheticWorld.User user = world.features(u);
        return RowFactory.create(
            SyntheticWorld.userId(u), user.ageBand(), user.occupation(), user.region());
      };
      users.coalesce(Math.max(1, parts / 8)).map(profile, Encoders.row(USERS))
          .write().parquet(out.path("users"));
      MapFunction<Long, Row> item = i -> RowFactory.create(
          SyntheticWorld.itemId((int) (long) i), world.itemGenres((int) (long) i));
      spark.range(0, world.numItems(), 1, 1).map(item, Encoders.row(ITEMS))
          .write().parquet(out.path("items"));
      long written = spark.read().parquet(out.path("interactions")).count();
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("users", world.numUsers());
      summary.put("items", world.numItems());
      summary.put("interactions", written);
      summary.put("seed", cfg.seed());
      summary.put("feedback", g.feedback());
      summary.put("generate", Json.readObject(Json.write(g)));
      summary.put("wallSeconds", (System.nanoTime() - start) / 1e9);
      out.writeText("generate.json", Json.write(summary));
      out.commit();
      return summary;
    }
  }
}
