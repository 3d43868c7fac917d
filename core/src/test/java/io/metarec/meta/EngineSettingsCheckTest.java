package io.metarec.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metarec.config.InnerLoopConfig;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Settings the engine checks against the model, since the config alone cannot. */
class EngineSettingsCheckTest {
  @Test
  void ridgeWithImplicitFeedbackIsRejectedByTheEngine() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.RELU);
    JvmAdaptationEngine e = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(spec.numItems()));
    InnerLoopConfig in = TestFixtures.inner(1, UserSolver.RIDGE, Set.of(ParamGroup.USER));
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> e.adaptAndPredict(TestFixtures.randomParams(spec, 1), in, TestFixtures.tinyTask(Feedback.IMPLICIT, 1)));
    assertEquals("inner.userSolver=ridge requires model.feedback=explicit, got IMPLICIT", ex.getMessage());
  }
}
