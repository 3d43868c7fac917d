package io.metarec.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.jobs.evaluate.EvalMethod.Kind;
import io.metarec.report.HeadlineRow;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The report's headline: the paired differences of the same users, the best baseline per metric,
 * and the interval against values computed by hand.
 */
class HeadlineTest {
  private static final List<EvalMethod> METHODS = List.of(
      new EvalMethod("meta", "", Kind.MODEL, 0, null),
      new EvalMethod("item-mean", "", Kind.ITEM_MEAN, -1, null),
      new EvalMethod("bias", "", Kind.BIAS, -1, null));
  // Explicit feedback: metrics mae, rmse, ndcg@10, precision@10, recall@10.
  private static final EvalPlan PLAN = new EvalPlan(List.of(5), 10, 4.0, 1, List.of(), 5, -1, 7,
      true, 1, 5, METHODS, List.of(), false, 20, 0, List.of(1, 2));

  /** One user's values of the three methods: mae given, rmse = mae + 0.1, ndcg given, 0 for the rest. */
  private static void user(EvalAccumulator acc, double[] mae, double[] ndcg) {
    double[][] values = new double[3][];
    for (int m = 0; m < 3; m++) {
      values[m] = new double[] {mae[m], mae[m] + 0.1, ndcg[m], 0, 0};
      for (int j = 0; j < 5; j++) {
        acc.stat(m, 0, j).add(values[m][j]);
      }
    }
    acc.addPaired(0, PLAN.headline(), PLAN.headlineBaselines(), values);
  }

  private static EvalAccumulator accumulator() {
    return new EvalAccumulator(3, 1, 5, 0, 2);
  }

  @Test
  void theBestBaselineAndThePairedIntervalMatchTheHandComputedValues() {
    EvalAccumulator acc = accumulator();
    //            meta  item-mean bias           meta item-mean bias
    user(acc, new double[] {0.80, 0.90, 0.85}, new double[] {0.70, 0.20, 0.50});
    user(acc, new double[] {0.90, 1.00, 0.95}, new double[] {0.80, 0.30, 0.60});
    user(acc, new double[] {0.70, 0.95, 0.90}, new double[] {0.75, 0.25, 0.55});
    List<HeadlineRow> rows = EvaluateJob.headline(PLAN, acc);
    assertEquals(List.of("mae", "rmse", "ndcg@10"), rows.stream().map(HeadlineRow::metric).toList());

    // MAE: bias has the lower mean (0.9 vs 0.95); meta - bias per user -0.05, -0.05, -0.2:
    // mean -0.1, sd sqrt(0.0075), t(0.975, 2) = 4.303, half-width 4.303 * sd / sqrt(3) = 0.21515.
    HeadlineRow mae = rows.get(0);
    assertEquals("bias", mae.baseline());
    assertEquals(0.8, mae.methodMean(), 1e-12);
    assertEquals(0.9, mae.baselineMean(), 1e-12);
    assertEquals(-0.1, mae.diff(), 1e-12);
    assertEquals(4.303 * Math.sqrt(0.0075) / Math.sqrt(3), mae.ci95(), 1e-9);
    assertEquals(3, mae.users());
    assertTrue(mae.better());
    assertFalse(mae.significant(), "|-0.1| < 0.215: a tie");

    // nDCG: bias again (0.55 vs 0.25); differences 0.2, 0.2, 0.2: no spread, so the interval is
    // [0.2, 0.2] and excludes 0 in meta's favour.
    HeadlineRow ndcg = rows.get(2);
    assertEquals("bias", ndcg.baseline());
    assertEquals(0.2, ndcg.diff(), 1e-12);
    assertEquals(0.0, ndcg.ci95(), 1e-12);
    assertTrue(ndcg.better() && ndcg.significant());
  }

  @Test
  void partitionsMergeToTheSameHeadline() {
    EvalAccumulator one = accumulator();
    EvalAccumulator a = accumulator();
    EvalAccumulator b = accumulator();
    double[][] mae = {{0.8, 0.9, 0.85}, {0.9, 1.0, 0.95}, {0.7, 0.95, 0.9}, {1.1, 0.9, 1.2}};
    double[][] ndcg = {{0.7, 0.2, 0.5}, {0.8, 0.3, 0.6}, {0.75, 0.25, 0.55}, {0.1, 0.9, 0.3}};
    for (int u = 0; u < 4; u++) {
      user(one, mae[u], ndcg[u]);
      user(u < 2 ? a : b, mae[u], ndcg[u]);
    }
    List<HeadlineRow> merged = EvaluateJob.headline(PLAN, a.mergeInPlace(b));
    List<HeadlineRow> whole = EvaluateJob.headline(PLAN, one);
    for (int i = 0; i < whole.size(); i++) {
      assertEquals(whole.get(i).baseline(), merged.get(i).baseline());
      assertEquals(whole.get(i).diff(), merged.get(i).diff(), 1e-12);
      assertEquals(whole.get(i).ci95(), merged.get(i).ci95(), 1e-12);
    }
  }

  @Test
  void aPlanWithoutAHeadlineHasNoRows() {
    EvalPlan none = new EvalPlan(List.of(5), 10, 4.0, 1, List.of(), 5, -1, 7, true, 1, 5, METHODS,
        List.of(), false, 20);
    assertTrue(EvaluateJob.headline(none, new EvalAccumulator(3, 1, 5, 0)).isEmpty());
  }
}
