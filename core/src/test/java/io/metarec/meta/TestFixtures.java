package io.metarec.meta;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.UserSolver;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Small models, feature tables and tasks shared by the engine tests. */
public final class TestFixtures {
  private TestFixtures() {
  }

  /** A tiny model using every feature of the scorer. */
  public static ModelSpec tinySpec(Feedback fb, boolean userInMlp, Activation act) {
    return new ModelSpec(12,
        List.of(new FieldSpec("age", 5, false), new FieldSpec("genres", 6, true)),
        List.of(new FieldSpec("category", 4, true)),
        3, List.of(5, 4), act, 3, fb, true, userInMlp);
  }

  /** Items 0..n-1 with 0, 1 or 2 values of one field (vocab 4). */
  public static ItemFeatureTable tinyItems(int numItems) {
    int[][][] f = new int[numItems][1][];
    for (int i = 0; i < numItems; i++) {
      f[i][0] = switch (i % 3) {
        case 0 -> new int[0];
        case 1 -> new int[] {1 + i % 3};
        default -> new int[] {1 + i % 3, 3};
      };
    }
    return ItemFeatureTable.fromNested(1, f);
  }

  /** A task with repeated items, a multi-valued user field, support 4 of 9 rows. */
  public static Task tinyTask(Feedback fb, long id) {
    SplittableRandom rng = new SplittableRandom(id);
    int n = 9;
    int[] items = new int[n];
    float[] labels = new float[n];
    for (int r = 0; r < n; r++) {
      items[r] = rng.nextInt(12);
      labels[r] = fb == Feedback.EXPLICIT ? 1 + rng.nextInt(5) : rng.nextInt(2);
    }
    items[5] = items[1];
    return new Task(id, items, labels, 4, new int[][] {{2}, {1, 4, 4}});
  }

  /**
   * {@link #tinyTask} for implicit feedback, every row a positive weighted as a count column weighs
   * them ({@code log2(1 + count)}, counts 1 to 6): labels other than 0 and 1.
   */
  public static Task weightedTinyTask(long id) {
    Task t = tinyTask(Feedback.IMPLICIT, id);
    SplittableRandom rng = new SplittableRandom(id + 7);
    float[] labels = new float[t.items().length];
    for (int r = 0; r < labels.length; r++) {
      labels[r] = io.metarec.kernel.Losses.confidenceOfCount(1 + rng.nextInt(6));
    }
    return new Task(t.taskId(), t.items(), labels, t.supportSize(), t.userFeatures());
  }

  /** Random parameters where every segment (biases, user init, lambda included) is non-trivial. */
  public static Params randomParams(ModelSpec spec, long seed) {
    Params p = ParamInitializer.initialize(spec, seed, 0.4f, 0.7f);
    SplittableRandom rng = new SplittableRandom(seed + 1);
    for (float[] row : p.segment(p.layout().itemBias)) {
      row[0] = (float) (rng.nextDouble() - 0.5);
    }
    p.segment(p.layout().mu)[0][0] = spec.feedback() == Feedback.EXPLICIT ? 2.5f : -0.2f;
    p.segment(p.layout().userBias)[0][0] = 0.3f;
    for (int c = 0; c < spec.userDim(); c++) {
      p.segment(p.layout().userVec)[0][c] = (float) (rng.nextDouble() - 0.5);
    }
    for (int l = 0; l < p.layout().numHidden(); l++) {
      float[] b = p.segment(p.layout().bias(l))[0];
      for (int c = 0; c < b.length; c++) {
        b[c] = (float) (0.2 * (rng.nextDouble() - 0.5));
      }
    }
    p.segment(p.layout().outB)[0][0] = 0.1f;
    return p;
  }

  /** An inner loop config with the given solver, groups and steps (small step sizes). */
  public static InnerLoopConfig inner(int steps, UserSolver solver, Set<ParamGroup> groups) {
    return new InnerLoopConfig(steps, 0.05f, 0.1f, 0.05f, 0.0f, solver, groups, true);
  }

  /** Several distinct tasks. */
  public static List<Task> tinyTasks(Feedback fb, int count) {
    List<Task> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      out.add(tinyTask(fb, 100 + k));
    }
    return out;
  }
}
