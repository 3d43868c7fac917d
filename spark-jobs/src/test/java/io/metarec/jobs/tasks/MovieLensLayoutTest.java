package io.metarec.jobs.tasks;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three MovieLens layouts, on tiny fixture folders written by the tests. */
class MovieLensLayoutTest {
  private final SparkSession spark = TestSpark.session();

  private Map<String, Object> build(Path in, Path out) {
    return BuildTasksJob.run(spark, config("input.path=" + in, "input.format=movielens",
        "buildTasks.out=" + out, "tasks.supportSize=2", "split.validation=0", "split.test=0"));
  }

  private static Map<String, Integer> vocab(Path out, String name) {
    return TestSpark.vocab(out, name);
  }

  @Test
  void ml100k(@TempDir Path dir) throws Exception {
    Path ml = Files.createDirectories(dir.resolve("ml-100k"));
    Files.writeString(ml.resolve("u.data"),
        "1\t10\t5\t881250949\n1\t20\t3\t881250950\n1\t30\t4\t881250951\n"
            + "2\t10\t2\t881250000\n2\t30\t1\t881250001\n2\t20\t5\t881250002\n");
    Files.writeString(ml.resolve("u.user"), "1|24|M|technician|85711\n2|53|F|other|94043\n");
    String flagsAction = "|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
    String flagsComedyDrama = "|0|0|0|0|0|1|0|0|1|0|0|0|0|0|0|0|0|0|0";
    Files.write(ml.resolve("u.item"), ("10|Toy Story (1995)|01-Jan-1995||http://x" + flagsAction
        + "\n20|Caf\u00e9 (1994)|01-Jan-1994||http://y" + flagsComedyDrama
        + "\n30|Old (1950)|01-Jan-1950||http://z" + flagsAction + "\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    Path out = dir.resolve("out");
    Map<String, Object> stats = build(ml, out);
    assertEquals(2L, stats.get("tasks"));
    assertEquals(Map.of("18-24", 1, "50-55", 2), vocab(out, "user.age_band"));
    assertTrue(vocab(out, "user.occupation").containsKey("technician"));
    assertEquals(Map.of("8", 1, "9", 2), vocab(out, "user.region"));
    Map<String, Integer> genres = vocab(out, "item.genres");
    assertEquals(java.util.Set.of("Action", "Comedy", "Drama"), genres.keySet());
    assertEquals(java.util.Set.of("1990s", "1950s"), vocab(out, "item.decade").keySet());
    Row item20 = spark.read().parquet(out.resolve("items").toString())
        .filter("item_id = '20'").first();
    List<List<Integer>> f = TestSpark.nested(item20, "features");
    assertEquals(2, f.get(0).size(), "Comedy and Drama");
    Row u1 = spark.read().parquet(out.resolve("tasks").toString()).filter("user_id = '1'").first();
    List<Integer> support = u1.getList(u1.fieldIndex("support_items"));
    Map<String, Integer> items = vocab(out, "item");
    assertEquals(List.of(items.get("10"), items.get("20")), support);
  }

  @Test
  void ml1m(@TempDir Path dir) throws Exception {
    Path ml = Files.createDirectories(dir.resolve("ml-1m"));
    Files.writeString(ml.resolve("ratings.dat"),
        "1::1193::5::978300760\n1::661::3::978302109\n1::914::3::978301968\n");
    Files.writeString(ml.resolve("users.dat"), "1::F::1::10::48067\n");
    Files.writeString(ml.resolve("movies.dat"),
        "1193::One Flew (1975)::Drama\n661::James (1996)::Animation|Children's|Musical\n"
            + "914::My Fair Lady (1964)::Musical|Romance\n");
    Path out = dir.resolve("out");
    build(ml, out);
    assertEquals(Map.of("<18", 1), vocab(out, "user.age_band"));
    assertEquals(Map.of("F", 1), vocab(out, "user.gender"));
    assertEquals(5, vocab(out, "item.genres").size());
    Row u1 = spark.read().parquet(out.resolve("tasks").toString()).first();
    Map<String, Integer> items = vocab(out, "item");
    // By time: 1193 (978300760), 914 (978301968), 661 (978302109).
    assertEquals(List.of(items.get("1193"), items.get("914")),
        u1.getList(u1.fieldIndex("support_items")));
  }

  @Test
  void mlLatestHasHalfStarsAndNoUserFile(@TempDir Path dir) throws Exception {
    Path ml = Files.createDirectories(dir.resolve("ml-latest-small"));
    Files.writeString(ml.resolve("ratings.csv"), "userId,movieId,rating,timestamp\n"
        + "1,1,4.0,964982703\n1,3,0.5,964981247\n1,6,4.5,964982224\n");
    Files.writeString(ml.resolve("movies.csv"), "movieId,title,genres\n"
        + "1,Toy Story (1995),Adventure|Animation\n3,\"Grumpier Old Men, The (1995)\",Comedy\n"
        + "6,Heat (1995),(no genres listed)\n");
    Path out = dir.resolve("out");
    Map<String, Object> stats = build(ml, out);
    @SuppressWarnings("unchecked")
    Map<String, Object> rows = (Map<String, Object>) stats.get("rows");
    assertEquals(0L, rows.get("rejected"), "0.5 is a valid ml-latest rating");
    assertEquals(java.util.Set.of("Adventure", "Animation", "Comedy"),
        vocab(out, "item.genres").keySet());
    Row heat = spark.read().parquet(out.resolve("items").toString()).filter("item_id = '6'").first();
    List<List<Integer>> f = TestSpark.nested(heat, "features");
    assertEquals(List.of(0), f.get(0), "no genres listed -> unknown");
  }

  @Test
  void folderWithoutAKnownLayoutIsNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("other.txt"), "x");
    JobFailedException e = assertThrows(JobFailedException.class, () -> build(dir, dir.resolve("o")));
    assertTrue(e.getMessage().contains("is not a MovieLens folder"), e.getMessage());
  }
}
