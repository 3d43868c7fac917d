package io.metarec.jobs.train;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.MetaRecConfig;
import io.metarec.config.TrainConfig;
import io.metarec.engine.EngineKind;
import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.OuterOptimizer;
import io.metarec.meta.TrainSettings;
import io.metarec.meta.TrainingListener;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.spark.FaultInjection;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code metarec train}: distributed Reptile / first-order MAML meta-training (Nichol et al. 2018;
 * Finn et al. 2017) of the MeLU-style model (Lee et al. 2019) on a build-tasks output.
 *
 * <p>Per outer iteration: the driver sends θ to the executors ({@link MetaBatches}: in a training
 * round over TCP, or as a broadcast to a job of its own); each partition of the cached training
 * tasks adapts the tasks sampled for this iteration (membership is a pure function of (seed,
 * iteration, task id), so it does not depend on where a task lives) and sums their meta-gradients
 * into one {@link MetaGradientAccumulator}; the driver sums the accumulators in partition order
 * and applies the outer optimizer. A non-finite aggregate is not
 * applied: the outer step size is halved and, after {@code train.maxDivergences} in a row, the job
 * fails keeping its last checkpoint. Every {@code train.validateEvery} iterations the validation
 * tasks are adapted and scored; the best θ is the one saved, and training stops after
 * {@code train.patience} validations without improvement.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  /** Purpose constant of the stream that decides whether a task is in an iteration's batch. */
  static final long PURPOSE_BATCH = 0x6261_7463_68L;
  /** Up to this many partitions the driver merges collected accumulators (one stage). */
  static final int DIRECT_MERGE_PARTITIONS = 16;
  /**
   * Chunks a partition's share of a meta-batch is cut into, so that executor threads of the same JVM
   * whose partitions finish early adapt the rest ({@link SharedBatch}). Sixteen keeps the last chunk
   * of a 2-partition MovieLens-100K iteration at a few milliseconds while merging the chunk sums
   * costs well under one.
   */
  static final int SHARE_CHUNKS = 16;
  /**
   * Partitions of one iteration share work ({@link SharedBatch}) under this key.
   *
   * @param scope what θ came with: the id of its broadcast (one job per iteration) or of the
   *     training round (negative, so the two never meet)
   * @param iteration the iteration
   */
  record ShareKey(long scope, long iteration) {}
  /** Purpose constant of the stream that picks the validation subset. */
  static final long PURPOSE_VALIDATION = 0x7661_6c69_64L;

  private TrainJob() {}

  /**
   * What a run did.
   *
   * @param model the model folder written
   * @param iterations iterations run in total (including those before a resume)
   * @param bestIteration the iteration of the saved θ
   * @param best the validation metric of the saved θ
   * @param stoppedEarly whether patience ran out
   * @param wallSeconds wall time of this run
   * @param adaptationsPerSecond training task adaptations per second in this run
   * @param theta the saved parameters
   * @param exchange what the training rounds' server did with connections ({@link
   *     ExchangeStats#NONE} with one job per iteration)
   */
  public record Result(String model, long iterations, long bestIteration, Validation.Metrics best,
      boolean stoppedEarly, double wallSeconds, double adaptationsPerSecond, Params theta,
      ExchangeStats exchange) {}

  /** Runs the job described by {@code train.*}, {@code model.*}, {@code inner.*}, {@code meta.*}. */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    return run(spark, cfg, TrainingListener.NONE);
  }

  /**
   * As {@link #run(SparkSession, MetaRecConfig)}, telling {@code listener} on this thread after
   * every iteration.
   */
  public static Result run(SparkSession spark, MetaRecConfig cfg, TrainingListener listener) {
    TrainConfig tc = cfg.train();
    if (tc.tasks().isBlank() || tc.model().isBlank()) {
      throw new JobFailedException("train needs --tasks DIR (train.tasks) and --model DIR "
          + "(train.model)");
    }
    // Held for the whole run: checkpoints (<model>.checkpoints/) are written under it too.
    try (OutputClaim claim = OutputClaim.acquire(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), OutputKind.MODEL, "train.model", tc.model(),
        OutputClaim.input("train.tasks", tc.tasks()),
        OutputClaim.input("train.initFrom", tc.initFrom()))) {
      return train(spark, cfg, listener, claim);
    }
  }

  private static Result train(SparkSession spark, MetaRecConfig cfg, TrainingListener listener,
      OutputClaim claim) {
    TrainConfig tc = cfg.train();
    long start = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    String tasksDir = tc.tasks().replaceAll("/+$", "");
    TaskSet.Spec data = TaskSet.spec(hconf, tasksDir);
    ModelSpec spec = cfg.modelSpec(data.numItems(), data.userFields(), data.itemFields(),
        data.feedback());
    ParamLayout layout = new ParamLayout(spec);
    ItemFeatureTable items = TaskSet.items(spark, tasksDir, data);
    TrainSettings settings = cfg.engine();
    long seed = settings.meta().seed();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ExchangePlan plan = planExchange(tc, jsc.getConf(), jsc.defaultParallelism(),
        tc.exchange().equals("jobs") ? 0 : taskSlots(jsc, Math.max(1, tc.partitions())));
    int parts = plan.partitions();

    JavaRDD<Task> train = cached(TaskSet.tasks(spark, tasksDir, "train"), parts);
    JavaRDD<Task> valid = TaskSet.tasks(spark, tasksDir, "validation");
    long nTrain = train.count();
    if (nTrain == 0) {
      train.unpersist();
      throw new JobFailedException(tasksDir + " has no training tasks");
    }
    long interactions = train.map(t -> (long) t.size()).reduce(Long::sum);
    double cachedBytesPerInteraction = cachedBytes(jsc, train) / (double) interactions;
    LOG.info("cached {} training tasks, {} interactions, {} bytes per interaction in executor memory",
        nTrain, interactions, String.format(Locale.ROOT, "%.1f", cachedBytesPerInteraction));
    long nValidAll = valid.count();
    if (tc.validationTasks() > 0 && nValidAll > tc.validationTasks()) {
      double keep = (double) tc.validationTasks() / nValidAll;
      valid = valid.filter(t ->
          TaskRandom.stream(seed, 0, t.taskId(), PURPOSE_VALIDATION).nextDouble() < keep);
    }
    valid = cached(valid, parts);
    long nValid = valid.count();
    Broadcast<ItemFeatureTable> bItems = jsc.broadcast(items);
    Broadcast<ModelSpec> bSpec = jsc.broadcast(spec);
    // Broadcast once rather than shipped in every iteration's closure: Java serialization of the
    // settings records (set copies, canonical constructors) was part of each task's start-up.
    Broadcast<TrainSettings> bSettings = jsc.broadcast(settings);

    ModelStore store = new ModelStore(hconf, tc.model(), claim);
    TrainState state = startingPoint(spark, cfg, store, layout, train, data);
    OuterOptimizer optimizer = state.optimizer(settings);
    Validation.Direction direction = spec.feedback() == Feedback.EXPLICIT
        ? Validation.Direction.LOWER : Validation.Direction.HIGHER;
    int iterations = settings.meta().iterations();
    double fraction = Math.min(1.0, (double) settings.meta().tasksPerIteration() / nTrain);
    LOG.info("training on {} tasks ({} validation) in {} partitions: {} iterations of ~{} tasks, "
            + "{} parameters, {}", nTrain, nValid, parts, iterations,
        Math.round(fraction * nTrain), layout.flatSize(), settings.meta().algorithm());
    Progress progress = new Progress(iterations, state.iteration, tc.progressEvery());
    long adaptations = 0;
    double trainSeconds = 0;
    boolean stoppedEarly = false;
    EngineKind engineKind = EngineKind.parse("train.engine", tc.engine());
    int blockSize = tc.engineBlockSize();
    String unsupported = Nd4jBatchedEngine.unsupportedReason(settings);
    if (engineKind == EngineKind.ND4J && unsupported != null) {
      // Fail before any Spark work rather than in every executor's first task.
      throw new ConfigValidationException("train.engine=nd4j: " + unsupported);
    }
    LOG.info("adaptation engine: train.engine={}{}", tc.engine(), engineKind != EngineKind.AUTO ? ""
        : unsupported != null ? " (jvm on every executor: " + unsupported + ")"
        : " (nd4j on executors Spark gives a GPU, jvm elsewhere)");
    int slots = Math.min(parts, jsc.defaultParallelism());
    Adaptation adaptation = new Adaptation(bSpec, bItems, bSettings, engineKind, blockSize, seed,
        fraction);
    LOG.info("exchange: train.exchange={} -> {} ({})", tc.exchange(),
        plan.rounds() ? "rounds" : "jobs", plan.reason());
    MetaBatches batches = plan.rounds()
        ? new RoundBatches(train, adaptation, layout,
            jsc.getConf().get("spark.driver.bindAddress", jsc.getConf().get("spark.driver.host")),
            jsc.getConf().get("spark.driver.host"), tc.exchangePort(),
            maxTaskFailures(jsc.getConf(), jsc.master()))
        : new JobBatches(jsc, train, adaptation, layout);
    try {
      while (state.iteration < iterations) {
        long it = state.iteration;
        long t0 = System.nanoTime();
        MetaGradientAccumulator acc = batches.sum(it, state.theta);
        adaptations += acc.taskCount();
        if (!acc.isFinite()) {
          state.divergences++;
          state.lrScale *= 0.5;
          LOG.warn("iteration {}: non-finite meta-gradient, update skipped; outer step size halved "
              + "to {} x meta.outerLr ({} in a row)", it, state.lrScale, state.divergences);
          if (state.divergences >= tc.maxDivergences()) {
            throw new JobFailedException("training diverged: " + state.divergences
                + " non-finite updates in a row at iteration " + it + " (train.maxDivergences = "
                + tc.maxDivergences() + "); lower meta.outerLr or the inner step sizes. The last "
                + "good checkpoint is kept in " + store.checkpointDir());
          }
        } else {
          state.divergences = 0;
          optimizer.setLearningRateInPlace((float) (settings.meta().outerLr() * state.lrScale
              * Math.pow(tc.lrDecay(), it)));
          optimizer.stepInPlace(state.theta, acc);
        }
        state.iteration++;
        boolean validate = state.iteration % tc.validateEvery() == 0 || state.iteration == iterations;
        if (validate) {
          batches.pause(); // validation runs Spark jobs of its own
        }
        trainSeconds += (System.nanoTime() - t0) / 1e9;
        double trainLoss = acc.taskCount() == 0 ? Double.NaN : acc.meanLoss();
        Validation.Metrics vm = null;
        if (validate) {
          vm = Validation.run(jsc, valid, state.theta, bSpec, bItems, settings.inner());
          if (state.improves(vm, direction)) {
            state.best = vm;
            state.bestIteration = state.iteration;
            state.bestTheta = state.theta.copy();
            state.sinceBest = 0;
          } else {
            state.sinceBest++;
          }
        }
        state.history.add(new TrainState.Row(state.iteration, (System.nanoTime() - start) / 1e9,
            acc.taskCount(), trainLoss, vm, state.lrScale));
        progress.report(state, trainLoss, acc.taskCount(), trainSeconds, adaptations,
            outsideKernel(batches.kernelNanos(), trainSeconds, slots));
        listener.iterationDone(state.iteration, trainLoss);
        boolean stop = vm != null && tc.patience() > 0 && state.sinceBest >= tc.patience();
        if (state.iteration % tc.checkpointEvery() == 0 || stop || state.iteration == iterations) {
          store.writeCheckpoint(state, optimizer, cfg);
        }
        if (stop) {
          stoppedEarly = true;
          LOG.info("early stop at iteration {}: no improvement in {} validations; best {} at {}",
              state.iteration, state.sinceBest, state.best, state.bestIteration);
          break;
        }
      }
    } finally {
      batches.close();
    }
    ExchangeStats exchange = batches instanceof RoundBatches r ? r.stats() : ExchangeStats.NONE;
    long kernelNanos = batches.kernelNanos();
    bItems.destroy();
    bSpec.destroy();
    bSettings.destroy();
    train.unpersist();
    valid.unpersist();
    if (state.bestTheta == null) {
      state.bestTheta = state.theta.copy();
      state.bestIteration = state.iteration;
    }
    double wall = (System.nanoTime() - start) / 1e9;
    double rate = trainSeconds > 0 ? adaptations / trainSeconds : 0;
    double outside = outsideKernel(kernelNanos, trainSeconds, slots);
    store.publish(spark, cfg, tasksDir, data, spec, state, nTrain, wall, rate, stoppedEarly,
        kernelNanos / 1e9, outside, cachedBytesPerInteraction);
    return new Result(store.modelDir(), state.iteration, state.bestIteration, state.best,
        stoppedEarly, wall, rate, state.bestTheta, exchange);
  }

  /** Share of the task slots' time outside the kernel: 1 − kernel time / (seconds × slots). */
  static double outsideKernel(long kernelNanos, double seconds, int slots) {
    return seconds > 0 ? 1.0 - kernelNanos / 1e9 / (seconds * slots) : 0;
  }

  /** Where training starts: a checkpoint (resume), another model (warm start), or a fresh init. */
  private static TrainState startingPoint(SparkSession spark, MetaRecConfig cfg, ModelStore store,
      ParamLayout layout, JavaRDD<Task> train, TaskSet.Spec data) {
    TrainConfig tc = cfg.train();
    if (tc.resume()) {
      TrainState s = store.readLatestCheckpoint(layout, cfg);
      if (s != null) {
        LOG.info("resuming from checkpoint at iteration {}", s.iteration);
        return s;
      }
      LOG.info("--resume: no checkpoint in {}, starting fresh", store.checkpointDir());
    }
    if (!tc.initFrom().isBlank()) {
      Params theta = ModelStore.warmStart(spark, tc.initFrom(), layout, cfg.train().tasks(),
          cfg.seed(), cfg.engine().meta().embeddingStd());
      LOG.info("warm start from {}", tc.initFrom());
      return TrainState.fresh(theta);
    }
    Params theta = ParamInitializer.initialize(layout.spec(), cfg.seed(),
        cfg.engine().meta().embeddingStd(), cfg.engine().meta().lambdaInit());
    TaskSet.ItemStats stats = TaskSet.itemStats(train, data.numItems());
    ParamInitializer.initBiasesFromStatsInPlace(theta, stats.sums(), stats.counts(),
        cfg.engine().meta().itemBiasShrinkage());
    return TrainState.fresh(theta);
  }

  /**
   * Tasks placed by a hash of their id and sorted by id within each partition, then cached: the
   * order in which a partition adapts its tasks, and so every float sum, is the same in every run
   * with the same partition count.
   */
  static JavaRDD<Task> cached(JavaRDD<Task> tasks, int parts) {
    JavaPairRDD<Long, Task> byId = tasks.mapToPair(t -> new Tuple2<>(t.taskId(), t));
    return byId.repartitionAndSortWithinPartitions(new HashPartitioner(parts))
        .values()
        .persist(StorageLevel.MEMORY_ONLY());
  }

  /**
   * One training iteration's work on a partition: re-split and adapt the partition's tasks of the
   * meta-batch and sum their meta-gradients into one accumulator. A named class, not a lambda:
   * Spark's ClosureCleaner leaves it alone, where it re-reads and parses the bytecode of the
   * classes around every lambda (JavaRDDLike's wrapper, RDD.collect's) on every job, milliseconds
   * of driver time per iteration while the executors wait (measured with JFR on ml-100k).
   */
  static final class IterationStep extends scala.runtime.AbstractFunction2<org.apache.spark.TaskContext,
      scala.collection.Iterator<Task>, MetaGradientAccumulator> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<float[]> bTheta;
    private final Adaptation adaptation;
    private final long iteration;
    private final LongAccumulator kernelNanos;

    IterationStep(Broadcast<float[]> bTheta, Adaptation adaptation, long iteration,
        LongAccumulator kernelNanos) {
      this.bTheta = bTheta;
      this.adaptation = adaptation;
      this.iteration = iteration;
      this.kernelNanos = kernelNanos;
    }

    /** The partition's accumulator ({@code ctx} unused: the task context is also thread-local). */
    @Override
    public MetaGradientAccumulator apply(org.apache.spark.TaskContext ctx,
        scala.collection.Iterator<Task> tasks) {
      return accumulate(scala.collection.JavaConverters.asJavaIterator(tasks));
    }

    private MetaGradientAccumulator accumulate(Iterator<Task> tasks) {
      FaultInjection.maybeFail(iteration);
      Params theta = ExecutorCache.theta(bTheta, adaptation.spec().value());
      long[] ns = new long[1];
      MetaGradientAccumulator a = adaptation.share(tasks, theta,
          new ShareKey(bTheta.id(), iteration), iteration, ns);
      kernelNanos.add(ns[0]);
      return a;
    }

    /**
     * Runs on every partition of {@code tasks} and sums the accumulators in a fixed order: up to
     * {@value TrainJob#DIRECT_MERGE_PARTITIONS} partitions in one job whose results the driver
     * merges in partition order, beyond through {@link TrainJob#treeMerge}.
     */
    MetaGradientAccumulator sumOver(JavaRDD<Task> tasks, ParamLayout layout) {
      if (tasks.getNumPartitions() > DIRECT_MERGE_PARTITIONS) {
        return treeMerge(tasks.mapPartitions(it -> List.of(accumulate(it)).iterator()), layout);
      }
      MetaGradientAccumulator[] perPartition = (MetaGradientAccumulator[]) tasks.context()
          .runJob(tasks.rdd(), this, scala.reflect.ClassTag$.MODULE$.apply(
              MetaGradientAccumulator.class));
      MetaGradientAccumulator total = new MetaGradientAccumulator(layout);
      for (MetaGradientAccumulator a : perPartition) {
        total.mergeInPlace(a);
      }
      return total;
    }
  }

  /**
   * {@code train.exchange=jobs}: one Spark job per iteration. θ goes out as a broadcast (the
   * previous one destroyed, so nothing piles up over thousands of iterations), each partition's
   * accumulator comes back as its task's result.
   */
  static final class JobBatches implements MetaBatches {
    private final JavaSparkContext jsc;
    private final JavaRDD<Task> train;
    private final Adaptation adaptation;
    private final ParamLayout layout;
    private final LongAccumulator kernelNanos;
    private Broadcast<float[]> previous;

    JobBatches(JavaSparkContext jsc, JavaRDD<Task> train, Adaptation adaptation, ParamLayout layout) {
      this.jsc = jsc;
      this.train = train;
      this.adaptation = adaptation;
      this.layout = layout;
      this.kernelNanos = jsc.sc().longAccumulator("metarec.kernelNanos");
    }

    @Override
    public MetaGradientAccumulator sum(long iteration, Params theta) {
      Broadcast<float[]> bTheta = jsc.broadcast(theta.flatten());
      if (previous != null) {
        previous.destroy();
      }
      previous = bTheta;
      return new IterationStep(bTheta, adaptation, iteration, kernelNanos).sumOver(train, layout);
    }

    @Override
    public void pause() {
      // every job ends with its iteration
    }

    @Override
    public long kernelNanos() {
      return kernelNanos.value();
    }

    @Override
    public void close() {
      if (previous != null) {
        previous.destroy();
        previous = null;
      }
    }
  }

  /**
   * How a run exchanges θ and the accumulators ({@code train.exchange}) and over how many
   * partitions it caches the training tasks.
   *
   * @param rounds whether iterations run in rounds ({@link RoundBatches}) rather than one job each
   * @param partitions partitions of the cached tasks
   * @param reason why, for the log
   */
  record ExchangePlan(boolean rounds, int partitions, String reason) {}

  /** Rounds are chosen by {@code auto} up to this many partitions: the driver sends θ to each. */
  static final int MAX_ROUND_PARTITIONS = 16;

  /**
   * Resolves {@code train.exchange} against the cluster. Rounds run in a barrier stage, which
   * needs a task slot for every partition at once and a fixed set of executors: their partition
   * count defaults to the task slots instead of 3 × the cores, since idle threads of an executor
   * already balance its partitions' work. {@code
   * auto} picks rounds unless dynamic allocation is on, tasks claim resources (GPUs: slots may then
   * be fewer than cores), Spark's network encryption is on (the rounds' TCP exchange is not
   * encrypted), {@code train.partitions} exceeds the slots, or the slots exceed {@value
   * #MAX_ROUND_PARTITIONS}.
   *
   * @throws ConfigValidationException for {@code rounds} that this cluster cannot run
   */
  static ExchangePlan planExchange(TrainConfig tc, org.apache.spark.SparkConf conf,
      int defaultParallelism, int slots) {
    int jobParts = tc.partitions() > 0 ? tc.partitions() : 3 * defaultParallelism;
    int roundParts = tc.partitions() > 0 ? tc.partitions() : Math.max(1, slots);
    if (tc.exchange().equals("jobs")) {
      return new ExchangePlan(false, jobParts, "as configured");
    }
    String blocker = null;
    if (slots < 1) {
      blocker = "no task slots counted (no executor has registered yet)";
    } else if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      blocker = "dynamic allocation is on (spark.dynamicAllocation.enabled), and a barrier stage "
          + "needs a fixed set of executors";
    } else if (roundParts > slots) {
      blocker = "train.partitions = " + roundParts + " exceeds the " + slots + " task slots, and a "
          + "barrier stage runs every partition at once";
    }
    boolean encrypted = conf.getBoolean("spark.network.crypto.enabled", false)
        || conf.getBoolean("spark.ssl.enabled", false);
    if (tc.exchange().equals("rounds")) {
      if (blocker != null) {
        throw new ConfigValidationException("train.exchange=rounds: " + blocker);
      }
      // Asked for by name: the user accepts an exchange that is authenticated but not encrypted.
      return new ExchangePlan(true, roundParts, encrypted ? "as configured, although Spark's "
          + "network encryption is on: θ and the accumulators travel unencrypted (auto would pick "
          + "jobs here)" : "as configured");
    }
    if (blocker == null) {
      for (scala.Tuple2<String, String> kv : conf.getAll()) {
        if (kv._1().startsWith("spark.task.resource.")) {
          blocker = "tasks claim resources (" + kv._1() + "), so there may be fewer slots than cores";
          break;
        }
      }
    }
    if (blocker == null && encrypted) {
      blocker = "Spark's network encryption is on and the rounds' TCP exchange is not encrypted";
    }
    if (blocker == null && roundParts > MAX_ROUND_PARTITIONS) {
      blocker = roundParts + " partitions: beyond " + MAX_ROUND_PARTITIONS + " the driver's sends of "
          + "θ to every partition cost more than the broadcast";
    }
    return blocker == null
        ? new ExchangePlan(true, roundParts, roundParts + " partitions, one per task slot")
        : new ExchangePlan(false, jobParts, blocker);
  }

  /**
   * Tasks the executors registered so far can run at once (cores / {@code spark.task.cpus}, and
   * task resources), as Spark's own check of a barrier stage counts them, once there are {@code
   * wanted} or 30 s have passed. That count is
   * Spark-internal API ({@code private[spark]}, public in the bytecode); should another Spark
   * version lack it, this returns 0 and {@code auto} keeps to one job per iteration.
   */
  static int taskSlots(JavaSparkContext jsc, int wanted) {
    org.apache.spark.SparkContext sc = jsc.sc();
    try {
      // On a cluster, executors may still be registering (a standalone master does not wait for
      // any before the session starts) or replacing a lost one: give them up to 30 s to offer the
      // slots wanted. Local mode has all its slots from the start.
      boolean local = sc.isLocal();
      long deadline = System.nanoTime() + (local ? 0 : 30_000_000_000L);
      int slots;
      while ((slots = sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile())) < wanted
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      return slots;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (LinkageError notInThisSparkVersion) {
      LOG.warn("this Spark does not report its task slots ({}); training runs one job per iteration",
          notInThisSparkVersion.toString());
      return 0;
    }
  }

  /**
   * How often Spark attempts a task, and so a round's iteration: {@code local[N]} once, {@code
   * local[N,F]} F times, elsewhere {@code spark.task.maxFailures} (4 by default).
   */
  static int maxTaskFailures(org.apache.spark.SparkConf conf, String master) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("local\\[\\s*(?:\\d+|\\*)\\s*,\\s*(\\d+)\\s*]").matcher(master);
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    if (master.startsWith("local") && !master.startsWith("local-cluster")) {
      return 1;
    }
    return Math.max(1, conf.getInt("spark.task.maxFailures", 4));
  }

  /**
   * Sums one accumulator per partition in a fixed order, so that the float sums, and so θ, are the
   * same in every run with the same partition count, wherever the partitions ran: groups of about
   * √n consecutive partitions are merged on the executors in partition order, then the group sums
   * on the driver in group order. (Spark's treeReduce merges in the order tasks finish.) For many
   * partitions; {@link IterationStep#sumOver} merges up to {@value #DIRECT_MERGE_PARTITIONS}
   * directly on the driver.
   */
  static MetaGradientAccumulator treeMerge(JavaRDD<MetaGradientAccumulator> perPartition,
      ParamLayout layout) {
    int n = perPartition.getNumPartitions();
    int fanIn = Math.max(2, (int) Math.ceil(Math.sqrt(n)));
    int groups = (n + fanIn - 1) / fanIn;
    List<Tuple2<Integer, MetaGradientAccumulator>> sums = perPartition
        .mapPartitionsWithIndex((i, it) -> {
          List<Tuple2<Integer, Tuple2<Integer, MetaGradientAccumulator>>> out = new ArrayList<>();
          while (it.hasNext()) {
            out.add(new Tuple2<>(i / fanIn, new Tuple2<>(i, it.next())));
          }
          return out.iterator();
        }, true)
        .mapToPair(t -> t)
        .groupByKey(groups)
        .mapValues(accs -> {
          List<Tuple2<Integer, MetaGradientAccumulator>> sorted = new ArrayList<>();
          accs.forEach(sorted::add);
          sorted.sort(java.util.Comparator.comparing(Tuple2::_1));
          MetaGradientAccumulator sum = sorted.get(0)._2();
          for (int k = 1; k < sorted.size(); k++) {
            sum.mergeInPlace(sorted.get(k)._2());
          }
          return sum;
        })
        .collect();
    List<Tuple2<Integer, MetaGradientAccumulator>> ordered = new ArrayList<>(sums);
    ordered.sort(java.util.Comparator.comparing(Tuple2::_1));
    MetaGradientAccumulator total = new MetaGradientAccumulator(layout);
    for (Tuple2<Integer, MetaGradientAccumulator> g : ordered) {
      total.mergeInPlace(g._2());
    }
    return total;
  }

  /** Executor memory used by a cached RDD, from the block manager's storage report. */
  static long cachedBytes(JavaSparkContext jsc, JavaRDD<?> rdd) {
    for (org.apache.spark.storage.RDDInfo info : jsc.sc().getRDDStorageInfo()) {
      if (info.id() == rdd.id()) {
        return info.memSize();
      }
    }
    return 0;
  }

  /** The tasks of this partition that belong to iteration {@code it}'s meta-batch. */
  static Iterator<Task> sampled(Iterator<Task> tasks, long seed, long it, double fraction) {
    List<Task> out = new ArrayList<>();
    while (tasks.hasNext()) {
      Task t = tasks.next();
      if (fraction >= 1.0
          || TaskRandom.stream(seed, it, t.taskId(), PURPOSE_BATCH).nextDouble() < fraction) {
        out.add(t);
      }
    }
    return out.iterator();
  }

  /** Console progress: iteration, tasks/s, train loss, last validation, elapsed, ETA. */
  static final class Progress {
    private final int iterations;
    private final long first;
    private final int every;
    private final long start = System.nanoTime();

    Progress(int iterations, long first, int every) {
      this.iterations = iterations;
      this.first = first;
      this.every = every;
    }

    void report(TrainState s, double loss, long tasks, double trainSeconds, long adaptations,
        double outsideKernel) {
      if (s.iteration % every != 0 && s.iteration != iterations) {
        return;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      double perIt = elapsed / Math.max(1, s.iteration - first);
      double eta = perIt * (iterations - s.iteration);
      String val = s.lastValidation() == null ? "-" : s.lastValidation().toString();
      LOG.info(String.format(Locale.ROOT,
          "iter %d/%d  %.0f tasks/s  train loss %.4f  val %s  best@%d  outside kernel %.0f%%  "
              + "elapsed %s  eta %s",
          s.iteration, iterations, trainSeconds > 0 ? adaptations / trainSeconds : 0.0, loss,
          val, s.bestIteration, 100 * outsideKernel, duration(elapsed), duration(eta)));
    }

    static String duration(double seconds) {
      long s = Math.round(seconds);
      return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
          : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
  }
}
