package io.metarec.jobs.tasks;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.GenerateJob;
import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildTasksJobTest {
  private final SparkSession spark = TestSpark.session();

  /** Tasks of a build-tasks output by user id. */
  private Map<String, Row> tasks(Path out) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve("tasks").toString()).collectAsList()) {
      m.put(r.getAs("user_id"), r);
    }
    return m;
  }

  private static Map<String, Integer> vocab(Path out, String name) {
    return TestSpark.vocab(out, name);
  }

  private static List<List<Integer>> features(Row r, String col) {
    return TestSpark.nested(r, col);
  }

  private static List<Integer> ints(Row r, String col) {
    return r.getList(r.fieldIndex(col));
  }

  private static Path write(Path dir, String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  /** Two users, hand-checkable: u1 has a tie at t=300 between items b and c. */
  private static final String SMALL_CSV = String.join("\n",
      "user_id,item_id,rating,timestamp",
      "u1,a,5,100", "u1,c,3,300", "u1,b,4,300", "u1,d,1,400", "u1,e,2,500",
      "u2,a,4,50", "u2,b,2,60", "u2,e,5,70", "u2,f,3,80",
      "u3,a,1,10") + "\n";

  @Test
  void supportIsTheFirstKByTimeWithTiesByItemAndQueryTheRest(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", SMALL_CSV);
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + out, "tasks.supportSize=2",
        "split.validation=0", "split.test=0"));
    Map<String, Integer> items = vocab(out, "item");
    // Item indices by count desc, then value: a(3) b(2) e(2) c(1) d(1) f(1).
    assertEquals(Map.of("a", 1, "b", 2, "e", 3, "c", 4, "d", 5, "f", 6), items);
    Map<String, Row> t = tasks(out);
    assertEquals(2, t.size(), "u3 has 1 interaction < minInteractions 3");
    Row u1 = t.get("u1");
    // Order: a(100), then the tie at 300 broken by item index: b(2) before c(4), d, e.
    assertEquals(List.of(1, 2), ints(u1, "support_items"));
    assertEquals(List.of(4, 5, 3), ints(u1, "query_items"));
    assertEquals(List.of(5f, 4f), u1.getList(u1.fieldIndex("support_labels")));
    assertEquals(List.of(300L, 400L, 500L), u1.getList(u1.fieldIndex("query_timestamps")));
    assertEquals("train", u1.getAs("split"));
    Row u2 = t.get("u2");
    assertEquals(List.of(1, 2), ints(u2, "support_items"));
    assertEquals(List.of(3, 6), ints(u2, "query_items"));
    @SuppressWarnings("unchecked")
    Map<String, Object> users = (Map<String, Object>) stats.get("users");
    assertEquals(1L, users.get("droppedTooFew"));
    assertTrue(Files.exists(out.resolve("stats.json")));
    assertTrue(Files.exists(out.resolve("features.json")));
  }

  @Test
  void queryRuleTakesTheLastQAndTruncationKeepsTheMostRecent(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", SMALL_CSV);
    Path out = dir.resolve("out");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "buildTasks.out=" + out, "tasks.supportSize=0", "tasks.querySize=1",
        "tasks.maxInteractions=4", "split.validation=0", "split.test=0"));
    Row u1 = tasks(out).get("u1");
    // u1 truncated to its 4 most recent (b, c, d, e by time/item); query = the last one (e).
    assertEquals(List.of(2, 4, 5), ints(u1, "support_items"));
    assertEquals(List.of(3), ints(u1, "query_items"));

    Path dropped = dir.resolve("dropped");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "buildTasks.out=" + dropped, "tasks.supportSize=0", "tasks.querySize=1",
        "tasks.maxInteractions=4", "tasks.overflow=drop", "split.validation=0", "split.test=0"));
    assertEquals(List.of("u2"), List.copyOf(tasks(dropped).keySet()));
  }

  @Test
  void randomOrderingIsSeededAndKeepsEveryInteraction(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", SMALL_CSV);
    String[] base = {"input.path=" + in, "input.format=csv", "tasks.ordering=random",
        "tasks.supportSize=2", "split.validation=0", "split.test=0"};
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    BuildTasksJob.run(spark, config(TestSpark.with(base, "buildTasks.out=" + a)));
    BuildTasksJob.run(spark, config(TestSpark.with(base, "buildTasks.out=" + b)));
    Row ra = tasks(a).get("u1");
    Row rb = tasks(b).get("u1");
    assertEquals(ints(ra, "support_items"), ints(rb, "support_items"));
    assertEquals(ints(ra, "query_items"), ints(rb, "query_items"));
    java.util.Set<Integer> all = new java.util.TreeSet<>(ints(ra, "support_items"));
    all.addAll(ints(ra, "query_items"));
    assertEquals(java.util.Set.of(1, 2, 3, 4, 5), all);
  }

  @Test
  void rejectsAreKeptWithReasonsAndTheThresholdFailsTheRun(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (int u = 0; u < 20; u++) {
      for (int i = 0; i < 5; i++) {
        csv.append("u").append(u).append(",i").append(i).append(',').append(1 + (u + i) % 5)
            .append(',').append(1000 + i).append('\n');
      }
    }
    csv.append(",i1,3,5\n")            // missing_user
        .append("u1,,3,5\n")           // missing_item
        .append("u1,i9,,5\n")          // missing_label
        .append("u1,i9,abc,5\n")       // unparseable_label
        .append("u1,i9,NaN,5\n")       // non_finite_label
        .append("u1,i9,7,5\n")         // label_out_of_range
        .append("u1,i9,3,\n")          // missing_timestamp
        .append("u1,i9,3,yesterday\n"); // unparseable_timestamp
    Path in = write(dir, "log.csv", csv.toString());
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + out, "tasks.supportSize=2",
        "input.maxRejectFraction=0.1"));
    @SuppressWarnings("unchecked")
    Map<String, Object> rows = (Map<String, Object>) stats.get("rows");
    assertEquals(8L, rows.get("rejected"));
    List<Row> rejects = spark.read().parquet(out.resolve("rejects").toString())
        .orderBy("reason").collectAsList();
    assertEquals(List.of("label_out_of_range", "missing_item", "missing_label",
            "missing_timestamp", "missing_user", "non_finite_label", "unparseable_label",
            "unparseable_timestamp"),
        rejects.stream().map(r -> r.<String>getAs("reason")).toList());
    assertTrue(rejects.get(0).<String>getAs("source_file").endsWith("log.csv"));
    assertEquals("7", rejects.get(0).getAs("label"));

    // The same input with a 1% threshold fails, names the top reasons and leaves `out` as it was.
    String before = Files.readString(out.resolve("stats.json"));
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + out,
            "tasks.supportSize=2")));
    assertTrue(e.getMessage().contains("8 of 108 rows rejected"), e.getMessage());
    assertTrue(e.getMessage().contains(in.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("top reasons: label_out_of_range 1, missing_item 1"),
        e.getMessage());
    assertEquals(before, Files.readString(out.resolve("stats.json")));
    assertTrue(Files.isDirectory(dir.resolve("out.failed").resolve("rejects")));
    try (var s = Files.list(dir)) {
      assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("_staging-")));
    }
  }

  @Test
  void untilLeavesLaterEventsOutAndCountsThem(@TempDir Path dir) throws Exception {
    // 2026-11-27T00:00:00Z = 1795737600; the day is in, the next second of 2026-11-28 is not.
    Path in = write(dir, "log.csv", String.join("\n", "user_id,item_id,rating,timestamp",
        "u1,a,1,1795737600", "u1,b,2,1795823999", "u1,c,3,1795824000", "u1,d,4,1795900000")
        + "\n");
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + out, "tasks.supportSize=1",
        "split.validation=0", "split.test=0", "input.until=2026-11-27"));
    Row u1 = tasks(out).get("u1");
    assertEquals(List.of(1f), u1.getList(u1.fieldIndex("support_labels")));
    assertEquals(List.of(2f), u1.getList(u1.fieldIndex("query_labels")));
    assertEquals(2L, stats.get("afterUntil"));
    // The two later rows are counted as left out, not as duplicates (there are none).
    assertEquals(2L, rows(stats).get("afterUntil"));
    assertEquals(0L, rows(stats).get("duplicates"));
    assertFalse(vocab(out, "item").containsKey("c"), "items only seen later are not indexed");

    Map<String, Object> instant = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + dir.resolve("instant"), "tasks.supportSize=1",
        "split.validation=0", "split.test=0", "input.until=2026-11-28T00:00:00Z"));
    assertEquals(1L, instant.get("afterUntil"), "an instant is inclusive");
    assertThrows(io.metarec.config.ConfigValidationException.class,
        () -> config("input.until=yesterday"));
  }

  @Test
  void duplicatesKeepTheLatestOrTheEarliest(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", String.join("\n", "user_id,item_id,rating,timestamp",
        "u1,a,1,10", "u1,a,5,30", "u1,a,3,20", "u1,b,2,15", "u1,c,4,40") + "\n");
    Path latest = dir.resolve("latest");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + latest, "tasks.supportSize=1",
        "split.validation=0", "split.test=0"));
    Row u1 = tasks(latest).get("u1");
    // Latest a is (t=30, 5): order b(15), a(30), c(40).
    assertEquals(List.of(2f), u1.getList(u1.fieldIndex("support_labels")));
    assertEquals(List.of(5f, 4f), u1.getList(u1.fieldIndex("query_labels")));
    @SuppressWarnings("unchecked")
    Map<String, Object> rows = (Map<String, Object>) stats.get("rows");
    assertEquals(2L, rows.get("duplicates"));

    Path earliest = dir.resolve("earliest");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "buildTasks.out=" + earliest, "tasks.supportSize=1", "input.duplicates=earliest",
        "split.validation=0", "split.test=0"));
    Row e1 = tasks(earliest).get("u1");
    assertEquals(List.of(1f), e1.getList(e1.fieldIndex("support_labels")));
    assertEquals(List.of(10L), e1.getList(e1.fieldIndex("support_timestamps")));
  }

  @Test
  void splitAndVocabularyAreStableWhenUsersAndItemsArrive(@TempDir Path dir) throws Exception {
    StringBuilder day1 = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (int u = 0; u < 300; u++) {
      for (int i = 0; i < 4; i++) {
        day1.append("u").append(u).append(",i").append((u + i) % 30).append(",3,").append(i)
            .append('\n');
      }
    }
    StringBuilder day2 = new StringBuilder(day1);
    for (int u = 300; u < 400; u++) {
      for (int i = 0; i < 4; i++) {
        // New users, some new items (i30..i39), which are also more popular than old ones.
        day2.append("u").append(u).append(",i").append(30 + (u + i) % 10).append(",4,")
            .append(i).append('\n');
      }
    }
    Path in1 = write(dir, "day1/log.csv", day1.toString());
    Path in2 = write(dir, "day2/log.csv", day2.toString());
    Path out1 = dir.resolve("out1");
    Path out2 = dir.resolve("out2");
    String[] common = {"input.format=csv", "tasks.supportSize=2", "split.test=0.3"};
    BuildTasksJob.run(spark, config(TestSpark.with(common, "input.path=" + in1,
        "buildTasks.out=" + out1)));
    BuildTasksJob.run(spark, config(TestSpark.with(common, "input.path=" + in2,
        "buildTasks.out=" + out2, "tasks.vocabFrom=" + out1)));
    Map<String, Row> t1 = tasks(out1);
    Map<String, Row> t2 = tasks(out2);
    for (Map.Entry<String, Row> e : t1.entrySet()) {
      assertEquals(e.getValue().<String>getAs("split"), t2.get(e.getKey()).getAs("split"),
          "user " + e.getKey() + " moved split");
    }
    long test = t2.values().stream().filter(r -> "test".equals(r.getAs("split"))).count();
    assertTrue(test > 80 && test < 160, "about 30% of 400 users in test, got " + test);
    Map<String, Integer> v1 = vocab(out1, "item");
    Map<String, Integer> v2 = vocab(out2, "item");
    v1.forEach((item, idx) -> assertEquals(idx, v2.get(item), "index of " + item + " changed"));
    assertEquals(40, v2.size());
    for (int i = 30; i < 40; i++) {
      assertTrue(v2.get("i" + i) > 30, "new items get new indices");
    }
    // A rerun into the same folder extends its own vocabulary: same indices again.
    BuildTasksJob.run(spark, config(TestSpark.with(common, "input.path=" + in2,
        "buildTasks.out=" + out2)));
    assertEquals(v2, vocab(out2, "item"));
  }

  @Test
  void implicitFeedbackNeedsNoLabelColumn(@TempDir Path dir) throws Exception {
    Path in = write(dir, "clicks.json", String.join("\n",
        "{\"uid\":\"x\",\"iid\":\"p1\",\"ts\":\"2024-05-01T10:00:00Z\"}",
        "{\"uid\":\"x\",\"iid\":\"p2\",\"ts\":\"2024-05-01 11:00:00\"}",
        "{\"uid\":\"x\",\"iid\":\"p3\",\"ts\":1714561200}") + "\n");
    Path out = dir.resolve("out");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=json",
        "input.feedback=implicit", "input.columns.user=uid", "input.columns.item=iid",
        "input.columns.timestamp=ts", "buildTasks.out=" + out, "tasks.supportSize=1",
        "split.validation=0", "split.test=0"));
    Row x = tasks(out).get("x");
    assertEquals(List.of(1f), x.getList(x.fieldIndex("support_labels")));
    assertEquals(List.of(1f, 1f), x.getList(x.fieldIndex("query_labels")));
    // 2024-05-01T10:00:00Z = 1714557600; then 11:00 and 1714561200 (11:00) tie, by item index.
    assertEquals(List.of(1714557600L), x.getList(x.fieldIndex("support_timestamps")));
    assertTrue(Files.readString(out.resolve("features.json")).contains("\"implicit\""));
  }

  @Test
  void missingColumnsFailNamingThemAllAndLeaveEarlierOutput(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", SMALL_CSV);
    Path out = dir.resolve("out");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "buildTasks.out=" + out, "tasks.supportSize=2"));
    String before = Files.readString(out.resolve("stats.json"));
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + out,
            "input.columns.label=stars", "input.columns.timestamp=ts")));
    // Every missing column is named, with the columns that are there.
    assertTrue(e.getMessage().contains("has no column 'stars' (input.columns.label), no column "
        + "'ts' (input.columns.timestamp); its columns are [user_id, item_id, rating, timestamp]"),
        e.getMessage());
    assertTrue(e.getMessage().contains(
        "--set input.columns.label=NAME --set input.columns.timestamp=NAME"), e.getMessage());
    assertEquals(before, Files.readString(out.resolve("stats.json")));
  }

  @Test
  void parquetLogWithFeatureTablesFromGenerate(@TempDir Path dir) {
    Path gen = dir.resolve("gen");
    GenerateJob.run(spark, config("generate.out=" + gen, "generate.size=tiny"));
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config(
        "input.path=" + gen.resolve("interactions"),
        "input.userFeatures.path=" + gen.resolve("users"),
        "input.itemFeatures.path=" + gen.resolve("items"),
        "buildTasks.out=" + out));
    assertTrue((Long) stats.get("tasks") > 100);
    Row any = spark.read().parquet(out.resolve("tasks").toString()).first();
    List<List<Integer>> uf = features(any, "user_features");
    assertEquals(3, uf.size(), "age_band, occupation, region");
    uf.forEach(f -> assertTrue(f.size() == 1 && f.get(0) > 0, "known single value: " + f));
    List<Row> items = spark.read().parquet(out.resolve("items").toString()).collectAsList();
    Row item = items.get(0);
    List<List<Integer>> genres = features(item, "features");
    assertEquals(1, genres.size());
    assertTrue(genres.get(0).size() >= 1 && genres.get(0).size() <= 2);
    assertTrue(Files.exists(out.resolve("vocab").resolve("item.genres")));
  }

  @Test
  void csvLogWithCsvFeatureTables(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", SMALL_CSV);
    Path users = write(dir, "users.csv", "user_id,age,langs\nu1,30,en|fr\nu2,,de\n");
    Path items = write(dir, "items.csv", "item_id,genres\na,x|y\nb,y\nz,x\n");
    Path out = dir.resolve("out");
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "input.userFeatures.path=" + users, "input.userFeatures.format=csv",
        "input.userFeatures.multiValued=[langs]",
        "input.itemFeatures.path=" + items, "input.itemFeatures.format=csv",
        "input.itemFeatures.multiValued=[genres]",
        "buildTasks.out=" + out, "tasks.supportSize=2", "split.validation=0", "split.test=0"));
    Map<String, Integer> langs = vocab(out, "user.langs");
    Row u1 = tasks(out).get("u1");
    List<List<Integer>> f1 = features(u1, "user_features");
    assertEquals(List.of(vocab(out, "user.age").get("30")), f1.get(0));
    assertEquals(List.of(langs.get("en"), langs.get("fr")), f1.get(1));
    Row u2 = tasks(out).get("u2");
    assertEquals(List.of(0), features(u2, "user_features").get(0), "missing age -> unknown index 0");
    Map<String, Row> itemRows = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve("items").toString()).collectAsList()) {
      itemRows.put(r.getAs("item_id"), r);
    }
    // z appears only in the feature table: it still gets an index (count 0).
    assertEquals(0L, itemRows.get("z").<Long>getAs("count"));
    assertEquals(List.of(0), features(itemRows.get("f"), "features").get(0));
    assertEquals(2, features(itemRows.get("a"), "features").get(0).size());
    assertTrue(Files.readString(out.resolve("features.json")).contains("\"multiValued\" : true"));
  }

  /** The rejects of an output (or of a failed run's {@code DIR.failed}) by reason, in file order. */
  private Map<String, List<Row>> rejectsByReason(Path dir) {
    Map<String, List<Row>> m = new java.util.TreeMap<>();
    for (Row r : spark.read().parquet(dir.resolve("rejects").toString()).collectAsList()) {
      m.computeIfAbsent(r.getAs("reason"), k -> new java.util.ArrayList<>()).add(r);
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> rows(Map<String, Object> stats) {
    return (Map<String, Object>) stats.get("rows");
  }

  /** {@code n} users with 5 well-formed interactions each, as CSV lines after the header. */
  private static String wellFormedRows(int n) {
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < n; u++) {
      for (int i = 0; i < 5; i++) {
        sb.append("w").append(u).append(",i").append(i).append(",3,").append(1000 + i)
            .append('\n');
      }
    }
    return sb.toString();
  }

  @Test
  void csvFieldsFollowRfc4180QuotesLineBreaksAndFieldCounts(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", "user_id,item_id,rating,timestamp\n"
        + wellFormedRows(20)
        + "u1,\"i\"\"quote\",4,100\n"          // a doubled quote inside a quoted field
        + "u1,\"two\nlines\",5,200\n"          // a line break inside a quoted field
        + "u1,\"a,b\",3,300\n"                 // the delimiter inside a quoted field
        + "u2,a,3,100,extra\n"                 // one field too many: malformed_csv
        + "u2,a,3\n");                         // one field too few: malformed_csv
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + out, "tasks.supportSize=1",
        "input.maxRejectFraction=0.05", "split.validation=0", "split.test=0"));
    Map<String, Integer> items = vocab(out, "item");
    assertTrue(items.containsKey("i\"quote"), "doubled quote read as one quote: " + items.keySet());
    assertTrue(items.containsKey("two\nlines"), "line break kept in the field: " + items.keySet());
    assertTrue(items.containsKey("a,b"), items.keySet().toString());
    Row u1 = tasks(out).get("u1");
    assertEquals(3, ints(u1, "support_items").size() + ints(u1, "query_items").size());
    assertEquals(105L, rows(stats).get("read"), "the quoted line break does not split the row");
    assertEquals(Map.of("malformed_csv", 2L), rows(stats).get("rejectedByReason"));
    List<Row> malformed = rejectsByReason(out).get("malformed_csv");
    assertEquals(java.util.Set.of("u2,a,3,100,extra", "u2,a,3"),
        malformed.stream().map(r -> r.<String>getAs("record")).collect(
            java.util.stream.Collectors.toSet()), "the raw record is kept");
    assertTrue(malformed.get(0).<String>getAs("source_file").endsWith("log.csv"));
  }

  @Test
  void anUnclosedQuoteFailsTheRunInsteadOfSwallowingTheRowsAfterIt(@TempDir Path dir)
      throws Exception {
    Path in = write(dir, "log.csv", "user_id,item_id,rating,timestamp\n"
        + wellFormedRows(30) + "u1,\"never closed,3,100\n" + wellFormedRows(2));
    Path out = dir.resolve("out");
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + out,
            "tasks.supportSize=1")));
    assertTrue(e.getMessage().contains("1 malformed CSV record(s) span several lines"),
        e.getMessage());
    assertTrue(e.getMessage().contains(in.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("starting \"u1,\"never closed,3,100…\""), e.getMessage());
    assertFalse(Files.exists(out));
    // Nothing is lost: the swallowed lines are in the kept reject's record.
    Row reject = rejectsByReason(dir.resolve("out.failed")).get("malformed_csv").get(0);
    assertTrue(reject.<String>getAs("record").contains("w1,i4,3,1004"), reject.toString());
  }

  @Test
  void malformedJsonLinesAreRejectedWithTheRawLine(@TempDir Path dir) throws Exception {
    StringBuilder json = new StringBuilder();
    for (int u = 0; u < 20; u++) {
      for (int i = 0; i < 5; i++) {
        json.append("{\"user_id\":\"w").append(u).append("\",\"item_id\":\"i").append(i)
            .append("\",\"rating\":3,\"timestamp\":").append(1000 + i).append("}\n");
      }
    }
    List<String> bad = List.of(
        "{\"user_id\":\"u1\",\"item_id\":\"a\",\"rating\":3,\"timestamp\":5}}",
        "{\"user_id\":\"u1\",\"item_id\":\"b\",\"rating\":3,\"timestamp\":5} {\"x\":1}",
        "{\"user_id\":\"u1\",\"item_id\":\"c\",\"rat",
        "[{\"user_id\":\"u1\",\"item_id\":\"d\",\"rating\":3,\"timestamp\":5}]",
        "42");
    bad.forEach(l -> json.append(l).append('\n'));
    json.append("\n");                                    // a blank line is skipped, not rejected
    Path in = write(dir, "log.json", json.toString());
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=json", "buildTasks.out=" + out, "tasks.supportSize=1",
        "input.maxRejectFraction=0.05"));
    assertEquals(105L, rows(stats).get("read"));
    assertEquals(Map.of("malformed_json", 5L), rows(stats).get("rejectedByReason"));
    List<Row> rejects = rejectsByReason(out).get("malformed_json");
    assertEquals(new java.util.TreeSet<>(bad), rejects.stream().map(r -> r.<String>getAs("record"))
        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
    assertTrue(rejects.get(0).<String>getAs("source_file").endsWith("log.json"));
    assertFalse(vocab(out, "item").containsKey("a"), "the line with a trailing } is not accepted");
  }

  @Test
  void timestampsOutOfRangeNegativeOrInTheWrongUnitAreNotPassedOn(@TempDir Path dir)
      throws Exception {
    Path in = write(dir, "log.csv", "user_id,item_id,rating,timestamp\n" + wellFormedRows(20)
        + "u1,a,3,99999999999999999999\n"   // beyond a long: was stored as Long.MAX_VALUE
        + "u1,b,3,253402300800\n"           // 10000-01-01: past Spark's timestamp range
        + "u1,c,3,-1\n"                     // a sentinel, or before 1970
        + "u1,d,3,1969-12-31T23:59:59Z\n");
    Path out = dir.resolve("out");
    Map<String, Object> stats = BuildTasksJob.run(spark, config("input.path=" + in,
        "input.format=csv", "buildTasks.out=" + out, "tasks.supportSize=1",
        "input.maxRejectFraction=0.05"));
    assertEquals(Map.of("timestamp_out_of_range", 2L, "negative_timestamp", 2L),
        rows(stats).get("rejectedByReason"));
    assertEquals("99999999999999999999",
        rejectsByReason(out).get("timestamp_out_of_range").stream()
            .map(r -> r.<String>getAs("timestamp")).sorted().toList().get(1));

    // A Parquet long column too: Long.MAX_VALUE seconds is out of range, not a time.
    Path pq = dir.resolve("log.parquet");
    spark.createDataFrame(List.of(
            org.apache.spark.sql.RowFactory.create("u1", "a", 3.0, 1000L),
            org.apache.spark.sql.RowFactory.create("u1", "b", 3.0, 2000L),
            org.apache.spark.sql.RowFactory.create("u1", "c", 3.0, Long.MAX_VALUE)),
        new org.apache.spark.sql.types.StructType().add("user_id", "string")
            .add("item_id", "string").add("rating", "double").add("timestamp", "long"))
        .write().parquet(pq.toString());
    Map<String, Object> pqStats = BuildTasksJob.run(spark, config("input.path=" + pq,
        "buildTasks.out=" + dir.resolve("pq-out"), "tasks.supportSize=1",
        "input.maxRejectFraction=0.5"));
    assertEquals(Map.of("timestamp_out_of_range", 1L), rows(pqStats).get("rejectedByReason"));

    // Milliseconds read as seconds are refused, naming the key; with the key set they are read.
    StringBuilder ms = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (int i = 0; i < 5; i++) {
      ms.append("u1,i").append(i).append(",3,").append(1714561200000L + 1000L * i).append('\n');
    }
    Path millis = write(dir, "millis.csv", ms.toString());
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + millis, "input.format=csv", "buildTasks.out=" + dir.resolve("m"),
            "tasks.supportSize=1")));
    assertTrue(e.getMessage().contains("look like milliseconds"), e.getMessage());
    assertTrue(e.getMessage().contains("--set input.timestampUnit=millis"), e.getMessage());
    BuildTasksJob.run(spark, config("input.path=" + millis, "input.format=csv",
        "input.timestampUnit=millis", "buildTasks.out=" + dir.resolve("m"),
        "tasks.supportSize=1", "split.validation=0", "split.test=0"));
    Row u1 = tasks(dir.resolve("m")).get("u1");
    assertEquals(List.of(1714561200L), u1.getList(u1.fieldIndex("support_timestamps")));
  }

  @Test
  void unreadableParquetFailsInOneLineNamingTheFile(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("good");
    spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("u1", "a", 3.0, 1000L)),
            new org.apache.spark.sql.types.StructType().add("user_id", "string")
                .add("item_id", "string").add("rating", "double").add("timestamp", "long"))
        .coalesce(1).write().parquet(good.toString());
    Path goodFile;
    try (var s = Files.list(good)) {
      goodFile = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst()
          .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(goodFile);
    byte[] random = new byte[4096];
    new java.util.Random(7).nextBytes(random);
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    files.put("is empty (0 bytes)", new byte[0]);
    files.put("is truncated or corrupt", java.util.Arrays.copyOf(bytes, bytes.length / 2));
    files.put("does not start with the Parquet magic bytes PAR1", random);
    files.put("it is text, starting \"user_id,item_id,rating,timestamp\" (CSV? use --format csv)",
        SMALL_CSV.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    // Sound magic bytes and footer length, garbage footer: Spark fails reading it, then it is named.
    byte[] badFooter = bytes.clone();
    int footerLength = java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    java.util.Arrays.fill(badFooter, bytes.length - 8 - footerLength, bytes.length - 8, (byte) -1);
    files.put("has an unreadable Parquet footer", badFooter);
    int n = 0;
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      // Alone in a folder and next to a sound file (where Spark would read the schema from the
      // sound one and fail later, in a task; it skips an empty file there, which loses nothing).
      for (boolean alone : f.getValue().length == 0 ? new boolean[] {true}
          : new boolean[] {true, false}) {
        Path in = dir.resolve("in" + n++);
        Files.createDirectories(in);
        if (!alone) {
          Files.copy(goodFile, in.resolve("part-00000.parquet"));
        }
        Path bad = Files.write(in.resolve("part-99999.parquet"), f.getValue());
        JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(
            spark, config("input.path=" + in, "buildTasks.out=" + dir.resolve("out"),
                "tasks.supportSize=1")), f.getKey());
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains("(input.path) cannot be read: file " + bad), m);
        assertTrue(m.contains(f.getKey()), m);
      }
    }
  }

  @Test
  void anInputWithNoUserLeftForATaskFailsNamingTheKey(@TempDir Path dir) throws Exception {
    Path in = write(dir, "log.csv", "user_id,item_id,rating,timestamp\nu1,a,3,1\nu2,a,3,1\n");
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + dir.resolve("out"),
            "tasks.supportSize=1")));
    assertTrue(e.getMessage().contains("no tasks to write: of 2 users, 2 have fewer than 2 "
        + "interactions (tasks.minInteractions"), e.getMessage());
  }

  @Test
  void halfStarRatingsFailNamingTheLabelKeysAndTheRangeSeen(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (int u = 0; u < 20; u++) {
      for (int i = 0; i < 5; i++) {
        csv.append("u").append(u).append(",i").append(i).append(',').append(0.5 + i)
            .append(',').append(1000 + i).append('\n');
      }
    }
    Path in = write(dir, "ratings.csv", csv.toString());
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + dir.resolve("out"))));
    assertTrue(e.getMessage().contains("20 of 100 rows rejected"), e.getMessage());
    assertTrue(e.getMessage().contains("the labels range from 0.5 to 4.5, the valid range is 1 to "
        + "5 (input.labelMin, input.labelMax): if these are valid ratings, --set "
        + "input.labelMin=0.5"), e.getMessage());
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "buildTasks.out=" + dir.resolve("out"), "input.labelMin=0.5", "tasks.supportSize=1"));
  }

  @Test
  void aTabSeparatedFileIsReadWithDelimiterTabAndNamedWithout(@TempDir Path dir)
      throws Exception {
    Path in = write(dir, "log.tsv", SMALL_CSV.replace(',', '\t'));
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "buildTasks.out=" + dir.resolve("out"))));
    assertTrue(e.getMessage().contains("--set input.csv.delimiter=tab"), e.getMessage());
    BuildTasksJob.run(spark, config("input.path=" + in, "input.format=csv",
        "input.csv.delimiter=tab", "buildTasks.out=" + dir.resolve("out"), "tasks.supportSize=2",
        "split.validation=0", "split.test=0"));
    assertEquals(List.of(1, 2), ints(tasks(dir.resolve("out")).get("u1"), "support_items"));
  }

  @Test
  void aLogWithoutTimesBuildsWithRandomOrderingAndIsRefusedNamingTheKeyWithTimeOrdering(
      @TempDir Path dir) throws Exception {
    // Play counts without a timestamp column, as implicit feedback.
    StringBuilder sb = new StringBuilder("user_id,item_id\n");
    for (int u = 0; u < 6; u++) {
      for (int i = 1; i <= 5; i++) {
        sb.append('u').append(u).append(",i").append((u + i) % 7).append('\n');
      }
    }
    Path in = write(dir, "plays.csv", sb.toString());
    JobFailedException e = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "input.feedback=implicit",
            "buildTasks.out=" + dir.resolve("timed"))));
    assertTrue(e.getMessage().contains("no column 'timestamp' (input.columns.timestamp)")
        && e.getMessage().contains("tasks.ordering=random"), e.getMessage());
    String[] random = {"input.path=" + in, "input.format=csv", "input.feedback=implicit",
        "tasks.ordering=random", "tasks.supportSize=2", "split.validation=0", "split.test=0"};
    BuildTasksJob.run(spark, config(io.metarec.testing.TestSpark.with(random,
        "buildTasks.out=" + dir.resolve("a"))));
    BuildTasksJob.run(spark, config(io.metarec.testing.TestSpark.with(random,
        "buildTasks.out=" + dir.resolve("b"))));
    assertEquals(6, tasks(dir.resolve("a")).size());
    for (String u : tasks(dir.resolve("a")).keySet()) {
      assertEquals(ints(tasks(dir.resolve("a")).get(u), "support_items"),
          ints(tasks(dir.resolve("b")).get(u), "support_items"), "the seeded order repeats: " + u);
    }
    // An explicit "" says the same.
    BuildTasksJob.run(spark, config(io.metarec.testing.TestSpark.with(random,
        "input.columns.timestamp=\"\"", "buildTasks.out=" + dir.resolve("c"))));
    JobFailedException t = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(spark,
        config("input.path=" + in, "input.format=csv", "input.feedback=implicit",
            "input.columns.timestamp=\"\"", "buildTasks.out=" + dir.resolve("d"))));
    assertTrue(t.getMessage().contains("tasks.ordering=random"), t.getMessage());
  }

  @Test
  void aCountColumnWeighsEachImplicitEventByLog2OfOnePlusItsSummedCount(@TempDir Path dir)
      throws Exception {
    StringBuilder csv = new StringBuilder("user_id,item_id,plays,timestamp\n");
    for (int u = 0; u < 20; u++) {
      for (int i = 0; i < 5; i++) {
        csv.append('u').append(u).append(",i").append(i).append(',').append(1 + (u + i) % 4)
            .append(',').append(1000 + i).append('\n');
      }
    }
    // u0 plays i0 again later: its counts add up (1 + 6 = 7, weight 3) at the latest time.
    csv.append("u0,i0,6,2000\n")
        .append("u1,i7,,5\n")          // missing_weight
        .append("u1,i7,lots,5\n")      // unparseable_weight
        .append("u1,i7,Infinity,5\n")  // unparseable_weight
        .append("u1,i7,0,5\n")         // weight_not_positive
        .append("u1,i7,-2,5\n");       // weight_not_positive
    Path in = write(dir, "plays.csv", csv.toString());
    Path out = dir.resolve("out");
    String[] common = {"input.path=" + in, "input.format=csv", "input.feedback=implicit",
        "tasks.supportSize=2", "split.validation=0", "split.test=0",
        "input.maxRejectFraction=0.1"};
    Map<String, Object> stats = BuildTasksJob.run(spark, config(TestSpark.with(common,
        "input.columns.weight=plays", "buildTasks.out=" + out)));
    @SuppressWarnings("unchecked")
    Map<String, Object> rows = (Map<String, Object>) stats.get("rows");
    assertEquals(5L, rows.get("rejected"));
    assertEquals(Map.of("missing_weight", 1L, "unparseable_weight", 2L,
        "weight_not_positive", 2L), rejectsByReason(out).entrySet().stream().collect(
            java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> (long) e.getValue().size())));
    Map<String, Integer> items = vocab(out, "item");
    for (Map.Entry<String, Row> e : tasks(out).entrySet()) {
      int u = Integer.parseInt(e.getKey().substring(1));
      Row t = e.getValue();
      List<Integer> all = new java.util.ArrayList<>(ints(t, "support_items"));
      all.addAll(ints(t, "query_items"));
      List<Float> labels = new java.util.ArrayList<>(t.getList(t.fieldIndex("support_labels")));
      labels.addAll(t.getList(t.fieldIndex("query_labels")));
      assertEquals(5, all.size(), e.getKey());
      for (int r = 0; r < all.size(); r++) {
        int i = -1;
        for (int k = 0; k < 5; k++) {
          if (items.get("i" + k).equals(all.get(r))) {
            i = k;
          }
        }
        double count = 1 + (u + i) % 4 + (u == 0 && i == 0 ? 6 : 0);
        // The weight serving gives the same count, to the bit.
        assertEquals(io.metarec.kernel.Losses.confidenceOfCount(count), labels.get(r), 0f,
            e.getKey() + " i" + i);
      }
    }
    Row u0 = tasks(out).get("u0");
    assertEquals(items.get("i0"), ints(u0, "query_items").get(ints(u0, "query_items").size() - 1),
        "the summed event keeps the latest time");
    assertEquals(3f, u0.<Float>getList(u0.fieldIndex("query_labels")).get(2), 0f);

    // Unweighted, every event is 1, whatever the column holds.
    BuildTasksJob.run(spark, config(TestSpark.with(common, "buildTasks.out=" + dir.resolve("u"))));
    for (Row t : tasks(dir.resolve("u")).values()) {
      assertTrue(t.<Float>getList(t.fieldIndex("support_labels")).stream().allMatch(x -> x == 1f));
    }
    // A weight column that is not there is named with its key.
    JobFailedException missing = assertThrows(JobFailedException.class, () -> BuildTasksJob.run(
        spark, config(TestSpark.with(common, "input.columns.weight=count",
            "buildTasks.out=" + dir.resolve("m")))));
    assertTrue(missing.getMessage().contains("'count' (input.columns.weight)"),
        missing.getMessage());
  }
}
