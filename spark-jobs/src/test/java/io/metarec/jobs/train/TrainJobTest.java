package io.metarec.jobs.train;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.testing.FaultInjection;
import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training job on a tiny synthetic task set, with a small model so that it runs in seconds. */
class TrainJobTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Path tasks;

  @BeforeAll
  static void data() {
    tasks = TestSpark.syntheticTasks(shared, 400, "tasks.supportSize=5", "split.validation=0.2",
        "split.test=0.1");
  }

  private static String[] small(Path model, String... more) {
    return TestSpark.with(new String[] {"train.tasks=" + tasks, "train.model=" + model,
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8",
        "meta.tasksPerIteration=64", "meta.outerLr=0.01", "train.partitions=4",
        "train.validateEvery=5", "train.checkpointEvery=5", "train.progressEvery=5"}, more);
  }

  @Test
  void trainingBeatsTheUntrainedAndTheUnadaptedModel(@TempDir Path dir) {
    Path model = dir.resolve("model");
    // Validated at each task's own split (support 5): the margins below are of the whole query.
    TrainJob.Result r = TrainJob.run(SPARK, config(small(model, "meta.iterations=100",
        "train.validationSupports=[]")));
    assertTrue(Files.exists(model.resolve("model.json")));
    assertTrue(Files.exists(model.resolve("params.bin")));
    assertTrue(Files.exists(model.resolve("metrics.csv")));
    assertTrue(Files.exists(model.resolve("vocab").resolve("features.json")));
    double trained = r.best().mae();

    // The same task set scored with the untrained initialization and with the trained model
    // without adaptation (0 inner steps), through the same validation code.
    Path untrained = dir.resolve("untrained");
    // (The learned prior strength has a step size of its own: frozen as well.)
    TrainJob.Result u = TrainJob.run(SPARK, config(small(untrained, "meta.iterations=1",
        "meta.outerLr=1e-9", "meta.priorLr=1e-9", "train.validationSupports=[]")));
    Path frozen = dir.resolve("frozen");
    TrainJob.Result f = TrainJob.run(SPARK, config(small(frozen, "meta.iterations=1",
        "meta.outerLr=1e-9", "meta.priorLr=1e-9", "train.initFrom=" + model, "inner.steps=0",
        "inner.userSolver=sgd", "train.validationSupports=[]")));
    System.out.printf("trained %.4f untrained %.4f unadapted %.4f%n", trained, u.best().mae(),
        f.best().mae());
    // "Untrained" starts from μ and shrunk item biases, with the MLP's output layer at zero, and
    // solves the user part exactly (b_u and u by ridge regression): it is already the bias
    // baseline's fold-in, so what training adds is the MLP, the factors and the prior strength; on
    // 280 training users 0.5% is real progress (the runs are deterministic: measured 1.1% after 100
    // iterations, 0.48% after 60). Without adaptation the same parameters are far worse.
    assertTrue(trained < 0.995 * u.best().mae(),
        "trained MAE " + trained + " vs untrained " + u.best().mae());
    assertTrue(trained < 0.95 * f.best().mae(),
        "adapted MAE " + trained + " vs no adaptation " + f.best().mae());
  }

  @Test
  void theAdaptationIsChosenOnTheValidationUsersAndRecordedForEveryUserOfTheModel(@TempDir Path dir)
      throws Exception {
    com.typesafe.config.Config defaults = io.metarec.config.TrainSettings.withDefaults(
        com.typesafe.config.ConfigFactory.empty()).getConfig("inner");
    // A model trained without adaptation (0 inner steps) on a set where adapting helps by more
    // than 5% (the test above): the grid [0, 5] steps, as listed (no widening), must pick 5, and
    // model.json says so.
    Path model = dir.resolve("model");
    // SGD steps on the user part, so that steps are a choice.
    String[] sgd = {"meta.iterations=30", "inner.steps=0", "inner.userSolver=sgd",
        "train.selectAdaptation.steps=[0, 5]", "train.selectAdaptation.lrScales=[1.0]",
        "train.selectAdaptation.priorScales=[]", "train.selectAdaptation.widenings=0"};
    TrainJob.run(SPARK, config(small(model, TestSpark.with(sgd,
        "train.selectAdaptation.enabled=true"))));
    io.metarec.io.ModelManifest m = io.metarec.io.ModelManifest.parse(
        Files.readString(model.resolve("model.json")), "model.json");
    assertEquals(5, m.innerLoop(defaults, "model.json").steps(), "the chosen adaptation");
    // Chosen per support size (train.validationSupports follows evaluate.ks): every size of the
    // validation has a setting, and the largest ones adapt.
    io.metarec.config.AdaptationPlan plan = m.adaptationPlan(defaults, "model.json");
    assertTrue(plan.perSupport(), "one setting per support size");
    assertEquals(5, plan.forSupport(1000).steps());
    // Without the selection the same run records none and adapts as trained; θ is the same.
    Path plain = dir.resolve("plain");
    TrainJob.run(SPARK, config(small(plain, TestSpark.with(sgd,
        "train.selectAdaptation.enabled=false"))));
    io.metarec.io.ModelManifest p = io.metarec.io.ModelManifest.parse(
        Files.readString(plain.resolve("model.json")), "model.json");
    assertEquals(null, p.adaptation());
    assertEquals(0, p.innerLoop(defaults, "model.json").steps());
    assertTrue(java.util.Arrays.equals(Files.readAllBytes(model.resolve("params.bin")),
        Files.readAllBytes(plain.resolve("params.bin"))), "the selection does not touch θ");
    assertThrows(ConfigValidationException.class, () -> config(small(plain,
        "train.selectAdaptation.lrScales=[0]")).train());
    // With the grid widening at its edge (the default: 3 rounds), 5 steps at the largest step size tried
    // are an edge: twice the steps and twice the step size are tried as well, and here more
    // adaptation is better still: the widened choice is what model.json records, labelled so.
    Path wide = dir.resolve("wide");
    String[] widening = java.util.Arrays.stream(sgd)
        .filter(x -> !x.startsWith("train.selectAdaptation.widenings")).toArray(String[]::new);
    TrainJob.run(SPARK, config(small(wide, TestSpark.with(widening,
        "train.selectAdaptation.enabled=true"))));
    io.metarec.io.ModelManifest w = io.metarec.io.ModelManifest.parse(
        Files.readString(wide.resolve("model.json")), "model.json");
    io.metarec.config.InnerLoopConfig largest = w.adaptationPlan(defaults, "model.json").largest();
    io.metarec.config.InnerLoopConfig listed = m.adaptationPlan(defaults, "model.json").largest();
    assertTrue(largest.steps() * largest.lrUser() > listed.steps() * listed.lrUser(),
        "widened: " + largest + " against " + listed);
    assertTrue(Files.readString(wide.resolve("model.json")).contains("(widened)"));
    assertTrue(java.util.Arrays.equals(Files.readAllBytes(model.resolve("params.bin")),
        Files.readAllBytes(wide.resolve("params.bin"))), "widening does not touch θ either");
  }

  @Test
  void resumedRunEqualsAnUninterruptedOne(@TempDir Path dir) {
    Path straight = dir.resolve("straight");
    TrainJob.Result a = TrainJob.run(SPARK, config(small(straight, "meta.iterations=10",
        "train.patience=0")));
    Path split = dir.resolve("split");
    TrainJob.run(SPARK, config(small(split, "meta.iterations=5", "train.patience=0")));
    // Same settings as the uninterrupted run except the iteration count, which a resume may raise.
    TrainJob.Result b = TrainJob.run(SPARK, config(small(split, "meta.iterations=10",
        "train.patience=0", "train.resume=true")));
    assertEquals(10, b.iterations());
    assertTrue(a.theta().bitEquals(b.theta()), "5 + resume + 5 must equal 10 bit for bit");
  }

  @Test
  void theDistributedRunEqualsTheInProcessRunBitForBit(@TempDir Path dir) {
    // Validation only after the last iteration, so the saved θ is the last one in every run.
    String[] common = {"meta.iterations=6", "train.patience=0", "train.validateEvery=100"};
    MetaRecConfig base = config(small(dir.resolve("unused"), common));
    var hconf = SPARK.sparkContext().hadoopConfiguration();
    io.metarec.store.TaskSet.Spec data = io.metarec.store.TaskSet.spec(hconf, tasks.toString());
    io.metarec.model.ModelSpec spec = base.modelSpec(data.numItems(), data.userFields(),
        data.itemFields(), data.feedback());
    io.metarec.task.ItemFeatureTable items = io.metarec.store.TaskSet.items(SPARK, tasks.toString(), data);
    java.util.List<io.metarec.task.Task> train = io.metarec.store.TaskSet.tasks(SPARK, tasks.toString(), "train")
        .collect();
    java.util.List<io.metarec.task.Task> valid = io.metarec.store.TaskSet.tasks(SPARK, tasks.toString(),
        "validation").collect();
    io.metarec.model.Params init = io.metarec.train.InProcessTraining.initialTheta(spec,
        base.seed(), base.engine(), io.metarec.task.ItemStats.of(train, data.numItems()));
    io.metarec.train.TrainingPolicy policy = io.metarec.train.TrainingPolicy.of(
        base.engine().meta(), base.train());
    for (int parts : new int[] {1, 3, 20}) {
      io.metarec.train.MetaTrainer.Outcome local = io.metarec.train.InProcessTraining.run(train,
          valid, spec, items, base.engine(), policy,
          io.metarec.train.TrainingCheckpoint.fresh(init.copy()), parts, 2,
          io.metarec.train.CheckpointSink.NONE, io.metarec.train.TrainingListener.NONE,
          base.train().validationSupportArray());
      TrainJob.Result jobs = TrainJob.run(SPARK, config(small(dir.resolve("jobs" + parts),
          TestSpark.with(common, "train.partitions=" + parts, "train.exchange=jobs"))));
      assertTrue(local.bestTheta().bitEquals(jobs.theta()), "in-process vs jobs, " + parts
          + " partitions");
      assertEquals(local.state().best().mae(), jobs.best().mae(), 1e-12);
      if (parts <= 2) {
        TrainJob.Result rounds = TrainJob.run(SPARK, config(small(dir.resolve("rounds" + parts),
            TestSpark.with(common, "train.partitions=" + parts, "train.exchange=rounds"))));
        assertTrue(local.bestTheta().bitEquals(rounds.theta()), "in-process vs rounds, " + parts
            + " partitions");
      }
    }
  }

  @Test
  void reshuffledInputRowsGiveTheSameTaskSetAndTheSameModel(@TempDir Path dir) {
    Path gen = shared.resolve("gen");
    Path shuffled = dir.resolve("shuffled");
    SPARK.read().parquet(gen.resolve("interactions").toString())
        .orderBy(org.apache.spark.sql.functions.rand(99)).repartition(7)
        .write().parquet(shuffled.toString());
    String[] build = {"tasks.supportSize=5", "split.validation=0.2", "split.test=0.1"};
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    BuildTasksJob.run(SPARK, config(TestSpark.with(build, "input.path=" + gen.resolve("interactions"),
        "buildTasks.out=" + a)));
    BuildTasksJob.run(SPARK, config(TestSpark.with(build, "input.path=" + shuffled,
        "buildTasks.out=" + b)));
    String[] train = {"meta.iterations=4", "train.patience=0"};
    TrainJob.Result ra = TrainJob.run(SPARK, config(TestSpark.with(small(dir.resolve("ma"), train),
        "train.tasks=" + a)));
    TrainJob.Result rb = TrainJob.run(SPARK, config(TestSpark.with(small(dir.resolve("mb"), train),
        "train.tasks=" + b)));
    assertTrue(ra.theta().bitEquals(rb.theta()), "the input's row order changed the model");
  }

  @Test
  void anotherPartitionCountChangesOnlyTheLastBits(@TempDir Path dir) {
    TrainJob.Result four = TrainJob.run(SPARK, config(small(dir.resolve("four"),
        "meta.iterations=5", "train.patience=0")));
    TrainJob.Result seven = TrainJob.run(SPARK, config(small(dir.resolve("seven"),
        "meta.iterations=5", "train.patience=0", "train.partitions=7")));
    // More than MetaBatch.DIRECT_MERGE_PARTITIONS: summed through treeMerge's groups.
    TrainJob.Result twenty = TrainJob.run(SPARK, config(small(dir.resolve("twenty"),
        "meta.iterations=5", "train.patience=0", "train.partitions=20")));
    float[] a = four.theta().flatten();
    float[] b = seven.theta().flatten();
    float[] c = twenty.theta().flatten();
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i] - c[i])));
    }
    // Same tasks in every meta-batch (membership does not depend on placement); only the order
    // of the float sums differs.
    assertTrue(worst < 1e-4, "largest difference " + worst);
  }

  @Test
  void theNd4jEngineTrainsLikeTheJvmKernelAndAutoWithoutAGpuIsTheJvmKernel(@TempDir Path dir) {
    // Plain SGD outer steps, so θ differs by the step size times the meta-gradients' rounding.
    // A step size at which the trained θ validates better than the start (which a fresh run also
    // validates, and keeps when no step beats it).
    String[] common = {"meta.iterations=3", "train.patience=0", "meta.outerOptimizer=sgd", "meta.outerLr=0.1",
        // What the ND4J engine implements: SGD steps on the decision layers and the user part;
        // validated at each task's own split, as the engine comparison was measured.
        "inner.userSolver=sgd", "inner.adapt=[decision, user]", "inner.steps=5",
        "meta.resplit.minSupport=5", "meta.resplit.maxSupport=20", "train.validationSupports=[]",
        "train.selectAdaptation.enabled=false",
        // A random output layer: every layer's gradient is non-zero from the first step (the
        // engines are compared on all of them), and three steps beat the start.
        "meta.init.output=glorot"};
    TrainJob.Result jvm = TrainJob.run(SPARK, config(small(dir.resolve("jvm"),
        TestSpark.with(common, "train.engine=jvm"))));
    TrainJob.Result auto = TrainJob.run(SPARK, config(small(dir.resolve("auto"),
        TestSpark.with(common, "train.engine=auto"))));
    TrainJob.Result nd4j = TrainJob.run(SPARK, config(small(dir.resolve("nd4j"),
        TestSpark.with(common, "train.engine=nd4j", "train.engineBlockSize=7"))));
    assertTrue(jvm.theta().bitEquals(auto.theta()), "auto without a GPU is the JVM kernel, bit for bit");
    float[] a = jvm.theta().flatten();
    float[] b = nd4j.theta().flatten();
    float[] start = TrainJob.run(SPARK, config(small(dir.resolve("start"), "meta.iterations=1",
        "meta.outerLr=1e-9", "meta.priorLr=1e-9", "train.patience=0", "meta.init.output=glorot")))
        .theta().flatten();
    double worst = 0;
    double moved = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      moved = Math.max(moved, Math.abs(a[i] - start[i]));
    }
    assertEquals(3, jvm.bestIteration(), "the trained θ is the one saved");
    assertTrue(moved > 1e-3, "training moved θ by " + moved);
    assertTrue(worst < 1e-2 * moved, "largest difference " + worst + ", θ moved " + moved);
  }

  @Test
  void nd4jWithSettingsItDoesNotImplementFailsBeforeTraining(@TempDir Path dir) {
    ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> TrainJob.run(SPARK,
        config(small(dir.resolve("m"), "train.engine=nd4j", "inner.adapt=[embedding]"))));
    assertTrue(e.getMessage().contains("inner.adapt=[embedding]"), e.getMessage());
  }

  @Test
  void aTaskThatFailsOnceIsRetriedAndChangesNothing(@TempDir Path dir) throws Exception {
    TrainJob.Result clean = TrainJob.run(SPARK, config(small(dir.resolve("clean"),
        "meta.iterations=6", "train.patience=0")));
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    TrainJob.Result retried = failingOnce("3:1", reason -> !(reason instanceof org.apache.spark.Success$),
        failed, small(dir.resolve("retried"), "meta.iterations=6", "train.patience=0"));
    assertEquals(1, failed.get(), "exactly the injected task failed");
    assertTrue(clean.theta().bitEquals(retried.theta()));
  }

  /**
   * Trains with the first attempt of {@code target} ({@code iteration:partition}) failing, counting the
   * ended tasks whose reason {@code counts} accepts.
   */
  private static TrainJob.Result failingOnce(String target,
      java.util.function.Predicate<org.apache.spark.TaskEndReason> counts,
      java.util.concurrent.atomic.AtomicInteger count, String[] settings) throws Exception {
    org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
        if (counts.test(end.reason())) {
          count.incrementAndGet();
        }
      }
    };
    SPARK.sparkContext().addSparkListener(listener);
    FaultInjection.inject(SPARK.sparkContext(), "failFirst:" + target);
    try {
      return TrainJob.run(SPARK, config(settings));
    } finally {
      FaultInjection.inject(SPARK.sparkContext(), null);
      SPARK.sparkContext().listenerBus().waitUntilEmpty(10_000);
      SPARK.sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void roundsGiveTheSameBitsAsOneJobPerIteration(@TempDir Path dir) {
    // Two partitions: one per task slot of the test session's local[2,2]. Iterations 0-2 run in
    // one round, the validation after iteration 3 ends it, and iterations 3-5 run in a second one.
    // Validations after 3 and 6 in every run below, so that the split run (3, resume, 3) keeps its
    // best θ by the same validations as the others.
    String[] two = {"meta.iterations=6", "train.patience=0", "train.partitions=2",
        "train.validateEvery=3", "train.checkpointEvery=3"};
    TrainJob.Result jobs = TrainJob.run(SPARK, config(small(dir.resolve("jobs"),
        TestSpark.with(two, "train.exchange=jobs"))));
    TrainJob.Result rounds = TrainJob.run(SPARK, config(small(dir.resolve("rounds"),
        TestSpark.with(two, "train.exchange=rounds"))));
    assertTrue(jobs.theta().bitEquals(rounds.theta()), "rounds vs a job per iteration");
    assertEquals(jobs.best(), rounds.best());
    // Both partitions run in this JVM and share its copy of θ, across both rounds: θ never went
    // out in full; the partitions pulled the rows their shares read.
    assertEquals(0, rounds.exchange().fullThetas(), rounds.exchange().toString());
    assertTrue(rounds.exchange().pulledRows() > 0, rounds.exchange().toString());
    assertTrue(jobs.exchange().fullThetas() >= 1, jobs.exchange().toString());
    // 3 + resume + 3 in rounds equals 6 in jobs.
    Path split = dir.resolve("split");
    TrainJob.run(SPARK, config(small(split, TestSpark.with(two, "train.exchange=rounds",
        "meta.iterations=3"))));
    TrainJob.Result resumed = TrainJob.run(SPARK, config(small(split, TestSpark.with(two,
        "train.exchange=rounds", "train.resume=true"))));
    assertTrue(jobs.theta().bitEquals(resumed.theta()), "3 + resume + 3 in rounds vs 6 in jobs");
  }

  @Test
  void aConnectionWithoutTheRunsSecretIsDroppedAndChangesNothing(@TempDir Path dir) throws Exception {
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    String[] two = {"meta.iterations=3", "train.patience=0", "train.partitions=2"};
    TrainJob.Result jobs = TrainJob.run(SPARK, config(small(dir.resolve("jobs"),
        TestSpark.with(two, "train.exchange=jobs"))));
    // After the first iteration (the driver is listening, and training waits here), a stranger
    // answers the driver's challenge without the run's secret and must be hung up on (FIN or RST).
    java.util.concurrent.atomic.AtomicReference<String> stranger =
        new java.util.concurrent.atomic.AtomicReference<>("never connected");
    io.metarec.train.TrainingListener knock = report -> {
      if (report.iteration() == 1) {
        stranger.set(knockWithoutTheSecret(port));
      }
    };
    TrainJob.Result rounds = TrainJob.run(SPARK, config(small(dir.resolve("rounds"),
        TestSpark.with(two, "train.exchange=rounds", "train.exchangePort=" + port))), knock);
    assertEquals("dropped", stranger.get());
    assertEquals(1, rounds.exchange().rejected(), rounds.exchange().toString());
    assertEquals(2, rounds.exchange().authenticated(), "one round of two partitions");
    assertTrue(jobs.theta().bitEquals(rounds.theta()));
  }

  /** Connects, answers the challenge with a response under a wrong secret; says what happened. */
  private static String knockWithoutTheSecret(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      byte[] nonce = RoundWire.readChallenge(in);
      java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
      RoundWire.writeResponse(out, new byte[RoundWire.SECRET_BYTES], nonce, 0x8000_0000_0000_0001L, 0);
      out.flush();
      try {
        return in.read() == -1 ? "dropped" : "answered";
      } catch (java.net.SocketException reset) {
        return "dropped";
      }
    } catch (java.io.IOException e) {
      return "no handshake: " + e;
    }
  }

  @Test
  void aRoundTaskSendingBrokenResultsIsRetriedLikeAFailedTask(@TempDir Path dir) {
    String[] two = {"meta.iterations=6", "train.patience=0", "train.partitions=2",
        "train.exchange=rounds", "train.validateEvery=10"};
    TrainJob.Result clean = TrainJob.run(SPARK, config(small(dir.resolve("clean"), two)));
    for (String kind : new String[] {"junk", "huge"}) {
      FaultInjection.inject(SPARK.sparkContext(), "corrupt:2:1:" + kind);
      try {
        // 16 bytes that are no accumulator, or a length of 2^31 - 1: the driver drops the round
        // (never allocating what the peer claims) and redoes iteration 2 in a new one.
        TrainJob.Result broken = TrainJob.run(SPARK, config(small(dir.resolve(kind), two)));
        assertEquals(1, broken.exchange().failedRounds(), kind);
        assertTrue(clean.theta().bitEquals(broken.theta()), kind);
      } finally {
        FaultInjection.inject(SPARK.sparkContext(), null);
      }
    }
  }

  @Test
  void aRoundThatFailsIsRetriedFromItsIterationAndChangesNothing(@TempDir Path dir) {
    String[] two = {"meta.iterations=6", "train.patience=0", "train.partitions=2",
        "train.exchange=rounds", "train.validateEvery=10"};
    TrainJob.Result clean = TrainJob.run(SPARK, config(small(dir.resolve("clean"), two)));
    assertEquals(0, clean.exchange().failedRounds());
    FaultInjection.inject(SPARK.sparkContext(), "failFirst:3:1");
    TrainJob.Result retried;
    try {
      retried = TrainJob.run(SPARK, config(small(dir.resolve("retried"), two)));
    } finally {
      FaultInjection.inject(SPARK.sparkContext(), null);
    }
    // Counted by the driver, which abandoned the round: how Spark reports the failed task depends
    // on whether the round's cancellation reached it first (ExceptionFailure or TaskKilled).
    assertEquals(1, retried.exchange().failedRounds(), "the injected failure broke one round");
    // The round that failed is abandoned; a new one starts at iteration 3 from the same θ.
    assertTrue(clean.theta().bitEquals(retried.theta()));
  }

  @Test
  void aRoundIterationThatKeepsFailingFailsTheJob(@TempDir Path dir) {
    // The test session's local[2,2] attempts a task twice: iteration 2 of partition 0 fails in
    // every round, so the second attempt ends the job.
    FaultInjection.inject(SPARK.sparkContext(), "failEvery:2:0");
    try {
      JobFailedException e = assertThrows(JobFailedException.class, () -> TrainJob.run(SPARK,
          config(small(dir.resolve("m"), "meta.iterations=4", "train.patience=0",
              "train.partitions=2", "train.exchange=rounds"))));
      assertTrue(e.getMessage().contains("training iteration 2 failed 2 times"), e.getMessage());
    } finally {
      FaultInjection.inject(SPARK.sparkContext(), null);
    }
  }

  @Test
  void roundsAreRefusedWhereTheClusterCannotRunThem(@TempDir Path dir) {
    // train.partitions=4 in small(): more partitions than the 2 task slots of local[2,2].
    ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> TrainJob.run(
        SPARK, config(small(dir.resolve("m"), "train.exchange=rounds"))));
    assertTrue(e.getMessage().contains("train.partitions = 4 exceeds the 2 task slots"),
        e.getMessage());
  }

  @Test
  void aDamagedNewestCheckpointFallsBackToTheOneBefore(@TempDir Path dir) throws Exception {
    Path straight = dir.resolve("straight");
    TrainJob.Result a = TrainJob.run(SPARK, config(small(straight, "meta.iterations=10",
        "train.patience=0")));
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config(small(model, "meta.iterations=10", "train.patience=0")));
    Path ckpts = dir.resolve("model.checkpoints");
    Path newest = ckpts.resolve(String.format("ckpt-%012d", 10));
    assertTrue(Files.exists(ckpts.resolve(String.format("ckpt-%012d", 5))));
    // A write cut off midway: the newest state.bin truncated, plus an unfinished temp folder.
    Path state = newest.resolve("state.bin");
    Files.deleteIfExists(newest.resolve(".state.bin.crc"));
    byte[] bytes = Files.readAllBytes(state);
    Files.write(state, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Files.createDirectories(ckpts.resolve("_tmp-ckpt-000000000015"));
    TrainJob.Result b = TrainJob.run(SPARK, config(small(model, "meta.iterations=10",
        "train.patience=0", "train.resume=true")));
    assertTrue(a.theta().bitEquals(b.theta()), "resumed from iteration 5 and redid 5..10");
  }

  @Test
  void damagedModelFilesAreRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config(small(model, "meta.iterations=2")));
    var conf = SPARK.sparkContext().hadoopConfiguration();
    io.metarec.store.ModelFiles.load(conf, model.toString());

    Path params = model.resolve("params.bin");
    // Hadoop's local file system keeps .crc side files; drop them so that MetaRec's own checks
    // (the CRC32 inside params.bin) are the ones that see the damage.
    Files.deleteIfExists(model.resolve(".params.bin.crc"));
    Files.deleteIfExists(model.resolve(".model.json.crc"));
    try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x5a);
    }
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> io.metarec.store.ModelFiles.load(conf, model.toString()));
    assertTrue(e.getMessage().contains("params.bin"), e.getMessage());
    assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("checksum"),
        e.getMessage());

    String json = Files.readString(model.resolve("model.json"));
    Files.writeString(model.resolve("model.json"),
        json.replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
    JobFailedException newer = assertThrows(JobFailedException.class,
        () -> io.metarec.store.ModelFiles.load(conf, model.toString()));
    assertTrue(newer.getMessage().contains("newer MetaRec"), newer.getMessage());

    Files.writeString(model.resolve("model.json"), json.replace("\"labelMin\" : 1.0,", ""));
    assertEquals(model.resolve("model.json") + ": labelMin must be a number, it is missing",
        loadFails(model));
    Files.writeString(model.resolve("model.json"), json.replace("\"labelMin\" : 1.0",
        "\"labelMin\" : \"one\""));
    assertEquals(model.resolve("model.json") + ": labelMin must be a number, got \"one\"",
        loadFails(model));
    Files.writeString(model.resolve("model.json"), json.replaceFirst("\"shape\" : \\[ 1, 1 \\]",
        "\"shape\" : [ 2, 1 ]"));
    assertTrue(loadFails(model).contains("are not the ones its architecture makes"));
    Files.writeString(model.resolve("model.json"), json);
    Path items = model.resolve("vocab").resolve("items");
    Files.move(items, model.resolve("items-aside"));
    assertEquals("model " + model + " is incomplete: it has no vocab/items (the vocabularies a "
        + "model is trained on are part of its folder)", loadFails(model));
    Files.move(model.resolve("items-aside"), items);

    Files.delete(model.resolve("model.json"));
    assertTrue(loadFails(model).contains("no model.json"));
  }

  private static String loadFails(Path model) {
    return assertThrows(JobFailedException.class, () -> io.metarec.store.ModelFiles.load(
        SPARK.sparkContext().hadoopConfiguration(), model.toString())).getMessage();
  }

  @Test
  void implicitFeedbackTrainsAndReportsAuc(@TempDir Path dir) throws Exception {
    // Clicks of the synthetic users: every interaction is a positive; labels are not read.
    Path gen = shared.resolve("gen");
    Path clicks = dir.resolve("clicks");
    SPARK.read().parquet(gen.resolve("interactions").toString()).drop("rating")
        .write().parquet(clicks.toString());
    Path implicitTasks = dir.resolve("tasks");
    BuildTasksJob.run(SPARK, config("input.path=" + clicks, "input.feedback=implicit",
        "buildTasks.out=" + implicitTasks, "tasks.supportSize=5", "split.validation=0.2"));
    Path model = dir.resolve("model");
    TrainJob.Result r = TrainJob.run(SPARK, config(TestSpark.with(small(model,
        "meta.iterations=10"), "train.tasks=" + implicitTasks)));
    double auc = r.best().auc();
    assertTrue(auc > 0.5 && auc <= 1.0, "AUC against sampled unseen items: " + auc);
    assertTrue(Double.isNaN(r.best().mae()));
    assertTrue(Files.readString(model.resolve("model.json")).contains("\"feedback\" : \"implicit\""));
    // Rounds pull the rows each share reads: the sampled negatives' and, for the implicit user
    // solve, every item factor row. The same bits as a job per iteration, which sends θ whole.
    String[] two = {"meta.iterations=6", "train.patience=0", "train.partitions=2",
        "train.tasks=" + implicitTasks};
    TrainJob.Result jobs = TrainJob.run(SPARK, config(small(dir.resolve("jobs"),
        TestSpark.with(two, "train.exchange=jobs"))));
    TrainJob.Result rounds = TrainJob.run(SPARK, config(small(dir.resolve("rounds"),
        TestSpark.with(two, "train.exchange=rounds"))));
    assertTrue(jobs.theta().bitEquals(rounds.theta()), "implicit: rounds vs a job per iteration");
    assertTrue(rounds.exchange().pulledRows() > 0, rounds.exchange().toString());
    // In time order the fold-in's gain is not learned (model.learnedFoldIn = auto) ...
    assertTrue(Files.readString(model.resolve("model.json")).contains("\"learnedFoldIn\" : false"));
    assertEquals(-1, jobs.theta().layout().logFoldIn);
    // ... in random order (a log without times) it is: one more segment, moved by training, and
    // rounds and jobs still give the same bits.
    Path randomTasks = dir.resolve("random");
    BuildTasksJob.run(SPARK, config("input.path=" + clicks, "input.feedback=implicit",
        "buildTasks.out=" + randomTasks, "tasks.supportSize=5", "split.validation=0.2",
        "tasks.ordering=random"));
    String[] random = {"meta.iterations=6", "train.patience=0", "train.partitions=2",
        "train.tasks=" + randomTasks, "train.validateEvery=3"};
    TrainJob.Result rj = TrainJob.run(SPARK, config(small(dir.resolve("rjobs"),
        TestSpark.with(random, "train.exchange=jobs"))));
    TrainJob.Result rr = TrainJob.run(SPARK, config(small(dir.resolve("rrounds"),
        TestSpark.with(random, "train.exchange=rounds"))));
    assertTrue(rj.theta().bitEquals(rr.theta()), "learned gain: rounds vs a job per iteration");
    int gain = rr.theta().layout().logFoldIn;
    assertTrue(gain >= 0);
    assertTrue(rr.theta().segment(gain)[0][0] != 0f, "the gain is trained (it starts at log 1)");
    String json = Files.readString(dir.resolve("rrounds").resolve("model.json"));
    assertTrue(json.contains("\"learnedFoldIn\" : true") && json.contains("logFoldIn"), json);
  }

  @Test
  void resumeOfACheckpointOfATaskSetRebuiltFromOtherDataIsRefused(@TempDir Path dir) {
    // Same tasks path, same settings, other data: the checkpoint belongs to another run.
    Path t = dir.resolve("t");
    Path gen = shared.resolve("gen");
    BuildTasksJob.run(SPARK, config("input.path=" + gen.resolve("interactions"),
        "buildTasks.out=" + t, "tasks.supportSize=5", "split.validation=0.2"));
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config(TestSpark.with(small(model, "meta.iterations=5"), "train.tasks=" + t)));
    Path gen7 = dir.resolve("gen7");
    io.metarec.jobs.GenerateJob.run(SPARK, config("generate.out=" + gen7, "generate.size=tiny",
        "generate.users=400", "seed=7"));
    BuildTasksJob.run(SPARK, config("input.path=" + gen7.resolve("interactions"),
        "buildTasks.out=" + t, "tasks.supportSize=5", "split.validation=0.2"));
    JobFailedException e = assertThrows(JobFailedException.class, () -> TrainJob.run(SPARK,
        config(TestSpark.with(small(model, "meta.iterations=10", "train.resume=true"),
            "train.tasks=" + t))));
    assertTrue(e.getMessage().contains("belongs to another training run")
        && e.getMessage().contains("task set fingerprint"), e.getMessage());
  }

  @Test
  void aPlantedLaterCheckpointIsNeitherResumedNorKeptAndAFreshRunClearsOldOnes(@TempDir Path dir)
      throws Exception {
    TrainJob.Result straight = TrainJob.run(SPARK, config(small(dir.resolve("straight"),
        "meta.iterations=10", "train.patience=0")));
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config(small(model, "meta.iterations=5", "train.patience=0")));
    Path ckpts = dir.resolve("model.checkpoints");
    Path planted = ckpts.resolve("ckpt-999999999999");
    TestSpark.copyTree(ckpts.resolve(String.format("ckpt-%012d", 5)), planted);
    TrainJob.Result resumed = TrainJob.run(SPARK, config(small(model, "meta.iterations=10",
        "train.patience=0", "train.resume=true")));
    assertEquals(10, resumed.iterations());
    assertTrue(straight.theta().bitEquals(resumed.theta()), "resumed from 5, not the planted one");
    assertEquals(java.util.List.of("ckpt-000000000005", "ckpt-000000000010"), names(ckpts));
    // A run without --resume removes what earlier runs left before it writes its own.
    Files.createDirectories(planted);
    TrainJob.run(SPARK, config(small(model, "meta.iterations=3", "train.patience=0",
        "train.checkpointEvery=100")));
    assertEquals(java.util.List.of("ckpt-000000000003"), names(ckpts));
  }

  private static java.util.List<String> names(Path dir) throws java.io.IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ckpt-")).sorted()
          .toList();
    }
  }

  @Test
  void aResumeWinsOverTheWarmStartOfTheRunItContinues(@TempDir Path dir) {
    Path base = dir.resolve("base");
    TrainJob.run(SPARK, config(small(base, "meta.iterations=5")));
    String[] warm = {"train.patience=0", "train.initFrom=" + base};
    TrainJob.Result straight = TrainJob.run(SPARK, config(small(dir.resolve("straight"),
        TestSpark.with(warm, "meta.iterations=10"))));
    Path night = dir.resolve("night");
    TrainJob.run(SPARK, config(small(night, TestSpark.with(warm, "meta.iterations=5"))));
    // The rerun of an interrupted night: resume and the same warm start together.
    TrainJob.Result rerun = TrainJob.run(SPARK, config(small(night, TestSpark.with(warm,
        "meta.iterations=10", "train.resume=true"))));
    assertTrue(straight.theta().bitEquals(rerun.theta()), "continued from its checkpoint at 5");
  }

  @Test
  void resumeWithOtherSettingsIsRefused(@TempDir Path dir) {
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config(small(model, "meta.iterations=5")));
    MetaRecConfig other = config(small(model, "meta.iterations=10", "train.resume=true",
        "inner.steps=2"));
    JobFailedException e = assertThrows(JobFailedException.class, () -> TrainJob.run(SPARK, other));
    assertTrue(e.getMessage().contains("belongs to another training run")
        && e.getMessage().contains("training settings"), e.getMessage());
  }
}
