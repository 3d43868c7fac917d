package io.metarec.meta;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.Algorithm;
import io.metarec.config.UserSolver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reproducibility and the algebra Spark relies on: same seed gives bit-identical contributions,
 * many threads sharing one theta give exactly the single-thread result, accumulator merge is
 * commutative (bit-exact) and associative (to rounding), and accumulators survive serialization.
 */
class EngineDeterminismTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU);
  private static final ItemFeatureTable ITEMS = TestFixtures.tinyItems(SPEC.numItems());

  private static TrainSettings settings(Algorithm a, UserSolver solver) {
    TrainSettings d = TrainSettings.defaults();
    InnerLoopConfig in = TestFixtures.inner(3, solver, Set.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING));
    return new TrainSettings(in, d.meta().withAlgorithm(a).withSeed(99));
  }

  private static MetaGradientAccumulator run(TrainSettings s, List<Task> tasks, Params theta, long iteration) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    new JvmAdaptationEngine(SPEC, ITEMS).accumulate(tasks.iterator(), theta, s, iteration, acc);
    return acc;
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void sameSeedGivesBitIdenticalContributions(Algorithm a) {
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 20);
    Params theta = TestFixtures.randomParams(SPEC, 1);
    TrainSettings s = settings(a, UserSolver.SGD);
    MetaGradientAccumulator x = run(s, tasks, theta, 5);
    MetaGradientAccumulator y = run(s, tasks, theta.copy(), 5);
    assertArrayEquals(x.toFlat(), y.toFlat());
    assertEquals(x.lossSum(), y.lossSum());
    assertEquals(20, x.taskCount());
    if (a != Algorithm.MULTITASK) {
      // Re-splitting depends on the iteration, so another iteration gives another contribution.
      assertNotEquals(x.lossSum(), run(s, tasks, theta, 6).lossSum());
    }
  }

  @ParameterizedTest
  @EnumSource(UserSolver.class)
  void manyThreadsOnSharedThetaEqualOneThread(UserSolver solver) throws Exception {
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 64);
    Params theta = TestFixtures.randomParams(SPEC, 2);
    Params before = theta.copy();
    for (Algorithm a : new Algorithm[] {Algorithm.FOMAML, Algorithm.REPTILE}) {
      TrainSettings s = settings(a, solver);
      MetaGradientAccumulator[] single = new MetaGradientAccumulator[tasks.size()];
      JvmAdaptationEngine one = new JvmAdaptationEngine(SPEC, ITEMS);
      for (int i = 0; i < tasks.size(); i++) {
        single[i] = new MetaGradientAccumulator(theta.layout());
        one.accumulate(List.of(tasks.get(i)).iterator(), theta, s, 3, single[i]);
      }
      MetaGradientAccumulator[] multi = new MetaGradientAccumulator[tasks.size()];
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> fs = new ArrayList<>();
      for (int th = 0; th < 4; th++) {
        fs.add(pool.submit(() -> {
          JvmAdaptationEngine e = new JvmAdaptationEngine(SPEC, ITEMS);
          for (int i = next.getAndIncrement(); i < tasks.size(); i = next.getAndIncrement()) {
            MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
            e.accumulate(List.of(tasks.get(i)).iterator(), theta, s, 3, acc);
            multi[i] = acc;
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      pool.shutdown();
      MetaGradientAccumulator a1 = new MetaGradientAccumulator(theta.layout());
      MetaGradientAccumulator a2 = new MetaGradientAccumulator(theta.layout());
      for (int i = 0; i < tasks.size(); i++) {
        assertArrayEquals(single[i].toFlat(), multi[i].toFlat(), "task " + i + " " + a);
        a1.mergeInPlace(single[i]);
        a2.mergeInPlace(multi[i]);
      }
      assertArrayEquals(a1.toFlat(), a2.toFlat());
    }
    assertFalse(!theta.bitEquals(before), "engines must not write theta");
  }

  @Test
  void mergeIsCommutativeExactlyAndAssociativeToRounding() {
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 30);
    Params theta = TestFixtures.randomParams(SPEC, 3);
    TrainSettings s = settings(Algorithm.FOMAML, UserSolver.RIDGE);
    MetaGradientAccumulator a = run(s, tasks.subList(0, 10), theta, 1);
    MetaGradientAccumulator b = run(s, tasks.subList(10, 20), theta, 1);
    MetaGradientAccumulator c = run(s, tasks.subList(20, 30), theta, 1);
    MetaGradientAccumulator all = run(s, tasks, theta, 1);

    float[] ab = copy(a).mergeInPlace(b).toFlat();
    float[] ba = copy(b).mergeInPlace(a).toFlat();
    assertArrayEquals(ab, ba);
    float[] abC = copy(a).mergeInPlace(b).mergeInPlace(c).toFlat();
    float[] aBc = copy(a).mergeInPlace(copy(b).mergeInPlace(c)).toFlat();
    float[] seq = all.toFlat();
    for (int k = 0; k < seq.length; k++) {
      float tol = 1e-5f * (1 + Math.abs(seq[k]));
      assertEquals(abC[k], aBc[k], tol, "associativity at " + k);
      assertEquals(seq[k], abC[k], tol, "partitioned vs sequential at " + k);
    }
    MetaGradientAccumulator merged = copy(a).mergeInPlace(b).mergeInPlace(c);
    assertEquals(30, merged.taskCount());
    assertEquals(all.lossSum(), merged.lossSum(), 1e-9 * Math.abs(all.lossSum()));
  }

  @Test
  void taskAndAccumulatorSurviveSerialization() throws Exception {
    Params theta = TestFixtures.randomParams(SPEC, 4);
    Task t = TestFixtures.tinyTask(Feedback.EXPLICIT, 5);
    MetaGradientAccumulator a = run(settings(Algorithm.FOMAML, UserSolver.SGD), List.of(t), theta, 0);
    assertArrayEquals(a.toFlat(), roundTrip(a).toFlat());
    assertEquals(t, roundTrip(t));
  }

  private static MetaGradientAccumulator copy(MetaGradientAccumulator a) {
    return new MetaGradientAccumulator(a.layout()).mergeInPlace(a);
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T o) throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
      return (T) in.readObject();
    }
  }
}
