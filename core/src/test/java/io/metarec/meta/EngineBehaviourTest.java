package io.metarec.meta;
import io.metarec.config.MetaConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.Algorithm;
import io.metarec.config.OuterOptimizerKind;
import io.metarec.config.UserSolver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Semantics of adaptation, prediction and the algorithms' contributions. */
class EngineBehaviourTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.TANH);
  private static final ItemFeatureTable ITEMS = TestFixtures.tinyItems(SPEC.numItems());

  @Test
  void newUserWithoutInteractionsIsScoredWithTheMetaInitialization() {
    Params theta = TestFixtures.randomParams(SPEC, 1);
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
    int[][] uf = {{2}, {1, 4}};
    int[] candidates = {0, 3, 5, 11};
    InnerLoopConfig in = TestFixtures.inner(5, UserSolver.SGD, Set.of(ParamGroup.DECISION, ParamGroup.USER));
    float[] cold = e.adaptAndScore(theta, in, new int[0], new float[0], uf, candidates);
    float[] noSteps = e.adaptAndScore(theta, in.withSteps(0), new int[0], new float[0], uf, candidates);
    assertArrayEquals(noSteps, cold);
    float[] viaTask = e.adaptAndPredict(theta, in, new Task(9, candidates, new float[4], 0, uf));
    assertArrayEquals(cold, viaTask);
    float[] warm = e.adaptAndScore(theta, in, new int[] {3, 5}, new float[] {5f, 1f}, uf, candidates);
    assertTrue(!Arrays.equals(cold, warm), "interactions change the scores");
  }

  @Test
  void theNeighbourhoodTermAddsWeightOverKTimesTheSimilaritySumAndNeedsItsNeighbourhoods() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.RELU);
    Params theta = TestFixtures.randomParams(spec, 4);
    // Item i's neighbours: i + 1 and i + 2 (within the 12 items) with similarities 1/i and 1/2i.
    int[][] nb = new int[spec.numItems()][];
    float[][] sim = new float[spec.numItems()][];
    for (int i = 0; i < spec.numItems(); i++) {
      nb[i] = i == 0 ? new int[0]
          : java.util.stream.IntStream.of(i + 1, i + 2).filter(j -> j < 12).toArray();
      sim[i] = new float[nb[i].length];
      for (int k = 0; k < nb[i].length; k++) {
        sim[i][k] = 1f / (i * (k + 1));
      }
    }
    io.metarec.model.ItemNeighbours neighbours = io.metarec.model.ItemNeighbours.of(nb, sim);
    ItemFeatureTable items = TestFixtures.tinyItems(spec.numItems()).withNeighbours(neighbours);
    JvmAdaptationEngine e = new JvmAdaptationEngine(spec, items);
    InnerLoopConfig in = TestFixtures.inner(2, UserSolver.RIDGE,
        Set.of(ParamGroup.DECISION, ParamGroup.USER));
    int[] support = {3, 5, 3};
    float[] ones = {1f, 1f, 1f};
    int[] candidates = {1, 4, 5, 6, 7, 11};
    int[][] uf = {{1}, {2}};
    float[] plain = e.adaptAndScore(theta, in, support, ones, uf, candidates);
    float[] with = e.adaptAndScore(theta, in.withNeighbourWeight(1.5f), support, ones, uf,
        candidates);
    // Sums from the distinct items 3 and 5: 4 → 1/3, 5 → 1/6, 6 → 1/5, 7 → 1/10; scale 1.5 / 3.
    float[] sums = {0f, 1f / 3, 1f / 6, 1f / 5, 1f / 10, 0f};
    for (int c = 0; c < candidates.length; c++) {
      assertEquals(plain[c] + 0.5f * sums[c], with[c], 1e-6f, "candidate " + candidates[c]);
    }
    assertEquals(plain[0], with[0], 0f, "no similarity, no change");
    // Weight 0 is the model alone, with or without neighbourhoods.
    assertArrayEquals(plain, new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12))
        .adaptAndScore(theta, in, support, ones, uf, candidates));
    IllegalStateException missing = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class, () -> new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12))
            .adaptAndScore(theta, in.withNeighbourWeight(1f), support, ones, uf, candidates));
    assertTrue(missing.getMessage().contains("neighbours.bin"), missing.getMessage());
    IllegalArgumentException explicit = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> new JvmAdaptationEngine(SPEC, ITEMS).adaptAndScore(
            TestFixtures.randomParams(SPEC, 1), TestFixtures.inner(0, UserSolver.SGD,
                Set.of(ParamGroup.USER)).withNeighbourWeight(1f), new int[] {1}, new float[] {4f},
            new int[][] {{1}, {2}}, candidates));
    assertTrue(explicit.getMessage().contains("implicit feedback"), explicit.getMessage());
  }

  @Test
  void scoresDoNotDependOnCandidateBatchingOrChunking() {
    Params theta = TestFixtures.randomParams(SPEC, 2);
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
    InnerLoopConfig in = TestFixtures.inner(3, UserSolver.RIDGE, Set.of(ParamGroup.DECISION, ParamGroup.USER));
    int[][] uf = {{1}, {2}};
    int[] many = new int[2500];
    for (int i = 0; i < many.length; i++) {
      many[i] = (i * 7) % SPEC.numItems();
    }
    float[] all = e.adaptAndScore(theta, in, new int[] {1, 2, 3}, new float[] {4f, 2f, 5f}, uf, many);
    float[] few = e.adaptAndScore(theta, in, new int[] {1, 2, 3}, new float[] {4f, 2f, 5f}, uf,
        Arrays.copyOfRange(many, 2400, 2403));
    assertArrayEquals(Arrays.copyOfRange(all, 2400, 2403), few);
  }

  @Test
  void reptileOneStepContributionIsStepSizeTimesSupportGradient() {
    Params theta = TestFixtures.randomParams(SPEC, 3);
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
    Task t = TestFixtures.tinyTask(Feedback.EXPLICIT, 4);
    InnerLoopConfig in = TestFixtures.inner(1, UserSolver.SGD, Set.of(ParamGroup.DECISION));
    MetaGradientAccumulator rep = new MetaGradientAccumulator(theta.layout());
    e.accumulateTask(t, theta, in, Algorithm.REPTILE, rep);
    int s = t.supportSize();
    Task supportOnly = new Task(t.taskId(), Arrays.copyOf(t.items(), s), Arrays.copyOf(t.labels(), s), s,
        t.userFeatures());
    MetaGradientAccumulator mt = new MetaGradientAccumulator(theta.layout());
    e.accumulateTask(supportOnly, theta, in, Algorithm.MULTITASK, mt);
    float[] r = rep.toFlat();
    float[] g = mt.toFlat();
    for (Segment seg : theta.layout().segments()) {
      if (seg.group() != ParamGroup.DECISION) {
        continue;
      }
      for (int k = (int) seg.offset(); k < seg.offset() + seg.size(); k++) {
        assertEquals(in.lrDecision() * g[k], r[k], 1e-6f + 1e-4f * Math.abs(r[k]), seg.name());
      }
    }
  }

  @Test
  void innerLoopReducesSupportLossForEverySolver() {
    Params theta = TestFixtures.randomParams(SPEC, 5);
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
    for (Task t : TestFixtures.tinyTasks(Feedback.EXPLICIT, 5)) {
      // Score the support itself: a task whose query repeats its support.
      int s = t.supportSize();
      int[] items = new int[2 * s];
      float[] labels = new float[2 * s];
      System.arraycopy(t.items(), 0, items, 0, s);
      System.arraycopy(t.items(), 0, items, s, s);
      System.arraycopy(t.labels(), 0, labels, 0, s);
      System.arraycopy(t.labels(), 0, labels, s, s);
      Task onSupport = new Task(t.taskId(), items, labels, s, t.userFeatures());
      InnerLoopConfig base = TestFixtures.inner(0, UserSolver.SGD, Set.of(ParamGroup.DECISION));
      double before = e.adaptAndEvaluateLoss(theta, base, onSupport);
      for (UserSolver solver : UserSolver.values()) {
        InnerLoopConfig in = TestFixtures.inner(10, solver, Set.of(ParamGroup.DECISION, ParamGroup.USER));
        double after = e.adaptAndEvaluateLoss(theta, in, onSupport);
        assertTrue(after < before, solver + ": support loss " + before + " -> " + after);
      }
    }
  }

  @Test
  void thePriorScaleMultipliesTheLearnedPriorStrengthOfEverySolve() {
    for (Feedback fb : Feedback.values()) {
      ModelSpec spec = TestFixtures.tinySpec(fb, true, Activation.TANH);
      JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
      Params theta = TestFixtures.randomParams(spec, 21);
      Params shifted = theta.copy();
      int lam = theta.layout().logLambda;
      shifted.segment(lam)[0][0] += (float) Math.log(4.0);
      shifted.markChangedInPlace();
      Task t = TestFixtures.tinyTask(fb, 2);
      for (UserSolver solver : UserSolver.values()) {
        InnerLoopConfig in = TestFixtures.inner(2, solver, Set.of(ParamGroup.USER));
        float[] scaled = engine.adaptAndPredict(theta, in.withPriorScale(4f), t);
        float[] moved = engine.adaptAndPredict(shifted, in, t);
        float[] plain = engine.adaptAndPredict(theta, in, t);
        for (int r = 0; r < scaled.length; r++) {
          assertEquals(moved[r], scaled[r], 1e-4f, fb + " " + solver + " row " + r);
        }
        assertTrue(!Arrays.equals(plain, scaled), fb + " " + solver + ": the prior matters");
      }
    }
  }

  @Test
  void tasksWithoutQueryAreSkipped() {
    Params theta = TestFixtures.randomParams(SPEC, 6);
    MetaGradientAccumulator a = new MetaGradientAccumulator(theta.layout());
    Task t = TestFixtures.tinyTask(Feedback.EXPLICIT, 1);
    TrainSettings s = new TrainSettings(TestFixtures.inner(1, UserSolver.SGD, Set.of(ParamGroup.USER)),
        TrainSettings.defaults().meta().withAlgorithm(Algorithm.FOMAML));
    s = s.withMeta(new MetaConfig(Algorithm.FOMAML, OuterOptimizerKind.SGD, 0.1f, 0.9f, 0.999f, 1e-8f, 1, 1, 1, false,
        0, 0, 0.1f, 1f, 0f, 0f));
    new JvmAdaptationEngine(SPEC, ITEMS).accumulate(List.of(t.withSplit(t.size()), t).iterator(), theta, s, 0, a);
    assertEquals(1, a.taskCount());
  }

  @Test
  void innerStepsAllocateNothingOnceWarm() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
    Params theta = TestFixtures.randomParams(SPEC, 7);
    JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
    Task t = TestFixtures.tinyTask(Feedback.EXPLICIT, 8);
    Set<ParamGroup> all = Set.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING);
    for (UserSolver solver : UserSolver.values()) {
      InnerLoopConfig few = TestFixtures.inner(2, solver, all);
      InnerLoopConfig many = TestFixtures.inner(202, solver, all);
      // Until C2 has compiled the kernel (the Vector API path runs as allocating Java code before
      // that) extra steps allocate; warm up until they do not, within a generous bound, so that the
      // test does not depend on which tests ran before it or on the JIT's timing.
      long id = Thread.currentThread().getId();
      long deadline = System.nanoTime() + 60_000_000_000L;
      long a0;
      long a1;
      long a2;
      do {
        for (int i = 0; i < 3; i++) {
          e.adaptAndPredict(theta, few, t);
          e.adaptAndPredict(theta, many, t);
        }
        a0 = bean.getThreadAllocatedBytes(id);
        e.adaptAndPredict(theta, few, t);
        a1 = bean.getThreadAllocatedBytes(id);
        e.adaptAndPredict(theta, many, t);
        a2 = bean.getThreadAllocatedBytes(id);
      } while ((a2 - a1) - (a1 - a0) >= 1024 && System.nanoTime() < deadline);
      // 200 extra steps may not allocate more than a few hundred bytes (measurement noise).
      assertTrue((a2 - a1) - (a1 - a0) < 1024, solver + ": " + (a1 - a0) + " vs " + (a2 - a1) + " bytes");
    }
  }
}
