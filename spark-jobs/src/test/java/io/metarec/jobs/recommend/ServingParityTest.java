package io.metarec.jobs.recommend;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.train.TrainJob;
import io.metarec.serve.History;
import io.metarec.serve.ItemScore;
import io.metarec.serve.MetaRecModel;
import io.metarec.serve.Recommendations;
import io.metarec.store.ModelFiles;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving API (no Spark) and {@code metarec recommend} give the same lists for the same model
 * and histories: explicit and implicit feedback, user features, unknown items, a user with no
 * known item, and a model folder upgraded from before {@code vocab/text/}.
 */
class ServingParityTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Path gen;
  private static Path tasks;

  @BeforeAll
  static void data() {
    tasks = TestSpark.syntheticTasks(shared, 250, "tasks.supportSize=5");
    gen = shared.resolve("gen");
  }

  /** Writes the first {@code per} interactions of some users, plus unknown items and users. */
  private static Map<String, List<String[]>> histories(Path csv, int users, int per)
      throws Exception {
    Map<String, List<String[]>> byUser = new TreeMap<>();
    for (Row r : SPARK.read().parquet(gen.resolve("interactions").toString())
        .orderBy("user_id", "timestamp", "item_id").collectAsList()) {
      String u = r.getAs("user_id").toString();
      if (!byUser.containsKey(u) && byUser.size() == users) {
        continue;
      }
      List<String[]> l = byUser.computeIfAbsent(u, k -> new ArrayList<>());
      if (l.size() < per) {
        l.add(new String[] {u, r.getAs("item_id").toString(),
            String.valueOf(((Number) r.getAs("rating")).floatValue()),
            String.valueOf(((Number) r.getAs("timestamp")).longValue())});
      }
    }
    String first = byUser.keySet().iterator().next();
    byUser.get(first).add(new String[] {first, "no-such-item", "4.0", "1"});
    byUser.put("stranger", new ArrayList<>(List.<String[]>of(
        new String[] {"stranger", "unknown-a", "5.0", "10"},
        new String[] {"stranger", "unknown-b", "2.0", "20"})));
    StringBuilder sb = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (List<String[]> l : byUser.values()) {
      for (String[] row : l) {
        sb.append(String.join(",", row)).append('\n');
      }
    }
    Files.writeString(csv, sb.toString());
    return byUser;
  }

  /** Each user's features as the generator wrote them (field → value). */
  private static Map<String, Map<String, String>> features() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (Row r : SPARK.read().parquet(gen.resolve("users").toString()).collectAsList()) {
      Map<String, String> f = new LinkedHashMap<>();
      for (String c : r.schema().fieldNames()) {
        if (!c.equals("user_id")) {
          f.put(c, String.valueOf((Object) r.getAs(c)));
        }
      }
      out.put(r.getAs("user_id").toString(), f);
    }
    return out;
  }

  private static Map<String, List<Row>> job(Path model, Path input, Path out, boolean implicit,
      String... more) {
    List<String> sets = new ArrayList<>(List.of("recommend.model=" + model, "input.path=" + input,
        "input.format=csv", "recommend.out=" + out, "recommend.top=10",
        "input.userFeatures.path=" + gen.resolve("users"), "input.maxRejectFraction=0.5"));
    if (implicit) {
      sets.add("input.feedback=implicit");
    }
    sets.addAll(List.of(more));
    RecommendJob.run(SPARK, config(sets.toArray(new String[0])));
    Map<String, List<Row>> byUser = new TreeMap<>();
    for (Row r : SPARK.read().parquet(out.resolve("recommendations").toString())
        .orderBy("user_id", "rank").collectAsList()) {
      byUser.computeIfAbsent(r.getString(0), u -> new ArrayList<>()).add(r);
    }
    return byUser;
  }

  private static void assertSameLists(MetaRecModel api, Map<String, List<Row>> job,
      Map<String, List<String[]>> histories, Map<String, Map<String, String>> features,
      boolean implicit) {
    assertSameLists(api, job, histories, features, implicit, false);
  }

  /** With {@code counts}, an implicit history's events carry the rating column as their count. */
  private static void assertSameLists(MetaRecModel api, Map<String, List<Row>> job,
      Map<String, List<String[]>> histories, Map<String, Map<String, String>> features,
      boolean implicit, boolean counts) {
    assertEquals(histories.keySet(), job.keySet());
    for (Map.Entry<String, List<String[]>> e : histories.entrySet()) {
      List<History.Interaction> in = new ArrayList<>();
      List<String[]> rows = new ArrayList<>(e.getValue());
      rows.sort((a, b) -> Long.compare(Long.parseLong(a[3]), Long.parseLong(b[3])));
      for (String[] r : rows) {
        in.add(!implicit ? History.Interaction.rating(r[1], Float.parseFloat(r[2]))
            : counts ? History.Interaction.event(r[1], Float.parseFloat(r[2]))
            : History.Interaction.event(r[1]));
      }
      History h = History.of(in);
      for (Map.Entry<String, String> f : features.getOrDefault(e.getKey(), Map.of()).entrySet()) {
        h = h.withUserFeature(f.getKey(), f.getValue());
      }
      Recommendations got = api.recommend(h, 10);
      List<Row> expected = job.get(e.getKey());
      assertEquals(expected.stream().map(r -> r.getString(2)).toList(),
          got.items().stream().map(ItemScore::item).toList(), "user " + e.getKey());
      for (int k = 0; k < expected.size(); k++) {
        float s = expected.get(k).getFloat(3);
        float reported = implicit ? s : (float) Math.min(api.labelMax(),
            Math.max(api.labelMin(), s));
        assertEquals(reported, got.items().get(k).score(), "user " + e.getKey() + " rank " + k);
      }
    }
  }

  @Test
  void explicitFeedbackListsAreTheJobsAlsoAfterAnUpgrade(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config("train.tasks=" + tasks, "train.model=" + model,
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8", "meta.iterations=8",
        "meta.tasksPerIteration=32", "train.partitions=2"));
    assertTrue(Files.isRegularFile(model.resolve("vocab/text/manifest.json")));
    Path input = dir.resolve("history.csv");
    Map<String, List<String[]>> histories = histories(input, 12, 7);
    Map<String, Map<String, String>> features = features();
    Map<String, List<Row>> lists = job(model, input, dir.resolve("out"), false);
    MetaRecModel api = MetaRecModel.load(model);
    assertFalse(api.userFieldNames().isEmpty(), "the model has user features");
    assertSameLists(api, lists, histories, features, false);
    assertEquals(2, api.recommend(History.of(History.Interaction.rating("unknown-a", 5),
        History.Interaction.rating("unknown-b", 2)), 10).unknownItems());

    // A folder from before vocab/text/: the Spark-side loader adds it, to the same model.
    Path old = dir.resolve("old");
    TestSpark.copyTree(model, old);
    try (var walk = Files.walk(old.resolve("vocab/text"))) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    // The Spark side reads such a folder's Parquet tables to the same model...
    assertSameLists(MetaRecModel.of(ModelFiles.servingParts(SPARK, old.toString()),
        MetaRecModel.Options.DEFAULTS), lists, histories, features, false);
    // ... and writes vocab/text/ into it, once.
    assertTrue(ModelFiles.upgrade(SPARK, old.toString()));
    assertFalse(ModelFiles.upgrade(SPARK, old.toString()), "a second upgrade has nothing to do");
    MetaRecModel upgraded = MetaRecModel.load(old, MetaRecModel.Options.DEFAULTS
        .withVersion(api.version()));
    assertSameLists(upgraded, lists, histories, features, false);
    MetaRecModel viaSpark = MetaRecModel.of(ModelFiles.servingParts(SPARK, model.toString()),
        MetaRecModel.Options.DEFAULTS);
    assertSameLists(viaSpark, lists, histories, features, false);
  }

  @Test
  void implicitFeedbackListsAreTheJobs(@TempDir Path dir) throws Exception {
    Path clicks = dir.resolve("clicks");
    io.metarec.jobs.tasks.BuildTasksJob.run(SPARK, config("input.path=" + gen.resolve(
        "interactions"), "input.userFeatures.path=" + gen.resolve("users"),
        "input.itemFeatures.path=" + gen.resolve("items"), "buildTasks.out=" + clicks,
        "input.feedback=implicit", "tasks.supportSize=5"));
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config("train.tasks=" + clicks, "train.model=" + model,
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8", "meta.iterations=6",
        "meta.tasksPerIteration=32", "train.partitions=2", "inner.implicit.supportNegatives=2",
        "inner.userSolver=ridge", "inner.neighbourWeight=4"));
    // Every candidate of the selection carries the neighbourhood term (4, or another weight).
    assertTrue(java.nio.file.Files.size(model.resolve("neighbours.bin")) > 0);
    Path input = dir.resolve("history.csv");
    Map<String, List<String[]>> histories = histories(input, 10, 6);
    MetaRecModel api = MetaRecModel.load(model);
    assertSameLists(api, job(model, input, dir.resolve("out"), true), histories, features(), true);

    // A user plays an item again, later: its events add up to one, weighted log2(1 + count), in
    // the job and the API alike; with input.columns.weight the counts come from a column.
    String first = histories.keySet().stream().filter(u -> !u.equals("stranger")).findFirst()
        .orElseThrow();
    List<String[]> rows = histories.get(first);
    String[] again = rows.get(0).clone();
    again[2] = "3.0";
    again[3] = String.valueOf(rows.stream().mapToLong(r -> Long.parseLong(r[3])).max()
        .getAsLong() + 1);
    rows.add(again);
    StringBuilder sb = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (List<String[]> l : histories.values()) {
      for (String[] row : l) {
        sb.append(String.join(",", row)).append('\n');
      }
    }
    Path repeated = dir.resolve("repeated.csv");
    Files.writeString(repeated, sb.toString());
    Map<String, List<Row>> once = job(model, repeated, dir.resolve("once"), true);
    assertSameLists(api, once, histories, features(), true, false);
    Map<String, List<Row>> counted = job(model, repeated, dir.resolve("counted"), true,
        "input.columns.weight=rating");
    assertSameLists(api, counted, histories, features(), true, true);
    assertFalse(once.get(first).equals(counted.get(first)), "the counts change the user's list");
  }
}
