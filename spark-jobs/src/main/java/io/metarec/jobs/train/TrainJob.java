package io.metarec.jobs.train;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.EngineKind;
import io.metarec.config.ExchangeKind;
import io.metarec.config.MetaRecConfig;
import io.metarec.config.TrainConfig;
import io.metarec.config.TrainSettings;
import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.io.ModelManifest;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.SparkValidator;
import io.metarec.store.Checkpoints;
import io.metarec.store.ModelFiles;
import io.metarec.store.TaskSet;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.train.AdaptationSelection;
import io.metarec.train.BatchSummer;
import io.metarec.train.InProcessTraining;
import io.metarec.train.IterationReport;
import io.metarec.train.MetaBatch;
import io.metarec.train.MetaTrainer;
import io.metarec.train.TrainingCheckpoint;
import io.metarec.train.TrainingDivergedException;
import io.metarec.train.TrainingListener;
import io.metarec.train.TrainingPolicy;
import io.metarec.train.TrainingState;
import io.metarec.train.ValidationMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code metarec train}: distributed meta-training (Reptile, Nichol et al. 2018; first-order MAML,
 * Finn et al. 2017) of the MeLU-style model (Lee et al. 2019) on a build-tasks output. The loop and
 * its policy are {@link MetaTrainer}'s (core); this job reads the task set, caches the tasks on the
 * executors, picks how θ and the meta-gradients travel ({@link ExchangePlan}: {@link JobBatches} or
 * {@link RoundBatches}), validates through {@link SparkValidator}, checkpoints and publishes
 * through {@link Checkpoints} and {@link ModelFiles}.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

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
  public record Result(String model, long iterations, long bestIteration, ValidationMetrics best,
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
        data.feedback(), data.randomOrder());
    ParamLayout layout = new ParamLayout(spec);
    TrainSettings settings = cfg.engine();
    EngineKind engineKind = tc.engine();
    String unsupported = Nd4jBatchedEngine.unsupportedReason(settings, spec.feedback());
    if (engineKind == EngineKind.ND4J && unsupported != null) {
      // Fail before any Spark work rather than in every executor's first task.
      throw new ConfigValidationException("train.engine=nd4j: " + unsupported);
    }
    ItemFeatureTable items = TaskSet.items(spark, tasksDir, data);
    long seed = settings.meta().seed();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ExchangePlan plan = ExchangePlan.of(tc, jsc.getConf(), jsc.defaultParallelism(),
        tc.exchange() == ExchangeKind.JOBS ? 0
            : ExchangePlan.taskSlots(jsc, Math.max(1, tc.partitions())),
        ExchangePlan.executors(jsc));
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
      valid = valid.filter(t -> MetaBatch.inValidationSubset(seed, t.taskId(), keep));
    }
    valid = cached(valid, parts);
    long nValid = valid.count();
    int[] vSupports = tc.validationSupportArray();
    if (vSupports.length > 0 && nValid > 0) {
      // One count per distinct task size (at most tasks.maxInteractions of them).
      Map<Integer, Long> sizes = valid.map(Task::size).countByValue();
      int[] usable = io.metarec.train.ValidationAccumulator.supportsCovering(vSupports, sizes,
          nValid);
      if (usable.length < vSupports.length) {
        LOG.warn("train.validationSupports {}: fewer than half of the {} validation users have more "
            + "than {} interactions; validating at {}", java.util.Arrays.toString(vSupports),
            nValid, vSupports[vSupports.length - 1], usable.length == 0
                ? "each task's own split" : java.util.Arrays.toString(usable));
      }
      vSupports = usable;
    }
    int[] validationSupports = vSupports;
    // Implicit feedback's negatives are drawn by the training users' counts.
    io.metarec.task.ItemStats trainStats = TaskSet.itemStats(train, data.numItems());
    items = items.withCounts(trainStats.counts());
    // Implicit feedback's neighbourhood term: its item neighbourhoods come from the training users.
    List<Double> neighbourWeights = tc.selectAdaptation()
        ? tc.neighbourWeights(spec.feedback()) : List.of();
    if (settings.inner().neighbourWeight() > 0 && spec.feedback() != Feedback.IMPLICIT) {
      throw new ConfigValidationException("inner.neighbourWeight = "
          + settings.inner().neighbourWeight() + ": the neighbourhood term is for implicit "
          + "feedback, the tasks are explicit");
    }
    io.metarec.model.ItemNeighbours neighbours = null;
    if (settings.inner().neighbourWeight() > 0 || !neighbourWeights.isEmpty()) {
      long n0 = System.nanoTime();
      neighbours = io.metarec.store.ItemNeighbourFit.fit(train, data.numItems(), tc.neighbours(),
          tc.neighbourMaxUserItems());
      items = items.withNeighbours(neighbours);
      LOG.info("item neighbourhoods for the neighbourhood term: {} items, {} neighbours in {} s",
          data.numItems() - 1, neighbours.size(), String.format(Locale.ROOT, "%.1f",
              (System.nanoTime() - n0) / 1e9));
    }
    Broadcast<ItemFeatureTable> bItems = jsc.broadcast(items);
    Broadcast<ModelSpec> bSpec = jsc.broadcast(spec);
    // Broadcast once rather than shipped in every iteration's closure: Java serialization of the
    // settings records (set copies, canonical constructors) was part of each task's start-up.
    Broadcast<TrainSettings> bSettings = jsc.broadcast(settings);

    Checkpoints store = new Checkpoints(hconf, tc.model());
    Checkpoints.RunIdentity identity = Checkpoints.RunIdentity.of(cfg, data);
    TrainingCheckpoint begin = startingPoint(spark, cfg, store, identity, layout, trainStats);
    double fraction = MetaBatch.fraction(settings.meta().tasksPerIteration(), nTrain);
    LOG.info("training on {} tasks ({} validation) in {} partitions: {} iterations of ~{} tasks, "
            + "{} parameters, {}", nTrain, nValid, parts, settings.meta().iterations(),
        Math.round(fraction * nTrain), layout.flatSize(), settings.meta().algorithm());
    long perItem = bytesPerItem(layout);
    int copies = settings.meta().outerOptimizer() == io.metarec.config.OuterOptimizerKind.ADAM
        ? 4 : 2;
    LOG.info("driver memory for θ: {} MB per copy ({} B per item), {} copies (θ, the best θ{}) = "
            + "{} MB", String.format(Locale.ROOT, "%.1f", paramsBytes(layout) / 1e6), perItem,
        copies, copies == 4 ? ", Adam's two moments" : "",
        String.format(Locale.ROOT, "%.1f", copies * paramsBytes(layout) / 1e6));
    LOG.info("adaptation engine: train.engine={}{}", engineKind, engineKind != EngineKind.AUTO ? ""
        : unsupported != null ? " (jvm on every executor: " + unsupported + ")"
        : " (nd4j on executors Spark gives a GPU, jvm elsewhere)");
    int slots = Math.min(parts, jsc.defaultParallelism());
    // Settings the ND4J engine lacks keep auto on the JVM kernel everywhere.
    EngineKind effective = engineKind == EngineKind.AUTO && unsupported != null ? EngineKind.JVM
        : engineKind;
    Adaptation adaptation = new Adaptation(bSpec, bItems, bSettings, effective,
        tc.engineBlockSize(), seed, fraction, TaskFaults.of(spark.sparkContext()),
        Adaptation.newRun());
    LOG.info("exchange: train.exchange={} -> {} ({})", tc.exchange(),
        plan.rounds() ? "rounds" : "jobs", plan.reason());
    BatchSummer batches = plan.rounds()
        ? new RoundBatches(train, adaptation, layout,
            jsc.getConf().get("spark.driver.bindAddress", jsc.getConf().get("spark.driver.host")),
            jsc.getConf().get("spark.driver.host"), tc.exchangePort(),
            ExchangePlan.maxTaskFailures(jsc.getConf(), jsc.master()))
        : new JobBatches(jsc, train, adaptation, layout);
    ValidationMetrics.Direction direction = ValidationMetrics.Direction.of(spec.feedback());
    MetaTrainer trainer = new MetaTrainer(settings, TrainingPolicy.of(settings.meta(), tc),
        direction, batches, new SparkValidator(jsc, valid, bSpec, bItems, settings.inner(), seed,
            validationSupports),
        c -> store.write(c, identity),
        new Progress(tc.progressEvery(), begin.state().iteration(), slots).andThen(listener));
    MetaTrainer.Outcome out;
    try {
      out = trainer.train(begin);
    } catch (TrainingDivergedException e) {
      throw new JobFailedException(e.getMessage() + ". The last good checkpoint is kept in "
          + store.dir(), e);
    } finally {
      batches.close();
      // In local mode the driver is the executor: its copy of θ goes with the run.
      io.metarec.train.ThetaReplica.release(adaptation.run());
      io.metarec.train.ThetaRowCache.release(adaptation.run());
    }
    ExchangeStats exchange = batches instanceof RoundBatches r ? r.stats()
        : batches instanceof JobBatches j ? j.stats() : ExchangeStats.NONE;
    long kernelNanos = batches.kernelNanos();
    LOG.info("exchange: {} MB of θ sent over {} iterations ({} MB full θ; {} table rows pulled)",
        String.format(Locale.ROOT, "%.1f", batches.thetaBytesSent() / 1e6),
        out.state().iteration() - begin.state().iteration(),
        String.format(Locale.ROOT, "%.1f", 4.0 * layout.flatSize() / 1e6), exchange.pulledRows());
    Map<String, Object> chosenInner = null;
    if (tc.selectAdaptation() && out.state().best() != null) {
      Params trained = out.bestTheta();
      JavaRDD<Task> validTasks = valid;
      Broadcast<ModelSpec> vSpec = bSpec;
      Broadcast<ItemFeatureTable> vItems = bItems;
      long vSeed = seed;
      // Every candidate validates the same θ: it is broadcast once for all of them.
      Broadcast<Params> bTrained = jsc.broadcast(trained);
      try {
        chosenInner = selectAdaptation(cfg, tc, direction, neighbourWeights,
            tc.foldInScales(spec.feedback()),
            inner -> AdaptationSelection.SupportScores.of(new SparkValidator(jsc, validTasks,
                vSpec, vItems, inner, vSeed, validationSupports).accumulate(bTrained)));
      } finally {
        bTrained.destroy();
      }
    }
    // The neighbourhoods go with the model when it scores with them.
    boolean termUsed = chosenInner != null ? ModelManifest.usesNeighbours(chosenInner)
        : settings.inner().neighbourWeight() > 0;
    bItems.destroy();
    bSpec.destroy();
    bSettings.destroy();
    train.unpersist();
    valid.unpersist();
    double wall = (System.nanoTime() - start) / 1e9;
    double rate = out.trainSeconds() > 0 ? out.adaptations() / out.trainSeconds() : 0;
    double outside = outsideKernel(kernelNanos, out.trainSeconds(), slots);
    TrainingState end = out.state();
    long perIteration = Math.min(nTrain, settings.meta().tasksPerIteration());
    ModelFiles.publish(spark, claim, new ModelFiles.Publication(out.bestTheta(), tasksDir, data,
        null, ModelFiles.configSections(cfg, "model", "inner", "meta", "train", "seed"),
        Checkpoints.trainingHash(cfg), nTrain,
        new ModelManifest.Metrics(out.bestIteration(),
            end.best() == null ? null : ModelFiles.validationOf(end.best()), null, null),
        new ModelManifest.RunStats(wall, end.iteration(),
            (double) end.iteration() * perIteration / nTrain, rate, out.stoppedEarly(),
            kernelNanos / 1e9, outside, cachedBytesPerInteraction, null, null, null, null),
        end.metricsCsv(), chosenInner, termUsed ? neighbours : null));
    LOG.info("model written to {} (best iteration {}, {})", tc.model(), out.bestIteration(),
        end.best() == null ? "not validated" : end.best());
    return new Result(tc.model(), out.state().iteration(), out.bestIteration(),
        out.state().best(), out.stoppedEarly(), wall, rate, out.bestTheta(), exchange);
  }

  /**
   * The inner-loop settings chosen on the validation users for the trained θ
   * ({@code train.selectAdaptation}; {@link AdaptationSelection}), logged with every candidate's
   * validation; the inner section model.json records as its adaptation.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> selectAdaptation(MetaRecConfig cfg, TrainConfig tc,
      ValidationMetrics.Direction direction, List<Double> neighbourWeights,
      List<Double> foldInScales,
      java.util.function.Function<io.metarec.config.InnerLoopConfig,
          AdaptationSelection.SupportScores> validate) {
    long t0 = System.nanoTime();
    Map<String, Object> trained = (Map<String, Object>) ModelFiles.configSections(cfg, "inner")
        .get("inner");
    var candidates = AdaptationSelection.candidates(trained, tc.selectSteps(),
        tc.selectLrScales(), tc.selectPriorScales(), foldInScales);
    double z = tc.selectMinGainStdErrors();
    AdaptationSelection.Outcome o = AdaptationSelection.selectBySupport(candidates,
        TrainSettings.innerDefaults(), direction, validate, z);
    o = AdaptationSelection.widen(o, trained, TrainSettings.innerDefaults(), direction, validate,
        tc.selectWidenMinGainStdErrors(), tc.selectWidenings());
    o = AdaptationSelection.withNeighbourWeights(o, neighbourWeights,
        TrainSettings.innerDefaults(), direction, validate, tc.selectNeighbourMinGainStdErrors());
    AdaptationSelection.Trial none = AdaptationSelection.noAdaptation(o.trials());
    for (AdaptationSelection.Trial t : o.trials()) {
      LOG.info("adaptation candidate {}: {}{}", t.label(), t.metrics(), t.atSupport().isEmpty()
          ? "" : " (per support size: " + t.atSupport().stream()
              .map(m -> String.format(Locale.ROOT, "%.4f", m.primary())).toList() + ")");
    }
    LOG.info("adaptation chosen on the validation users: {} ({}{}; {} candidates in {} s)",
        o.chosen().label(), o.chosen().metrics(), gainNote(o.chosen(), none, -1, direction),
        o.trials().size(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
    for (int i = 0; i < o.bySupport().size(); i++) {
      AdaptationSelection.SupportChoice c = o.bySupport().get(i);
      LOG.info("adaptation chosen for support size {}: {} ({}{})", c.support(),
          c.chosen().label(), c.chosen().atSupport().get(i),
          gainNote(c.chosen(), none, i, direction));
    }
    return o.adaptation();
  }

  /** ", gain over no adaptation +x ± se (paired SE, n users)", or "" where it is not known. */
  private static String gainNote(AdaptationSelection.Trial t, AdaptationSelection.Trial none,
      int slot, ValidationMetrics.Direction direction) {
    if (none == null || t == none) {
      return "";
    }
    AdaptationSelection.Gain g = AdaptationSelection.gain(t, none, slot, direction);
    return g == null ? "" : ", gain over no adaptation " + g;
  }

  /** Share of the task slots' time outside the kernel: 1 − kernel time / (seconds × slots). */
  static double outsideKernel(long kernelNanos, double seconds, int slots) {
    return seconds > 0 ? 1.0 - kernelNanos / 1e9 / (seconds * slots) : 0;
  }

  /**
   * Where training starts: this run's checkpoint (with {@code train.resume}, when there is one:
   * a resume wins over a warm start, so that an interrupted warm-started run, such as a night,
   * continues where it stopped), else another model (warm start), else a fresh init. A run that
   * does not resume first removes the model's checkpoints of earlier runs.
   */
  private static TrainingCheckpoint startingPoint(SparkSession spark, MetaRecConfig cfg,
      Checkpoints store, Checkpoints.RunIdentity identity, ParamLayout layout,
      io.metarec.task.ItemStats trainStats) {
    TrainConfig tc = cfg.train();
    if (tc.resume()) {
      TrainingCheckpoint c = store.readLatest(layout, identity);
      if (c != null) {
        LOG.info("resuming from checkpoint at iteration {}", c.state().iteration());
        return c;
      }
      LOG.info("--resume: no checkpoint in {}, starting {}", store.dir(),
          tc.initFrom().isBlank() ? "fresh" : "from the warm start");
    } else {
      int removed = store.clear();
      if (removed > 0) {
        LOG.info("removed {} checkpoints of an earlier run from {} (this run does not resume)",
            removed, store.dir());
      }
    }
    if (!tc.initFrom().isBlank()) {
      Params theta = ModelFiles.warmStart(spark, tc.initFrom(), layout, cfg.train().tasks(),
          cfg.seed(), cfg.engine().meta().embeddingStd());
      LOG.info("warm start from {}", tc.initFrom());
      return TrainingCheckpoint.fresh(theta);
    }
    return TrainingCheckpoint.fresh(InProcessTraining.initialTheta(layout.spec(), cfg.seed(),
        cfg.engine(), trainStats));
  }

  /**
   * Tasks placed by a hash of their id and sorted by id within each partition, then cached: the
   * order in which a partition adapts its tasks, and so every float sum, is the same in every run
   * with the same partition count ({@link MetaBatch#place} does the same in-process).
   */
  static JavaRDD<Task> cached(JavaRDD<Task> tasks, int parts) {
    JavaPairRDD<Long, Task> byId = tasks.mapToPair(t -> new Tuple2<>(t.taskId(), t));
    return byId.repartitionAndSortWithinPartitions(new HashPartitioner(parts))
        .values()
        .persist(StorageLevel.MEMORY_ONLY());
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

  /** Console progress: iteration, tasks/s, train loss, last validation, elapsed, ETA. */
  /**
   * Heap bytes of one {@link Params} of {@code layout}: 4 per float, and per row array its header
   * (16 bytes) and reference (4, compressed).
   */
  static long paramsBytes(ParamLayout layout) {
    long n = 0;
    for (io.metarec.model.Segment s : layout.segments()) {
      n += 4 * s.size() + 20L * s.rows();
    }
    return n;
  }

  /** Heap bytes one more catalog item adds to one {@link Params}: its row in every item table. */
  static long bytesPerItem(ParamLayout layout) {
    long n = 0;
    for (int seg : new int[] {layout.itemBias, layout.itemEmb, layout.itemFactor,
        layout.implicitItem}) {
      if (seg >= 0) {
        n += 4L * layout.segment(seg).cols() + 20;
      }
    }
    return n;
  }

  static final class Progress implements TrainingListener {
    private final int every;
    private final long first;
    private final int slots;
    private final long start = System.nanoTime();

    Progress(int every, long first, int slots) {
      this.every = every;
      this.first = first;
      this.slots = slots;
    }

    @Override
    public void iterationDone(IterationReport r) {
      long it = r.iteration();
      if (it % every != 0 && it != r.iterations()) {
        return;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      double perIt = elapsed / Math.max(1, it - first);
      double eta = perIt * (r.iterations() - it);
      ValidationMetrics last = r.state().lastValidation();
      LOG.info(String.format(Locale.ROOT,
          "iter %d/%d  %.0f tasks/s  train loss %.4f  val %s  best@%d  outside kernel %.0f%%  "
              + "elapsed %s  eta %s",
          it, r.iterations(), r.adaptationsPerSecond(), r.trainLoss(),
          last == null ? "-" : last.toString(), r.state().bestIteration(),
          100 * outsideKernel(r.kernelNanos(), r.trainSeconds(), slots), duration(elapsed),
          duration(eta)));
    }

    static String duration(double seconds) {
      long s = Math.round(seconds);
      return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
          : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
  }
}
