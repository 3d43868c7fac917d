package io.metarec.testing;

import io.metarec.config.MetaRecConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession of a test JVM (Surefire reuses the fork for every test class), small
 * and quiet: {@code local[2,2]}, no UI, few shuffle partitions, one attempt per stage.
 */
public final class TestSpark {
  private TestSpark() {}

  private static final class Holder {
    static final SparkSession SESSION = builder("metarec-tests")
        // Two threads, and a failed task is retried once (reliability tests inject failures).
        .master("local[2,2]")
        .config("spark.stage.maxConsecutiveAttempts", 1)
        .getOrCreate();
  }

  /**
   * The settings of every test session, without a master: no UI, few shuffle partitions, Kryo
   * with MetaRec's registrator, UTC, the driver on the loopback address. Tests that need a session
   * of their own (another master) start from here, in a JVM without the shared one.
   */
  public static SparkSession.Builder builder(String appName) {
    return SparkSession.builder()
        .appName(appName)
        .config("spark.ui.enabled", false)
        .config("spark.ui.showConsoleProgress", false)
        .config("spark.sql.shuffle.partitions", 4)
        .config("spark.default.parallelism", 4)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", "io.metarec.spark.MetaRecKryoRegistrator")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1");
  }

  /** The shared session; never stop it in a test. */
  public static SparkSession session() {
    return Holder.SESSION;
  }

  /** The defaults with {@code key=value} overrides, validated as the CLI would. */
  public static MetaRecConfig config(String... sets) {
    return MetaRecConfig.load(null, new ArrayList<>(Arrays.asList(sets)), Map.of());
  }

  /** An array&lt;array&lt;int&gt;&gt; column of a row as Java lists. */
  public static List<List<Integer>> nested(org.apache.spark.sql.Row r, String col) {
    List<List<Integer>> out = new ArrayList<>();
    for (Object o : r.getList(r.fieldIndex(col))) {
      @SuppressWarnings("unchecked")
      scala.collection.Seq<Integer> seq = (scala.collection.Seq<Integer>) o;
      out.add(new ArrayList<>(scala.collection.JavaConverters.seqAsJavaList(seq)));
    }
    return out;
  }

  /** A vocabulary written by build-tasks ({@code <out>/vocab/<name>}) as value → index. */
  public static java.util.Map<String, Integer> vocab(java.nio.file.Path out, String name) {
    java.util.Map<String, Integer> m = new java.util.HashMap<>();
    for (org.apache.spark.sql.Row r : session().read()
        .parquet(out.resolve("vocab").resolve(name).toString()).collectAsList()) {
      m.put(r.getString(0), r.getInt(1));
    }
    return m;
  }

  /**
   * A tiny synthetic task set with user and item features: {@code generate} (size tiny, with
   * {@code users} users, 0 = the preset's) into {@code dir/gen}, then {@code build-tasks} into
   * {@code dir/tasks} with the given extra {@code key=value} settings. Returns the tasks folder.
   */
  public static java.nio.file.Path syntheticTasks(java.nio.file.Path dir, int users,
      String... buildSets) {
    return syntheticTasks(dir, new String[] {"generate.users=" + users}, buildSets);
  }

  /**
   * {@link #syntheticTasks(java.nio.file.Path, int, String...)} with the given {@code generate}
   * settings over the tiny preset (e.g. {@code generate.items}, {@code generate.feedback}).
   */
  public static java.nio.file.Path syntheticTasks(java.nio.file.Path dir, String[] generateSets,
      String... buildSets) {
    java.nio.file.Path gen = dir.resolve("gen");
    io.metarec.jobs.GenerateJob.run(session(), config(with(new String[] {
        "generate.out=" + gen, "generate.size=tiny"}, generateSets)));
    java.nio.file.Path tasks = dir.resolve("tasks");
    io.metarec.jobs.tasks.BuildTasksJob.run(session(), config(with(new String[] {
        "input.path=" + gen.resolve("interactions"),
        "input.userFeatures.path=" + gen.resolve("users"),
        "input.itemFeatures.path=" + gen.resolve("items"), "buildTasks.out=" + tasks}, buildSets)));
    return tasks;
  }

  /** Copies the folder {@code from} (files and folders) to {@code to}. */
  public static void copyTree(java.nio.file.Path from, java.nio.file.Path to)
      throws java.io.IOException {
    try (var walk = java.nio.file.Files.walk(from)) {
      for (java.nio.file.Path p : walk.toList()) {
        java.nio.file.Path t = to.resolve(from.relativize(p).toString());
        if (java.nio.file.Files.isDirectory(p)) {
          java.nio.file.Files.createDirectories(t);
        } else {
          java.nio.file.Files.copy(p, t);
        }
      }
    }
  }

  /** A list of {@code key=value} strings plus more. */
  public static String[] with(String[] base, String... more) {
    List<String> all = new ArrayList<>(Arrays.asList(base));
    all.addAll(Arrays.asList(more));
    return all.toArray(new String[0]);
  }
}
