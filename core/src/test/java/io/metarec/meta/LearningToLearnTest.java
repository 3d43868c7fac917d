package io.metarec.meta;
import io.metarec.config.MetaConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.Algorithm;
import io.metarec.config.OuterOptimizerKind;
import io.metarec.config.UserSolver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamInitializer;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The point of meta-learning (Finn et al. 2017; Nichol et al. 2018): on a synthetic family of users
 * whose ratings follow one of four cluster-specific functions of the item, a few inner steps on 5
 * support ratings must reduce the query loss of the meta-trained model far more than the same
 * adaptation of a model trained by plain multi-task learning.
 */
class LearningToLearnTest {
  private static final int ITEMS = 60;
  private static final int CLUSTERS = 4;

  private record World(double[][] itemVec, ItemFeatureTable items) {
  }

  private static World world() {
    SplittableRandom rng = new SplittableRandom(21);
    double[][] v = new double[ITEMS][];
    int[][][] f = new int[ITEMS][1][];
    for (int i = 0; i < ITEMS; i++) {
      double a = rng.nextDouble() * 2 * Math.PI;
      v[i] = new double[] {Math.cos(a), Math.sin(a)};
      f[i][0] = new int[] {1 + (int) (a / (2 * Math.PI) * 8)};
    }
    return new World(v, ItemFeatureTable.fromNested(1, f));
  }

  /** Users of cluster c rate 3 + 1.5 <w_c, v_i> + noise; w_c at angles 0, 90, 180, 270 degrees. */
  private static List<Task> users(World w, int count, long seed, int support, int rows) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Task> out = new ArrayList<>();
    for (int u = 0; u < count; u++) {
      int c = rng.nextInt(CLUSTERS);
      double wx = Math.cos(c * Math.PI / 2);
      double wy = Math.sin(c * Math.PI / 2);
      int[] items = new int[rows];
      float[] labels = new float[rows];
      for (int r = 0; r < rows; r++) {
        int i = rng.nextInt(ITEMS);
        items[r] = i;
        labels[r] = (float) (3 + 1.5 * (wx * w.itemVec[i][0] + wy * w.itemVec[i][1]) + 0.1 * (rng.nextDouble() - 0.5));
      }
      out.add(new Task(seed * 100_000 + u, items, labels, support, new int[][] {{0}}));
    }
    return out;
  }

  private static double meanLoss(JvmAdaptationEngine e, Params theta, InnerLoopConfig in, List<Task> tasks) {
    double s = 0;
    for (Task t : tasks) {
      s += e.adaptAndEvaluateLoss(theta, in, t);
    }
    return s / tasks.size();
  }

  @Test
  void metaTrainedModelAdaptsFromFiveRatingsMuchBetterThanMultitaskModel() {
    World w = world();
    ModelSpec spec = new ModelSpec(ITEMS, List.of(new FieldSpec("none", 1, false)),
        List.of(new FieldSpec("bucket", 9, false)), 4, List.of(16), Activation.RELU, 4, Feedback.EXPLICIT, false, true);
    List<Task> train = users(w, 400, 1, 5, 15);
    List<Task> test = users(w, 200, 2, 5, 15);
    InnerLoopConfig inner = new InnerLoopConfig(5, 0.01f, 0.1f, 0.0f, 0f, UserSolver.SGD,
        Set.of(ParamGroup.DECISION, ParamGroup.USER), true);
    MetaConfig meta = new MetaConfig(Algorithm.FOMAML, OuterOptimizerKind.ADAM, 0.01f, 0.9f, 0.999f, 1e-8f, 3, 500, 32, true, 5, 5,
        0.1f, 1f, 0f, 0f);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, w.items);

    double[] result = new double[4];
    int k = 0;
    for (Algorithm a : new Algorithm[] {Algorithm.FOMAML, Algorithm.MULTITASK}) {
      Params theta = ParamInitializer.initialize(spec, 3, 0.1f, 1f);
      TrainSettings s = new TrainSettings(inner, meta.withAlgorithm(a));
      // 500 iterations of about 32 tasks; validated only after the last one.
      io.metarec.train.TrainingPolicy policy = new io.metarec.train.TrainingPolicy(500,
          s.meta().outerLr(), 1.0, 5, 500, 0, 1_000_000);
      io.metarec.train.InProcessTraining.run(train, test, spec, w.items, s, policy,
          io.metarec.train.TrainingCheckpoint.fresh(theta), 1, 1,
          io.metarec.train.CheckpointSink.NONE, io.metarec.train.TrainingListener.NONE);
      result[k++] = meanLoss(engine, theta, inner.withSteps(0), test);
      result[k++] = meanLoss(engine, theta, inner, test);
    }
    double metaGain = result[0] - result[1];
    double multiGain = result[2] - result[3];
    String msg = String.format("query MSE before/after 5 inner steps: meta %.3f -> %.3f, multitask %.3f -> %.3f",
        result[0], result[1], result[2], result[3]);
    System.out.println(msg);
    assertTrue(metaGain > multiGain + 0.3, msg);
    assertTrue(result[1] < 0.6 * result[3], msg);
  }
}
