package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.InnerLoopConfig;
import io.metarec.config.MetaConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.ItemStats;
import io.metarec.task.Task;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A fresh run's θ starts as the baseline it contains (meta.init.output). */
class InitialThetaTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU);
  private static final ItemFeatureTable ITEMS = TestFixtures.tinyItems(SPEC.numItems());

  private static ItemStats stats() {
    ItemStats s = ItemStats.empty(SPEC.numItems());
    for (int i = 0; i < SPEC.numItems(); i++) {
      s.counts()[i] = i % 4;
      s.sums()[i] = (i % 4) * (1 + i % 5);
    }
    return s;
  }

  /** Scores of every item without adaptation for a user with features, from a fresh θ. */
  private static float[] unadapted(Params theta) {
    int[] items = new int[SPEC.numItems()];
    for (int i = 0; i < items.length; i++) {
      items[i] = i;
    }
    InnerLoopConfig none = TestFixtures.inner(0, UserSolver.SGD,
        Set.of(ParamGroup.DECISION, ParamGroup.USER));
    return new JvmAdaptationEngine(SPEC, ITEMS).adaptAndPredict(theta, none,
        new Task(1, items, new float[items.length], 0, new int[][] {{2}, {1, 4}}));
  }

  @Test
  void byDefaultTheUnadaptedModelPredictsTheShrunkItemMeans() {
    TrainSettings s = TrainSettings.defaults();
    assertEquals(MetaConfig.OutputInit.ZERO, s.meta().outputInit());
    ItemStats st = stats();
    Params theta = InProcessTraining.initialTheta(SPEC, 7, s, st);
    for (float[] row : theta.segment(theta.layout().outW)) {
      for (float w : row) {
        assertEquals(0f, w);
      }
    }
    float[] p = unadapted(theta);
    double total = 0;
    long n = 0;
    for (int i = 0; i < SPEC.numItems(); i++) {
      total += st.sums()[i];
      n += st.counts()[i];
    }
    double mu = total / n;
    double k = s.meta().itemBiasShrinkage();
    for (int i = 0; i < p.length; i++) {
      double itemMean = mu + (st.sums()[i] - st.counts()[i] * mu) / (st.counts()[i] + k);
      assertEquals(itemMean, p[i], 1e-5, "item " + i);
    }
  }

  @Test
  void aGlorotOutputLayerAddsTheMlpsRandomFunctionAndDrawsEverythingElseAlike() {
    TrainSettings zero = TrainSettings.defaults();
    TrainSettings glorot = zero.withMeta(zero.meta().withOutputInit(MetaConfig.OutputInit.GLOROT));
    Params a = InProcessTraining.initialTheta(SPEC, 7, zero, stats());
    Params b = InProcessTraining.initialTheta(SPEC, 7, glorot, stats());
    int outW = a.layout().outW;
    boolean nonZero = false;
    for (float w : b.segment(outW)[0]) {
      nonZero |= w != 0f;
    }
    assertTrue(nonZero, "a random output layer");
    for (int g = 0; g < a.layout().numSegments(); g++) {
      if (g != outW) {
        assertTrue(java.util.Arrays.deepEquals(a.segment(g), b.segment(g)),
            "segment " + a.layout().segment(g).name());
      }
    }
    float[] pa = unadapted(a);
    float[] pb = unadapted(b);
    assertTrue(!java.util.Arrays.equals(pa, pb), "the MLP's output moves the unadapted scores");
  }
}
