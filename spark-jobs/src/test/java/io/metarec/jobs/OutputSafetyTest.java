package io.metarec.jobs;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.evaluate.EvaluateJob;
import io.metarec.jobs.recommend.RecommendJob;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.train.TrainingListener;
import io.metarec.report.EvalReport;
import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the jobs' outputs guarantee, end to end: an output replaces only a folder MetaRec wrote
 * (older builds' included) and never its own input, two runs never write one output at once, and
 * what Spark ran with is what the report records.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OutputSafetyTest {
  private static final SparkSession SPARK = TestSpark.session();
  private static final String MARKER = "_metarec-output.json";
  private static final String LOCK = "._lock";
  @TempDir static Path shared;
  private static Path tasks;
  private static Path model;

  @BeforeAll
  static void data() {
    tasks = TestSpark.syntheticTasks(shared, 200, "tasks.supportSize=5", "split.validation=0.2",
        "split.test=0.2");
    model = shared.resolve("model");
    TrainJob.run(SPARK, config(train(model, "meta.iterations=4")));
  }

  private static String[] train(Path out, String... more) {
    return TestSpark.with(new String[] {"train.tasks=" + tasks, "train.model=" + out,
        "model.embeddingDim=4", "model.hidden=[8]", "model.userDim=4",
        "meta.tasksPerIteration=32", "train.partitions=2", "train.exchange=jobs",
        "train.validateEvery=2", "train.checkpointEvery=2"}, more);
  }

  /** build-tasks of a four-user CSV log in {@code dir} into {@code out}. */
  private static String[] buildTasks(Path dir, Path out) throws Exception {
    Path log = Files.writeString(dir.resolve("log.csv"), String.join("\n",
        "user_id,item_id,rating,timestamp", "u1,a,5,1", "u1,b,4,2", "u1,c,3,3", "u2,a,4,1",
        "u2,c,2,2", "u2,d,5,3", "u3,b,1,1", "u3,d,3,2", "u3,e,4,3", "u4,a,2,1", "u4,e,5,2",
        "u4,b,3,3") + "\n");
    return new String[] {"input.path=" + log, "input.format=csv", "buildTasks.out=" + out,
        "tasks.supportSize=1"};
  }

  private static boolean anyLeft(Path dir, String infix) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().contains(infix));
    }
  }

  @Test
  void buildTasksDoesNotReplaceAFolderHoldingAUsersFiles(@TempDir Path dir) throws Exception {
    Path out = Files.createDirectories(dir.resolve("p"));
    Files.writeString(out.resolve("notes.txt"), "my notes");
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> BuildTasksJob.run(SPARK, config(buildTasks(dir, out))));
    assertTrue(e.getMessage().startsWith("buildTasks.out file:" + out)
        && e.getMessage().contains("not written by MetaRec")
        && e.getMessage().contains("notes.txt"), e.getMessage());
    assertEquals("my notes", Files.readString(out.resolve("notes.txt")));
    assertFalse(anyLeft(dir, LOCK) || anyLeft(dir, "_staging-"));
  }

  @Test
  void aTaskSetOfAnEarlierBuildIsRebuiltAndGetsItsMarker(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("tasks");
    BuildTasksJob.run(SPARK, config(buildTasks(dir, out)));
    assertTrue(Files.readString(out.resolve(MARKER)).contains("\"kind\" : \"tasks\""));
    Files.delete(out.resolve(MARKER)); // what builds before the marker wrote
    BuildTasksJob.run(SPARK, config(buildTasks(dir, out)));
    assertTrue(Files.readString(out.resolve(MARKER)).contains("\"kind\" : \"tasks\""));
  }

  @Test
  void trainRefusesToWriteItsModelOverItsOwnTaskSet() throws Exception {
    String before = Files.readString(tasks.resolve("features.json"));
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> TrainJob.run(SPARK, config(train(tasks))));
    assertTrue(e.getMessage().startsWith("train.model file:" + tasks)
        && e.getMessage().contains("is the input train.tasks " + tasks), e.getMessage());
    assertEquals(before, Files.readString(tasks.resolve("features.json")));
    assertFalse(anyLeft(shared, "tasks" + LOCK));
  }

  @Test
  void recommendDoesNotReplaceARegularFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("lists.csv"), "user,item\n");
    JobFailedException e = assertThrows(JobFailedException.class, () -> RecommendJob.run(SPARK,
        config("recommend.model=" + model,
            "input.path=" + shared.resolve("gen").resolve("interactions"),
            "recommend.out=" + file)));
    assertTrue(e.getMessage().startsWith("recommend.out file:" + file)
        && e.getMessage().contains("is a file (10 bytes)"), e.getMessage());
    assertEquals("user,item\n", Files.readString(file));
  }

  @Test
  void aSecondTrainIntoTheSameModelIsRefusedWhileTheFirstRuns(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("model");
    CountDownLatch training = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TrainingListener hold = report -> {
      if (report.iteration() == 2) {
        training.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<TrainJob.Result> first = pool.submit(() ->
          TrainJob.run(SPARK, config(train(out, "meta.iterations=4")), hold));
      try {
        while (!training.await(100, TimeUnit.MILLISECONDS)) {
          if (first.isDone()) {
            first.get(); // it failed: say why
          }
        }
        assertTrue(Files.exists(dir.resolve("model" + LOCK)), "held while training");
        JobFailedException e = assertThrows(JobFailedException.class,
            () -> TrainJob.run(SPARK, config(train(out, "meta.iterations=4"))));
        assertTrue(e.getMessage().startsWith("train.model file:" + out)
            && e.getMessage().contains("is being written by run ")
            && e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
      } finally {
        release.countDown();
      }
      TrainJob.Result r = first.get(120, TimeUnit.SECONDS);
      assertEquals(4, r.iterations());
    } finally {
      pool.shutdownNow();
    }
    assertTrue(Files.readString(out.resolve(MARKER)).contains("\"kind\" : \"model\""));
    assertFalse(anyLeft(dir, LOCK), "released when the run ends");
  }

  @Test
  void aTrainingRunThatFailsReleasesItsLockAndStaging(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("model");
    TrainingListener fail = report -> {
      if (report.iteration() == 3) {
        throw new IllegalStateException("stopped at iteration 3");
      }
    };
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TrainJob.run(SPARK, config(train(out, "meta.iterations=4")), fail));
    assertEquals("stopped at iteration 3", e.getMessage());
    assertFalse(anyLeft(dir, LOCK) || anyLeft(dir, "_staging-"));
    assertTrue(Files.isDirectory(dir.resolve("model.checkpoints")), "its checkpoint is kept");
    // The next run of the same output is not blocked.
    TrainJob.run(SPARK, config(train(out, "meta.iterations=2")));
    assertTrue(Files.exists(out.resolve("model.json")));
  }

  @Test
  void theReportRecordsTheMasterSparkRanWith(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report");
    EvaluateJob.Result r = EvaluateJob.run(SPARK, config(TestSpark.with(train(model),
        "evaluate.tasks=" + tasks, "evaluate.models=[\"" + model + "\"]",
        "evaluate.report=" + report, "evaluate.ks=[1, 3]", "evaluate.steps=[]",
        "evaluate.baselines=[global]", "evaluate.partitions=2")));
    String master = SPARK.sparkContext().master();
    EvalReport rep = r.report();
    assertEquals(master, rep.run().get("master"));
    assertTrue(!master.equals(config().spark().master()), "the test runs on another master");
    assertTrue(Files.readString(report.resolve("metrics.json"))
        .contains("\"master\" : \"" + master + "\""));
    String md = Files.readString(report.resolve("report.md"));
    assertTrue(md.contains("- **master**: " + master), md);
    assertTrue(md.contains("**taskSet.config** ("), md);
  }
}
