package io.metarec.bench;

import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.meta.AdaptationEngine;
import io.metarec.config.Algorithm;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.MetaConfig;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.config.TrainSettings;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.function.Supplier;

/**
 * Training-engine throughput: task adaptations per second of {@code accumulate} (resplit, inner
 * loop, meta-gradient, summed into an accumulator) for the JVM kernel on N threads and for the
 * batched ND4J engine at several block sizes, on the same generated tasks and θ in one run.
 *
 * <p>Shape: the defaults of {@code conf/metarec.conf} (embeddings 16, user vector 16, MLP 64-64
 * ReLU, implicit term, user vector in the MLP; first-order MAML, 5 inner SGD steps on decision and
 * user, resplit support 5–20) on 5,000 items with two user fields and one multi-valued item field;
 * tasks of 20–60 interactions (query = the rest of the resplit task). ND4J is fed by
 * {@code feeders} threads sharing one engine (building blocks while the device runs another).
 */
public final class EngineBench {
  private static final int NUM_ITEMS = 5000;

  private EngineBench() {
  }

  /**
   * One measurement.
   *
   * @param engine {@code jvm} or {@code nd4j}
   * @param threads caller threads (JVM engines, or ND4J feeders sharing one engine)
   * @param block tasks per ND4J block (0 for the JVM kernel)
   * @param tasksPerSecond task adaptations per second
   * @param tasks tasks timed
   * @param seconds wall seconds timed
   */
  public record Result(String engine, int threads, int block, double tasksPerSecond, long tasks, double seconds) {
    /** @return the result as one JSON object */
    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"engine\":\"%s\",\"threads\":%d,\"block\":%d,\"tasks_per_s\":%.1f,\"tasks\":%d,\"seconds\":%.2f}",
          engine, threads, block, tasksPerSecond, tasks, seconds);
    }
  }

  /** The benchmark model. */
  public static ModelSpec spec() {
    return new ModelSpec(NUM_ITEMS,
        List.of(new FieldSpec("age", 8, false), new FieldSpec("occupation", 22, false)),
        List.of(new FieldSpec("genres", 19, true)), 16, List.of(64, 64), Activation.RELU, 16, Feedback.EXPLICIT,
        true, true);
  }

  /**
   * The benchmark settings: the loop shapes of NOTES.md and BENCHMARKS.md's figures -- 5 SGD inner
   * steps on the decision layers and the user part, resplit support 5–20 -- over the configured
   * defaults otherwise, with the given algorithm. (The defaults solve the user part exactly, which
   * the ND4J engine does not implement and which is less kernel work per task.)
   */
  public static TrainSettings settings(Algorithm algorithm) {
    TrainSettings d = TrainSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
        "inner { steps = 5, userSolver = sgd, adapt = [decision, user] }\n"
            + "meta { resplit.minSupport = 5, resplit.maxSupport = 20 }"));
    MetaConfig m = d.meta().withAlgorithm(algorithm);
    return new TrainSettings(d.inner(), m);
  }

  /** Items with one to three genres each. */
  public static ItemFeatureTable items() {
    SplittableRandom rng = new SplittableRandom(3);
    int[][][] f = new int[NUM_ITEMS][1][];
    for (int i = 0; i < NUM_ITEMS; i++) {
      int k = 1 + rng.nextInt(3);
      f[i][0] = new int[k];
      for (int j = 0; j < k; j++) {
        f[i][0][j] = 1 + rng.nextInt(18);
      }
    }
    return ItemFeatureTable.fromNested(1, f);
  }

  /** {@code count} tasks of 20–60 interactions with Zipf-like item popularity. */
  public static List<Task> tasks(int count, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Task> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      int n = 20 + rng.nextInt(41);
      int[] items = new int[n];
      float[] labels = new float[n];
      for (int r = 0; r < n; r++) {
        items[r] = (int) (NUM_ITEMS * Math.pow(rng.nextDouble(), 2));
        labels[r] = 1 + rng.nextInt(5);
      }
      out.add(new Task(k, items, labels, 10, new int[][] {{1 + rng.nextInt(7)}, {1 + rng.nextInt(21)}}));
    }
    return out;
  }

  /** θ for the benchmark model. */
  public static Params theta(ModelSpec spec) {
    return ParamInitializer.initialize(spec, 1L, 0.05f, 1.0f);
  }

  /** The JVM kernel on {@code threads} threads, each with its own engine and share of the tasks. */
  public static Result jvm(List<Task> tasks, Params theta, TrainSettings s, int threads, double minSeconds) {
    ModelSpec spec = theta.layout().spec();
    ItemFeatureTable items = items();
    return time("jvm", threads, 0, tasks, theta, s, minSeconds, () -> new JvmAdaptationEngine(spec, items));
  }

  /** The ND4J engine at block size {@code block}, fed by {@code feeders} threads sharing it. */
  public static Result nd4j(List<Task> tasks, Params theta, TrainSettings s, int block, int feeders,
      double minSeconds) {
    try (Nd4jBatchedEngine e = new Nd4jBatchedEngine(theta.layout().spec(), items(), s, block, null)) {
      return time("nd4j", feeders, block, tasks, theta, s, minSeconds, () -> e);
    }
  }

  /**
   * Runs passes over the tasks (split among the threads, one {@code accumulate} call per thread and
   * pass, as one partition each) until {@code minSeconds} have passed, after one untimed pass.
   */
  private static Result time(String name, int threads, int block, List<Task> tasks, Params theta, TrainSettings s,
      double minSeconds, Supplier<AdaptationEngine> engines) {
    List<List<Task>> shares = new ArrayList<>();
    for (int k = 0; k < threads; k++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < tasks.size(); i++) {
      shares.get(i % threads).add(tasks.get(i));
    }
    CyclicBarrier barrier = new CyclicBarrier(threads + 1);
    long[] done = new long[threads];
    boolean[] stop = {false};
    List<Thread> ts = new ArrayList<>();
    for (int k = 0; k < threads; k++) {
      int id = k;
      Thread th = new Thread(() -> {
        AdaptationEngine e = engines.get();
        long it = 0;
        try {
          pass(e, shares.get(id), theta, s, it++); // warm-up
          barrier.await();
          while (true) {
            synchronized (stop) {
              if (stop[0]) {
                break;
              }
            }
            pass(e, shares.get(id), theta, s, it++);
            done[id] += shares.get(id).size();
          }
          barrier.await();
        } catch (Exception ex) {
          barrier.reset(); // wakes the timing thread instead of leaving it waiting
          throw new IllegalStateException(ex);
        }
      }, "bench-" + name + "-" + k);
      th.start();
      ts.add(th);
    }
    try {
      barrier.await();
      long t0 = System.nanoTime();
      Thread.sleep((long) (minSeconds * 1000));
      synchronized (stop) {
        stop[0] = true;
      }
      barrier.await();
      double sec = (System.nanoTime() - t0) / 1e9;
      for (Thread th : ts) {
        th.join();
      }
      long total = 0;
      for (long d : done) {
        total += d;
      }
      return new Result(name, threads, block, total / sec, total, sec);
    } catch (Exception ex) {
      throw new IllegalStateException("benchmark thread failed", ex);
    }
  }

  private static void pass(AdaptationEngine e, List<Task> share, Params theta, TrainSettings s, long iteration) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    e.accumulate(share.iterator(), theta, s, iteration, acc);
    if (acc.taskCount() != share.size()) {
      throw new IllegalStateException("adapted " + acc.taskCount() + " of " + share.size() + " tasks");
    }
  }
}
