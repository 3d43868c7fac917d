package io.metarec.jobs.evaluate;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.train.TrainJob;
import io.metarec.report.EvalReport;
import io.metarec.report.MethodResult;
import io.metarec.report.MetricValue;
import io.metarec.testing.TestSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Implicit feedback end to end on the embedded world's implicit variant, with the defaults: the
 * meta model must rank the test users' later items far better than item popularity and better
 * than itself without adaptation.
 *
 * <p>Why these margins: the world's items are proposed by popularity and kept by taste, so
 * popularity is the best a model can do without reading the user, and the unadapted model only
 * reads the noisy demographics. Measured with this seed and these sizes (test users,
 * ndcg@10_full at K = 5): meta 0.481, no-adapt 0.428, popularity 0.369. The same training on
 * positives only ({@code inner.implicit.negatives=0}, {@code supportNegatives=0}: the earlier
 * implicit mode) reaches 0.355, below popularity; the same world with the explicit variant's
 * weak choice ({@code generate.choiceSharpness=2.5}, {@code choiceThreshold=0}) leaves meta at
 * 0.394 against popularity's 0.375. Either fails both assertions.
 */
class ImplicitSyntheticTest {
  private static final SparkSession SPARK = TestSpark.session();

  @Test
  void theMetaModelBeatsPopularityAndItselfUnadaptedOnPlantedImplicitTaste(@TempDir Path dir) {
    Path tasks = TestSpark.syntheticTasks(dir,
        new String[] {"generate.users=800", "generate.items=200", "generate.feedback=implicit"},
        "input.feedback=implicit", "split.validation=0.2", "split.test=0.2");
    Path model = dir.resolve("model");
    TrainJob.run(SPARK, config("input.feedback=implicit", "train.tasks=" + tasks,
        "train.model=" + model, "meta.iterations=150"));
    EvaluateJob.Result r = EvaluateJob.run(SPARK, config("input.feedback=implicit",
        "evaluate.tasks=" + tasks, "evaluate.models=[\"" + model + "\"]",
        "evaluate.report=" + dir.resolve("report"), "evaluate.split=test",
        "evaluate.baselines=[item-mean, no-adapt]", "evaluate.ks=[5, 10]", "evaluate.steps=[]"));
    EvalReport rep = r.report();
    assertEquals(List.of("meta", "no-adapt", "item-mean"),
        rep.methods().stream().map(MethodResult::name).toList());
    for (int k : new int[] {5, 10}) {
      MetricValue meta = ndcg(rep, "meta", k);
      double popularity = ndcg(rep, "item-mean", k).mean();
      double unadapted = ndcg(rep, "no-adapt", k).mean();
      assertTrue(meta.users() >= 60, "test users scored: " + meta.users());
      String figures = "K=" + k + ": meta " + meta.mean() + ", popularity " + popularity
          + ", no-adapt " + unadapted;
      assertTrue(meta.mean() >= 1.2 * popularity, figures);
      assertTrue(meta.mean() >= unadapted + 0.03, figures);
    }
  }

  private static MetricValue ndcg(EvalReport r, String method, int k) {
    MethodResult m = r.methods().stream().filter(x -> x.name().equals(method)).findFirst()
        .orElseThrow();
    return m.byK().get(k).get("ndcg@10_full");
  }
}
