package io.metarec.meta;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.Algorithm;
import io.metarec.config.UserSolver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Central-difference checks of the analytic meta-gradients for every parameter segment, as Photon-ML's
 * SingleNodeObjectiveFunctionTest does for every loss. Exact cases: multi-task (gradient of the loss
 * at theta), FOMAML with zero inner steps (gradient of the query loss at theta), and the ridge user
 * solve (gradient of the query loss through the closed form, including lambda and the prior mean).
 */
class GradientCheckTest {

  /** The loss the engine reports for one task (query loss, or all rows for multitask). */
  private static double loss(JvmAdaptationEngine e, Params theta, Task t, InnerLoopConfig in, Algorithm a) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    e.accumulateTask(t, theta, in, a, acc);
    return acc.lossSum();
  }

  private static void check(ModelSpec spec, Task task, InnerLoopConfig in, Algorithm alg, Set<String> mayBeZero) {
    JvmAdaptationEngine e = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(spec.numItems()));
    Params theta = TestFixtures.randomParams(spec, 7);
    ParamLayout layout = theta.layout();
    MetaGradientAccumulator acc = new MetaGradientAccumulator(layout);
    e.accumulateTask(task, theta, in, alg, acc);
    acc.spreadGramianGradientInPlace(theta);
    float[] g = acc.toFlat();
    float[] flat = theta.flatten();
    SplittableRandom rng = new SplittableRandom(3);
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Segment s : layout.segments()) {
      int base = (int) s.offset();
      int size = (int) s.size();
      List<Integer> coords = new ArrayList<>();
      for (int k = 0; k < size; k++) {
        if (g[base + k] != 0f) {
          coords.add(base + k);
        }
      }
      if (coords.isEmpty() && !mayBeZero.contains(s.name())) {
        failures.add(s.name() + ": gradient is identically zero");
      }
      while (coords.size() > 8) {
        coords.remove(rng.nextInt(coords.size()));
      }
      coords.add(base + rng.nextInt(size));
      for (int k : coords) {
        float orig = flat[k];
        float h = Math.max(1e-2f, Math.abs(orig) * 1e-2f);
        float plus = orig + h;
        float minus = orig - h;
        flat[k] = plus;
        double lp = loss(e, Params.unflatten(layout, flat), task, in, alg);
        flat[k] = minus;
        double lm = loss(e, Params.unflatten(layout, flat), task, in, alg);
        flat[k] = orig;
        if (spec.activation() == Activation.RELU) {
          // A relu kink between orig - h and orig + h makes the two one-sided slopes disagree: skip it.
          double l0 = loss(e, Params.unflatten(layout, flat), task, in, alg);
          double right = (lp - l0) / ((double) plus - orig);
          double left = (l0 - lm) / ((double) orig - minus);
          if (Math.abs(right - left) > 1e-3 + 0.05 * Math.max(Math.abs(right), Math.abs(left))) {
            continue;
          }
        }
        double fd = (lp - lm) / ((double) plus - minus);
        double an = g[k];
        double tol = 5e-4 + 1e-2 * Math.max(Math.abs(fd), Math.abs(an));
        if (Math.abs(fd - an) > tol) {
          failures.add(String.format("%s[%d]: analytic %.6g vs central difference %.6g", s.name(), k - base, an, fd));
        }
        checked++;
      }
    }
    assertTrue(checked > layout.numSegments(), "checked " + checked);
    assertEquals(List.of(), failures);
  }

  @ParameterizedTest
  @EnumSource(Feedback.class)
  void multitaskGradientMatchesCentralDifferencesForEverySegment(Feedback fb) {
    ModelSpec spec = TestFixtures.tinySpec(fb, true, Activation.TANH);
    check(spec, TestFixtures.tinyTask(fb, 11), TestFixtures.inner(1, UserSolver.SGD, Set.of()), Algorithm.MULTITASK,
        Set.of("logLambda"));
  }

  @ParameterizedTest
  @EnumSource(Feedback.class)
  void queryGradientWithoutAdaptationMatchesCentralDifferences(Feedback fb) {
    ModelSpec spec = TestFixtures.tinySpec(fb, true, Activation.TANH);
    check(spec, TestFixtures.tinyTask(fb, 12), TestFixtures.inner(0, UserSolver.SGD, Set.of(ParamGroup.DECISION)),
        Algorithm.FOMAML, Set.of("logLambda"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void ridgeSolveGradientMatchesCentralDifferencesIncludingLambdaAndPriorMean(boolean userInMlp) {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, userInMlp, Activation.TANH);
    check(spec, TestFixtures.tinyTask(Feedback.EXPLICIT, 13), TestFixtures.inner(3, UserSolver.RIDGE,
        Set.of(ParamGroup.USER)), Algorithm.FOMAML, Set.of());
  }

  @ParameterizedTest
  @CsvSource({"RELU", "IDENTITY"})
  void multitaskGradientMatchesForOtherActivations(Activation act) {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, true, act);
    check(spec, TestFixtures.tinyTask(Feedback.EXPLICIT, 14), TestFixtures.inner(1, UserSolver.SGD, Set.of()),
        Algorithm.MULTITASK, Set.of("logLambda"));
  }

  private static InnerLoopConfig implicitInner(int steps, UserSolver solver, Set<ParamGroup> groups,
      io.metarec.config.ImplicitConfig.Loss loss) {
    return TestFixtures.inner(steps, solver, groups).withImplicit(new io.metarec.config.ImplicitConfig(2, 0, 2, io.metarec.config.ImplicitConfig.Distribution.UNIFORM, 0.75f, loss, 3f, true, io.metarec.config.ImplicitConfig.TaskWeight.TASK));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void implicitWeightedSolveGradientMatchesCentralDifferencesThroughTheGramian(boolean userInMlp) {
    // The implicit-ALS fold-in of u over every item, with sampled negatives in support and query:
    // the prior mean, lambda, the support's factors and, through the Gramian, every item factor.
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, userInMlp, Activation.TANH);
    // Only the user part adapts (FOMAML is exact through the solve, first-order through SGD steps).
    check(spec, TestFixtures.tinyTask(Feedback.IMPLICIT, 15), implicitInner(2, UserSolver.RIDGE,
        Set.of(ParamGroup.USER), io.metarec.config.ImplicitConfig.Loss.BCE),
        Algorithm.FOMAML, Set.of());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theFoldInGainIsInTheGradientThroughTheSolve(boolean userInMlp) {
    // u_lin = g u*: the query's gradient reaches u* (and through it the prior, lambda and every
    // item factor) times g.
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, userInMlp, Activation.TANH);
    io.metarec.config.ImplicitConfig imp = new io.metarec.config.ImplicitConfig(2, 0, 2,
        io.metarec.config.ImplicitConfig.Distribution.UNIFORM, 0.75f,
        io.metarec.config.ImplicitConfig.Loss.BCE, 3f, true,
        io.metarec.config.ImplicitConfig.TaskWeight.TASK, 2.5f);
    check(spec, TestFixtures.tinyTask(Feedback.IMPLICIT, 15), TestFixtures.inner(2,
        UserSolver.RIDGE, Set.of(ParamGroup.USER)).withImplicit(imp), Algorithm.FOMAML, Set.of());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theLearnedFoldInGainGetsItsGradientThroughTheSolve(boolean userInMlp) {
    // logFoldIn = log g: dL/dlog g = <dL/du_lin, u_lin>, beside the inner loop's factor 2.5.
    ModelSpec b = TestFixtures.tinySpec(Feedback.IMPLICIT, userInMlp, Activation.TANH);
    ModelSpec spec = new ModelSpec(b.numItems(), b.userFields(), b.itemFields(), b.embeddingDim(),
        b.hidden(), b.activation(), b.userDim(), b.feedback(), b.implicitTerm(), b.userInMlp(),
        true);
    io.metarec.config.ImplicitConfig imp = new io.metarec.config.ImplicitConfig(2, 0, 2,
        io.metarec.config.ImplicitConfig.Distribution.UNIFORM, 0.75f,
        io.metarec.config.ImplicitConfig.Loss.BCE, 3f, true,
        io.metarec.config.ImplicitConfig.TaskWeight.TASK, 2.5f);
    check(spec, TestFixtures.tinyTask(Feedback.IMPLICIT, 15), TestFixtures.inner(2,
        UserSolver.RIDGE, Set.of(ParamGroup.USER)).withImplicit(imp), Algorithm.FOMAML, Set.of());
  }

  @ParameterizedTest
  @EnumSource(value = io.metarec.config.ImplicitConfig.Loss.class)
  void weightedPositivesSolveAndLossGradientsMatchCentralDifferences(
      io.metarec.config.ImplicitConfig.Loss loss) {
    // Positives weighted by a count column (labels log2(1 + count), not 1): each row's confidence
    // in the exact solve and its weight in the BCE or BPR loss, support and query.
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.TANH);
    check(spec, TestFixtures.weightedTinyTask(17), implicitInner(2, UserSolver.RIDGE,
        Set.of(ParamGroup.USER), loss), Algorithm.FOMAML, Set.of());
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void bprOverSampledNegativesMatchesCentralDifferences(Algorithm alg) {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.TANH);
    InnerLoopConfig in = implicitInner(alg == Algorithm.MULTITASK ? 1 : 0, UserSolver.SGD,
        alg == Algorithm.MULTITASK ? Set.of() : Set.of(ParamGroup.DECISION),
        io.metarec.config.ImplicitConfig.Loss.BPR);
    if (alg == Algorithm.REPTILE) {
      return; // Reptile's contribution is a difference of parameters, not a gradient
    }
    check(spec, TestFixtures.tinyTask(Feedback.IMPLICIT, 16), in, alg, Set.of("logLambda"));
  }
}
