package io.metarec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The HOCON defaults parse into valid records; overrides and bad values behave. */
class EngineSettingsTest {
  @Test
  void defaultsParse() {
    TrainSettings s = TrainSettings.defaults();
    // The user part solved exactly with the learned prior, SGD steps on the MLP.
    assertEquals(5, s.inner().steps());
    assertEquals(Set.of(ParamGroup.DECISION, ParamGroup.USER), s.inner().adapt());
    assertEquals(UserSolver.RIDGE, s.inner().userSolver());
    assertEquals(1f, s.inner().priorScale());
    assertEquals(100f, s.meta().priorLrRatio(), 1e-3f);
    assertEquals(1, s.meta().minSupport());
    assertEquals(40, s.meta().maxSupport());
    assertEquals(5f, s.meta().itemBiasShrinkage(), "the item-mean baseline's shrinkage");
    assertEquals(Algorithm.FOMAML, s.meta().algorithm());
    assertEquals(OuterOptimizerKind.ADAM, s.meta().outerOptimizer());
    ModelSpec spec = MetaRecConfig.load().modelSpec(10, List.of(), List.of(), Feedback.EXPLICIT);
    assertEquals(16, spec.embeddingDim());
    assertEquals(List.of(64, 64), spec.hidden());
    assertEquals(Activation.RELU, spec.activation());
    assertEquals(Feedback.EXPLICIT, spec.feedback());
  }

  @Test
  void overridesAndAllAreRead() {
    TrainSettings s = TrainSettings.fromConfig(ConfigFactory.parseString(
        "inner { steps = 2, adapt = [all], userSolver = ridge, lr.user = 0.5 }\n"
            + "meta { algorithm = reptile, outerOptimizer = sgd, resplit.maxSupport = 9 }"));
    assertEquals(2, s.inner().steps());
    assertEquals(Set.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING), s.inner().adapt());
    assertEquals(UserSolver.RIDGE, s.inner().userSolver());
    assertEquals(0.5f, s.inner().lrUser());
    assertEquals(Algorithm.REPTILE, s.meta().algorithm());
    assertEquals(9, s.meta().maxSupport());
  }

  @Test
  void badValuesNameTheKeyAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainSettings.fromConfig(ConfigFactory.parseString("inner.steps = -1")));
    assertEquals("inner.steps must be >= 0, got -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainSettings.fromConfig(ConfigFactory.parseString("meta.algorithm = maml2")));
    assertEquals("meta.algorithm must be one of reptile|fomaml|multitask, got 'maml2'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainSettings.fromConfig(ConfigFactory.parseString("inner.adapt = [decision, bias]")));
    assertEquals("inner.adapt entries must be decision|user|embedding|all, got 'bias'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainSettings.fromConfig(ConfigFactory.parseString("meta.resplit { minSupport = 8, maxSupport = 4 }")));
    assertEquals("meta.resplit.maxSupport must be >= meta.resplit.minSupport (8), got 4", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainSettings.fromConfig(ConfigFactory.parseString("meta.outerLr = 0")));
    assertTrue(e.getMessage().startsWith("meta.outerLr must be > 0"), e.getMessage());
  }

}
