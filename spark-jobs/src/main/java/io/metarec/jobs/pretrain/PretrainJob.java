package io.metarec.jobs.pretrain;

import io.metarec.config.MetaRecConfig;
import io.metarec.config.PretrainConfig;
import io.metarec.kernel.Losses;
import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.MetaConfig;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.SparkValidator;
import io.metarec.store.ModelFiles;
import io.metarec.store.TaskSet;
import io.metarec.io.ModelManifest;
import io.metarec.train.ValidationMetrics;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.util.ExportSupport;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metarec pretrain}: the conventional baseline without meta-learning. The MetaRec model
 * ({@link ModelSpec}, {@code model.*}) is built as a Deeplearning4j graph ({@link Dl4jModel}),
 * started from the same initialization as {@code train} (seed, {@code meta.init.*}, μ and item
 * biases from the training labels), and fitted to every interaction of the training tasks with
 * {@link SparkComputationGraph} and a {@link ParameterAveragingTrainingMaster} (Adam, minibatches
 * of {@code pretrain.batchSize} per worker, parameters averaged every
 * {@code pretrain.averagingFrequency} minibatches, {@code pretrain.epochs} passes). The trained
 * parameters are mapped back to MetaRec's layout and written as a MetaRec model folder, so the
 * same engine can fine-tune and evaluate it.
 *
 * <p>Examples: every row of every training task, support and query, with the implicit term's S =
 * the task's support (as in meta-training and evaluation; see {@link Examples}). They are ordered
 * by a hash of (seed, task id, row) and cut into minibatches; the training master exports them
 * once to a temporary folder next to the model (removed at the end) where the file system
 * allows, and otherwise trains from the persisted minibatch RDD.
 */
public final class PretrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);
  /** What model.json records in "trainedBy". */
  public static final String TRAINED_BY = "pretrain/dl4j-spark";
  /** Purpose constant of the example order. */
  static final long PURPOSE_ORDER = 0x7072_6574_72L;

  private PretrainJob() {}

  /**
   * What a run did.
   *
   * @param model the model folder written
   * @param epochs the epoch whose parameters are the model (the best validation's)
   * @param interactions training interactions (examples per epoch)
   * @param trainLoss mean loss of the model over all training interactions (MetaRec kernel)
   * @param epochScores DL4J's score after each epoch run (the last averaged minibatch loss)
   * @param validation validation metrics of the model without adaptation (0 inner steps), or
   *     null without validation tasks
   * @param wallSeconds wall time of the run
   * @param theta the written parameters
   */
  public record Result(String model, int epochs, long interactions, double trainLoss,
      double[] epochScores, ValidationMetrics validation, double wallSeconds, Params theta) {}

  /** Runs the job described by {@code pretrain.*}, {@code model.*} and {@code meta.init.*}. */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    PretrainConfig pc = cfg.pretrain();
    if (pc.tasks().isBlank() || pc.model().isBlank()) {
      throw new JobFailedException("pretrain needs --tasks DIR (pretrain.tasks) and --model DIR "
          + "(pretrain.model)");
    }
    try (OutputClaim claim = OutputClaim.acquire(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), OutputKind.MODEL, "pretrain.model", pc.model(),
        OutputClaim.input("pretrain.tasks", pc.tasks()))) {
      return pretrain(spark, cfg, claim);
    }
  }

  @SuppressWarnings("deprecation") // the only profiling switch DL4J M2 offers
  private static Result pretrain(SparkSession spark, MetaRecConfig cfg, OutputClaim claim) {
    PretrainConfig pc = cfg.pretrain();
    // ND4J's default profiling mode checks workspaces on every op.
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
    long start = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    String tasksDir = pc.tasks().replaceAll("/+$", "");
    TaskSet.Spec data = TaskSet.spec(hconf, tasksDir);
    ModelSpec spec = cfg.modelSpec(data.numItems(), data.userFields(), data.itemFields(),
        data.feedback(), data.randomOrder());
    ParamLayout layout = new ParamLayout(spec);
    ItemFeatureTable items = TaskSet.items(spark, tasksDir, data);
    MetaConfig meta = cfg.engine().meta();
    long seed = meta.seed();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int workers = pc.workers() > 0 ? pc.workers() : jsc.defaultParallelism();

    JavaRDD<Task> train = TaskSet.tasks(spark, tasksDir, "train").persist(StorageLevel.MEMORY_ONLY());
    Broadcast<ModelSpec> bSpec = jsc.broadcast(spec);
    Broadcast<ItemFeatureTable> bItems = jsc.broadcast(items);
    String exportDir = pc.model().replaceAll("/+$", "") + ".export-" + UUID.randomUUID();
    try {
      long nTrain = train.count();
      if (nTrain == 0) {
        throw new JobFailedException(tasksDir + " has no training tasks");
      }
      io.metarec.task.ItemStats stats = TaskSet.itemStats(train, spec.numItems());
      long interactions = Arrays.stream(stats.counts()).sum();
      Params init = meta.initialParams(spec, seed);
      ParamInitializer.initBiasesFromStatsInPlace(init, stats.sums(), stats.counts(),
          meta.itemBiasShrinkage());

      ComputationGraph net = Dl4jModel.create(
          Dl4jModel.configuration(spec, pc.learningRate(), seed), init);
      // Export (write the minibatches once, train from the files) needs a shared file system
      // or a local[n] master; elsewhere (local-cluster, standalone on file://) train directly
      // from the minibatch RDD, kept serialized in memory and on disk.
      boolean export = ExportSupport.exportSupported(jsc);
      ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(
          workers, pc.batchSize())
          .batchSizePerWorker(pc.batchSize())
          .averagingFrequency(pc.averagingFrequency())
          .rngSeed(seed)
          .rddTrainingApproach(export ? RDDTrainingApproach.Export : RDDTrainingApproach.Direct)
          .storageLevel(StorageLevel.MEMORY_AND_DISK_SER())
          .exportDirectory(exportDir)
          .build();
      SparkComputationGraph sparkNet = new SparkComputationGraph(jsc, net, master);
      JavaRDD<MultiDataSet> batches = minibatches(train, bSpec, bItems, seed, pc.batchSize());
      LOG.info("pretraining on {} tasks, {} interactions: {} epochs, {} workers x minibatches of "
              + "{}, averaging every {}, Adam lr {}, {} parameters, {} minibatches", nTrain,
          interactions, pc.epochs(), workers, pc.batchSize(), pc.averagingFrequency(),
          pc.learningRate(), net.numParams(), export ? "exported" : "direct");
      InnerLoopConfig noAdaptation = cfg.engine().inner().withSteps(0)
          .withUserSolver(io.metarec.config.UserSolver.SGD).withNeighbourWeight(0f);
      JavaRDD<Task> valid = TaskSet.tasks(spark, tasksDir, "validation")
          .persist(StorageLevel.MEMORY_ONLY());
      SparkValidator validator = new SparkValidator(jsc, valid, bSpec, bItems, noAdaptation,
          cfg.seed());
      ValidationMetrics.Direction direction = ValidationMetrics.Direction.of(spec.feedback());
      List<Double> scoreList = new ArrayList<>();
      StringBuilder csv = new StringBuilder("epoch,elapsed_s,dl4j_score,val_mae,val_rmse,val_ndcg\n");
      // Each epoch is validated without adaptation; the best epoch's parameters are the model.
      Params theta = null;
      ValidationMetrics vm = null;
      int bestEpoch = 0;
      for (int epoch = 0; epoch < pc.epochs(); epoch++) {
        sparkNet.fitMultiDataSet(batches);
        double score = sparkNet.getScore();
        scoreList.add(score);
        Params now = Dl4jModel.toParams(sparkNet.getNetwork(), layout, meta.lambdaInit());
        ValidationMetrics m = validator.validate(now);
        if (m.tasks() == 0) {
          m = null;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        csv.append(String.format(Locale.ROOT, "%d,%.3f,%s,%s,%s,%s%n", epoch + 1, elapsed, score,
            m == null ? "" : m.mae(), m == null ? "" : m.rmse(), m == null ? "" : m.ndcg()));
        LOG.info(String.format(Locale.ROOT, "epoch %d/%d  dl4j score %.4f  validation %s  "
            + "elapsed %.1f s", epoch + 1, pc.epochs(), score, m == null ? "-" : m, elapsed));
        // Without patience every epoch is kept (the last one is the model).
        if (pc.patience() == 0 || theta == null || (m != null && m.improvesOn(vm, direction))) {
          theta = now;
          vm = m;
          bestEpoch = epoch + 1;
        } else if (epoch + 1 - bestEpoch >= pc.patience()) {
          LOG.info("pretrain: no better validation in {} epochs; the model is epoch {}'s",
              pc.patience(), bestEpoch);
          break;
        }
      }
      master.deleteTempFiles(jsc);
      batches.unpersist();
      valid.unpersist();
      double[] scores = scoreList.stream().mapToDouble(Double::doubleValue).toArray();
      double trainLoss = trainLoss(jsc, train, theta, bSpec, bItems, noAdaptation);
      double wall = (System.nanoTime() - start) / 1e9;

      ModelManifest.Metrics metrics = new ModelManifest.Metrics(null,
          vm == null ? null : ModelFiles.validationOf(vm), trainLoss, 0);
      ModelManifest.RunStats run = new ModelManifest.RunStats(wall, null, null, null, null, null,
          null, null, bestEpoch, interactions, workers, scores[bestEpoch - 1]);
      ModelFiles.publish(spark, claim, new ModelFiles.Publication(theta, tasksDir, data, TRAINED_BY,
          ModelFiles.configSections(cfg, "model", "meta", "pretrain", "seed"),
          cfg.hash("model", "meta.init", "meta.seed", "pretrain", "seed"), nTrain, metrics, run,
          csv.toString()));
      LOG.info(String.format(Locale.ROOT, "pretrained model written to %s: train loss %.4f, "
          + "validation without adaptation %s, %.1f s", pc.model(), trainLoss,
          vm == null ? "-" : vm, wall));
      return new Result(pc.model(), bestEpoch, interactions, trainLoss, scores, vm, wall,
          theta);
    } finally {
      removeExport(hconf, exportDir);
      bSpec.destroy();
      bItems.destroy();
      train.unpersist();
    }
  }

  /**
   * Every row of every task as minibatches of {@code batchSize}: rows are ordered within each
   * partition by a hash of (seed, task id, row), so a minibatch mixes users, and the inputs are
   * built lazily, one minibatch at a time.
   */
  static JavaRDD<MultiDataSet> minibatches(JavaRDD<Task> tasks, Broadcast<ModelSpec> bSpec,
      Broadcast<ItemFeatureTable> bItems, long seed, int batchSize) {
    return tasks.mapPartitions(it -> {
      List<Examples.Row> rows = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      while (it.hasNext()) {
        Task t = it.next();
        for (int r = 0; r < t.size(); r++) {
          rows.add(new Examples.Row(t, r));
          keys.add(TaskRandom.stream(seed, r, t.taskId(), PURPOSE_ORDER).nextLong());
        }
      }
      Integer[] order = new Integer[rows.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compare(keys.get(a), keys.get(b)));
      Examples ex = new Examples(bSpec.value(), bItems.value());
      return new Iterator<MultiDataSet>() {
        private int next;

        @Override
        public boolean hasNext() {
          return next < order.length;
        }

        @Override
        public MultiDataSet next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          int end = Math.min(order.length, next + batchSize);
          List<Examples.Row> batch = new ArrayList<>(end - next);
          for (int i = next; i < end; i++) {
            batch.add(rows.get(order[i]));
          }
          next = end;
          return ex.of(batch);
        }
      };
    });
  }

  /**
   * Mean loss of {@code theta} over every row of the tasks with S = the support, computed by the
   * MetaRec kernel without adaptation: the objective the graph was trained on.
   */
  static double trainLoss(JavaSparkContext jsc, JavaRDD<Task> tasks, Params theta,
      Broadcast<ModelSpec> bSpec, Broadcast<ItemFeatureTable> bItems, InnerLoopConfig inner) {
    Broadcast<float[]> bTheta = jsc.broadcast(theta.flatten());
    try {
      double[] s = tasks.mapPartitions(it -> {
        ModelSpec spec = bSpec.value();
        Params th = Params.unflatten(new ParamLayout(spec), bTheta.value());
        JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, bItems.value());
        Feedback fb = spec.feedback();
        double[] acc = new double[2];
        while (it.hasNext()) {
          Task t = it.next();
          int k = t.supportSize();
          float[] p = engine.adaptAndScore(th, inner, Arrays.copyOf(t.items(), k),
              Arrays.copyOf(t.labels(), k), t.userFeatures(), t.items());
          for (int r = 0; r < p.length; r++) {
            acc[0] += Losses.rowLoss(fb, p[r], t.labels()[r]);
          }
          acc[1] += p.length;
        }
        return List.of(acc).iterator();
      }).reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
      return s[1] == 0 ? Double.NaN : s[0] / s[1];
    } finally {
      bTheta.destroy();
    }
  }

  /** Removes the exported minibatches; a failure is logged, not thrown (it runs in finally). */
  private static void removeExport(Configuration conf, String dir) {
    try {
      Path p = new Path(dir);
      p.getFileSystem(conf).delete(p, true);
    } catch (IOException e) {
      LOG.warn("cannot remove the exported minibatches in {}: {}", dir, e.toString());
    }
  }
}
