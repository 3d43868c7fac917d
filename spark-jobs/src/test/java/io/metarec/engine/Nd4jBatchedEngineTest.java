package io.metarec.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.TestFixtures;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batched ND4J engine against the JVM kernel on the same tasks, θ and settings: the summed
 * meta-gradient contributions (every segment, every touched table row), task count and loss must agree
 * to float tolerance. Runs on whatever ND4J backend is on the class path (CPU in CI, CUDA in
 * scripts/gpu-check.sh).
 */
class Nd4jBatchedEngineTest {
  private static final ItemFeatureTable ITEMS = EngineFixtures.items();

  static MetaGradientAccumulator jvm(ModelSpec spec, Params theta, List<Task> tasks, TrainSettings s) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    new JvmAdaptationEngine(spec, ITEMS).accumulate(tasks.iterator(), theta, s, 3L, acc);
    return acc;
  }

  static MetaGradientAccumulator nd4j(ModelSpec spec, Params theta, List<Task> tasks, TrainSettings s, int block) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    try (Nd4jBatchedEngine e = new Nd4jBatchedEngine(spec, ITEMS, s, block, null)) {
      e.accumulate(tasks.iterator(), theta, s, 3L, acc);
    }
    return acc;
  }

  static Stream<Arguments> algorithmsAndGroups() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (Algorithm a : Algorithm.values()) {
      b.add(Arguments.of(a, Set.of(ParamGroup.DECISION)));
      b.add(Arguments.of(a, Set.of(ParamGroup.USER)));
      b.add(Arguments.of(a, Set.of(ParamGroup.DECISION, ParamGroup.USER)));
      b.add(Arguments.of(a, Set.of()));
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} adapting {1}")
  @MethodSource("algorithmsAndGroups")
  void contributionsMatchTheJvmKernelForEveryAlgorithmAndAdaptedGroup(Algorithm algorithm, Set<ParamGroup> groups) {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 11);
    List<Task> tasks = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 40, 5);
    TrainSettings s = EngineFixtures.settings(algorithm, groups, false, 0.1f, true);
    EngineFixtures.assertClose(jvm(spec, theta, tasks, s), nd4j(spec, theta, tasks, s, 16),
        algorithm + " " + groups);
  }

  static Stream<Arguments> modelVariants() {
    return Stream.of(
        Arguments.of(Feedback.IMPLICIT, Activation.RELU, true, true, 0f, true),
        Arguments.of(Feedback.EXPLICIT, Activation.RELU, true, false, 0f, true),
        Arguments.of(Feedback.EXPLICIT, Activation.IDENTITY, false, true, 0.2f, false),
        Arguments.of(Feedback.IMPLICIT, Activation.TANH, false, false, 0.05f, false));
  }

  @ParameterizedTest(name = "{0} {1} implicitTerm={2} userInMlp={3} l2={4} newton={5}")
  @MethodSource("modelVariants")
  void contributionsMatchForEveryModelVariant(Feedback fb, Activation act, boolean implicitTerm, boolean userInMlp,
      float l2, boolean newton) {
    ModelSpec spec = EngineFixtures.spec(fb, act, implicitTerm, userInMlp);
    Params theta = TestFixtures.randomParams(spec, 12);
    List<Task> tasks = EngineFixtures.raggedTasks(fb, 30, 6);
    for (Algorithm a : List.of(Algorithm.REPTILE, Algorithm.FOMAML)) {
      TrainSettings s = EngineFixtures.settings(a, Set.of(ParamGroup.DECISION, ParamGroup.USER), false, l2, newton);
      EngineFixtures.assertClose(jvm(spec, theta, tasks, s), nd4j(spec, theta, tasks, s, 8), a.name());
    }
  }

  @Test
  void weightedImplicitPositivesWeighTheSameInBothEngines() {
    // Positives weighted by a count column (label log2(1 + count), target 1), negatives 0.
    ModelSpec spec = EngineFixtures.spec(Feedback.IMPLICIT, Activation.RELU, true, true);
    Params theta = TestFixtures.randomParams(spec, 14);
    List<Task> tasks = new java.util.ArrayList<>();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    for (Task t : EngineFixtures.raggedTasks(Feedback.IMPLICIT, 30, 7)) {
      float[] labels = t.labels().clone();
      for (int r = 0; r < labels.length; r++) {
        labels[r] = labels[r] > 0 ? io.metarec.kernel.Losses.confidenceOfCount(1 + rng.nextInt(9))
            : 0f;
      }
      tasks.add(new Task(t.taskId(), t.items(), labels, t.supportSize(), t.userFeatures()));
    }
    for (Algorithm a : List.of(Algorithm.REPTILE, Algorithm.FOMAML)) {
      TrainSettings s = EngineFixtures.settings(a, Set.of(ParamGroup.DECISION, ParamGroup.USER),
          false, 0f, true);
      MetaGradientAccumulator weighted = jvm(spec, theta, tasks, s);
      EngineFixtures.assertClose(weighted, nd4j(spec, theta, tasks, s, 8), a.name());
      MetaGradientAccumulator unweighted = jvm(spec, theta,
          EngineFixtures.raggedTasks(Feedback.IMPLICIT, 30, 7), s);
      assertFalse(java.util.Arrays.equals(weighted.toFlat(), unweighted.toFlat()),
          "the weights change the contribution");
    }
  }

  @Test
  void resplitTasksAreSplitLikeTheJvmEngineDoes() {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 13);
    List<Task> tasks = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 40, 7);
    TrainSettings s = EngineFixtures.settings(Algorithm.FOMAML, Set.of(ParamGroup.DECISION, ParamGroup.USER), true,
        0f, true);
    EngineFixtures.assertClose(jvm(spec, theta, tasks, s), nd4j(spec, theta, tasks, s, 16), "resplit");
  }

  @Test
  void raggedSupportsCountOnlyTasksWithQueryRows() {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 14);
    List<Task> tasks = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 25, 8);
    long withQuery = tasks.stream().filter(t -> t.querySize() > 0).count();
    assertTrue(withQuery < tasks.size(), "the fixture has a task without query rows");
    assertTrue(tasks.stream().anyMatch(t -> t.supportSize() == 1 && t.querySize() > 0), "a 1-row support");
    TrainSettings s = EngineFixtures.settings(Algorithm.REPTILE, Set.of(ParamGroup.DECISION, ParamGroup.USER), false,
        0f, true);
    MetaGradientAccumulator acc = nd4j(spec, theta, tasks, s, 4);
    assertEquals(withQuery, acc.taskCount());
    // Only the task without query rows: nothing is added, not even its table rows.
    MetaGradientAccumulator none = nd4j(spec, theta, List.of(tasks.get(1)), s, 4);
    assertEquals(0, none.taskCount());
    assertEquals(0, none.table(theta.layout().itemEmb).size());
  }

  @Test
  void blockBoundariesDoNotChangeTheSumBeyondRounding() {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 15);
    List<Task> tasks = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 23, 9);
    TrainSettings s = EngineFixtures.settings(Algorithm.FOMAML, Set.of(ParamGroup.DECISION, ParamGroup.USER), false,
        0.1f, true);
    MetaGradientAccumulator ref = jvm(spec, theta, tasks, s);
    for (int block : new int[] {1, 3, 7, 23, 1024}) {
      EngineFixtures.assertClose(ref, nd4j(spec, theta, tasks, s, block), "block " + block);
    }
  }

  @Test
  void sameInputsGiveBitIdenticalContributions() {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 16);
    List<Task> tasks = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 30, 10);
    TrainSettings s = EngineFixtures.settings(Algorithm.REPTILE, Set.of(ParamGroup.DECISION, ParamGroup.USER), true,
        0f, true);
    MetaGradientAccumulator a = nd4j(spec, theta, tasks, s, 8);
    MetaGradientAccumulator b = nd4j(spec, theta, tasks, s, 8);
    assertArrayEquals(a.toFlat(), b.toFlat());
    assertEquals(a.lossSum(), b.lossSum());
  }

  @Test
  void unsupportedSettingsAreRefusedAtConstructionByName() {
    ModelSpec spec = EngineFixtures.spec();
    TrainSettings emb = EngineFixtures.settings(Algorithm.FOMAML, Set.of(ParamGroup.EMBEDDING, ParamGroup.USER), false,
        0f, true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Nd4jBatchedEngine(spec, ITEMS, emb, 8, null));
    assertTrue(e.getMessage().contains("inner.adapt=[user, embedding]"), e.getMessage());
    TrainSettings ridge = EngineFixtures.settings(Algorithm.FOMAML, Set.of(ParamGroup.USER), false, 0f, true);
    ridge = ridge.withInner(ridge.inner().withUserSolver(UserSolver.RIDGE));
    TrainSettings finalRidge = ridge;
    e = assertThrows(IllegalArgumentException.class, () -> new Nd4jBatchedEngine(spec, ITEMS, finalRidge, 8, null));
    assertTrue(e.getMessage().contains("inner.userSolver=ridge"), e.getMessage());
    // Ridge without adapting the user part never solves anything: accepted.
    TrainSettings ridgeDecision = finalRidge.withInner(finalRidge.inner().withAdapt(Set.of(ParamGroup.DECISION)));
    new Nd4jBatchedEngine(spec, ITEMS, ridgeDecision, 8, null).close();
  }

  @Test
  void evaluationMethodsGiveTheJvmEnginesResults() {
    ModelSpec spec = EngineFixtures.spec();
    Params theta = TestFixtures.randomParams(spec, 17);
    Task t = EngineFixtures.raggedTasks(Feedback.EXPLICIT, 1, 11).get(0);
    TrainSettings s = EngineFixtures.settings(Algorithm.FOMAML, Set.of(ParamGroup.DECISION, ParamGroup.USER), false,
        0f, true);
    JvmAdaptationEngine ref = new JvmAdaptationEngine(spec, ITEMS);
    try (Nd4jBatchedEngine e = new Nd4jBatchedEngine(spec, ITEMS, s, 8, null)) {
      assertArrayEquals(ref.adaptAndPredict(theta, s.inner(), t), e.adaptAndPredict(theta, s.inner(), t));
      assertEquals(ref.adaptAndEvaluateLoss(theta, s.inner(), t), e.adaptAndEvaluateLoss(theta, s.inner(), t));
    }
  }
}
