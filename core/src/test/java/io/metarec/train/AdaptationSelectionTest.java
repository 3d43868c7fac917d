package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The adaptation grid chosen on validation users: candidates, the best one, ties, no adaptation. */
class AdaptationSelectionTest {
  private static final Config DEFAULTS =
      TrainSettings.withDefaults(com.typesafe.config.ConfigFactory.empty()).getConfig("inner");

  /** The trained inner section: the defaults as JSON-like maps, 5 steps of SGD. */
  private static Map<String, Object> trained() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = new LinkedHashMap<>(DEFAULTS.root().unwrapped());
    m.put("steps", 5);
    m.put("userSolver", "sgd");
    return m;
  }

  private static ValidationMetrics mae(double v) {
    return new ValidationMetrics(10, 100, v * v, v, v, Double.NaN, Double.NaN);
  }

  private static AdaptationSelection.Outcome select(Function<InnerLoopConfig, ValidationMetrics> f) {
    return AdaptationSelection.select(AdaptationSelection.candidates(trained(),
        List.of(0, 1, 2, 5, 10), List.of(0.5, 1.0, 2.0)), DEFAULTS,
        ValidationMetrics.Direction.LOWER, f);
  }

  @Test
  void theCandidatesAreTheTrainedSettingsTheGridAndNoAdaptationEachOnce() {
    var c = AdaptationSelection.candidates(trained(), List.of(0, 1, 5), List.of(0.5, 1.0, 2.0));
    List<String> labels = c.stream().map(Map.Entry::getKey).toList();
    // trained; steps 0 once (step sizes do not matter); 1 x 3 scales; 5 x 0.5 and x2 (x1 is the
    // trained setting); "none" equals steps 0 with SGD and is left out.
    assertEquals(List.of("trained", "steps 0", "steps 1, step sizes x0.5", "steps 1, step sizes x1.0",
        "steps 1, step sizes x2.0", "steps 5, step sizes x0.5", "steps 5, step sizes x2.0"), labels);
    InnerLoopConfig base = AdaptationSelection.parse(trained(), DEFAULTS);
    InnerLoopConfig half = AdaptationSelection.parse(c.get(5).getValue(), DEFAULTS);
    assertEquals(5, half.steps());
    assertEquals(base.lrUser() * 0.5f, half.lrUser(), 1e-7);
    assertEquals(base.lrDecision() * 0.5f, half.lrDecision(), 1e-7);
    assertEquals(base.lrUserBias() * 0.5f, half.lrUserBias(), 1e-7);
    // Numbers of another type (JSON reads 5 as an int or a long) are the same candidate.
    Map<String, Object> longs = trained();
    longs.put("steps", 5L);
    assertEquals(labels, AdaptationSelection.candidates(longs, List.of(0, 1, 5),
        List.of(0.5, 1.0, 2.0)).stream().map(Map.Entry::getKey).toList());
    // With the exact solve, steps 0 is the solve alone and "none" is a candidate of its own.
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("decision", "user"));
    var r = AdaptationSelection.candidates(ridge, List.of(0), List.of(1.0));
    assertEquals(List.of("trained", "steps 0", "none (no adaptation)"),
        r.stream().map(Map.Entry::getKey).toList());
    InnerLoopConfig none = AdaptationSelection.parse(r.get(2).getValue(), DEFAULTS);
    assertEquals(0, none.steps());
    assertEquals(UserSolver.SGD, none.userSolver());
    // The exact solve of the user part alone has no steps to vary: only the prior strength.
    ridge.put("adapt", List.of("user"));
    var solveOnly = AdaptationSelection.candidates(ridge, List.of(0, 5), List.of(0.5, 2.0),
        List.of(0.5, 4.0));
    assertEquals(List.of("trained", "prior strength x0.5", "prior strength x4.0",
        "none (no adaptation)"), solveOnly.stream().map(Map.Entry::getKey).toList());
    assertEquals(4.0f, AdaptationSelection.parse(solveOnly.get(2).getValue(), DEFAULTS)
        .priorScale(), 0f);
  }

  private static AdaptationSelection.SupportScores atSupports(double... maes) {
    int[] ks = new int[maes.length];
    List<ValidationMetrics> at = new ArrayList<>();
    double sum = 0;
    for (int i = 0; i < maes.length; i++) {
      ks[i] = new int[] {1, 5, 20, 40}[i];
      at.add(mae(maes[i]));
      sum += maes[i];
    }
    return new AdaptationSelection.SupportScores(ks, mae(sum / maes.length), at);
  }

  @Test
  void eachSupportSizeGetsTheCandidateBestAtItAndModelJsonRecordsThem() {
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("user"));
    var candidates = AdaptationSelection.candidates(ridge, List.of(0), List.of(1.0),
        List.of(0.25, 4.0));
    // Small supports are best trusted little (a strong prior), large ones as trained; adapting
    // nothing is best at one interaction; the trained setting ties at 20 and wins the tie.
    AdaptationSelection.Outcome o = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, in -> {
          if (in.userSolver() == UserSolver.SGD) {
            return atSupports(0.80, 0.85, 0.90);
          }
          return in.priorScale() == 4f ? atSupports(0.82, 0.78, 0.75)
              : in.priorScale() == 0.25f ? atSupports(0.90, 0.84, 0.76)
              : atSupports(0.84, 0.80, 0.75);
        });
    assertEquals(List.of("none (no adaptation)", "prior strength x4.0", "trained"),
        o.bySupport().stream().map(c -> c.chosen().label()).toList());
    assertEquals(List.of(1, 5, 20), o.bySupport().stream().map(
        AdaptationSelection.SupportChoice::support).toList());
    assertEquals("prior strength x4.0", o.chosen().label(), "the best over every size");
    // model.json's form, read back as evaluate, recommend and serve read it.
    io.metarec.io.ModelManifest m = io.metarec.serve.ServingFixtures.manifest(
        io.metarec.meta.TestFixtures.tinySpec(io.metarec.model.Feedback.EXPLICIT, true,
            io.metarec.model.Activation.RELU), 1, 5).withAdaptation(o.adaptation());
    io.metarec.config.AdaptationPlan plan = io.metarec.io.ModelManifest.parse(m.toJson(), "m")
        .adaptationPlan(DEFAULTS, "model.json");
    assertEquals(0, plan.forSupport(1).steps());
    assertEquals(UserSolver.SGD, plan.forSupport(1).userSolver(), "no adaptation below 5");
    assertEquals(UserSolver.SGD, plan.forSupport(4).userSolver());
    assertEquals(4f, plan.forSupport(5).priorScale(), 0f);
    assertEquals(4f, plan.forSupport(19).priorScale(), 0f, "between two sizes: the smaller's");
    assertEquals(1f, plan.forSupport(20).priorScale(), 0f);
    assertEquals(UserSolver.RIDGE, plan.forSupport(500).userSolver());
    assertEquals(plan.forSupport(500), plan.largest());
    // One support size: one setting, recorded as an inner section as before.
    AdaptationSelection.Outcome one = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, in -> atSupports(in.priorScale() == 4f ? 0.7 : 0.8));
    assertTrue(one.bySupport().isEmpty());
    assertEquals(4.0, ((Number) one.adaptation().get("priorScale")).doubleValue(), 0);
  }

  @Test
  void theSettingThatIsClearlyBestOnValidationIsChosen() {
    // Validation MAE is smallest at 2 steps with doubled step sizes.
    List<InnerLoopConfig> seen = new ArrayList<>();
    InnerLoopConfig base = AdaptationSelection.parse(trained(), DEFAULTS);
    AdaptationSelection.Outcome o = select(in -> {
      seen.add(in);
      double scale = in.lrUser() / base.lrUser();
      return mae(0.8 + 0.01 * Math.abs(in.steps() - 2) + 0.01 * Math.abs(scale - 2));
    });
    assertEquals("steps 2, step sizes x2.0", o.chosen().label());
    assertEquals(0.8, o.chosen().metrics().mae(), 1e-12);
    assertEquals(seen.size(), o.trials().size(), "every candidate validated once");
    assertEquals(2, AdaptationSelection.parse(o.chosen().inner(), DEFAULTS).steps());
  }

  @Test
  void theTrainedSettingsWinTiesAndAdaptationThatOnlyHurtsIsDropped() {
    assertEquals("trained", select(in -> mae(0.9)).chosen().label());
    // Every step makes validation worse: the model is published adapting nothing.
    AdaptationSelection.Outcome o = select(in -> mae(0.8 + 0.01 * in.steps()));
    assertEquals("steps 0", o.chosen().label());
    assertEquals(0, AdaptationSelection.parse(o.chosen().inner(), DEFAULTS).steps());
    // Higher is better for the implicit metrics.
    AdaptationSelection.Outcome hi = AdaptationSelection.select(AdaptationSelection.candidates(
        trained(), List.of(1, 10), List.of(1.0)), DEFAULTS, ValidationMetrics.Direction.HIGHER,
        in -> new ValidationMetrics(10, 100, 1, Double.NaN, Double.NaN, 0.8, 0.3 + 0.01 * in.steps()));
    assertEquals("steps 10, step sizes x1.0", hi.chosen().label());
    assertTrue(hi.trials().size() >= 3);
  }
}
