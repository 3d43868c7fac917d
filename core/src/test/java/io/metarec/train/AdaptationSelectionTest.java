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

  /**
   * A validation whose error is smallest where steps x step-size scale is {@code optimum} (one
   * support size: the overall choice is the choice), with {@code prior} on the prior strength best
   * at {@code bestPrior}; logged in {@code seen}.
   */
  private static Function<InnerLoopConfig, AdaptationSelection.SupportScores> bowl(
      InnerLoopConfig base, double optimum, double bestPrior, List<InnerLoopConfig> seen) {
    return in -> {
      seen.add(in);
      if (in.userSolver() == UserSolver.SGD && in.steps() == 0) {
        return atSupports(0.9, 0.9);
      }
      double move = in.steps() * in.lrDecision() / base.lrDecision();
      double err = 0.7 + 0.01 * Math.abs(Math.log(Math.max(move, 1e-3) / optimum))
          + 0.01 * Math.abs(Math.log(in.priorScale() / bestPrior));
      return atSupports(err, err);
    };
  }

  @Test
  void theGridWidensWhereTheChoiceIsOnItsEdgeAndOnlyThere() {
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("decision", "user"));
    InnerLoopConfig base = AdaptationSelection.parse(ridge, DEFAULTS);
    var candidates = AdaptationSelection.candidates(ridge, List.of(0, 1, 5, 10),
        List.of(0.5, 1.0, 2.0), List.of(0.25, 4.0));
    // Users who should move 80 times one trained step: 10 steps at twice the size (20) is the edge.
    List<InnerLoopConfig> seen = new ArrayList<>();
    var validate = bowl(base, 80, 1, seen);
    AdaptationSelection.Outcome o = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, validate);
    assertEquals("steps 10, step sizes x2.0", o.chosen().label());
    int listed = o.trials().size();
    AdaptationSelection.Outcome w = AdaptationSelection.widen(o, ridge, DEFAULTS,
        ValidationMetrics.Direction.LOWER, validate, 0, 3);
    // Round 1: 20 steps x2, 10 steps x4, 20 x4 (80: the optimum) — nothing beyond it is better.
    assertEquals("steps 20, step sizes x4.0 (widened)", w.chosen().label());
    assertEquals(80.0, w.chosen().inner().get("steps") instanceof Number n
        ? n.doubleValue() * 4 : 0, 0);
    assertEquals(w.chosen(), w.bySupport().get(0).chosen());
    assertEquals(w.chosen(), w.bySupport().get(1).chosen());
    assertEquals(seen.size(), w.trials().size(), "every candidate validated once");
    // Round 2 tried the edge once more (40 steps, x8) and found nothing better: it stopped there.
    assertTrue(w.trials().stream().anyMatch(t -> t.label().equals(
        "steps 40, step sizes x8.0 (widened)")));
    assertEquals(listed + 6, w.trials().size(), w.trials().stream().map(
        AdaptationSelection.Trial::label).toList().toString());
    // The widened choice reads back with the scaled step sizes.
    InnerLoopConfig chosen = AdaptationSelection.parse(w.chosen().inner(), DEFAULTS);
    assertEquals(base.lrDecision() * 4f, chosen.lrDecision(), 1e-7);
    assertEquals(20, chosen.steps());

    // An optimum inside the grid: nothing is added.
    seen.clear();
    var inside = bowl(base, 5, 1, seen);
    AdaptationSelection.Outcome in = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, inside);
    AdaptationSelection.Outcome same = AdaptationSelection.widen(in, ridge, DEFAULTS,
        ValidationMetrics.Direction.LOWER, inside, 0, 3);
    assertEquals(in.trials().size(), same.trials().size());
    assertEquals(in.chosen(), same.chosen());

    // A prior that wants to be strong: x4 (the largest listed) widens to x16 and x64, then stops.
    seen.clear();
    var strong = bowl(base, 5, 64, seen);
    AdaptationSelection.Outcome p = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, strong);
    assertEquals("prior strength x4.0", p.chosen().label());
    AdaptationSelection.Outcome pw = AdaptationSelection.widen(p, ridge, DEFAULTS,
        ValidationMetrics.Direction.LOWER, strong, 0, 3);
    assertEquals("prior strength x64.0 (widened)", pw.chosen().label());
    assertEquals(64f, AdaptationSelection.parse(pw.chosen().inner(), DEFAULTS).priorScale(), 0f);
    // No widening at all with 0 rounds.
    assertEquals(p, AdaptationSelection.widen(p, ridge, DEFAULTS,
        ValidationMetrics.Direction.LOWER, strong, 0, 0));
  }

  private static ValidationMetrics ndcg(double v) {
    return new ValidationMetrics(10, 100, Double.NaN, Double.NaN, Double.NaN, Double.NaN, v);
  }

  @Test
  void theNeighbourWeightIsChosenPerSupportSizeOnTopOfEachChoiceAndOnlyWhereItLifts() {
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("user"));
    var candidates = AdaptationSelection.candidates(ridge, List.of(0), List.of(1.0), List.of());
    // Validation (nDCG, higher is better) at supports 1, 5, 20: no adaptation is best at 1, the
    // trained solve at 5 and 20. The neighbourhood term hurts at 1; at 5 it ties with weight 2 on
    // the trained solve, and weight 32 on no adaptation (a variant of another size's choice) is
    // better still but does not compete there; at 20 it is best with weight 8 on the trained
    // solve (a peak in the middle of the grid).
    Function<InnerLoopConfig, AdaptationSelection.SupportScores> validate = in -> {
      double w = in.neighbourWeight();
      double lift20 = w == 0 ? 0 : 0.05 - 0.01 * Math.abs(Math.log(w / 8) / Math.log(2));
      double[] v = in.userSolver() == UserSolver.SGD
          ? new double[] {0.30 - 0.01 * w, w == 32 ? 0.36 : 0.30, 0.30 + lift20}
          : new double[] {0.28 - 0.01 * w, w == 2 ? 0.35 : 0.35 - 0.001 * w, 0.40 + lift20};
      List<ValidationMetrics> at = new ArrayList<>();
      for (double x : v) {
        at.add(ndcg(x));
      }
      return new AdaptationSelection.SupportScores(new int[] {1, 5, 20},
          ndcg((v[0] + v[1] + v[2]) / 3), at);
    };
    AdaptationSelection.Outcome first = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.HIGHER, validate);
    assertEquals(List.of("none (no adaptation)", "trained", "trained"),
        first.bySupport().stream().map(c -> c.chosen().label()).toList());
    List<Double> weights = List.of(0.5, 2.0, 8.0, 32.0);
    int[] calls = {0};
    AdaptationSelection.Outcome o = AdaptationSelection.withNeighbourWeights(first, weights,
        DEFAULTS, ValidationMetrics.Direction.HIGHER, in -> {
          calls[0]++;
          return validate.apply(in);
        });
    assertEquals(2 * weights.size(), calls[0], "each distinct choice once per weight");
    assertEquals(List.of("none (no adaptation)", "trained", "trained, neighbour weight 8.0"),
        o.bySupport().stream().map(c -> c.chosen().label()).toList(),
        "hurts at 1, ties at 5 (another choice's variant does not compete), weight 8 at 20");
    assertEquals(first.trials().size() + 2 * weights.size(), o.trials().size());
    io.metarec.io.ModelManifest m = io.metarec.serve.ServingFixtures.manifest(
        io.metarec.meta.TestFixtures.tinySpec(io.metarec.model.Feedback.IMPLICIT, true,
            io.metarec.model.Activation.RELU), 0, 1).withAdaptation(o.adaptation());
    assertTrue(m.usesNeighbours());
    io.metarec.config.AdaptationPlan plan = io.metarec.io.ModelManifest.parse(m.toJson(), "m")
        .adaptationPlan(DEFAULTS, "model.json");
    assertEquals(0f, plan.forSupport(1).neighbourWeight(), 0f);
    assertEquals(0f, plan.forSupport(10).neighbourWeight(), 0f);
    assertEquals(UserSolver.RIDGE, plan.forSupport(10).userSolver());
    assertEquals(8f, plan.forSupport(20).neighbourWeight(), 0f);
    // No weights: the outcome as it was; a manifest without the term does not need neighbours.
    assertEquals(first, AdaptationSelection.withNeighbourWeights(first, List.of(), DEFAULTS,
        ValidationMetrics.Direction.HIGHER, validate));
    assertTrue(!m.withAdaptation(first.adaptation()).usesNeighbours());
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

  /**
   * nDCG scores of 60 validation users at supports 1 and 5: each user's own base, plus {@code
   * shift}, plus {@code +-swing} for every other user (by {@code phase}): a gain of exactly
   * {@code shift} on average, whose paired standard error is about {@code swing / 7.7}.
   */
  private static AdaptationSelection.SupportScores perUser(double shift, double swing,
      int phase) {
    int n = 60;
    long[] ids = new long[n];
    double[][] scores = new double[2][n];
    java.util.SplittableRandom base = new java.util.SplittableRandom(1);
    for (int u = 0; u < n; u++) {
      ids[u] = 100 + 3L * u;
      double b = 0.2 + 0.5 * base.nextDouble();
      for (int k = 0; k < 2; k++) {
        scores[k][u] = b + shift + ((u + phase) % 2 == 0 ? swing : -swing);
      }
    }
    List<ValidationMetrics> at = new ArrayList<>();
    double all = 0;
    for (int k = 0; k < 2; k++) {
      double m = java.util.Arrays.stream(scores[k]).average().orElseThrow();
      at.add(ndcg(m));
      all += m / 2;
    }
    return new AdaptationSelection.SupportScores(new int[] {1, 5}, ndcg(all), at,
        new ValidationAccumulator.PerTask(ids, scores));
  }

  @Test
  void aWidenedCandidateReplacesAChoiceOnlyWhereItsPairedGainExceedsTheNoise() {
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("decision", "user"));
    var candidates = AdaptationSelection.candidates(ridge, List.of(0, 5), List.of(1.0));
    // 5 steps (the trained setting, the largest listed) beat everything listed on every user; more
    // steps are better on the mean by a margin far inside their user-by-user swing.
    Function<InnerLoopConfig, AdaptationSelection.SupportScores> validate = in -> {
      if (in.userSolver() == UserSolver.SGD) {
        return perUser(0, 0, 0);
      }
      return switch (in.steps()) {
        case 0 -> perUser(0.01, 0, 0);
        case 5 -> perUser(0.05, 0, 0);
        case 10 -> perUser(0.06, 0.2, 1);
        case 20 -> perUser(0.07, 0.2, 1);
        default -> perUser(0, 0, 0);
      };
    };
    AdaptationSelection.Outcome o = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.HIGHER, validate);
    assertEquals("trained", o.chosen().label());
    // By the mean alone (z = 0) the grid widens to 10, then 20 steps.
    AdaptationSelection.Outcome byMean = AdaptationSelection.widen(o, ridge, DEFAULTS,
        ValidationMetrics.Direction.HIGHER, validate, 0, 3);
    assertEquals("steps 20, step sizes x1.0 (widened)", byMean.chosen().label());
    assertEquals("steps 20, step sizes x1.0 (widened)", byMean.bySupport().get(1).chosen().label());
    // With the one-standard-error rule the noisy gains are declined, and the widening stops after
    // its first round since no choice moved.
    AdaptationSelection.Outcome byRule = AdaptationSelection.widen(o, ridge, DEFAULTS,
        ValidationMetrics.Direction.HIGHER, validate, 1, 3);
    assertEquals("trained", byRule.chosen().label());
    assertEquals("trained", byRule.bySupport().get(0).chosen().label());
    assertEquals(o.trials().size() + 3, byRule.trials().size());
  }

  @Test
  void aCandidateIsTakenOverNoAdaptationOnlyWhereItsPairedGainExceedsTheNoise() {
    Map<String, Object> ridge = trained();
    ridge.put("userSolver", "ridge");
    ridge.put("adapt", List.of("user"));
    var candidates = AdaptationSelection.candidates(ridge, List.of(0), List.of(1.0),
        List.of(4.0));
    // The strong prior is best by mean: +0.004 on average, but +-0.3 from user to user (a paired
    // standard error of 0.04). The trained solve gains +0.002 for every user alike.
    Function<InnerLoopConfig, AdaptationSelection.SupportScores> noisy = in ->
        in.userSolver() == UserSolver.SGD ? perUser(0, 0, 0)
            : in.priorScale() == 4f ? perUser(0.004, 0.3, 0) : perUser(0.002, 0, 0);
    AdaptationSelection.Outcome byMean = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.HIGHER, noisy, 0);
    AdaptationSelection.Trial strong = byMean.trials().get(1);
    AdaptationSelection.Trial none = AdaptationSelection.noAdaptation(byMean.trials());
    assertEquals("none (no adaptation)", none.label());
    assertTrue(strong.metrics().primary() > byMean.trials().get(0).metrics().primary(),
        "best by mean");
    assertEquals("prior strength x4.0", byMean.chosen().label());
    AdaptationSelection.Gain g = AdaptationSelection.gain(strong, none, 0,
        ValidationMetrics.Direction.HIGHER);
    assertEquals(60, g.users());
    assertTrue(g.mean() > 0 && !g.exceeds(1), g.toString());
    AdaptationSelection.Outcome paired = AdaptationSelection.selectBySupport(candidates,
        DEFAULTS, ValidationMetrics.Direction.HIGHER, noisy, 1);
    assertEquals("trained", paired.chosen().label(), "the consistent gain, not the lucky one");
    assertEquals(List.of("trained", "trained"), paired.bySupport().stream()
        .map(c -> c.chosen().label()).toList());
    assertTrue(AdaptationSelection.gain(paired.chosen(), none, -1,
        ValidationMetrics.Direction.HIGHER).exceeds(1));
    // Where no candidate beats adapting nothing beyond the noise, nothing is adapted; the
    // explicit direction (lower is better) flips the sign of the gain.
    Function<InnerLoopConfig, AdaptationSelection.SupportScores> onlyNoise = in ->
        in.userSolver() == UserSolver.SGD ? perUser(0, 0, 0)
            : perUser(in.priorScale() == 4f ? -0.004 : -0.001, 0.3, in.priorScale() == 4f ? 0 : 1);
    AdaptationSelection.Outcome lower = AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, onlyNoise, 1);
    assertEquals("none (no adaptation)", lower.chosen().label());
    assertEquals(List.of("none (no adaptation)", "none (no adaptation)"), lower.bySupport()
        .stream().map(c -> c.chosen().label()).toList());
    assertEquals("prior strength x4.0", AdaptationSelection.selectBySupport(candidates, DEFAULTS,
        ValidationMetrics.Direction.LOWER, onlyNoise, 0).chosen().label(), "by mean alone");
    // The neighbourhood term is held to the same rule against the choice it joins.
    AdaptationSelection.Outcome termed = AdaptationSelection.withNeighbourWeights(paired,
        List.of(2.0, 8.0), DEFAULTS, ValidationMetrics.Direction.HIGHER, in ->
            in.neighbourWeight() == 8f ? perUser(0.02, 0.01, 0)
                : in.neighbourWeight() == 2f ? perUser(0.03, 0.5, 1) : noisy.apply(in), 1);
    assertEquals("trained, neighbour weight 8.0", termed.chosen().label());
    assertEquals("trained, neighbour weight 2.0", AdaptationSelection.withNeighbourWeights(paired,
        List.of(2.0, 8.0), DEFAULTS, ValidationMetrics.Direction.HIGHER, in ->
            in.neighbourWeight() == 8f ? perUser(0.02, 0.01, 0)
                : in.neighbourWeight() == 2f ? perUser(0.03, 0.5, 1) : noisy.apply(in), 0)
        .chosen().label(), "by mean alone");
  }
}
