package io.metarec.jobs.pretrain;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.MetaRecConfig;
import io.metarec.store.ModelFiles;
import io.metarec.store.TaskSet;
import io.metarec.spark.SparkValidator;
import io.metarec.train.ValidationMetrics;
import io.metarec.config.InnerLoopConfig;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.Params;
import io.metarec.spark.JobFailedException;
import io.metarec.task.ItemFeatureTable;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretrain job on a tiny synthetic task set with a small model. */
class PretrainJobTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Path tasks;

  @BeforeAll
  static void data() {
    tasks = TestSpark.syntheticTasks(shared, 300, "tasks.supportSize=5", "split.validation=0.2",
        "split.test=0.1");
  }

  private static MetaRecConfig small(Path model, String... more) {
    return config(TestSpark.with(new String[] {"pretrain.tasks=" + tasks,
        "pretrain.model=" + model, "model.embeddingDim=8", "model.hidden=[16]",
        "model.userDim=8", "pretrain.epochs=4", "pretrain.batchSize=32",
        "pretrain.averagingFrequency=3", "pretrain.learningRate=0.005"}, more));
  }

  @Test
  void pretrainingBeatsTheUntrainedInitialization(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model");
    PretrainJob.Result r = PretrainJob.run(SPARK, small(model));
    assertTrue(Files.exists(model.resolve("params.bin")));
    assertTrue(Files.exists(model.resolve("metrics.csv")));
    assertTrue(Files.exists(model.resolve("vocab").resolve("features.json")));
    try (Stream<Path> siblings = Files.list(dir)) {
      assertEquals(1, siblings.count(), "the exported minibatches must be removed");
    }
    ModelFiles.Model loaded = ModelFiles.load(SPARK.sparkContext().hadoopConfiguration(),
        model.toString());
    assertEquals("metarec-model", loaded.manifest().kind());
    assertEquals(PretrainJob.TRAINED_BY, loaded.manifest().trainedBy());
    assertTrue(loaded.pretrained());
    assertTrue(loaded.theta().bitEquals(r.theta()), "the written parameters load back");
    // Every epoch run is validated and recorded; the model is the best epoch's.
    assertEquals(r.epochs(), loaded.manifest().run().epochs());
    List<String> lines = Files.readAllLines(model.resolve("metrics.csv"));
    assertEquals("epoch,elapsed_s,dl4j_score,val_mae,val_rmse,val_ndcg", lines.get(0));
    assertEquals(r.epochScores().length, lines.size() - 1);
    assertTrue(r.epochScores().length <= 4 && r.epochs() <= r.epochScores().length);
    double bestCurve = lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[3]))
        .min().orElseThrow();
    assertEquals(bestCurve, r.validation().mae(), 1e-12, "the model is the best epoch's");
    assertEquals(bestCurve, Double.parseDouble(lines.get(r.epochs()).split(",")[3]), 1e-12);
    assertTrue(loaded.manifest().run().wallSeconds() > 0);
    assertEquals(r.trainLoss(), loaded.manifest().metrics().trainLoss(), 1e-12);
    assertTrue(loaded.manifest().training().has("pretrain"));

    // Validation MAE without adaptation (0 inner steps): the loaded model against the untrained
    // initialization, plain (μ = 0) and with μ and the item biases set from the training labels
    // (where pretraining starts).
    MetaRecConfig cfg = small(model);
    ModelSpec spec = loaded.spec();
    TaskSet.Spec data = TaskSet.spec(SPARK.sparkContext().hadoopConfiguration(), tasks.toString());
    ItemFeatureTable items = TaskSet.items(SPARK, tasks.toString(), data);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SPARK.sparkContext());
    Broadcast<ModelSpec> bSpec = jsc.broadcast(spec);
    Broadcast<ItemFeatureTable> bItems = jsc.broadcast(items);
    // No adaptation at all: no steps and no solve (the default inner loop solves the user part).
    InnerLoopConfig none = cfg.engine().inner().withSteps(0)
        .withUserSolver(io.metarec.config.UserSolver.SGD);
    var valid = TaskSet.tasks(SPARK, tasks.toString(), "validation");
    ValidationMetrics trained = new SparkValidator(jsc, valid, bSpec, bItems, none, 42).validate(loaded.theta());
    Params init = ParamInitializer.initialize(spec, cfg.seed(), cfg.engine().meta().embeddingStd(),
        cfg.engine().meta().lambdaInit());
    ValidationMetrics plain = new SparkValidator(jsc, valid, bSpec, bItems, none, 42).validate(init);
    var stats = TaskSet.itemStats(TaskSet.tasks(SPARK, tasks.toString(), "train"),
        spec.numItems());
    ParamInitializer.initBiasesFromStatsInPlace(init, stats.sums(), stats.counts(),
        cfg.engine().meta().itemBiasShrinkage());
    ValidationMetrics biases = new SparkValidator(jsc, valid, bSpec, bItems, none, 42).validate(init);
    bSpec.destroy();
    bItems.destroy();
    System.out.printf("pretrained MAE %.4f vs untrained %.4f (plain) and %.4f (biases from the "
        + "labels); train loss %.4f%n", trained.mae(), plain.mae(), biases.mae(), r.trainLoss());
    assertEquals(trained.mae(), r.validation().mae(), 1e-9);
    assertTrue(trained.mae() < 0.5 * plain.mae(),
        "pretrained MAE " + trained.mae() + " vs plain initialization " + plain.mae());
    // The bias initialization is already the bias baseline, and without adaptation a new user is
    // known only by features and support items (not their ratings): on this tiny set 1% is a real
    // margin (as in TrainJobTest).
    assertTrue(trained.mae() < 0.99 * biases.mae(),
        "pretrained MAE " + trained.mae() + " vs bias initialization " + biases.mae());
  }

  @Test
  void aMissingTaskSetIsAClearError(@TempDir Path dir) {
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> PretrainJob.run(SPARK, config("pretrain.tasks=" + dir.resolve("nope"),
            "pretrain.model=" + dir.resolve("model"))));
    assertTrue(e.getMessage().contains("is not a build-tasks output"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("model")));
    JobFailedException blank = assertThrows(JobFailedException.class,
        () -> PretrainJob.run(SPARK, config("pretrain.model=" + dir.resolve("model"))));
    assertTrue(blank.getMessage().contains("--tasks"), blank.getMessage());
  }
}
