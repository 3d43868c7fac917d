package io.metarec.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.config.ImplicitConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.model.RowSet;
import io.metarec.model.Segment;
import io.metarec.task.Task;
import io.metarec.train.MetaBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rows of θ an iteration's share reads ({@link JvmAdaptationEngine#addRowsRead}, what a task
 * of a training round pulls from the driver) are exactly the rows adapting it reads: with every
 * other table row poisoned (NaN) the meta-gradients are the same to the bit, and poisoning any one
 * listed row changes them.
 */
class RowsReadTest {
  private static final int ITEMS = 300;

  private static ModelSpec spec(Feedback fb) {
    return new ModelSpec(ITEMS,
        List.of(new FieldSpec("age", 5, false), new FieldSpec("genres", 6, true)),
        List.of(new FieldSpec("category", 4, true)),
        3, List.of(5, 4), Activation.TANH, 3, fb, true, true);
  }

  private static List<Task> tasks(Feedback fb) {
    List<Task> out = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(17);
    for (int k = 0; k < 12; k++) {
      int n = 6 + rng.nextInt(10);
      int[] items = new int[n];
      float[] labels = new float[n];
      for (int r = 0; r < n; r++) {
        items[r] = 1 + rng.nextInt(ITEMS - 1);
        labels[r] = fb == Feedback.EXPLICIT ? 1 + rng.nextInt(5) : 1f;
      }
      out.add(new Task(500 + k, items, labels, 1 + rng.nextInt(n - 1),
          new int[][] {{1 + k % 4}, {1 + k % 5, 2}}));
    }
    return out;
  }

  private static MetaGradientAccumulator sum(JvmAdaptationEngine e, List<Task> tasks, Params theta,
      TrainSettings s, long iteration, double fraction) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    e.accumulate(MetaBatch.sampled(tasks.iterator(), s.meta().seed(), iteration, fraction)
        .iterator(), theta, s, iteration, acc);
    return acc;
  }

  private static boolean same(MetaGradientAccumulator a, MetaGradientAccumulator b) {
    float[] x = a.toFlat();
    float[] y = b.toFlat();
    for (int i = 0; i < x.length; i++) {
      if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
        return false;
      }
    }
    return a.taskCount() == b.taskCount()
        && Double.doubleToRawLongBits(a.lossSum()) == Double.doubleToRawLongBits(b.lossSum());
  }

  @ParameterizedTest(name = "{0} {1} {2}, resplit {3}, fraction {4}")
  @CsvSource({
      "EXPLICIT, SGD, FOMAML, true, 1.0",
      "EXPLICIT, RIDGE, FOMAML, false, 0.5",
      "EXPLICIT, SGD, REPTILE, true, 0.5",
      "IMPLICIT, SGD, FOMAML, true, 1.0",
      "IMPLICIT, RIDGE, FOMAML, false, 0.7",
      "IMPLICIT, SGD, MULTITASK, false, 1.0"})
  void theRowsListedAreExactlyTheRowsAdaptationReads(Feedback fb, UserSolver solver,
      Algorithm algorithm, boolean resplit, double fraction) {
    ModelSpec spec = spec(fb);
    InnerLoopConfig inner = TestFixtures.inner(2, solver,
        Set.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING));
    if (fb == Feedback.IMPLICIT) {
      inner = inner.withImplicit(new ImplicitConfig(2, 0, 2,
          ImplicitConfig.Distribution.POPULARITY, 0.75f, ImplicitConfig.Loss.BCE, 3f, true,
          ImplicitConfig.TaskWeight.TASK));
    }
    TrainSettings d = TrainSettings.defaults();
    io.metarec.config.MetaConfig m = d.meta().withAlgorithm(algorithm).withSeed(9);
    m = new io.metarec.config.MetaConfig(m.algorithm(), m.outerOptimizer(), m.outerLr(),
        m.adamBeta1(), m.adamBeta2(), m.adamEpsilon(), m.seed(), m.iterations(),
        m.tasksPerIteration(), resplit, 1, 8, m.embeddingStd(), m.lambdaInit(),
        m.itemBiasShrinkage(), m.tableL2(), m.priorLr());
    TrainSettings s = new TrainSettings(inner, m);
    JvmAdaptationEngine e = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(ITEMS));
    Params theta = TestFixtures.randomParams(spec, 4);
    List<Task> tasks = tasks(fb);
    long iteration = 3;
    RowSet read = new RowSet(theta.layout());
    MetaBatch.addRowsOfShare(tasks, s, iteration, fraction, e, read);
    MetaGradientAccumulator clean = sum(e, tasks, theta, s, iteration, fraction);

    Params poisoned = theta.copy();
    long unlisted = 0;
    for (Segment seg : theta.layout().segments()) {
      if (!seg.table()) {
        continue;
      }
      float[][] rows = poisoned.segment(seg.id());
      for (int r = 0; r < rows.length; r++) {
        if (!read.contains(seg.id(), r)) {
          java.util.Arrays.fill(rows[r], Float.NaN);
          unlisted++;
        }
      }
    }
    poisoned.markChangedInPlace();
    assertTrue(unlisted > 0, "some rows are not read (else the test proves nothing)");
    assertTrue(same(clean, sum(e, tasks, poisoned, s, iteration, fraction)),
        "no unlisted row is read");
    boolean gramian = fb == Feedback.IMPLICIT && solver == UserSolver.RIDGE;
    int factors = theta.layout().itemFactor;
    assertEquals(gramian, read.keys(factors).length == ITEMS,
        "every item factor row where the implicit solve needs their Gramian");

    // Every listed item row is read: poisoning it alone shows in the meta-gradients.
    int[] listed = read.keys(theta.layout().itemEmb);
    assertFalse(listed.length == 0);
    for (int i = 0; i < listed.length; i += Math.max(1, listed.length / 6)) {
      Params one = theta.copy();
      java.util.Arrays.fill(one.segment(theta.layout().itemEmb)[listed[i]], Float.NaN);
      one.markChangedInPlace();
      boolean differs;
      try {
        differs = !same(clean, sum(e, tasks, one, s, iteration, fraction));
      } catch (IllegalStateException | ArithmeticException | IllegalArgumentException nanSolve) {
        differs = true; // the user solve refuses a NaN system: the row was read
      }
      assertTrue(differs, "item " + listed[i] + " is listed and read");
    }
    assertArrayEquals(listed, read.keys(theta.layout().itemBias), "one row per item and table");
  }
}
