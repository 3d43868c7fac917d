package io.metarec.jobs.pipeline;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.report.EvalReport;
import io.metarec.report.MethodResult;
import io.metarec.report.ReportWriter;
import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nights against one registry, in order: the first night promotes, a rerun only reports, the
 * second night (new users and new items) warm-starts and is compared with the current model on
 * its vocabulary, a clearly worse candidate is rejected and latest stays, a failed night changes
 * nothing and its rerun resumes, and old versions are pruned.
 */
class NightlyJobTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path dir;
  private static Path log;

  /**
   * A CSV log: users 0..179 rate on 2026-11-01 (items 0..59), users 180..259 on 2026-11-02 (items
   * 0..79: 60..79 are new that day); ratings from user and item biases and a latent taste.
   */
  @BeforeAll
  static void writeLog() throws Exception {
    Random rnd = new Random(7);
    double[] itemBias = new double[80];
    double[] itemTaste = new double[80];
    for (int i = 0; i < 80; i++) {
      itemBias[i] = rnd.nextGaussian() * 0.6;
      itemTaste[i] = rnd.nextGaussian();
    }
    StringBuilder sb = new StringBuilder("user_id,item_id,rating,timestamp\n");
    for (int u = 0; u < 260; u++) {
      boolean late = u >= 180;
      long day = LocalDate.of(2026, 11, late ? 2 : 1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
      int items = late ? 80 : 60;
      double bias = rnd.nextGaussian() * 0.5;
      double taste = rnd.nextGaussian();
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      int n = 20 + rnd.nextInt(10);
      for (int k = 0; k < n; k++) {
        int i = rnd.nextInt(items);
        if (!seen.add(i)) {
          continue;
        }
        double r = 3.5 + bias + itemBias[i] + 0.7 * taste * itemTaste[i] + rnd.nextGaussian() * 0.4;
        long rating = Math.max(1, Math.min(5, Math.round(r)));
        sb.append('u').append(u).append(",i").append(i).append(',').append(rating).append(',')
            .append(day + 60L * k).append('\n');
      }
    }
    log = dir.resolve("log.csv");
    Files.writeString(log, sb.toString());
  }

  private static String[] night(String date, String... more) {
    return TestSpark.with(new String[] {"nightly.root=" + dir.resolve("registry"),
        "nightly.date=" + date, "nightly.keep=2", "input.path=" + log, "input.format=csv",
        "split.test=0.25", "tasks.supportSize=5", "model.embeddingDim=8", "model.hidden=[16]",
        "model.userDim=8", "meta.tasksPerIteration=64", "meta.iterations=10",
        "train.partitions=4", "train.validateEvery=5", "train.progressEvery=5",
        "evaluate.ks=[5, 10]", "evaluate.steps=[]", "evaluate.baselines=[bias]",
        "nightly.k=10", "nightly.tolerance=1.0"}, more);
  }

  private static String latestVersion() {
    NightlyJob.Latest l = NightlyJob.latest(SPARK.sparkContext().hadoopConfiguration(),
        dir.resolve("registry").toString());
    return l == null ? null : l.version();
  }

  @Test
  void nightsPromoteRejectFailAndPrune() throws Exception {
    Path registry = dir.resolve("registry");

    // Night 1: nothing to compare with, promoted.
    NightlyJob.Result n1 = NightlyJob.run(SPARK, config(night("2026-11-01")));
    assertTrue(n1.promoted());
    assertTrue(Double.isNaN(n1.current()));
    assertEquals("2026-11-01", latestVersion());
    Path v1 = registry.resolve("versions/2026-11-01");
    for (String f : List.of("model/model.json", "model/params.bin", "report/metrics.json",
        "report/report.html", "nightly.json")) {
      assertTrue(Files.exists(v1.resolve(f)), f);
    }
    String latestJson = Files.readString(registry.resolve("latest.json"));

    // Rerun of the same night: reported, nothing written.
    NightlyJob.Result again = NightlyJob.run(SPARK, config(night("2026-11-01")));
    assertTrue(again.alreadyDone());
    assertEquals(n1.candidate(), again.candidate());
    assertEquals(latestJson, Files.readString(registry.resolve("latest.json")));

    // Night 2: new users and items; warm start, compared with the current model, promoted.
    NightlyJob.Result n2 = NightlyJob.run(SPARK, config(night("2026-11-02")));
    assertTrue(n2.promoted(), NightlyJob.describe(n2));
    assertFalse(Double.isNaN(n2.current()), "the current model was scored on the new vocabulary");
    assertEquals("2026-11-02", latestVersion());
    EvalReport r2 = ReportWriter.read(registry.resolve("versions/2026-11-02/report/metrics.json"));
    assertEquals(List.of("meta", "current", "bias"),
        r2.methods().stream().map(MethodResult::name).toList());

    // Night 3: a candidate that does not adapt (no steps, no solve, and no selection on the
    // validation users to give it an adaptation) is clearly worse than the current model: rejected.
    NightlyJob.Result n3 = NightlyJob.run(SPARK, config(night("2026-11-03", "inner.steps=0",
        "inner.userSolver=sgd", "train.selectAdaptation.enabled=false", "meta.outerLr=1e-9",
        "meta.iterations=1", "nightly.tolerance=0")));
    assertFalse(n3.promoted(), NightlyJob.describe(n3));
    assertTrue(n3.candidate() > n3.current(), NightlyJob.describe(n3));
    assertEquals("2026-11-02", latestVersion());
    assertTrue(Files.exists(registry.resolve("versions/2026-11-03/nightly.json")));

    // keep = 2: the oldest version and its run are gone.
    assertFalse(Files.exists(registry.resolve("versions/2026-11-01")));
    assertFalse(Files.exists(registry.resolve("runs/2026-11-01")));

    // Night 4 fails at the gate (a metric the report lacks): latest and versions untouched.
    JobFailedException e = assertThrows(JobFailedException.class, () -> NightlyJob.run(SPARK,
        config(night("2026-11-04", "nightly.metric=auc"))));
    assertTrue(e.getMessage().contains("auc"), e.getMessage());
    assertEquals("2026-11-02", latestVersion());
    assertFalse(Files.exists(registry.resolve("versions/2026-11-04")));
    long modelTime = Files.getLastModifiedTime(registry.resolve("runs/2026-11-04/model/params.bin"))
        .toMillis();
    // Its rerun reuses the night's finished stages.
    NightlyJob.Result n4 = NightlyJob.run(SPARK, config(night("2026-11-04")));
    assertEquals(modelTime, Files.getLastModifiedTime(
        registry.resolve("runs/2026-11-04/model/params.bin")).toMillis());
    assertTrue(n4.promoted(), NightlyJob.describe(n4));
    assertEquals("2026-11-04", latestVersion());

    // Night 5 dies in train after its checkpoint at iteration 5 (warm-started from latest): its
    // rerun with the same command resumes the night's training.
    io.metarec.testing.FaultInjection.inject(SPARK.sparkContext(), "failEvery:7:0");
    try {
      assertThrows(Exception.class, () -> NightlyJob.run(SPARK, config(night("2026-11-05",
          "train.checkpointEvery=5"))));
    } finally {
      io.metarec.testing.FaultInjection.inject(SPARK.sparkContext(), null);
    }
    assertTrue(Files.exists(registry.resolve(
        "runs/2026-11-05/model.checkpoints/ckpt-000000000005/state.bin")));
    NightlyJob.Result n5 = NightlyJob.run(SPARK, config(night("2026-11-05",
        "train.checkpointEvery=5")));
    assertFalse(n5.alreadyDone());
    assertTrue(Files.exists(registry.resolve("versions/2026-11-05/nightly.json")));
  }
}
