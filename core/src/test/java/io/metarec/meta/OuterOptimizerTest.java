package io.metarec.meta;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.Task;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Outer SGD and lazy Adam: the update rule, sparsity of table updates, and state export/import. */
class OuterOptimizerTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.TANH);

  private static MetaGradientAccumulator acc(Params theta, List<Task> tasks) {
    MetaGradientAccumulator a = new MetaGradientAccumulator(theta.layout());
    TrainSettings s = new TrainSettings(TestFixtures.inner(2, UserSolver.SGD, Set.of(ParamGroup.DECISION,
        ParamGroup.USER)), TrainSettings.defaults().meta());
    new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems())).accumulate(tasks.iterator(), theta, s, 0, a);
    return a;
  }

  @Test
  void sgdSubtractsLrTimesMeanContribution() {
    Params theta = TestFixtures.randomParams(SPEC, 1);
    MetaGradientAccumulator a = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
    float[] before = theta.flatten();
    float[] g = a.toFlat();
    new SgdOuterOptimizer(0.5f).stepInPlace(theta, a);
    float[] after = theta.flatten();
    for (int k = 0; k < before.length; k++) {
      assertEquals(before[k] - 0.5f / 3 * g[k], after[k], 1e-6f * (1 + Math.abs(before[k])), "coordinate " + k);
    }
  }

  @Test
  void tableL2DecaysTouchedTableRowsOnly() {
    Params theta = TestFixtures.randomParams(SPEC, 1);
    MetaGradientAccumulator a = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
    Params before = theta.copy();
    float[] g = a.toFlat();
    new SgdOuterOptimizer(0.5f, 0.2f).stepInPlace(theta, a);
    int k = 0;
    int decayed = 0;
    for (Segment s : theta.layout().segments()) {
      for (int r = 0; r < s.rows(); r++) {
        boolean touched = s.table() && a.table(s.id()).get(r) != null;
        for (int c = 0; c < s.cols(); c++, k++) {
          float b = before.segment(s.id())[r][c];
          // touched rows: b - lr (g/n + l2 b); dense segments and untouched rows: b - lr g/n
          float want = b - 0.5f / 3 * g[k] - (touched ? 0.5f * 0.2f * b : 0f);
          assertEquals(want, theta.segment(s.id())[r][c], 1e-6f * (1 + Math.abs(b)), s.name() + " " + r);
          if (touched && b != 0f) {
            decayed++;
          }
        }
      }
    }
    assertTrue(decayed > 0);
  }

  @Test
  void theLearnedPriorStrengthStepsPriorLrRatioTimesAsFarAndNothingElseChanges() {
    Params theta = TestFixtures.randomParams(SPEC, 4);
    MetaGradientAccumulator a = new MetaGradientAccumulator(theta.layout());
    TrainSettings s = new TrainSettings(TestFixtures.inner(0, UserSolver.RIDGE,
        Set.of(ParamGroup.USER)), TrainSettings.defaults().meta());
    new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()))
        .accumulate(TestFixtures.tinyTasks(Feedback.EXPLICIT, 3).iterator(), theta, s, 0, a);
    int lam = theta.layout().logLambda;
    float g = a.toFlat()[(int) theta.layout().segment(lam).offset()];
    assertNotEquals(0f, g, "the ridge solve gives log lambda a gradient");
    float before = theta.segment(lam)[0][0];
    Params plain = theta.copy();
    Params fast = theta.copy();
    new AdamOuterOptimizer(theta.layout(), 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1f).stepInPlace(plain, a);
    new AdamOuterOptimizer(theta.layout(), 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 10f).stepInPlace(fast, a);
    // Adam's first step is the step size times the gradient's sign.
    assertEquals(-0.01f * Math.signum(g), plain.segment(lam)[0][0] - before, 1e-5f);
    assertEquals(-0.1f * Math.signum(g), fast.segment(lam)[0][0] - before, 1e-5f);
    float[] pf = plain.flatten();
    float[] ff = fast.flatten();
    int at = (int) theta.layout().segment(lam).offset();
    pf[at] = 0f;
    ff[at] = 0f;
    assertArrayEquals(pf, ff, "every other parameter takes the same step");
    Params sgd = theta.copy();
    new SgdOuterOptimizer(0.5f, 0f, 4f).stepInPlace(sgd, a);
    assertEquals(before - 4f * 0.5f / 3 * g, sgd.segment(lam)[0][0], 1e-6f);
  }

  @Test
  void setLearningRateChangesTheNextStepOnly() {
    Params theta = TestFixtures.randomParams(SPEC, 1);
    MetaGradientAccumulator a = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
    float[] before = theta.flatten();
    float[] g = a.toFlat();
    SgdOuterOptimizer sgd = new SgdOuterOptimizer(0.5f);
    sgd.setLearningRateInPlace(0.125f);
    sgd.stepInPlace(theta, a);
    float[] after = theta.flatten();
    for (int k = 0; k < before.length; k++) {
      assertEquals(before[k] - 0.125f / 3 * g[k], after[k], 1e-6f * (1 + Math.abs(before[k])), "coordinate " + k);
    }
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> sgd.setLearningRateInPlace(0f));
    assertTrue(e.getMessage().contains("got 0.0"), e.getMessage());
    AdamOuterOptimizer adam = new AdamOuterOptimizer(theta.layout(), 0.01f, 0.9f, 0.999f, 1e-8f);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> adam.setLearningRateInPlace(Float.NaN));
  }

  @Test
  void lazyAdamTouchesOnlyRowsInTheAccumulator() {
    Params theta = TestFixtures.randomParams(SPEC, 2);
    Params before = theta.copy();
    MetaGradientAccumulator a = acc(theta, List.of(TestFixtures.tinyTask(Feedback.EXPLICIT, 1)));
    new AdamOuterOptimizer(theta.layout(), 0.01f, 0.9f, 0.999f, 1e-8f).stepInPlace(theta, a);
    int changedRows = 0;
    for (Segment s : theta.layout().segments()) {
      if (!s.table()) {
        continue;
      }
      SparseRows rows = a.table(s.id());
      for (int r = 0; r < s.rows(); r++) {
        boolean present = rows.get(r) != null;
        boolean changed = !java.util.Arrays.equals(before.segment(s.id())[r], theta.segment(s.id())[r]);
        if (!present) {
          assertTrue(!changed, s.name() + " row " + r + " changed without a gradient");
        }
        changedRows += changed ? 1 : 0;
      }
    }
    assertTrue(changedRows > 0);
  }

  /**
   * Lazy Adam is dense Adam on the rows touched at every step and leaves the others' bits alone:
   * the reference here is the textbook update over every row, applied only where a row has a
   * gradient each step, on a table big enough that the step splits its rows between threads.
   */
  @Test
  void lazyAdamEqualsDenseAdamOnRowsTouchedEveryStepAndLeavesTheOthersBitIdentical() {
    ModelSpec big = new ModelSpec(40_000, List.of(), List.of(), 8, List.of(4),
        Activation.RELU, 4, Feedback.EXPLICIT, false, false);
    ParamLayout l = new ParamLayout(big);
    Params theta = io.metarec.model.ParamInitializer.initialize(big, 7, 0.4f, 0.7f);
    Params before = theta.copy();
    Params ref = theta.copy();
    float[][] m = new float[big.numItems()][8];
    float[][] v = new float[big.numItems()][8];
    int[] touched = new int[12_000];
    for (int i = 0; i < touched.length; i++) {
      touched[i] = 1 + 3 * i;
    }
    AdamOuterOptimizer adam = new AdamOuterOptimizer(l, 0.01f, 0.9f, 0.999f, 1e-8f);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int step = 1; step <= 4; step++) {
      MetaGradientAccumulator a = new MetaGradientAccumulator(l);
      a.addTaskCountInPlace(2, 0);
      for (int i = touched.length - 1; i >= 0; i--) {
        float[] g = new float[8];
        for (int c = 0; c < 8; c++) {
          g[c] = (float) (rng.nextDouble() - 0.5);
        }
        a.table(l.itemEmb).addInPlace(touched[i], g, 1f);
      }
      adam.stepInPlace(theta, a);
      double bc1 = 1 - Math.pow(0.9f, step);
      double bc2 = 1 - Math.pow(0.999f, step);
      float stepSize = (float) (0.01f * Math.sqrt(bc2) / bc1);
      float epsHat = (float) (1e-8f * Math.sqrt(bc2));
      float[][] p = ref.segment(l.itemEmb);
      for (int r : touched) {
        float[] g = a.table(l.itemEmb).get(r);
        for (int c = 0; c < 8; c++) {
          float gc = g[c] * 0.5f + 0f * p[r][c];
          m[r][c] = 0.9f * m[r][c] + (1 - 0.9f) * gc;
          v[r][c] = 0.999f * v[r][c] + (1 - 0.999f) * gc * gc;
          p[r][c] -= stepSize * m[r][c] / ((float) Math.sqrt(v[r][c]) + epsHat);
        }
      }
    }
    float[][] got = theta.segment(l.itemEmb);
    for (int r = 0; r < big.numItems(); r++) {
      float[] expected = r % 3 == 1 && r <= 3 * (touched.length - 1) + 1
          ? ref.segment(l.itemEmb)[r] : before.segment(l.itemEmb)[r];
      assertArrayEquals(expected, got[r], "row " + r);
    }
  }

  @Test
  void adamStateExportImportContinuesIdentically() {
    Params t1 = TestFixtures.randomParams(SPEC, 3);
    Params t2 = t1.copy();
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 4);
    AdamOuterOptimizer o1 = new AdamOuterOptimizer(t1.layout(), 0.01f, 0.9f, 0.999f, 1e-8f);
    for (int i = 0; i < 3; i++) {
      o1.stepInPlace(t1, acc(t1, tasks));
    }
    t2.copyFromInPlace(t1);
    AdamOuterOptimizer o2 = new AdamOuterOptimizer(t2.layout(), 0.01f, 0.9f, 0.999f, 1e-8f);
    o2.importStateInPlace(o1.exportState());
    assertEquals(3, o2.steps());
    o1.stepInPlace(t1, acc(t1, tasks));
    o2.stepInPlace(t2, acc(t2, tasks));
    assertArrayEquals(t1.flatten(), t2.flatten());
    // Streamed row by row (what checkpoints write), the state is the exported array's floats.
    float[] streamed = new float[(int) o1.stateLength()];
    int[] at = {0};
    try {
      o1.exportStateTo((data, off, len) -> {
        System.arraycopy(data, off, streamed, at[0], len);
        at[0] += len;
      });
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertEquals(streamed.length, at[0]);
    assertArrayEquals(o1.exportState(), streamed);
    SgdOuterOptimizer s = new SgdOuterOptimizer(0.1f);
    s.stepInPlace(t1, acc(t1, tasks));
    SgdOuterOptimizer s2 = new SgdOuterOptimizer(0.1f);
    s2.importStateInPlace(s.exportState());
    assertEquals(1, s2.steps());
  }

  @Test
  void isFiniteSeesEveryNonFiniteValueDenseOrInATableRow() {
    Params theta = TestFixtures.randomParams(SPEC, 5);
    MetaGradientAccumulator a = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
    assertTrue(a.isFinite());
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      MetaGradientAccumulator d = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
      d.denseSums()[d.denseSums().length - 1] = bad;
      assertFalse(d.isFinite(), "dense " + bad);
      MetaGradientAccumulator t = acc(theta, TestFixtures.tinyTasks(Feedback.EXPLICIT, 3));
      SparseRows rows = null;
      for (Segment s : theta.layout().segments()) {
        if (s.table() && t.table(s.id()).size() > 0) {
          rows = t.table(s.id());
        }
      }
      rows.row(rows.size() - 1)[0] = bad;
      assertFalse(t.isFinite(), "table row " + bad);
    }
    MetaGradientAccumulator l = new MetaGradientAccumulator(theta.layout());
    l.addTaskCountInPlace(1, Double.NaN);
    assertFalse(l.isFinite(), "loss");
  }

  @Test
  void emptyAccumulatorLeavesThetaUnchanged() {
    Params theta = TestFixtures.randomParams(SPEC, 4);
    float[] before = theta.flatten();
    OuterOptimizer o = OuterOptimizer.create(TrainSettings.defaults().meta(), theta.layout());
    o.stepInPlace(theta, new MetaGradientAccumulator(theta.layout()));
    assertArrayEquals(before, theta.flatten());
    assertEquals(0, o.steps());
    assertNotEquals(0, before.length);
  }
}
