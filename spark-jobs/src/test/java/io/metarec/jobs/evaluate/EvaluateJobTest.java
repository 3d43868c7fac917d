package io.metarec.jobs.evaluate;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.report.EvalReport;
import io.metarec.report.MethodResult;
import io.metarec.report.MetricValue;
import io.metarec.report.ReportWriter;
import io.metarec.spark.JobFailedException;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation job end to end on a tiny synthetic task set and a briefly trained model. */
class EvaluateJobTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Path tasks;
  private static Path model;

  @BeforeAll
  static void data() {
    tasks = TestSpark.syntheticTasks(shared, 400, "tasks.supportSize=5", "split.validation=0.1",
        "split.test=0.2");
    model = shared.resolve("model");
    TrainJob.run(SPARK, config(small("train.tasks=" + tasks, "train.model=" + model,
        "meta.iterations=40", "train.validateEvery=10", "train.checkpointEvery=20")));
  }

  private static String[] small(String... more) {
    return TestSpark.with(new String[] {"model.embeddingDim=8", "model.hidden=[16]",
        "model.userDim=8", "meta.tasksPerIteration=64", "meta.outerLr=0.01",
        "train.partitions=4"}, more);
  }

  private static String[] eval(Path report, String... more) {
    return TestSpark.with(small("evaluate.tasks=" + tasks, "evaluate.models=[\"" + model + "\"]",
        "evaluate.report=" + report, "evaluate.ks=[1, 3, 5]", "evaluate.steps=[0, 1, 5]",
        "evaluate.stepsK=5", "evaluate.als.iterations=5", "evaluate.partitions=3"), more);
  }

  @Test
  void everyMethodIsScoredAtEveryKAndTheReportIsWritten(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report");
    EvaluateJob.Result r = EvaluateJob.run(SPARK, config(eval(report)));
    EvalReport rep = r.report();
    List<String> names = rep.methods().stream().map(MethodResult::name).toList();
    assertEquals(List.of("meta", "no-adapt", "global", "item-mean", "bias", "als", "scratch"), names);
    assertTrue(r.users() > 20, "users scored: " + r.users());
    assertEquals(r.users(), ((Number) rep.dataset().get("usersScored")).longValue());
    for (MethodResult m : rep.methods()) {
      assertEquals(List.of(1, 3, 5), List.copyOf(m.byK().keySet()));
      for (Map<String, MetricValue> values : m.byK().values()) {
        for (String metric : List.of("mae", "rmse", "ndcg@10", "precision@10", "recall@10")) {
          MetricValue v = values.get(metric);
          assertTrue(Double.isFinite(v.mean()) && Double.isFinite(v.ci95()) && v.ci95() > 0,
              m.name() + " " + metric + " " + v);
        }
        assertEquals(r.users(), values.get("mae").users());
      }
    }
    // Every K is scored on the same query rows: the global mean cannot depend on K.
    MethodResult global = method(rep, "global");
    assertEquals(global.byK().get(1).get("mae").mean(), global.byK().get(5).get("mae").mean(), 1e-9);
    // The bias model uses the support: more support helps it; the trained model beats the global
    // mean and its own unadapted initialization at K = 5.
    assertTrue(mae(rep, "bias", 5) < mae(rep, "bias", 1));
    assertTrue(mae(rep, "meta", 5) < mae(rep, "global", 5));
    assertTrue(mae(rep, "als", 5) < mae(rep, "global", 5));
    assertEquals(List.of(0, 1, 5), rep.steps().steps());
    // The steps curve at its model's own step count equals the main result at that K.
    assertTrue(rep.steps().byMetric().get("mae").stream().allMatch(v -> Double.isFinite(v.mean())));
    // The report: files written, charts referenced, metrics.json readable.
    for (String f : List.of("metrics.json", "report.md", "report.html")) {
      assertTrue(Files.size(report.resolve(f)) > 0, f);
    }
    String md = Files.readString(report.resolve("report.md"));
    try (var pngs = Files.list(report)) {
      List<Path> charts = pngs.filter(p -> p.toString().endsWith(".png")).toList();
      assertTrue(charts.size() >= 3, "charts: " + charts);
      for (Path c : charts) {
        assertTrue(md.contains(c.getFileName().toString()), c + " referenced in report.md");
      }
    }
    EvalReport back = ReportWriter.read(report.resolve("metrics.json"));
    assertEquals(mae(rep, "meta", 5), mae(back, "meta", 5), 1e-12);
    assertEquals(1, rep.training().size(), "the model's metrics.csv is in the report");
    // The headline: meta against the best of the baselines (no-adapt, scratch included) per K and
    // leading metric; the paired mean difference is the difference of the two means (same users).
    assertEquals(3 * 3, rep.headline().size(), rep.headline().toString());
    for (io.metarec.report.HeadlineRow h : rep.headline()) {
      assertEquals("meta", h.method());
      assertTrue(!h.baseline().equals("meta") && names.contains(h.baseline()), h.toString());
      boolean lower = EvalReport.lowerIsBetter(h.metric());
      for (MethodResult m : rep.methods().subList(1, rep.methods().size())) {
        double v = m.byK().get(h.k()).get(h.metric()).mean();
        assertTrue(lower ? v >= h.baselineMean() : v <= h.baselineMean(), m.name() + " " + h);
      }
      assertEquals(method(rep, "meta").byK().get(h.k()).get(h.metric()).mean(), h.methodMean(), 1e-12);
      assertEquals(h.methodMean() - h.baselineMean(), h.diff(), 1e-9, h.toString());
      assertTrue(Double.isFinite(h.ci95()) && h.ci95() >= 0, h.toString());
      assertEquals(r.users(), h.users());
    }
    assertTrue(md.indexOf("## Headline") < md.indexOf("## Results"), md);
    assertEquals(rep.headline(), back.headline());
  }

  @Test
  void theSameRunTwiceGivesTheSameNumbers(@TempDir Path dir) {
    EvalReport a = EvaluateJob.run(SPARK, config(eval(dir.resolve("a"),
        "evaluate.baselines=[bias]", "evaluate.steps=[]"))).report();
    EvalReport b = EvaluateJob.run(SPARK, config(eval(dir.resolve("b"),
        "evaluate.baselines=[bias]", "evaluate.steps=[]", "evaluate.partitions=5"))).report();
    for (String m : List.of("meta", "bias")) {
      for (int k : List.of(1, 3, 5)) {
        assertEquals(mae(a, m, k), mae(b, m, k), 1e-9, m + " K=" + k);
      }
    }
  }

  @Test
  void theTaskSplitProtocolScoresEachTasksOwnSupportAndQuery(@TempDir Path dir) throws Exception {
    // The tasks were built with supportSize = 5: their own split is the strict protocol at K = 5.
    EvalReport own = EvaluateJob.run(SPARK, config(eval(dir.resolve("own"),
        "evaluate.protocol=task-split", "evaluate.baselines=[bias, als]",
        "evaluate.steps=[0, 1]"))).report();
    EvalReport strict = EvaluateJob.run(SPARK, config(eval(dir.resolve("strict"),
        "evaluate.ks=[5]", "evaluate.baselines=[bias, als]", "evaluate.steps=[]"))).report();
    assertEquals(List.of(0), own.ks());
    for (String m : List.of("meta", "bias")) {
      assertEquals(mae(strict, m, 5), mae(own, m, 0), 1e-9, m);
    }
    assertTrue(Files.readString(dir.resolve("own/report.md")).contains("task-split protocol"));
  }

  @Test
  void theEnsembleAveragesTheMetaModelsPredictions(@TempDir Path dir) {
    // The same model twice: the mean of two identical predictions is each of them.
    EvalReport r = EvaluateJob.run(SPARK, config(eval(dir.resolve("r"), "evaluate.models=[\""
        + model + "\", \"" + model + "\"]", "evaluate.baselines=[global]",
        "evaluate.steps=[]"))).report();
    assertEquals(List.of("meta", "model", "meta-ensemble", "global"),
        r.methods().stream().map(MethodResult::name).toList());
    for (int k : List.of(1, 3, 5)) {
      assertEquals(mae(r, "meta", k), mae(r, "meta-ensemble", k), 1e-6);
      assertEquals(mae(r, "meta", k), mae(r, "model", k), 1e-12);
    }
  }

  @Test
  void usersWithNothingAfterTheLargestKAreCountedAndSkipped(@TempDir Path dir) {
    // Synthetic users have at least 6 interactions; K up to 40 leaves some with an empty query.
    EvaluateJob.Result r = EvaluateJob.run(SPARK, config(eval(dir.resolve("r"),
        "evaluate.ks=[1, 40]", "evaluate.steps=[]", "evaluate.baselines=[global]")));
    assertTrue(r.skipped() > 0 && r.users() > 0, r.users() + " scored, " + r.skipped() + " skipped");
    assertEquals(r.skipped(), ((Number) r.report().dataset().get("usersSkipped")).longValue());
  }

  @Test
  void aModelOfAnotherTaskSetIsRefusedByName(@TempDir Path dir) {
    Path other = dir.resolve("other");
    Path gen = shared.resolve("gen");
    BuildTasksJob.run(SPARK, config("input.path=" + gen.resolve("interactions"),
        "buildTasks.out=" + other, "tasks.supportSize=5"));
    JobFailedException e = assertThrows(JobFailedException.class, () -> EvaluateJob.run(SPARK,
        config(eval(dir.resolve("r"), "evaluate.tasks=" + other))));
    assertTrue(e.getMessage().contains(model.toString()) && e.getMessage().contains("does not fit"),
        e.getMessage());
  }

  @Test
  void aModelOfAnotherVocabularyIsMappedByItemIdNotByIndex(@TempDir Path dir) {
    // The probe's case: data generated with another seed, built into a task set of the same shape,
    // where item index 1 is another item id than in the model's task set.
    Path gen = dir.resolve("gen7");
    io.metarec.jobs.GenerateJob.run(SPARK, config("generate.out=" + gen, "generate.size=tiny",
        "generate.users=400", "seed=7"));
    Path other = dir.resolve("tasks7");
    BuildTasksJob.run(SPARK, config("input.path=" + gen.resolve("interactions"),
        "input.userFeatures.path=" + gen.resolve("users"),
        "input.itemFeatures.path=" + gen.resolve("items"), "buildTasks.out=" + other,
        "tasks.supportSize=5", "split.validation=0.1", "split.test=0.2"));
    Map<String, Integer> mine = TestSpark.vocab(tasks, "item");
    Map<String, Integer> theirs = TestSpark.vocab(other, "item");
    assertTrue(mine.entrySet().stream().anyMatch(e -> theirs.containsKey(e.getKey())
        && !theirs.get(e.getKey()).equals(e.getValue())), "some item has another index there");

    var conf = SPARK.sparkContext().hadoopConfiguration();
    io.metarec.store.ModelFiles.Model m = io.metarec.store.ModelFiles.load(conf,
        model.toString());
    io.metarec.store.ModelFiles.Model mapped = io.metarec.store.ModelFiles.ontoTaskSet(
        SPARK, m, io.metarec.store.TaskSet.spec(conf, other.toString()), other.toString(), 42,
        0.1f);
    int bias = m.theta().layout().itemBias;
    int checked = 0;
    for (Map.Entry<String, Integer> e : theirs.entrySet()) {
      Integer was = mine.get(e.getKey());
      if (was != null) {
        assertEquals(m.theta().segment(bias)[was][0], mapped.theta().segment(bias)[e.getValue()][0],
            "item " + e.getKey() + " keeps its row");
        checked++;
      }
    }
    assertTrue(checked > 20, checked + " items in both");
    // The evaluation runs on the mapped model.
    EvaluateJob.Result r = EvaluateJob.run(SPARK, config(eval(dir.resolve("r"),
        "evaluate.tasks=" + other, "evaluate.baselines=[global]", "evaluate.steps=[]")));
    assertTrue(r.users() > 0);
  }

  @Test
  void aModelWithoutItsVocabularyIsRefused(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("model");
    TestSpark.copyTree(model, copy);
    try (var walk = Files.walk(copy.resolve("vocab"))) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    JobFailedException e = assertThrows(JobFailedException.class, () -> EvaluateJob.run(SPARK,
        config(eval(dir.resolve("r"), "evaluate.models=[\"" + copy + "\"]"))));
    assertTrue(e.getMessage().contains("is incomplete: it has no vocab/features.json"),
        e.getMessage());
  }

  @Test
  void aPretrainedModelIsScoredWithAndWithoutFineTuning(@TempDir Path dir) {
    Path pretrained = dir.resolve("pretrained");
    io.metarec.jobs.pretrain.PretrainJob.run(SPARK, config(small("pretrain.tasks=" + tasks,
        "pretrain.model=" + pretrained, "pretrain.epochs=2")));
    EvalReport r = EvaluateJob.run(SPARK, config(eval(dir.resolve("r"), "evaluate.models=[\""
        + model + "\", \"" + pretrained + "\"]", "evaluate.baselines=[global]",
        "evaluate.steps=[]"))).report();
    assertEquals(List.of("meta", "pretrain", "pretrain+finetune", "global"),
        r.methods().stream().map(MethodResult::name).toList());
    // Fine-tuning on the support changes the pretrained model's predictions.
    assertTrue(mae(r, "pretrain+finetune", 5) != mae(r, "pretrain", 5));
    assertTrue(mae(r, "pretrain", 5) < mae(r, "global", 5) * 1.2);
  }

  private static MethodResult method(EvalReport r, String name) {
    return r.methods().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  private static double mae(EvalReport r, String name, int k) {
    return method(r, name).byK().get(k).get("mae").mean();
  }
}
