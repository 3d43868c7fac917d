package io.metarec.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.config.ImplicitConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The implicit-feedback user solve and the sampled negatives of the JVM engine. */
class ImplicitSolveTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.IMPLICIT, false,
      Activation.TANH);

  /** θ whose only non-zero part is the item factors: the model is <u, q_i> alone. */
  private static Params factorsOnly(float lambda) {
    Params p = TestFixtures.randomParams(SPEC, 3);
    ParamLayout l = p.layout();
    for (int seg = 0; seg < l.numSegments(); seg++) {
      if (seg != l.itemFactor) {
        for (float[] row : p.segment(seg)) {
          java.util.Arrays.fill(row, 0f);
        }
      }
    }
    p.segment(l.logLambda)[0][0] = (float) Math.log(lambda);
    return p;
  }

  /**
   * With the other terms zero, the scores are implicit ALS's fold-in by a direct dense solve:
   * {@code u = (sum_i q_i q_i^T + conf sum_S w_r q_r q_r^T + lambda I)^-1 sum_S (1 + conf w_r) q_r}
   * over every item {@code i >= 1} and every support row r (a repeated item counts twice), the
   * weights {@code w_r} the support's labels (1, or a count column's weights).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
      "0.7, 4.0, '2 5 7 5', '1 1 1 1', 1",
      "0.4, 2.5, '3 6 8 3', '2 0.5 1.5 1', 1",
      "0.7, 4.0, '2 5 7 5', '1 1 1 1', 6"})
  void withOtherTermsZeroTheScoresAreImplicitAlsFoldInOfADirectDenseSolve(float lambda,
      float confidence, String supportText, String weightText, float gain) {
    int[] support = java.util.Arrays.stream(supportText.split(" ")).mapToInt(Integer::parseInt)
        .toArray();
    String[] wt = weightText.split(" ");
    float[] weights = new float[wt.length];
    for (int r = 0; r < wt.length; r++) {
      weights[r] = Float.parseFloat(wt[r]);
    }
    Params theta = factorsOnly(lambda);
    InnerLoopConfig inner = TestFixtures.inner(0, UserSolver.RIDGE, Set.of(ParamGroup.USER))
        .withImplicit(new ImplicitConfig(3, 0, 3, ImplicitConfig.Distribution.UNIFORM, 0.75f,
            ImplicitConfig.Loss.BCE, confidence, false, ImplicitConfig.TaskWeight.TASK, gain));
    int n = SPEC.numItems();
    int[] all = new int[n - 1];
    for (int i = 1; i < n; i++) {
      all[i - 1] = i;
    }
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(n));
    float[] scores = e.adaptAndScore(theta, inner, support, weights, new int[][] {{1}, {2}}, all);
    float[][] q = theta.segment(theta.layout().itemFactor);
    int d = SPEC.userDim();
    double[][] m = new double[d][d];
    double[] b = new double[d];
    for (int i = 1; i < n; i++) {
      addOuter(m, q[i], 1);
    }
    for (int r = 0; r < support.length; r++) {
      addOuter(m, q[support[r]], confidence * weights[r]);
      for (int a = 0; a < d; a++) {
        b[a] += (1 + confidence * weights[r]) * q[support[r]][a];
      }
    }
    for (int a = 0; a < d; a++) {
      m[a][a] += lambda;
    }
    double[] u = solve(m, b);
    for (int i = 1; i < n; i++) {
      double s = 0;
      for (int a = 0; a < d; a++) {
        s += u[a] * q[i][a];
      }
      // The fold-in gain scales the solved vector's score.
      assertEquals(gain * s, scores[i - 1], 1e-5 * gain, "item " + i);
    }
    float[] ones = new float[support.length];
    java.util.Arrays.fill(ones, 1f);
    boolean unweighted = java.util.Arrays.equals(ones, weights);
    assertEquals(unweighted, java.util.Arrays.equals(scores, e.adaptAndScore(theta, inner,
        support, ones, new int[][] {{1}, {2}}, all)), "the weights change the solve");
  }

  @Test
  void aLearnedGainScoresAsTheSameFactorOfTheInnerLoopDoes() {
    ModelSpec learned = new ModelSpec(SPEC.numItems(), SPEC.userFields(), SPEC.itemFields(),
        SPEC.embeddingDim(), SPEC.hidden(), SPEC.activation(), SPEC.userDim(), SPEC.feedback(),
        SPEC.implicitTerm(), SPEC.userInMlp(), true);
    Params plain = TestFixtures.randomParams(SPEC, 4);
    Params theta = new Params(new ParamLayout(learned));
    for (int seg = 0; seg < plain.layout().numSegments(); seg++) {
      float[][] from = plain.segment(seg);
      for (int r = 0; r < from.length; r++) {
        System.arraycopy(from[r], 0, theta.segment(seg)[r], 0, from[r].length);
      }
    }
    theta.segment(theta.layout().logFoldIn)[0][0] = (float) Math.log(3);
    InnerLoopConfig inner = TestFixtures.inner(0, UserSolver.RIDGE, Set.of(ParamGroup.USER));
    ImplicitConfig one = new ImplicitConfig(3, 0, 3, ImplicitConfig.Distribution.UNIFORM, 0.75f,
        ImplicitConfig.Loss.BCE, 2f, false, ImplicitConfig.TaskWeight.TASK, 1f);
    int n = SPEC.numItems();
    int[] all = new int[n - 1];
    for (int i = 1; i < n; i++) {
      all[i - 1] = i;
    }
    int[] support = {2, 5, 7};
    float[] w = {1, 1, 1};
    float[] byLearned = new JvmAdaptationEngine(learned, TestFixtures.tinyItems(n)).adaptAndScore(
        theta, inner.withImplicit(one), support, w, new int[][] {{1}, {2}}, all);
    float[] byFactor = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(n)).adaptAndScore(
        plain, inner.withImplicit(new ImplicitConfig(3, 0, 3, ImplicitConfig.Distribution.UNIFORM,
            0.75f, ImplicitConfig.Loss.BCE, 2f, false, ImplicitConfig.TaskWeight.TASK, 3f)),
        support, w, new int[][] {{1}, {2}}, all);
    assertArrayEquals(byFactor, byLearned, 1e-5f);
    float[] unadapted = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(n)).adaptAndScore(
        plain, inner.withImplicit(one), support, w, new int[][] {{1}, {2}}, all);
    assertFalse(java.util.Arrays.equals(unadapted, byLearned), "the gain moves the scores");
  }

  private static void addOuter(double[][] m, float[] x, double w) {
    for (int a = 0; a < x.length; a++) {
      for (int c = 0; c < x.length; c++) {
        m[a][c] += w * x[a] * x[c];
      }
    }
  }

  /** Gaussian elimination with partial pivoting. */
  private static double[] solve(double[][] m, double[] b) {
    int d = b.length;
    double[][] a = new double[d][];
    for (int i = 0; i < d; i++) {
      a[i] = java.util.Arrays.copyOf(m[i], d + 1);
      a[i][d] = b[i];
    }
    for (int c = 0; c < d; c++) {
      int p = c;
      for (int r = c + 1; r < d; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
          p = r;
        }
      }
      double[] t = a[c];
      a[c] = a[p];
      a[p] = t;
      for (int r = 0; r < d; r++) {
        if (r != c) {
          double f = a[r][c] / a[c][c];
          for (int k = c; k <= d; k++) {
            a[r][k] -= f * a[c][k];
          }
        }
      }
    }
    double[] x = new double[d];
    for (int i = 0; i < d; i++) {
      x[i] = a[i][d] / a[i][i];
    }
    return x;
  }

  @Test
  void trainingNegativesAreDeterministicPerSeedIterationAndTask() {
    Params theta = TestFixtures.randomParams(SPEC, 5);
    InnerLoopConfig inner = TestFixtures.inner(2, UserSolver.SGD, Set.of(ParamGroup.DECISION));
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()));
    Task t = TestFixtures.tinyTask(Feedback.IMPLICIT, 21);
    float[] a = contribution(e, theta, inner, t, 1, 7);
    assertArrayEquals(a, contribution(e, theta, inner, t, 1, 7), "same seed, iteration and task");
    assertFalse(java.util.Arrays.equals(a, contribution(e, theta, inner, t, 1, 8)),
        "another iteration draws other negatives");
    assertFalse(java.util.Arrays.equals(a, contribution(e, theta, inner, t, 2, 7)),
        "another seed draws other negatives");
    InnerLoopConfig none = inner.withImplicit(new ImplicitConfig(0, 0, 0,
        ImplicitConfig.Distribution.UNIFORM, 0.75f, ImplicitConfig.Loss.BCE, 1f, false,
        ImplicitConfig.TaskWeight.TASK));
    assertArrayEquals(contribution(e, theta, none, t, 1, 7), contribution(e, theta, none, t, 2, 8),
        "no negatives: nothing random");
  }

  /**
   * The sampling correction trains on {@code logit - log((n - 1) q_i)}: with negatives in both
   * blocks, the meta-gradient of θ with the correction is the uncorrected one of θ with every item
   * bias shifted by the correction (the same draws, the same losses), for both solvers and
   * multi-task alike; with a uniform sampler the correction is 0 and changes no bit.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"SGD,FOMAML", "RIDGE,FOMAML", "SGD,MULTITASK"})
  void theSamplingCorrectionIsTheUncorrectedLossOfBiasesShiftedByIt(UserSolver solver,
      Algorithm algorithm) {
    int n = SPEC.numItems();
    long[] counts = new long[n];
    for (int i = 1; i < n; i++) {
      counts[i] = (i * 7L) % 11 * 5;
    }
    var items = TestFixtures.tinyItems(n).withCounts(counts);
    double[] q = io.metarec.task.NegativeSampler.popularity(counts, 0.75).probabilities();
    ImplicitConfig off = new ImplicitConfig(3, 0, 2, ImplicitConfig.Distribution.POPULARITY,
        0.75f, ImplicitConfig.Loss.BCE, 1f, false, ImplicitConfig.TaskWeight.TASK);
    InnerLoopConfig base = TestFixtures.inner(2, solver, Set.of(ParamGroup.USER,
        ParamGroup.DECISION));
    Params theta = TestFixtures.randomParams(SPEC, 11);
    Params shifted = theta.copy();
    float[][] b = shifted.segment(shifted.layout().itemBias);
    for (int i = 1; i < n; i++) {
      b[i][0] -= (float) Math.log((n - 1) * q[i]);
    }
    Task t = TestFixtures.tinyTask(Feedback.IMPLICIT, 41);
    float[] corrected = contribution(new JvmAdaptationEngine(SPEC, items), theta,
        base.withImplicit(off.withSamplingCorrection(true)), t, 3, 5, algorithm);
    float[] plain = contribution(new JvmAdaptationEngine(SPEC, items), shifted,
        base.withImplicit(off), t, 3, 5, algorithm);
    assertArrayEquals(plain, corrected, 2e-5f);
    assertFalse(java.util.Arrays.equals(plain, contribution(new JvmAdaptationEngine(SPEC, items),
        theta, base.withImplicit(off), t, 3, 5, algorithm)), "the correction changes the gradient");
    ImplicitConfig uniform = new ImplicitConfig(3, 0, 2, ImplicitConfig.Distribution.UNIFORM,
        0.75f, ImplicitConfig.Loss.BCE, 1f, false, ImplicitConfig.TaskWeight.TASK);
    assertArrayEquals(contribution(new JvmAdaptationEngine(SPEC, items), theta,
        base.withImplicit(uniform), t, 3, 5, algorithm),
        contribution(new JvmAdaptationEngine(SPEC, items), theta,
            base.withImplicit(uniform.withSamplingCorrection(true)), t, 3, 5, algorithm),
        "uniform negatives: no correction");
  }

  /**
   * With {@code taskWeight = positives} a task counts as many times as the positives its loss
   * scores: its contribution (the Gramian's part included) is that many times the unweighted one,
   * the accumulator's weight sum grows by as much, and the mean the outer step takes is unchanged.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"SGD,FOMAML,5", "RIDGE,FOMAML,5",
      "SGD,MULTITASK,9"})
  void weightedByPositivesATaskCountsAsManyTimesAsItsPositives(UserSolver solver,
      Algorithm algorithm, int positives) {
    ImplicitConfig byTask = new ImplicitConfig(3, 0, 2, ImplicitConfig.Distribution.UNIFORM,
        0.75f, ImplicitConfig.Loss.BCE, 1f, true, ImplicitConfig.TaskWeight.TASK);
    InnerLoopConfig base = TestFixtures.inner(2, solver, Set.of(ParamGroup.USER,
        ParamGroup.DECISION));
    Params theta = TestFixtures.randomParams(SPEC, 13);
    Task t = TestFixtures.tinyTask(Feedback.IMPLICIT, 43); // 9 rows, support 4
    MetaGradientAccumulator one = new MetaGradientAccumulator(theta.layout());
    MetaGradientAccumulator weighted = new MetaGradientAccumulator(theta.layout());
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()));
    e.accumulateTask(t, theta, base.withImplicit(byTask), algorithm, one, 3, 5);
    e.accumulateTask(t, theta, base.withImplicit(byTask.withTaskWeight(
        ImplicitConfig.TaskWeight.POSITIVES)), algorithm, weighted, 3, 5);
    assertEquals(1.0, one.weightSum());
    assertEquals(positives, weighted.weightSum());
    assertEquals(1, weighted.taskCount());
    assertEquals(one.meanLoss(), weighted.meanLoss(), 1e-12);
    one.spreadGramianGradientInPlace(theta);
    weighted.spreadGramianGradientInPlace(theta);
    float[] a = one.toFlat();
    float[] b = weighted.toFlat();
    boolean any = false;
    for (int i = 0; i < a.length; i++) {
      assertEquals(positives * a[i], b[i], 1e-5f * Math.max(1f, Math.abs(b[i])), "float " + i);
      any |= a[i] != 0f;
    }
    assertTrue(any, "the task has a contribution");
  }

  /**
   * The weighted solve's Gramian is cached per θ; a θ changed in place between iterations (the
   * driver's in-process θ, an executor's replica) must not be solved against the old factors.
   */
  @Test
  void aThetaChangedInPlaceIsSolvedAgainstItsNewFactors() {
    Params theta = TestFixtures.randomParams(SPEC, 9);
    InnerLoopConfig inner = TestFixtures.inner(1, UserSolver.RIDGE, Set.of(ParamGroup.USER,
        ParamGroup.DECISION));
    JvmAdaptationEngine kept = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()));
    Task t = TestFixtures.tinyTask(Feedback.IMPLICIT, 31);
    float[] before = contribution(kept, theta, inner, t, 1, 4);
    float[][] q = theta.segment(theta.layout().itemFactor);
    for (int i = 1; i < q.length; i++) {
      for (int c = 0; c < q[i].length; c++) {
        q[i][c] *= 1.5f;
      }
    }
    theta.markChangedInPlace();
    float[] after = contribution(kept, theta, inner, t, 1, 4);
    JvmAdaptationEngine fresh = new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()));
    assertArrayEquals(contribution(fresh, theta, inner, t, 1, 4), after,
        "an engine that solved for the old θ gives the fresh engine's bits");
    assertFalse(java.util.Arrays.equals(before, after), "the factors changed the solve");
  }

  private static float[] contribution(JvmAdaptationEngine e, Params theta, InnerLoopConfig inner,
      Task t, long seed, long iteration) {
    return contribution(e, theta, inner, t, seed, iteration, Algorithm.FOMAML);
  }

  private static float[] contribution(JvmAdaptationEngine e, Params theta, InnerLoopConfig inner,
      Task t, long seed, long iteration, Algorithm algorithm) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    e.accumulateTask(t, theta, inner, algorithm, acc, seed, iteration);
    return acc.toFlat();
  }
}
