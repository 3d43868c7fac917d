package io.metarec.jobs.evaluate;

import com.typesafe.config.Config;
import io.metarec.config.EvaluateConfig;
import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.evaluate.EvalMethod.Kind;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.metrics.MeanStat;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.report.EvalReport;
import io.metarec.report.HeadlineRow;
import io.metarec.report.MethodResult;
import io.metarec.report.MetricValue;
import io.metarec.report.ReportWriter;
import io.metarec.report.StepCurve;
import io.metarec.report.TrainingCurve;
import io.metarec.model.Params;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.StagedOutput;
import io.metarec.store.ModelFiles;
import io.metarec.store.TaskSet;
import io.metarec.store.TaskSetLayout;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metarec evaluate}: strict cold-start evaluation of one or more models against baselines,
 * on the held-out users of a build-tasks output, in one distributed pass.
 *
 * <p>For every evaluated user and every support size K of {@code evaluate.ks}, each method adapts
 * on (or fits to) the user's first K interactions and predicts the interactions after the largest
 * K; per-user metric values are averaged with 95% confidence intervals. The report (metrics.json,
 * report.md, report.html, PNG charts) is written atomically to {@code evaluate.report}.
 */
public final class EvaluateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  private EvaluateJob() {}

  /**
   * Outcome of an evaluation.
   *
   * @param reportDir the report folder written
   * @param report everything in the report
   * @param users users scored
   * @param skipped users skipped because nothing follows their largest support
   * @param wallSeconds wall time of the whole job
   * @param adaptationsPerSecond model adaptations per second of the scoring pass
   */
  public record Result(String reportDir, EvalReport report, long users, long skipped,
      double wallSeconds, double adaptationsPerSecond) {}

  /** Runs the evaluation described by {@code cfg.evaluate()}. */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    EvaluateConfig ec = cfg.evaluate();
    if (ec.tasks().isBlank() || ec.models().isEmpty() || ec.report().isBlank()) {
      throw new JobFailedException("evaluate needs --tasks DIR (evaluate.tasks), at least one "
          + "--model DIR (evaluate.models) and --report DIR (evaluate.report)");
    }
    List<OutputClaim.Input> inputs = new ArrayList<>();
    inputs.add(OutputClaim.input("evaluate.tasks", ec.tasks()));
    for (String entry : ec.models()) {
      inputs.add(OutputClaim.input("evaluate.models", modelDir(entry)));
    }
    try (OutputClaim claim = OutputClaim.acquire(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), OutputKind.REPORT, "evaluate.report", ec.report(),
        inputs.toArray(new OutputClaim.Input[0]))) {
      return evaluate(spark, cfg, claim);
    }
  }

  private static Result evaluate(SparkSession spark, MetaRecConfig cfg, OutputClaim claim) {
    EvaluateConfig ec = cfg.evaluate();
    long start = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String tasksDir = ec.tasks().replaceAll("/+$", "");
    TaskSet.Spec data = TaskSet.spec(hconf, tasksDir);
    boolean explicit = data.feedback() == Feedback.EXPLICIT;
    long seed = cfg.seed();

    // Models and their methods.
    List<ModelFiles.Model> models = new ArrayList<>();
    List<String> givenNames = new ArrayList<>();
    for (String entry : ec.models()) {
      String dir = modelDir(entry);
      givenNames.add(modelName(entry));
      ModelFiles.Model m = ModelFiles.ontoTaskSet(spark, ModelFiles.load(hconf, dir), data,
          tasksDir, seed, cfg.engine().meta().embeddingStd());
      checkCompatible(m, data, tasksDir);
      models.add(m);
    }
    Config innerDefaults = TrainSettings.innerDefaults();
    InnerLoopConfig runInner = cfg.engine().inner();
    List<EvalMethod> methods = new ArrayList<>();
    List<ModelSpec> specs = new ArrayList<>();
    // θ as row arrays: broadcast as they are (Kryo writes them as flat runs), shared by the tasks of
    // an executor JVM; a flat copy would be one array of the whole θ, twice the memory.
    List<Params> thetas = new ArrayList<>();
    // Each model's item neighbourhoods (its neighbourhood term), null where it has none.
    List<io.metarec.model.ItemNeighbours> modelNeighbours = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int metaModel = -1;
    for (int i = 0; i < models.size(); i++) {
      ModelFiles.Model m = models.get(i);
      specs.add(m.spec());
      thetas.add(m.theta());
      modelNeighbours.add(m.neighbours());
      if (m.pretrained()) {
        add(methods, names, new EvalMethod("pretrain", "conventionally pretrained model ("
            + m.dir() + "), no adaptation", Kind.MODEL, i, noAdaptation(runInner)));
        add(methods, names, new EvalMethod("pretrain+finetune", "pretrained model fine-tuned on "
            + "the support with this run's inner.* settings", Kind.MODEL, i,
            runInner.withNeighbourWeight(0f)));
      } else {
        io.metarec.config.AdaptationPlan plan = m.manifest().adaptationPlan(innerDefaults,
            m.dir() + "/model.json");
        InnerLoopConfig own = plan.largest();
        String name = givenNames.get(i) != null ? givenNames.get(i)
            : metaModel < 0 ? "meta" : folderName(m.dir());
        if (metaModel < 0) {
          metaModel = i;
        }
        add(methods, names, new EvalMethod(name, "meta-learned model (" + m.dir() + "), "
            + describe(plan), Kind.MODEL, i, own, List.of(), plan.perSupport() ? plan : null));
      }
    }
    int givenEnd = methods.size();
    List<Integer> metaMethods = new ArrayList<>();
    for (int i = 0; i < methods.size(); i++) {
      if (!models.get(methods.get(i).model()).pretrained()) {
        metaMethods.add(i);
      }
    }
    if (ec.ensemble() && metaMethods.size() > 1) {
      add(methods, names, new EvalMethod("meta-ensemble", "mean prediction of the "
          + metaMethods.size() + " meta-learned models, each adapted on the support",
          Kind.ENSEMBLE, -1, null, metaMethods));
    }
    List<String> bl = ec.baselines();
    // Baselines that do not apply to this feedback, with the reason (log and report).
    Map<String, String> skipped = new LinkedHashMap<>();
    if (bl.contains("global") && !explicit) {
      skipped.put("global", "implicit feedback: a constant score ranks nothing");
    }
    if (bl.contains("bias") && !explicit) {
      skipped.put("bias", "implicit feedback: mu + b_i + b_u ranks the items as item popularity "
          + "(item-mean)");
    }
    if (bl.contains("item-knn") && explicit) {
      skipped.put("item-knn", "explicit feedback: item-knn scores are similarity sums, not "
          + "ratings");
    }
    if (bl.contains("no-adapt") && metaModel < 0) {
      skipped.put("no-adapt", "no meta-learned model among evaluate.models");
    }
    skipped.forEach((b, why) -> LOG.info("baseline {} skipped: {}", b, why));
    if (bl.contains("no-adapt") && metaModel >= 0) {
      add(methods, names, new EvalMethod("no-adapt", "the meta-initialization scored without "
          + "adaptation", Kind.MODEL, metaModel,
          noAdaptation(methods.get(stepsMethod(methods, metaModel)).inner())));
    }
    if (bl.contains("global") && explicit) {
      add(methods, names, new EvalMethod("global", explicit ? "mean of the training ratings"
          : "a constant score", Kind.GLOBAL, -1, null));
    }
    if (bl.contains("item-mean")) {
      add(methods, names, new EvalMethod("item-mean", explicit
          ? "item mean shrunk toward the global mean (" + ec.itemShrinkage() + " pseudo-ratings)"
          : "item popularity (training count)", Kind.ITEM_MEAN, -1, null));
    }
    if (bl.contains("bias") && explicit) {
      add(methods, names, new EvalMethod("bias", "mu + b_i + b_u, b_u fitted on the support ("
          + ec.userShrinkage() + " pseudo-ratings)", Kind.BIAS, -1, null));
    }
    if (bl.contains("item-knn") && !explicit) {
      add(methods, names, new EvalMethod("item-knn", "cosine item-item similarity over the "
          + "training users (" + ec.knnNeighbours() + " neighbours per item), score = sum of "
          + "similarities to the support items", Kind.ITEM_KNN, -1, null));
    }
    if (bl.contains("als")) {
      add(methods, names, new EvalMethod("als", "Spark MLlib ALS (rank " + ec.alsRank()
          + ", regParam " + ec.alsRegParam() + ") trained with the user's support (fold-in)"
          + (explicit ? " on the bias baseline's residuals" : ", implicit preferences"),
          Kind.ALS, -1, null));
    }
    if (bl.contains("scratch")) {
      ModelSpec spec = specs.get(0);
      var meta = cfg.engine().meta();
      specs.add(spec);
      thetas.add(meta.initialParams(spec, seed));
      modelNeighbours.add(null);
      InnerLoopConfig scratch = runInner.withSteps(ec.scratchSteps()).withUserSolver(UserSolver.SGD)
          .withNeighbourWeight(0f)
          .withAdapt(EnumSet.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING));
      add(methods, names, new EvalMethod("scratch", "the same architecture trained on the support "
          + "alone from a random start (" + ec.scratchSteps() + " steps, all parameters)",
          Kind.MODEL, specs.size() - 1, scratch));
    }
    int stepsMethod = ec.steps().isEmpty() ? -1 : stepsMethod(methods, Math.max(metaModel, 0));
    // The headline: the first meta-learned model against every baseline (pretrained models
    // included; not the other meta-learned models or their ensemble), paired over users.
    int headline = metaModel >= 0 ? stepsMethod(methods, metaModel) : -1;
    List<Integer> headlineBaselines = new ArrayList<>();
    for (int i = 0; i < methods.size() && headline >= 0; i++) {
      EvalMethod mi = methods.get(i);
      boolean given = i < givenEnd;
      boolean pretrained = given && mi.kind() == Kind.MODEL && models.get(mi.model()).pretrained();
      if (i != headline && mi.kind() != Kind.ENSEMBLE && (!given || pretrained)) {
        headlineBaselines.add(i);
      }
    }
    if (headlineBaselines.isEmpty()) {
      headline = -1;
    }
    List<Integer> ks = ec.taskSplit() ? List.of(0) : ec.ks();
    EvalPlan plan = new EvalPlan(ks, ec.rankK(), ec.relevanceThreshold(), ec.negatives(),
        stepsMethod < 0 ? List.of() : ec.steps(), ec.taskSplit() ? 0 : ec.stepsK(), stepsMethod,
        seed, explicit, data.labelMin(), data.labelMax(), methods, specs, ec.taskSplit(),
        ec.recallK(), headline, List.copyOf(headlineBaselines));

    // Tasks.
    ItemFeatureTable items = TaskSet.items(spark, tasksDir, data);
    int parts = ec.partitions() > 0 ? ec.partitions() : 3 * jsc.defaultParallelism();
    JavaRDD<Task> train = TaskSet.tasks(spark, tasksDir, "train").persist(StorageLevel.MEMORY_ONLY());
    JavaPairRDD<Long, Task> evalTasks = TaskSet.tasks(spark, tasksDir, ec.split()).zipWithIndex()
        .mapToPair(p -> new scala.Tuple2<>(p._2(), p._1())).repartition(parts)
        .persist(StorageLevel.MEMORY_ONLY());
    try {
      long nEval = evalTasks.count();
      if (nEval == 0) {
        throw new JobFailedException(tasksDir + " has no " + ec.split() + " tasks to evaluate "
            + "(build it with split." + ec.split() + " > 0)");
      }
      long nTrain = train.count();
      if (nTrain == 0 && methods.stream().anyMatch(m -> !m.adapts())) {
        throw new JobFailedException(tasksDir + " has no training tasks to fit the baselines on");
      }
      Baselines baselines = Baselines.fit(train, data.numItems(), ec.itemShrinkage(),
          ec.userShrinkage());
      Baselines.AlsFactors[] als = null;
      if (methods.stream().anyMatch(m -> m.kind() == Kind.ALS)) {
        long t0 = System.nanoTime();
        als = baselines.fitAls(spark, train, evalTasks, ec, ks, explicit, seed);
        LOG.info("ALS fitted for {} support sizes in {} s", ec.ks().size(),
            String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
      }

      io.metarec.model.ItemNeighbours knn = null;
      if (methods.stream().anyMatch(m -> m.kind() == Kind.ITEM_KNN)) {
        long t0 = System.nanoTime();
        knn = io.metarec.store.ItemNeighbourFit.fit(train, data.numItems(), ec.knnNeighbours(),
            ec.knnMaxUserItems());
        LOG.info("item-knn neighbourhoods fitted in {} s",
            String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
      }

      // Score.
      long scoreStart = System.nanoTime();
      Broadcast<EvalPlan> bPlan = jsc.broadcast(plan);
      Broadcast<List<Params>> bThetas = jsc.broadcast(thetas);
      Broadcast<io.metarec.model.ItemNeighbours[]> bModelNb = jsc.broadcast(
          modelNeighbours.toArray(new io.metarec.model.ItemNeighbours[0]));
      // Implicit feedback's support negatives are drawn by the training users' counts.
      Broadcast<ItemFeatureTable> bItems = jsc.broadcast(items.withCounts(baselines.counts));
      Broadcast<Baselines> bBase = jsc.broadcast(baselines);
      Broadcast<Baselines.AlsFactors[]> bAls = jsc.broadcast(als);
      Broadcast<io.metarec.model.ItemNeighbours> bKnn = jsc.broadcast(knn);
      int nMetrics = plan.metricNames().size();
      EvalAccumulator acc;
      try {
        acc = evalTasks.mapPartitions(it -> {
          EvalPlan p = bPlan.value();
          EvalAccumulator a = new EvalAccumulator(p.methods().size(), p.ks().size(),
              p.metricNames().size(), p.steps().size(), p.headlineBaselines().size());
          // The broadcast value: one per executor JVM, read-only for its tasks.
          UserScorer scorer = new UserScorer(p, bThetas.value().toArray(new Params[0]),
              bModelNb.value(), bItems.value(), bBase.value(), bAls.value(), bKnn.value());
          while (it.hasNext()) {
            var e = it.next();
            scorer.score(e._1(), e._2(), a);
          }
          return List.of(a).iterator();
        }).treeReduce(EvalAccumulator::mergeInPlace);
      } finally {
        bPlan.destroy();
        bThetas.destroy();
        bModelNb.destroy();
        bItems.destroy();
        bBase.destroy();
        bAls.destroy();
        bKnn.destroy();
      }
      double scoreSeconds = (System.nanoTime() - scoreStart) / 1e9;
      double rate = acc.adaptations / Math.max(scoreSeconds, 1e-9);
      if (acc.users == 0) {
        throw new JobFailedException("no " + ec.split() + " user of " + tasksDir + " has an "
            + "interaction after " + (ec.taskSplit() ? "its support" : "the largest support size "
            + ec.maxK()) + " (" + acc.skipped
            + " skipped): lower evaluate.ks or build tasks with more interactions per user");
      }
      double wall = (System.nanoTime() - start) / 1e9;
      EvalReport report = report(cfg, ec, data, tasksDir, models, plan, acc, nTrain, wall,
          scoreSeconds, rate, hconf, spark.sparkContext().master(), skipped);
      write(claim, report);
      LOG.info("evaluated {} users ({} skipped) in {} s, {} adaptations/s -> {}", acc.users,
          acc.skipped, String.format(Locale.ROOT, "%.1f", wall),
          String.format(Locale.ROOT, "%.0f", rate), ec.report());
      return new Result(ec.report(), report, acc.users, acc.skipped, wall, rate);
    } finally {
      train.unpersist(false);
      evalTasks.unpersist(false);
    }
  }

  // ------------------------------------------------------------------------------ methods

  private static void add(List<EvalMethod> methods, Set<String> names, EvalMethod m) {
    String name = m.name();
    for (int n = 2; !names.add(name); n++) {
      name = m.name() + "-" + n;
    }
    methods.add(name.equals(m.name()) ? m
        : new EvalMethod(name, m.description(), m.kind(), m.model(), m.inner(), m.members(),
            m.plan()));
  }

  /** The method adapting model {@code model} with its own settings (the steps-curve method). */
  private static int stepsMethod(List<EvalMethod> methods, int model) {
    for (int i = 0; i < methods.size(); i++) {
      if (methods.get(i).model() == model) {
        return i;
      }
    }
    return 0;
  }

  /** No gradient steps and no ridge solve: the initialization as it is. */
  /** No steps, no solve and no neighbourhood term: the initialization alone scores. */
  static InnerLoopConfig noAdaptation(InnerLoopConfig inner) {
    return inner.withSteps(0).withUserSolver(UserSolver.SGD).withNeighbourWeight(0f);
  }

  private static String describe(io.metarec.config.AdaptationPlan plan) {
    if (!plan.perSupport()) {
      return describe(plan.largest());
    }
    StringBuilder sb = new StringBuilder("adapted per support size as chosen on the validation "
        + "users: ");
    for (int i = 0; i < plan.supports().length; i++) {
      InnerLoopConfig in = plan.settings().get(i);
      sb.append(i == 0 ? "" : "; ").append("K >= ").append(plan.supports()[i]).append(": ")
          .append(describe(in));
      if (in.priorScale() != 1f) {
        sb.append(String.format(Locale.ROOT, ", prior x%.3g", in.priorScale()));
      }
    }
    return sb.toString();
  }

  private static String describe(InnerLoopConfig in) {
    return String.format(Locale.ROOT, "%d inner steps on %s, %s user solver%s", in.steps(),
        in.adapt().stream().map(g -> g.name().toLowerCase(Locale.ROOT)).sorted().toList(),
        in.userSolver().name().toLowerCase(Locale.ROOT), in.neighbourWeight() == 0f ? ""
            : String.format(Locale.ROOT, ", neighbourhood term x%.3g", in.neighbourWeight()));
  }

  private static final java.util.regex.Pattern NAMED =
      java.util.regex.Pattern.compile("([A-Za-z0-9][A-Za-z0-9._+-]*)=(.+)");

  /** The folder of an {@code evaluate.models} entry: {@code DIR} or {@code NAME=DIR}. */
  public static String modelDir(String entry) {
    java.util.regex.Matcher m = NAMED.matcher(entry);
    return m.matches() ? m.group(2) : entry;
  }

  /** The method name an {@code evaluate.models} entry gives ({@code NAME=DIR}), or null. */
  public static String modelName(String entry) {
    java.util.regex.Matcher m = NAMED.matcher(entry);
    return m.matches() ? m.group(1) : null;
  }

  private static String folderName(String dir) {
    String d = dir.replaceAll("/+$", "");
    return d.substring(d.lastIndexOf('/') + 1);
  }

  /** A model must have been trained on this task set's vocabularies. */
  private static void checkCompatible(ModelFiles.Model m, TaskSet.Spec data, String tasksDir) {
    ModelSpec s = m.spec();
    if (s.numItems() != data.numItems() || !s.userFields().equals(data.userFields())
        || !s.itemFields().equals(data.itemFields())
        || s.feedback() != data.feedback()) {
      throw new JobFailedException("model " + m.dir() + " does not fit the task set " + tasksDir
          + ": the model has " + s.numItems() + " items, fields " + s.userFields() + " / "
          + s.itemFields() + " and " + s.feedback() + " feedback; the tasks have "
          + data.numItems() + " items, fields " + data.userFields() + " / " + data.itemFields()
          + " and " + data.feedback() + " feedback (evaluate a model on the task set, or a "
          + "rebuild with the same vocabulary, it was trained on)");
    }
  }

  // ------------------------------------------------------------------------------ report

  private static EvalReport report(MetaRecConfig cfg, EvaluateConfig ec, TaskSet.Spec data,
      String tasksDir, List<ModelFiles.Model> models, EvalPlan plan, EvalAccumulator acc,
      long nTrain, double wall, double scoreSeconds, double rate, Configuration hconf,
      String master, Map<String, String> skipped) {
    List<String> metricNames = plan.metricNames();
    List<MethodResult> results = new ArrayList<>();
    for (int m = 0; m < plan.methods().size(); m++) {
      EvalMethod method = plan.methods().get(m);
      TreeMap<Integer, Map<String, MetricValue>> byK = new TreeMap<>();
      for (int ki = 0; ki < plan.ks().size(); ki++) {
        Map<String, MetricValue> values = new LinkedHashMap<>();
        for (int j = 0; j < metricNames.size(); j++) {
          values.put(metricNames.get(j), value(acc.stat(m, ki, j)));
        }
        if (plan.explicit()) {
          int i = m * plan.ks().size() + ki;
          long rows = acc.pooledRows[i];
          values.put("mae_all", new MetricValue(acc.pooledAbs[i] / rows, Double.NaN, acc.users));
          values.put("rmse_all", new MetricValue(Math.sqrt(acc.pooledSq[i] / rows), Double.NaN,
              acc.users));
        }
        byK.put(plan.ks().get(ki), values);
      }
      results.add(new MethodResult(method.name(), method.description(), byK));
    }
    StepCurve steps = null;
    if (!plan.steps().isEmpty()) {
      Map<String, List<MetricValue>> byMetric = new LinkedHashMap<>();
      for (int j = 0; j < metricNames.size(); j++) {
        List<MetricValue> vs = new ArrayList<>();
        for (int s = 0; s < plan.steps().size(); s++) {
          vs.add(value(acc.stepStat(s, j)));
        }
        byMetric.put(metricNames.get(j), vs);
      }
      steps = new StepCurve(plan.methods().get(plan.stepsMethod()).name(), plan.stepsK(),
          plan.steps(), byMetric);
    }
    List<TrainingCurve> training = new ArrayList<>();
    for (ModelFiles.Model m : models) {
      String csv = m.dir() + "/metrics.csv";
      if (HadoopFiles.exists(hconf, csv)) {
        training.add(TrainingCurve.parseCsv(folderName(m.dir()), HadoopFiles.readText(hconf, csv)));
      }
    }
    Map<String, Object> dataset = new LinkedHashMap<>();
    dataset.put("tasks", tasksDir);
    dataset.put("fingerprint", data.fingerprint());
    dataset.put("feedback", data.feedback().name().toLowerCase(Locale.ROOT));
    dataset.put("split", ec.split());
    dataset.put("items", data.numItems() - 1);
    dataset.put("trainUsers", nTrain);
    dataset.put("usersScored", acc.users);
    dataset.put("usersSkipped", acc.skipped);
    dataset.put("queryInteractions", acc.queryRows);
    if (!skipped.isEmpty()) {
      dataset.put("skippedBaselines", skipped);
    }
    dataset.put("protocol", (ec.taskSplit()
        ? "task-split: each task's own support and query as build-tasks wrote them (reported as "
            + "K = 0)"
        : "strict: support = a user's first K interactions in task order; query = the "
            + "interactions after the largest K (" + ec.maxK() + "), the same for every K")
        + (plan.explicit() ? "; predictions clipped to [" + data.labelMin() + ", "
            + data.labelMax() + "]" : "; the *_full metrics rank the query items against every "
            + "item the user never interacted with, the others against " + ec.negatives()
            + " sampled ones"));
    String stats = TaskSetLayout.of(tasksDir).stats();
    if (HadoopFiles.exists(hconf, stats)) {
      Map<String, Object> s = Json.readObject(HadoopFiles.readText(hconf, stats));
      for (String key : List.of("input", "inputFingerprint", "splits", "config")) {
        if (s.containsKey(key)) {
          dataset.put("taskSet." + key, s.get(key));
        }
      }
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("seed", cfg.seed());
    config.putAll(ModelFiles.configSections(cfg, "evaluate", "inner"));
    List<Map<String, Object>> modelInfo = new ArrayList<>();
    for (ModelFiles.Model m : models) {
      Map<String, Object> mi = new LinkedHashMap<>();
      mi.put("dir", m.dir());
      @SuppressWarnings("unchecked")
      Map<String, Object> manifest = Json.mapper().convertValue(m.manifest(), Map.class);
      for (String key : List.of("trainedBy", "createdAt", "codeVersion", "configHash", "training",
          "metrics", "run", "adaptation")) {
        if (manifest.get(key) != null) {
          mi.put(key, manifest.get(key));
        }
      }
      modelInfo.add(mi);
    }
    config.put("models", modelInfo);
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("wallSeconds", wall);
    run.put("scoringSeconds", scoreSeconds);
    run.put("adaptations", acc.adaptations);
    run.put("adaptationsPerSecond", rate);
    run.put("adaptationSecondsInKernel", acc.adaptNanos / 1e9);
    run.put("master", master); // the one Spark ran with, not spark.master's default
    String name = ec.name().isBlank() ? folderName(ec.report()) : ec.name();
    return new EvalReport(name, Instant.now().toString(), io.metarec.spark.CodeVersion.get(), dataset, config,
        plan.ks(), results, steps, training, run, headline(plan, acc));
  }

  /**
   * Per support size and leading metric (explicit: MAE, RMSE, nDCG; implicit: the three
   * full-ranking metrics), the headline method against the baseline with the best mean, with the
   * paired interval of their per-user differences.
   */
  static List<HeadlineRow> headline(EvalPlan plan, EvalAccumulator acc) {
    List<HeadlineRow> rows = new ArrayList<>();
    if (plan.headline() < 0) {
      return rows;
    }
    List<String> metricNames = plan.metricNames();
    List<Integer> baselines = plan.headlineBaselines();
    for (int ki = 0; ki < plan.ks().size(); ki++) {
      for (int j = 0; j < Math.min(3, metricNames.size()); j++) {
        String metric = metricNames.get(j);
        boolean lower = EvalReport.lowerIsBetter(metric);
        int best = -1;
        double bestMean = Double.NaN;
        for (int b = 0; b < baselines.size(); b++) {
          MeanStat s = acc.stat(baselines.get(b), ki, j);
          double mean = s.mean();
          if (s.count() > 0 && Double.isFinite(mean)
              && (best < 0 || (lower ? mean < bestMean : mean > bestMean))) {
            best = b;
            bestMean = mean;
          }
        }
        if (best < 0) {
          continue;
        }
        MeanStat h = acc.stat(plan.headline(), ki, j);
        MeanStat d = acc.diffStat(best, ki, j);
        rows.add(new HeadlineRow(plan.ks().get(ki), metric,
            plan.methods().get(plan.headline()).name(),
            plan.methods().get(baselines.get(best)).name(), h.mean(), bestMean, d.mean(),
            d.ci95(), d.count()));
      }
    }
    return rows;
  }

  private static MetricValue value(MeanStat s) {
    return new MetricValue(s.mean(), s.ci95(), s.count());
  }

  /** Renders the report locally, then publishes the folder atomically (any Hadoop file system). */
  private static void write(OutputClaim claim, EvalReport report) {
    String reportDir = claim.target().toString();
    Path local = null;
    try {
      local = Files.createTempDirectory("metarec-report");
      List<Path> files = ReportWriter.write(report, local);
      try (StagedOutput out = StagedOutput.begin(claim)) {
        FileSystem fs = out.fileSystem();
        for (Path f : files) {
          String rel = local.relativize(f).toString();
          fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(f.toUri()),
              new org.apache.hadoop.fs.Path(out.path(rel)));
        }
        out.commit();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + reportDir, e);
    } finally {
      if (local != null) {
        try (var walk = Files.walk(local)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
          // a temp folder left behind is harmless
        }
      }
    }
  }
}
