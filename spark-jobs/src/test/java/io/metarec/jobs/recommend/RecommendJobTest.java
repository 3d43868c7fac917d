package io.metarec.jobs.recommend;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.GenerateJob;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Top-N lists from a briefly trained model for hand-written users. */
class RecommendJobTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Path model;
  private static List<String> items;

  @BeforeAll
  static void data() {
    Path gen = shared.resolve("gen");
    GenerateJob.run(SPARK, config("generate.out=" + gen, "generate.size=tiny"));
    Path tasks = shared.resolve("tasks");
    BuildTasksJob.run(SPARK, config("input.path=" + gen.resolve("interactions"),
        "buildTasks.out=" + tasks, "tasks.supportSize=5"));
    model = shared.resolve("model");
    TrainJob.run(SPARK, config("train.tasks=" + tasks, "train.model=" + model,
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8", "meta.iterations=10",
        "meta.tasksPerIteration=32", "train.partitions=2"));
    // Known item ids, most frequent first.
    items = new ArrayList<>();
    for (Row r : SPARK.read().parquet(model.resolve("vocab/values/item").toString())
        .orderBy("index").collectAsList()) {
      items.add(r.getString(0));
    }
  }

  /** Writes a CSV interaction log: lines of user, item, rating, timestamp. */
  private static Path log(Path dir, String... lines) throws Exception {
    Path f = dir.resolve("history.csv");
    Files.writeString(f, "user_id,item_id,rating,timestamp\n" + String.join("\n", lines) + "\n");
    return f;
  }

  private static Map<String, List<Row>> run(Path input, Path out, String... more) {
    RecommendJob.run(SPARK, config(TestSpark.with(new String[] {"recommend.model=" + model,
        "input.path=" + input, "input.format=csv", "recommend.out=" + out, "recommend.top=5",
        "input.maxRejectFraction=0.5"}, more)));
    Map<String, List<Row>> byUser = new HashMap<>();
    for (Row r : SPARK.read().parquet(out.resolve("recommendations").toString())
        .orderBy("user_id", "rank").collectAsList()) {
      byUser.computeIfAbsent(r.getString(0), u -> new ArrayList<>()).add(r);
    }
    return byUser;
  }

  @Test
  void listsExcludeSeenItemsAreDeterministicAndCoverColdUsers(@TempDir Path dir) throws Exception {
    String a1 = items.get(0);
    String a2 = items.get(1);
    String a3 = items.get(2);
    Path input = log(dir,
        "alice," + a1 + ",5,100", "alice," + a2 + ",1,200", "alice," + a3 + ",4,300",
        "alice,no-such-item,5,400",
        "bob,unknown-1,4,100", "bob,unknown-2,3,200",
        "carol," + a1 + ",1,100",
        "dave," + a2 + ",9,100"); // rating 9 is out of range: rejected, dave has no other row
    Map<String, List<Row>> lists = run(input, dir.resolve("out"));
    assertEquals(List.of("alice", "bob", "carol"), lists.keySet().stream().sorted().toList());
    for (List<Row> l : lists.values()) {
      assertEquals(5, l.size());
      for (int i = 0; i < l.size(); i++) {
        assertEquals(i + 1, l.get(i).getInt(1));
        if (i > 0) {
          assertTrue(l.get(i).getFloat(3) <= l.get(i - 1).getFloat(3), "descending scores");
        }
      }
    }
    List<String> alice = lists.get("alice").stream().map(r -> r.getString(2)).toList();
    assertFalse(alice.contains(a1) || alice.contains(a2) || alice.contains(a3), alice.toString());
    assertFalse(lists.get("carol").stream().anyMatch(r -> r.getString(2).equals(a1)));
    // Bob's history is all unknown items: he gets the meta-initialization's list; carol's
    // single rating of 1 personalizes hers.
    String summary = Files.readString(dir.resolve("out/summary.json"));
    assertTrue(summary.contains("\"coldUsers\" : 1"), summary);
    assertTrue(summary.contains("\"unknownItemInteractions\" : 3"), summary);
    assertTrue(summary.contains("\"rowsRejected\" : 1"), summary);
    assertTrue(Files.isDirectory(dir.resolve("out/rejects")));
    List<Float> bobScores = lists.get("bob").stream().map(r -> r.getFloat(3)).toList();
    List<Float> carolScores = lists.get("carol").stream().map(r -> r.getFloat(3)).toList();
    assertNotEquals(bobScores, carolScores);

    // Deterministic: the same input in another partitioning gives the same lists.
    Map<String, List<Row>> again = run(input, dir.resolve("again"), "recommend.partitions=5");
    assertEquals(lists, again);
  }

  @Test
  void candidatesCanBeLimitedToThePopularItems(@TempDir Path dir) throws Exception {
    Path input = log(dir, "erin," + items.get(5) + ",4,100");
    Map<String, List<Row>> lists = run(input, dir.resolve("out"), "recommend.candidates=8",
        "recommend.top=20");
    // 8 candidates, one of which erin has: 7 listed, all among the 8 most popular.
    assertEquals(7, lists.get("erin").size());
    Map<String, Long> counts = new HashMap<>();
    for (Row r : SPARK.read().parquet(model.resolve("vocab/items").toString()).collectAsList()) {
      counts.put(r.getString(r.fieldIndex("item_id")), r.getLong(r.fieldIndex("count")));
    }
    List<Long> sorted = counts.values().stream().sorted((x, y) -> Long.compare(y, x)).toList();
    long eighth = sorted.get(7);
    for (Row r : lists.get("erin")) {
      assertTrue(counts.get(r.getString(2)) >= eighth, r + " is not among the 8 most popular");
    }
  }
}
