package io.metarec.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metarec.jobs.evaluate.EvalMethod.Kind;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.testing.TestSpark;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** The closed-form baselines and the per-user scoring on a data set small enough to do by hand. */
class BaselinesTest {
  private static final int[][] NO_FEATURES = new int[0][];
  // Training users: A rated item 1 → 4, item 2 → 2; B rated item 1 → 5, item 3 → 3.
  private static final List<Task> TRAIN = List.of(
      new Task(1, new int[] {1, 2}, new float[] {4, 2}, 1, NO_FEATURES),
      new Task(2, new int[] {1, 3}, new float[] {5, 3}, 1, NO_FEATURES));

  private static Baselines fit() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    return Baselines.fit(jsc.parallelize(TRAIN, 2), 4, 1.0, 1.0);
  }

  @Test
  void meanItemBiasesAndUserBiasMatchTheHandComputedValues() {
    Baselines b = fit();
    // mu = (4 + 2 + 5 + 3) / 4
    assertEquals(3.5, b.mu, 1e-12);
    // b_1 = ((4 - 3.5) + (5 - 3.5)) / (2 + 1); b_2 = (2 - 3.5) / (1 + 1); b_3 = (3 - 3.5) / 2
    assertEquals(2.0 / 3, b.itemBias[1], 1e-6);
    assertEquals(-0.75, b.itemBias[2], 1e-6);
    assertEquals(-0.25, b.itemBias[3], 1e-6);
    assertEquals(0, b.itemBias[0], 0);
    assertEquals(2, b.popularity[1], 0);
    // A cold user rated item 1 → 5: b_u = (5 - 3.5 - 2/3) / (1 + 1)
    assertEquals((5 - 3.5 - 2.0 / 3) / 2, b.userBias(new int[] {1}, new float[] {5}, 1), 1e-6);
    assertEquals(0, b.userBias(new int[0], new float[0], 0), 0);
  }

  @Test
  void theScorerAveragesPerUserMetricsOnTheRowsAfterTheLargestK() {
    Baselines b = fit();
    List<EvalMethod> methods = List.of(
        new EvalMethod("global", "", Kind.GLOBAL, -1, null),
        new EvalMethod("item-mean", "", Kind.ITEM_MEAN, -1, null),
        new EvalMethod("bias", "", Kind.BIAS, -1, null));
    EvalPlan plan = new EvalPlan(List.of(1), 10, 4.0, 1, List.of(), 1, -1, 7, true, 1, 5, methods,
        List.of(), false, 20);
    UserScorer scorer = new UserScorer(plan, new io.metarec.model.Params[0], ItemFeatureTable.empty(4, 0), b, null,
        null);
    EvalAccumulator acc = new EvalAccumulator(3, 1, plan.metricNames().size(), 0);
    // The cold user: support = item 1 → 5; query = item 2 → 1, item 3 → 4.
    scorer.score(0, new Task(9, new int[] {1, 2, 3}, new float[] {5, 1, 4}, 1, NO_FEATURES), acc);
    // A user with nothing after K = 1 is skipped, not scored as zero.
    scorer.score(1, new Task(10, new int[] {1}, new float[] {5}, 1, NO_FEATURES), acc);
    assertEquals(1, acc.users);
    assertEquals(1, acc.skipped);
    // global predicts 3.5 for both: |3.5 - 1| = 2.5, |3.5 - 4| = 0.5
    assertEquals(1.5, acc.stat(0, 0, 0).mean(), 1e-6);
    assertEquals(Math.sqrt((2.5 * 2.5 + 0.5 * 0.5) / 2), acc.stat(0, 0, 1).mean(), 1e-6);
    // A tie keeps row order: item 2 (gain 1) ranks first, item 3 (gain 15) second.
    double dcg = 1 + 15 / (Math.log(3) / Math.log(2));
    double idcg = 15 + 1 / (Math.log(3) / Math.log(2));
    assertEquals(dcg / idcg, acc.stat(0, 0, 2).mean(), 1e-6);
    // item-mean predicts 2.75 and 3.25: errors 1.75 and 0.75
    assertEquals(1.25, acc.stat(1, 0, 0).mean(), 1e-6);
    // bias adds b_u = 5/12: 3.1667 and 3.6667; ranking is ideal
    double bu = (5 - 3.5 - 2.0 / 3) / 2;
    assertEquals((Math.abs(2.75 + bu - 1) + Math.abs(3.25 + bu - 4)) / 2, acc.stat(2, 0, 0).mean(),
        1e-6);
    assertEquals(1.0, acc.stat(2, 0, 2).mean(), 1e-9);
    // precision@10 with threshold 4 over min(10, 2) rows: one relevant row of two
    assertEquals(0.5, acc.stat(2, 0, 3).mean(), 1e-9);
    assertEquals(1.0, acc.stat(2, 0, 4).mean(), 1e-9);
    assertEquals(2, acc.pooledRows[0]);
    assertEquals(3.0, acc.pooledAbs[0], 1e-6);
  }

  @Test
  void implicitUsersAreRankedAgainstEveryUnseenItemAndAgainstSampledOnes() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    Baselines b = Baselines.fit(jsc.parallelize(TRAIN, 2), 12, 1.0, 1.0);
    // Popularity over TRAIN: item 1 → 2, items 2 and 3 → 1, items 4..11 → 0 (index 0 unknown).
    List<EvalMethod> methods = List.of(new EvalMethod("item-mean", "", Kind.ITEM_MEAN, -1, null));
    io.metarec.model.ModelSpec spec = io.metarec.meta.TestFixtures.tinySpec(
        io.metarec.model.Feedback.IMPLICIT, true, io.metarec.model.Activation.RELU);
    EvalPlan plan = new EvalPlan(List.of(1), 1, 4.0, 1, List.of(), 1, -1, 7, false, 0, 1,
        methods, List.of(spec), false, 2);
    UserScorer scorer = new UserScorer(plan,
        new io.metarec.model.Params[] {io.metarec.meta.TestFixtures.randomParams(spec, 1)},
        io.metarec.meta.TestFixtures.tinyItems(12), b, null, null);
    EvalAccumulator acc = new EvalAccumulator(1, 1, plan.metricNames().size(), 0);
    // Support: item 2; query: item 3. Unseen: 1 and 4..11, which score 0.
    // Full ranking: item 1 (2) first, then item 3 (1): hr@1 = 0, ndcg@1 = 0, recall@2 = 1.
    int[][] uf = {{1}, {2}};
    scorer.score(0, new Task(9, new int[] {2, 3}, new float[] {1, 1}, 1, uf), acc);
    // A user whose query is empty is skipped.
    scorer.score(1, new Task(10, new int[] {2}, new float[] {1}, 1, uf), acc);
    assertEquals(1, acc.users);
    assertEquals(1, acc.skipped);
    assertEquals(List.of("hr@1_full", "ndcg@1_full", "recall@2_full", "auc", "hr@1", "ndcg@1"),
        plan.metricNames());
    assertEquals(0.0, acc.stat(0, 0, 0).mean(), 0);
    assertEquals(0.0, acc.stat(0, 0, 1).mean(), 0);
    assertEquals(1.0, acc.stat(0, 0, 2).mean(), 0);
    // The one sampled negative is an unseen item: item 1 (AUC 0) or one scoring 0 (AUC 1).
    double auc = acc.stat(0, 0, 3).mean();
    assertEquals(true, auc == 0.0 || auc == 1.0, "auc " + auc);
  }
}
