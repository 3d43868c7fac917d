package io.metarec.ml;

import static io.metarec.testing.TestSpark.config;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.GenerateJob;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Estimator in a Pipeline: fit, predictions for an evaluator, save and load, top-n lists. */
class MetaRecEstimatorTest {
  private static final SparkSession SPARK = TestSpark.session();
  @TempDir static Path shared;
  private static Dataset<Row> train;
  private static Dataset<Row> history;
  private static Dataset<Row> query;

  @BeforeAll
  static void data() {
    Path gen = shared.resolve("gen");
    GenerateJob.run(SPARK, config("generate.out=" + gen, "generate.size=tiny"));
    Dataset<Row> all = SPARK.read().parquet(gen.resolve("interactions").toString());
    // Cold-start users apart: every fifth user by hash; their first 5 events are the history.
    Dataset<Row> byUser = all.withColumn("cold", org.apache.spark.sql.functions.abs(
        org.apache.spark.sql.functions.hash(col("user_id"))).mod(5).equalTo(0));
    train = byUser.filter(col("cold").equalTo(false)).drop("cold");
    Dataset<Row> cold = byUser.filter(col("cold")).drop("cold").withColumn("k", row_number()
        .over(Window.partitionBy("user_id").orderBy("timestamp", "item_id")));
    history = cold.filter(col("k").leq(5)).drop("k").cache();
    query = cold.filter(col("k").gt(5)).drop("k").cache();
  }

  private static MetaRec estimator() {
    return new MetaRec().setUserCol("user_id").setItemCol("item_idx").setRatingCol("rating")
        .setTimestampCol("timestamp").setSupportSize(5).setConfig(new String[] {
            "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8", "meta.iterations=6",
            "meta.tasksPerIteration=32", "train.partitions=2", "split.validation=0.2"});
  }

  private static List<Row> sorted(Dataset<Row> predictions) {
    return predictions.select("user_id", "item_id", "prediction").orderBy("user_id", "item_id")
        .collectAsList();
  }

  @Test
  void aPipelineFitsPredictsForAnEvaluatorAndRoundTripsThroughSaveAndLoad(@TempDir Path dir)
      throws Exception {
    StringIndexer indexer = new StringIndexer().setInputCol("item_id").setOutputCol("item_idx")
        .setHandleInvalid("keep");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {indexer,
        estimator().setWorkDir(dir.resolve("work").toUri().toString())});
    PipelineModel pm = pipeline.fit(train);
    MetaRecModel stage = (MetaRecModel) pm.stages()[1];
    assertTrue(Files.isRegularFile(dir.resolve("work/model/model.json")));
    stage.setHistory(pm.stages()[0].transform(history));
    Dataset<Row> predictions = pm.transform(query);
    assertTrue(List.of(predictions.columns()).contains("prediction"));
    assertEquals(query.count(), predictions.count(), "one prediction per row");
    List<Row> got = sorted(predictions);
    long known = got.stream().filter(r -> !Float.isNaN(r.getFloat(2))).count();
    assertTrue(known > got.size() * 0.9, known + " of " + got.size() + " rows predicted");
    for (Row r : got) {
      float p = r.getFloat(2);
      assertTrue(Float.isNaN(p) || (p >= 1 && p <= 5), "a rating in the label range: " + p);
    }
    double rmse = new RegressionEvaluator().setLabelCol("rating").setPredictionCol("prediction")
        .setMetricName("rmse").evaluate(stage.setColdStartStrategy("drop")
            .transform(pm.stages()[0].transform(query)));
    assertTrue(Double.isFinite(rmse) && rmse < 2.0, "rmse " + rmse);
    stage.setColdStartStrategy("nan");

    // Adapting to the history changes the predictions of the cold users.
    MetaRecModel noHistory = stage.copy(org.apache.spark.ml.param.ParamMap.empty())
        .setHistory(null);
    List<Row> cold = sorted(noHistory.transform(pm.stages()[0].transform(query)));
    assertFalse(cold.equals(got), "histories personalize");

    pm.write().overwrite().save(dir.resolve("pipeline").toString());
    PipelineModel back = PipelineModel.load(dir.resolve("pipeline").toString());
    MetaRecModel loaded = (MetaRecModel) back.stages()[1];
    assertEquals(stage.uid(), loaded.uid());
    assertEquals("item_idx", loaded.getOrDefault(loaded.itemCol()));
    assertTrue(Files.isRegularFile(dir.resolve("pipeline/stages/1_" + stage.uid()
        + "/model/vocab/text/manifest.json")), "the model folder is saved in the project's format");
    loaded.setHistory(back.stages()[0].transform(history));
    assertEquals(got, sorted(back.transform(query)), "identical predictions after save and load");

    // Top-n lists: n per user, none of the user's history, the same after loading.
    Dataset<Row> indexed = pm.stages()[0].transform(history);
    List<Row> lists = stage.recommendForUserSubset(indexed, 4).orderBy("user_id").collectAsList();
    assertEquals(history.select("user_id").distinct().count(), lists.size());
    for (Row r : lists) {
      List<Row> recs = r.getList(1);
      assertEquals(4, recs.size());
      Set<String> seen = new HashSet<>();
      for (Row h : indexed.filter(col("user_id").equalTo(r.getString(0))).collectAsList()) {
        seen.add(String.valueOf(h.getDouble(h.fieldIndex("item_idx"))));
      }
      for (Row x : recs) {
        assertFalse(seen.contains(x.getString(0)), "not an item of the history");
      }
    }
    assertEquals(lists, loaded.recommendForUserSubset(back.stages()[0].transform(history), 4)
        .orderBy("user_id").collectAsList());
  }

  @Test
  void theEstimatorSavesItsParamsAndChecksItsColumns(@TempDir Path dir) throws Exception {
    MetaRec e = estimator();
    e.write().overwrite().save(dir.resolve("est").toString());
    MetaRec back = MetaRec.load(dir.resolve("est").toString());
    assertEquals(e.uid(), back.uid());
    assertEquals(5, back.getSupportSize());
    assertArrayEquals(e.getConfig(), back.getConfig());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> e.fit(train));
    assertTrue(missing.getMessage().contains("itemCol \"item_idx\" is not a column"),
        missing.getMessage());
    IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
        () -> new MetaRec().setRatingCol("user_id").transformSchema(train.schema()));
    assertTrue(text.getMessage().contains("ratingCol user_id must be numeric"), text.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MetaRec().setFeedback("stars"));
  }

  @Test
  void implicitFeedbackWeighsEachEventByItsCountColumn(@TempDir Path dir) {
    MetaRec e = new MetaRec().setUserCol("user_id").setItemCol("item_id")
        .setTimestampCol("timestamp").setFeedback("implicit").setWeightCol("rating")
        .setSupportSize(5).setWorkDir(dir.resolve("work").toUri().toString())
        .setConfig(new String[] {"model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8",
            "meta.iterations=6", "meta.tasksPerIteration=32", "train.partitions=2",
            "split.validation=0.2", "inner.userSolver=ridge",
            "train.selectAdaptation.enabled=false"});
    MetaRecModel m = e.fit(train);
    assertEquals("rating", m.getOrDefault(m.weightCol()), "the model reads the same column");
    // The task set's labels are the counts' weights log2(1 + count), not all 1.
    List<Float> labels = SPARK.read().parquet(dir.resolve("work/tasks/tasks").toString())
        .select(org.apache.spark.sql.functions.explode(col("support_labels"))).distinct()
        .collectAsList().stream().map(r -> r.getFloat(0)).sorted().toList();
    assertTrue(labels.size() > 1 && labels.get(0) == 1f && labels.contains(2f)
        && labels.contains(io.metarec.kernel.Losses.confidenceOfCount(5)), labels.toString());
    List<Row> weighted = sorted(m.setHistory(history).transform(query));
    MetaRecModel once = m.copy(org.apache.spark.ml.param.ParamMap.empty()).setWeightCol("");
    List<Row> unweighted = sorted(once.setHistory(history).transform(query));
    assertEquals(query.count(), weighted.size());
    assertFalse(weighted.equals(unweighted), "the history's counts weigh its events");

    IllegalArgumentException explicit = assertThrows(IllegalArgumentException.class,
        () -> new MetaRec().setWeightCol("rating").transformSchema(train.schema()));
    assertTrue(explicit.getMessage().contains("weightCol \"rating\" weighs the events of "
        + "implicit feedback"), explicit.getMessage());
    IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
        () -> new MetaRec().setFeedback("implicit").setWeightCol("user_id")
            .transformSchema(train.schema()));
    assertTrue(text.getMessage().contains("weightCol user_id must be numeric"), text.getMessage());
  }
}
