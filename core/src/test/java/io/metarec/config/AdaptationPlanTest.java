package io.metarec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.ParamGroup;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which setting a user with n interactions is adapted with. */
class AdaptationPlanTest {
  private static InnerLoopConfig steps(int s) {
    return new InnerLoopConfig(s, 0.01f, 0.1f, 0.01f, 0f, UserSolver.SGD, Set.of(ParamGroup.USER),
        true, 0.1f);
  }

  @Test
  void aUserIsAdaptedAsTheLargestChosenSupportSizeNotAboveTheirs() {
    AdaptationPlan p = new AdaptationPlan(new int[] {1, 5, 20},
        List.of(steps(0), steps(1), steps(3)));
    assertTrue(p.perSupport());
    assertEquals(steps(0), p.forSupport(0), "below every size: the smallest's");
    assertEquals(steps(0), p.forSupport(1));
    assertEquals(steps(0), p.forSupport(4));
    assertEquals(steps(1), p.forSupport(5));
    assertEquals(steps(1), p.forSupport(19));
    assertEquals(steps(3), p.forSupport(20));
    assertEquals(steps(3), p.forSupport(1000));
    assertEquals(steps(3), p.largest());
    assertEquals(new AdaptationPlan(new int[] {1, 5, 20}, List.of(steps(2), steps(2), steps(2))),
        p.map(i -> i.withSteps(2)));
    AdaptationPlan one = AdaptationPlan.of(steps(4));
    assertFalse(one.perSupport());
    assertEquals(steps(4), one.forSupport(0));
    assertEquals(steps(4), one.forSupport(99));
  }

  @Test
  void aPlanNeedsOneSettingPerAscendingSupportSize() {
    assertThrows(IllegalArgumentException.class,
        () -> new AdaptationPlan(new int[] {1, 5}, List.of(steps(0))));
    assertThrows(IllegalArgumentException.class,
        () -> new AdaptationPlan(new int[] {5, 5}, List.of(steps(0), steps(1))));
    assertThrows(IllegalArgumentException.class,
        () -> new AdaptationPlan(new int[0], List.of(steps(0), steps(1))));
    assertThrows(ConfigValidationException.class, () -> steps(1).withPriorScale(0f));
  }
}
