package io.metarec.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.SparseRows;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Segment;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Small models, ragged task sets and the float-tolerance comparison of the engine tests. */
final class EngineFixtures {
  static final int NUM_ITEMS = 30;

  private EngineFixtures() {
  }

  /** A small model with a single- and a multi-valued user field and a multi-valued item field. */
  static ModelSpec spec(Feedback fb, Activation act, boolean implicitTerm, boolean userInMlp) {
    return new ModelSpec(NUM_ITEMS,
        List.of(new FieldSpec("age", 5, false), new FieldSpec("genres", 6, true)),
        List.of(new FieldSpec("category", 4, true)),
        3, List.of(5, 4), act, 3, fb, implicitTerm, userInMlp);
  }

  /** The default test model: explicit feedback, tanh, implicit term, user vector in the MLP. */
  static ModelSpec spec() {
    return spec(Feedback.EXPLICIT, Activation.TANH, true, true);
  }

  /** Items with 0 (unknown), 1 or 2 category values. */
  static ItemFeatureTable items() {
    int[][][] f = new int[NUM_ITEMS][1][];
    for (int i = 0; i < NUM_ITEMS; i++) {
      f[i][0] = switch (i % 3) {
        case 0 -> new int[0];
        case 1 -> new int[] {1 + i % 3};
        default -> new int[] {1 + i % 3, 3};
      };
    }
    return ItemFeatureTable.fromNested(1, f);
  }

  /**
   * {@code count} tasks of 1 to 16 rows with repeated items, user fields with repeated and missing
   * values, and ragged supports; the first four are the edge cases: a 1-row support, no query rows
   * (skipped by the engines), an empty support, and a single row.
   */
  static List<Task> raggedTasks(Feedback fb, int count, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Task> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      int n = switch (k) {
        case 0 -> 6;
        case 1 -> 4;
        case 2 -> 5;
        case 3 -> 1;
        default -> 1 + rng.nextInt(16);
      };
      int support = switch (k) {
        case 0 -> 1;
        case 1 -> 4;
        case 2 -> 0;
        case 3 -> 0;
        default -> rng.nextInt(n + 1);
      };
      int[] items = new int[n];
      float[] labels = new float[n];
      for (int r = 0; r < n; r++) {
        items[r] = rng.nextInt(NUM_ITEMS);
        labels[r] = fb == Feedback.EXPLICIT ? 1 + rng.nextInt(5) : rng.nextInt(2);
      }
      if (n > 3) {
        items[n - 1] = items[0];
      }
      int[] genres = switch (k % 3) {
        case 0 -> new int[0];
        case 1 -> new int[] {1 + rng.nextInt(5)};
        default -> new int[] {1, 4, 4};
      };
      out.add(new Task(1000 + k, items, labels, support, new int[][] {{rng.nextInt(5)}, genres}));
    }
    return out;
  }

  /** Training settings: defaults with this algorithm, groups, resplit, L2 and user-bias scaling. */
  static TrainSettings settings(Algorithm algorithm, Set<ParamGroup> groups, boolean resplit, float l2,
      boolean newton) {
    TrainSettings d = TrainSettings.defaults();
    // Positives only: the nd4j engine does not sample implicit feedback's negatives (its
    // unsupportedReason says so, and train.engine=auto then keeps the JVM kernel).
    InnerLoopConfig in = new InnerLoopConfig(3, 0.05f, 0.1f, 0.05f, l2, UserSolver.SGD, groups, newton, 0.5f)
        .withImplicit(new io.metarec.config.ImplicitConfig(0, 0, 0,
            io.metarec.config.ImplicitConfig.Distribution.UNIFORM, 0.75f,
            io.metarec.config.ImplicitConfig.Loss.BCE, 1f, false,
            io.metarec.config.ImplicitConfig.TaskWeight.TASK));
    var m = d.meta();
    var meta = new io.metarec.config.MetaConfig(algorithm, m.outerOptimizer(), m.outerLr(), m.adamBeta1(),
        m.adamBeta2(), m.adamEpsilon(), 7L, m.iterations(), m.tasksPerIteration(), resplit, 1, 6,
        m.embeddingStd(), m.lambdaInit(), m.itemBiasShrinkage(), m.tableL2());
    return new TrainSettings(in, meta);
  }

  /**
   * Asserts float agreement of two accumulators: the same task count, the same touched table rows,
   * every element within {@code 1e-4 |expected| + 1e-5 max|expected|}, and the loss sums within 1e-4.
   */
  static void assertClose(MetaGradientAccumulator expected, MetaGradientAccumulator actual, String what) {
    assertEquals(expected.taskCount(), actual.taskCount(), what + ": tasks");
    assertEquals(expected.lossSum(), actual.lossSum(), 1e-4 * Math.max(1, Math.abs(expected.lossSum())),
        what + ": loss sum");
    for (Segment s : expected.layout().segments()) {
      if (s.table()) {
        assertEquals(keys(expected.table(s.id())), keys(actual.table(s.id())), what + ": rows of " + s.name());
      }
    }
    float[] e = expected.toFlat();
    float[] a = actual.toFlat();
    float max = 0f;
    for (float v : e) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max > 0f, what + ": the expected contribution is all zero");
    for (Segment s : expected.layout().segments()) {
      for (int k = (int) s.offset(); k < s.offset() + s.size(); k++) {
        float tol = 1e-4f * Math.abs(e[k]) + 1e-5f * max;
        if (!(Math.abs(e[k] - a[k]) <= tol)) {
          throw new AssertionError(what + ": " + s.name() + "[" + (k - s.offset()) + "] expected " + e[k]
              + " but was " + a[k] + " (tolerance " + tol + ")");
        }
      }
    }
  }

  private static List<Integer> keys(SparseRows rows) {
    int[] k = new int[rows.size()];
    for (int i = 0; i < k.length; i++) {
      k[i] = rows.key(i);
    }
    Arrays.sort(k);
    return Arrays.stream(k).boxed().toList();
  }
}
