package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metarec.config.InnerLoopConfig;
import io.metarec.config.UserSolver;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.task.Task;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Validation at the evaluation's support sizes ({@code train.validationSupports}). */
class ValidationAccumulatorTest {
  private static final InnerLoopConfig INNER = TestFixtures.inner(3, UserSolver.SGD,
      Set.of(ParamGroup.USER));

  /** Rows [0, k) of t as support and rows [from, n) as query, as a task of its own split. */
  private static Task view(Task t, int k, int from) {
    int q = t.size() - from;
    int[] items = new int[k + q];
    float[] labels = new float[k + q];
    System.arraycopy(t.items(), 0, items, 0, k);
    System.arraycopy(t.items(), from, items, k, q);
    System.arraycopy(t.labels(), 0, labels, 0, k);
    System.arraycopy(t.labels(), from, labels, k, q);
    return new Task(t.taskId(), items, labels, k, t.userFeatures());
  }

  @Test
  void explicitScoresEveryKOnTheRowsAfterTheLargestKAndAveragesThem() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU);
    Params theta = TestFixtures.randomParams(spec, 5);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 4);
    ValidationAccumulator at = new ValidationAccumulator(Feedback.EXPLICIT, new int[] {2, 5});
    ValidationAccumulator own = new ValidationAccumulator(Feedback.EXPLICIT);
    for (Task t : tasks) {
      at.addTaskInPlace(engine, theta, INNER, t, 1);
      // The same scores: each K's view of the task (support rows [0, K), query rows [5, 9)).
      own.addTaskInPlace(engine, theta, INNER, view(t, 2, 5), 1);
      own.addTaskInPlace(engine, theta, INNER, view(t, 5, 5), 1);
    }
    ValidationMetrics m = at.metrics();
    ValidationMetrics expected = own.metrics();
    assertEquals(tasks.size(), m.tasks());
    assertEquals(expected.interactions(), m.interactions());
    assertEquals(expected.mae(), m.mae(), 1e-12);
    assertEquals(expected.rmse(), m.rmse(), 1e-12);
    // Not the tasks' own split (support 4, query rows [4, 9)).
    ValidationAccumulator split = new ValidationAccumulator(Feedback.EXPLICIT);
    tasks.forEach(t -> split.addTaskInPlace(engine, theta, INNER, t, 1));
    assertEquals(tasks.size() * 5L, split.metrics().interactions());
  }

  @Test
  void implicitAtOneKRanksTheRowsAfterItAsTheTaskSplitThereDoes() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, false, Activation.TANH);
    Params theta = TestFixtures.randomParams(spec, 6);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
    ValidationAccumulator at = new ValidationAccumulator(Feedback.IMPLICIT, new int[] {3});
    ValidationAccumulator own = new ValidationAccumulator(Feedback.IMPLICIT);
    for (Task t : TestFixtures.tinyTasks(Feedback.IMPLICIT, 5)) {
      at.addTaskInPlace(engine, theta, INNER, t, 9);
      own.addTaskInPlace(engine, theta, INNER, t.withSplit(3), 9);
    }
    assertEquals(own.metrics(), at.metrics());
  }

  @Test
  void tasksWithNothingAfterTheLargestKAreLeftOutAndMergingNeedsTheSameKs() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, false, Activation.TANH);
    Params theta = TestFixtures.randomParams(spec, 7);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
    Task nine = TestFixtures.tinyTask(Feedback.IMPLICIT, 3);
    ValidationAccumulator at = new ValidationAccumulator(Feedback.IMPLICIT, new int[] {1, 9});
    at.addTaskInPlace(engine, theta, INNER, nine, 1);
    assertEquals(0, at.metrics().tasks());
    ValidationAccumulator eight = new ValidationAccumulator(Feedback.IMPLICIT, new int[] {1, 8});
    eight.addTaskInPlace(engine, theta, INNER, nine, 1);
    assertEquals(1, eight.metrics().tasks());
    // One query row (row 8), scored once per K.
    assertEquals(2, eight.metrics().interactions());
    assertThrows(IllegalArgumentException.class, () -> at.mergeInPlace(eight));
    assertThrows(IllegalArgumentException.class,
        () -> new ValidationAccumulator(Feedback.IMPLICIT, new int[] {5, 5}));
    assertThrows(IllegalArgumentException.class,
        () -> new ValidationAccumulator(Feedback.IMPLICIT, new int[] {0}));
  }

  @Test
  void explicitMetricsAreMeansOfEachUsersOwnAndEachKIsKeptApart() {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU);
    Params theta = TestFixtures.randomParams(spec, 8);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 4);
    // Tasks of different query lengths: a per-user mean differs from a pooled one.
    Task longer = tasks.get(0);
    Task shorter = tasks.get(1).withSplit(tasks.get(1).size() - 1);
    double[] maes = new double[2];
    double[] rmses = new double[2];
    long rows = 0;
    int i = 0;
    for (Task t : List.of(longer, shorter)) {
      float[] p = engine.adaptAndPredict(theta, INNER, t);
      double abs = 0;
      double sq = 0;
      for (int r = 0; r < t.querySize(); r++) {
        double e = p[r] - t.labels()[t.supportSize() + r];
        abs += Math.abs(e);
        sq += e * e;
      }
      maes[i] = abs / t.querySize();
      rmses[i++] = Math.sqrt(sq / t.querySize());
      rows += t.querySize();
    }
    ValidationAccumulator acc = new ValidationAccumulator(Feedback.EXPLICIT);
    acc.addTaskInPlace(engine, theta, INNER, longer, 1);
    acc.addTaskInPlace(engine, theta, INNER, shorter, 1);
    ValidationMetrics m = acc.metrics();
    assertEquals((maes[0] + maes[1]) / 2, m.mae(), 1e-9);
    assertEquals((rmses[0] + rmses[1]) / 2, m.rmse(), 1e-9);
    assertEquals(rows, m.interactions());
    assertEquals(m, acc.metricsAt(0));
    // At support sizes {2, 5}: each K's metrics are those of an accumulator at that K alone.
    ValidationAccumulator both = new ValidationAccumulator(Feedback.EXPLICIT, new int[] {2, 5});
    ValidationAccumulator two = new ValidationAccumulator(Feedback.EXPLICIT, new int[] {2});
    for (Task t : tasks) {
      both.addTaskInPlace(engine, theta, INNER, t, 1);
      // Rows after 5 are the query at K = 2 as well: score K = 2 against them alone.
      two.addTaskInPlace(engine, theta, INNER, view(t, 2, 5), 1);
    }
    ValidationMetrics atTwo = both.metricsAt(0);
    assertEquals(two.metrics().mae(), atTwo.mae(), 1e-12);
    assertEquals(two.metrics().rmse(), atTwo.rmse(), 1e-12);
    assertEquals((both.metricsAt(0).mae() + both.metricsAt(1).mae()) / 2, both.metrics().mae(),
        1e-12);
    // Merging keeps the per-K sums.
    ValidationAccumulator a = new ValidationAccumulator(Feedback.EXPLICIT, new int[] {2, 5});
    ValidationAccumulator b = new ValidationAccumulator(Feedback.EXPLICIT, new int[] {2, 5});
    a.addTaskInPlace(engine, theta, INNER, tasks.get(0), 1);
    a.addTaskInPlace(engine, theta, INNER, tasks.get(1), 1);
    b.addTaskInPlace(engine, theta, INNER, tasks.get(2), 1);
    b.addTaskInPlace(engine, theta, INNER, tasks.get(3), 1);
    ValidationAccumulator merged = a.mergeInPlace(b);
    assertEquals(both.metricsAt(1).mae(), merged.metricsAt(1).mae(), 1e-12);
    assertEquals(both.metrics().mae(), merged.metrics().mae(), 1e-12);
  }

  @Test
  void theSupportSizesShrinkUntilHalfTheUsersHaveSomethingToScore() {
    int[] ks = {1, 3, 5, 10, 20};
    // 10 users: 6 with more than 10 interactions, 2 of them with more than 20.
    java.util.Map<Integer, Long> sizes = java.util.Map.of(4, 2L, 9, 2L, 15, 4L, 21, 2L);
    org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {1, 3, 5, 10},
        ValidationAccumulator.supportsCovering(ks, sizes, 10));
    org.junit.jupiter.api.Assertions.assertArrayEquals(ks,
        ValidationAccumulator.supportsCovering(ks, java.util.Map.of(21, 10L), 10));
    org.junit.jupiter.api.Assertions.assertArrayEquals(new int[0],
        ValidationAccumulator.supportsCovering(ks, java.util.Map.of(1, 10L), 10));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(Feedback.class)
  void eachTasksPrimaryScoreIsKeptByTaskIdWhateverTheMergeOrder(Feedback fb) {
    ModelSpec spec = TestFixtures.tinySpec(fb, true, Activation.RELU);
    Params theta = TestFixtures.randomParams(spec, 6);
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, TestFixtures.tinyItems(12));
    List<Task> tasks = TestFixtures.tinyTasks(fb, 7);
    int[] ks = {1, 3};
    ValidationAccumulator all = new ValidationAccumulator(fb, ks);
    ValidationAccumulator first = new ValidationAccumulator(fb, ks);
    ValidationAccumulator second = new ValidationAccumulator(fb, ks);
    for (int j = 0; j < tasks.size(); j++) {
      all.addTaskInPlace(engine, theta, INNER, tasks.get(j), 1);
      (j % 3 == 0 ? first : second).addTaskInPlace(engine, theta, INNER, tasks.get(j), 1);
    }
    ValidationAccumulator.PerTask p = all.perTask();
    ValidationAccumulator.PerTask merged = second.mergeInPlace(first).perTask();
    org.junit.jupiter.api.Assertions.assertArrayEquals(p.taskIds(), merged.taskIds());
    for (int i = 0; i < ks.length; i++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(p.scores()[i], merged.scores()[i]);
      // The per-task scores are what the metric averages.
      double mean = java.util.Arrays.stream(p.scores()[i]).average().orElseThrow();
      assertEquals(all.metricsAt(i).primary(), mean, 1e-12, "support slot " + i);
    }
    assertEquals(all.metrics().primary(),
        java.util.Arrays.stream(p.meanOverSupports()).average().orElseThrow(), 1e-12);
    long[] sorted = p.taskIds().clone();
    java.util.Arrays.sort(sorted);
    org.junit.jupiter.api.Assertions.assertArrayEquals(sorted, p.taskIds());
    assertEquals(tasks.size(), p.taskIds().length);
  }
}
