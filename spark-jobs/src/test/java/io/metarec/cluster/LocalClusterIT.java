package io.metarec.cluster;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.GenerateJob;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.testing.FaultInjection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training across real executor JVMs: Spark's {@code local-cluster[2,1,1024]} master starts a
 * standalone master, two workers and one executor JVM per worker on this machine, the way a
 * cluster runs the job. The reference is the same training in {@code local[2]} (one JVM), run
 * first in this JVM (a JVM holds one SparkContext at a time). Both runs use the same partition
 * count, so the deterministic aggregation (accumulators summed in partition order) makes them equal
 * bit for bit, whichever {@code train.exchange} carries θ and the accumulators.
 *
 * <p>Needs {@code SPARK_HOME} (a folder this test fills: {@code jars/} with the test class path and
 * a {@code RELEASE} file) and {@code SPARK_SCALA_VERSION=2.12} in the environment, as the
 * failsafe configuration of {@code spark-jobs/pom.xml} sets them; without them the workers cannot
 * build the executors' class path.
 */
@Tag("local-cluster")
class LocalClusterIT {
  @TempDir static Path dir;
  private static Path tasks;
  private static TrainJob.Result reference;
  private static TrainJob.Result referenceTwoPartitions;
  private static SparkSession cluster;

  private static String[] training(Path model, String... more) {
    return io.metarec.testing.TestSpark.with(new String[] {"train.tasks=" + tasks, "train.model=" + model,
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8",
        "meta.tasksPerIteration=64", "meta.outerLr=0.01", "meta.iterations=8",
        "train.partitions=4", "train.patience=0", "train.validateEvery=4",
        "train.checkpointEvery=4", "train.progressEvery=4"}, more);
  }

  /** Two partitions, one per executor core, exchanged in training rounds. */
  private static final String[] ROUNDS = {"train.partitions=2", "train.exchange=rounds"};

  @BeforeAll
  static void referenceInOneJvm() {
    SparkSession local = builder().master("local[2]").getOrCreate();
    try {
      Path gen = dir.resolve("gen");
      GenerateJob.run(local, config("generate.out=" + gen, "generate.size=tiny",
          "generate.users=300"));
      tasks = dir.resolve("tasks");
      BuildTasksJob.run(local, config("input.path=" + gen.resolve("interactions"),
          "input.userFeatures.path=" + gen.resolve("users"),
          "input.itemFeatures.path=" + gen.resolve("items"), "buildTasks.out=" + tasks,
          "tasks.supportSize=5", "split.validation=0.2"));
      reference = TrainJob.run(local, config(training(dir.resolve("reference"))));
      referenceTwoPartitions = TrainJob.run(local, config(training(dir.resolve("reference2"),
          "train.partitions=2", "train.exchange=jobs")));
    } finally {
      local.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.stop();
    }
  }

  @Test
  void twoExecutorJvmsTrainTheSameModelAsOneJvm() throws IOException {
    SparkSession cluster = cluster();
    Set<String> executors = executorProcesses(cluster);
    assertEquals(2, executors.size(), "executor JVMs " + executors);
    assertTrue(!executors.contains(driverProcess()), "executors run outside the driver JVM");

    TrainJob.Result r = TrainJob.run(cluster, config(training(dir.resolve("cluster"))));
    assertEquals(reference.iterations(), r.iterations());
    assertTrue(reference.theta().bitEquals(r.theta()), "local-cluster vs local[2]");
    assertTrue(Files.exists(dir.resolve("cluster").resolve("params.bin")));
  }

  @Test
  void losingAnExecutorMidTrainingChangesNothing() throws Exception {
    SparkSession cluster = cluster();
    AtomicInteger removed = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
        removed.incrementAndGet();
      }
    };
    cluster.sparkContext().addSparkListener(listener);
    Path marker = dir.resolve("executor-killed");
    FaultInjection.inject(cluster.sparkContext(), "kill:5:" + marker);
    TrainJob.Result r;
    try {
      r = TrainJob.run(cluster, config(training(dir.resolve("killed"))));
    } finally {
      FaultInjection.inject(cluster.sparkContext(), null);
      cluster.sparkContext().listenerBus().waitUntilEmpty(10_000);
      cluster.sparkContext().removeSparkListener(listener);
    }
    assertTrue(Files.exists(marker), "an executor JVM halted in iteration 5");
    assertTrue(removed.get() >= 1, "the driver saw the executor go");
    assertTrue(reference.theta().bitEquals(r.theta()), "a run that lost an executor vs local[2]");
  }

  @Test
  void roundsAcrossExecutorJvmsTrainTheSameModelAsJobsInOneJvm() throws IOException {
    TrainJob.Result r = TrainJob.run(cluster(), config(training(dir.resolve("rounds"), ROUNDS)));
    assertTrue(referenceTwoPartitions.theta().bitEquals(r.theta()),
        "rounds on local-cluster vs one job per iteration on local[2]");
  }

  @Test
  void losingAnExecutorInARoundChangesNothing() throws Exception {
    SparkSession cluster = cluster();
    Path marker = dir.resolve("executor-killed-in-a-round");
    FaultInjection.inject(cluster.sparkContext(), "kill:5:" + marker);
    TrainJob.Result r;
    try {
      r = TrainJob.run(cluster, config(training(dir.resolve("killed-round"), ROUNDS)));
    } finally {
      FaultInjection.inject(cluster.sparkContext(), null);
    }
    assertTrue(Files.exists(marker), "an executor JVM halted in iteration 5");
    assertTrue(r.exchange().failedRounds() >= 1, "the lost executor broke a round: " + r.exchange());
    // The round broke; a new round (on the executor the worker started in its place) redid
    // iteration 5 from the same θ.
    assertTrue(referenceTwoPartitions.theta().bitEquals(r.theta()),
        "a round that lost an executor vs local[2]");
  }

  /** The one local-cluster session of this JVM (started by the first test that needs it). */
  private static synchronized SparkSession cluster() throws IOException {
    if (cluster != null) {
      return cluster;
    }
    prepareSparkHome();
    cluster = builder()
        .master("local-cluster[2,1,1024]")
        .config("spark.executor.memory", "1024m")
        .config("spark.executor.extraJavaOptions", System.getProperty("metarec.java17.opens", ""))
        // a lost executor fails its running task; let it be retried elsewhere
        .config("spark.task.maxFailures", 4)
        .config("spark.stage.maxConsecutiveAttempts", 4)
        .getOrCreate();
    return cluster;
  }

  private static SparkSession.Builder builder() {
    return io.metarec.testing.TestSpark.builder("metarec-local-cluster-it");
  }

  /**
   * Fills {@code $SPARK_HOME}: {@code jars/} links every jar of this JVM's class path and packs
   * every class folder (the project's own classes and test classes) into a jar, so the executors
   * load exactly the driver's classes; plus the {@code RELEASE} file that marks a distribution.
   */
  private static void prepareSparkHome() throws IOException {
    String home = System.getenv("SPARK_HOME");
    if (home == null || !"2.12".equals(System.getenv("SPARK_SCALA_VERSION"))) {
      throw new IllegalStateException("LocalClusterIT needs SPARK_HOME and SPARK_SCALA_VERSION=2.12 "
          + "in the environment (the failsafe configuration of spark-jobs/pom.xml sets them)");
    }
    ClusterClassPath.fill(Path.of(home), System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")));
  }

  /** The process ids of the JVMs that run this session's tasks. */
  private static Set<String> executorProcesses(SparkSession s) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(s.sparkContext());
    // Wait until both executors registered, then spread enough tasks to reach both.
    long deadline = System.currentTimeMillis() + 120_000;
    while (s.sparkContext().getExecutorMemoryStatus().size() < 3
        && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    List<String> pids = jsc.parallelize(List.of(1, 2, 3, 4, 5, 6, 7, 8), 8)
        .map(i -> {
          Thread.sleep(300);
          return String.valueOf(ProcessHandle.current().pid());
        })
        .collect();
    return new TreeSet<>(pids);
  }

  private static String driverProcess() {
    return String.valueOf(ProcessHandle.current().pid());
  }
}
