package io.metarec.bench;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.UserSolver;
import io.metarec.kernel.KernelPath;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamInitializer;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Inner-loop kernel benchmark: MeLU-shaped task adaptation (Lee et al. 2019) with the core
 * {@link JvmAdaptationEngine} against DL4J {@code MultiLayerNetwork.fit} on the same dense shape.
 *
 * <p>Reference shape: MLP input = 4 embedding fields x 32 (item id, one item field, two user fields),
 * hidden 64-64, one output, support 20 rows, 5 inner SGD steps on the decision layers. "Task step" =
 * one full-batch SGD step (forward, backward, update) on one task's support. Ours is measured end to
 * end per task (gather of the task's embedding rows, 5 steps, scoring one query row) divided by 5, so
 * it includes work DL4J's number does not. GFLOP/s counts the dense multiply-adds of a step:
 * {@code 2 n (2 in h1 + 3 h1 h2 + 2 h2)} (forward, weight gradients, {@code dA1 = dZ2 W2^T}).
 */
public final class KernelBench {
  /** Default reference shape. */
  public static final int FIELDS = 4;
  public static final int EMBEDDING_DIM = 32;
  public static final int H1 = 64;
  public static final int H2 = 64;
  public static final int SUPPORT = 20;
  public static final int INNER_STEPS = 5;
  private static final int NUM_ITEMS = 5000;

  private KernelBench() {
  }

  /**
   * Benchmark result.
   *
   * @param threads threads running our engine (one engine and task stream each, theta shared)
   * @param usPerTaskStep wall microseconds per task step over all threads (throughput)
   * @param gflops dense GFLOP/s of our engine over all threads
   * @param dl4jUsPerTaskStep microseconds per {@code MultiLayerNetwork.fit} on one 20-row batch (one caller thread)
   * @param speedup {@code dl4jUsPerTaskStep / usPerTaskStep}
   * @param flopsPerStep dense floating-point operations counted per task step
   * @param shape the benchmarked shape, in words
   * @param repeats timed repetitions of our engine; {@code usPerTaskStep} and {@code gflops} are their median
   * @param usPerTaskStepMin fastest repetition
   * @param usPerTaskStepMax slowest repetition
   * @param kernel the matrix-product path the JVM chose ({@link KernelPath#description()})
   */
  public record Result(int threads, double usPerTaskStep, double gflops, double dl4jUsPerTaskStep, double speedup,
      double flopsPerStep, String shape, int repeats, double usPerTaskStepMin, double usPerTaskStepMax,
      String kernel) {
    /** @return the result as one JSON object ({@code null} for DL4J's figures when it was not run) */
    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"threads\":%d,\"usPerTaskStep\":%.3f,\"gflops\":%.3f,\"dl4jUsPerTaskStep\":%s,\"speedup\":%s,"
              + "\"flopsPerStep\":%.0f,\"shape\":\"%s\",\"repeats\":%d,\"usPerTaskStepMin\":%.3f,"
              + "\"usPerTaskStepMax\":%.3f,\"kernel\":\"%s\"}",
          threads, usPerTaskStep, gflops, jsonNumber(dl4jUsPerTaskStep, 3), jsonNumber(speedup, 2), flopsPerStep, shape,
          repeats, usPerTaskStepMin, usPerTaskStepMax, kernel);
    }
  }

  /** @return {@code v} with {@code decimals} decimals, or {@code null} for NaN (a figure not measured) */
  public static String jsonNumber(double v, int decimals) {
    return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /**
   * Runs the reference shape with default durations, timing our engine {@code repeats} times (each
   * with fresh engines, buffers and tasks) and reporting the median: on a shared 2-core VM single
   * runs of the same build spread by ±15%.
   */
  public static Result run(int threads, int repeats) {
    return run(threads, repeats, true);
  }

  /** As {@link #run(int, int)}; without {@code dl4j} DL4J is not timed and its figures are NaN. */
  public static Result run(int threads, int repeats, boolean dl4j) {
    return run(threads, 3000, 6000, dl4j ? 300 : 0, dl4j ? 800 : 0, repeats);
  }

  /** As {@link #run(int, int, int, int, int, int)} with one timed repetition. */
  public static Result run(int threads, int warmupTasks, int timedTasks, int dl4jWarmupFits, int dl4jTimedFits) {
    return run(threads, warmupTasks, timedTasks, dl4jWarmupFits, dl4jTimedFits, 1);
  }

  /**
   * @param threads engine threads, {@code >= 1}
   * @param warmupTasks tasks per thread before timing (JIT warm-up)
   * @param timedTasks tasks per thread timed
   * @param dl4jWarmupFits DL4J fits before timing
   * @param dl4jTimedFits DL4J fits timed ({@code 0}: DL4J is not run, its figures are NaN)
   * @param repeats timed repetitions of our engine, {@code >= 1}
   */
  public static Result run(int threads, int warmupTasks, int timedTasks, int dl4jWarmupFits, int dl4jTimedFits,
      int repeats) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("repeats must be >= 1, got " + repeats);
    }
    ModelSpec spec = new ModelSpec(NUM_ITEMS,
        List.of(new FieldSpec("age", 10, false), new FieldSpec("occupation", 30, false)),
        List.of(new FieldSpec("genre", 40, false)),
        EMBEDDING_DIM, List.of(H1, H2), Activation.RELU, 16, Feedback.EXPLICIT, false, false);
    int in = spec.inputDim();
    double flopsPerStep = 2.0 * SUPPORT * (2.0 * in * H1 + 3.0 * H1 * H2 + 2.0 * H2);
    SplittableRandom rng = new SplittableRandom(1);
    int[][][] feats = new int[NUM_ITEMS][1][];
    for (int i = 0; i < NUM_ITEMS; i++) {
      feats[i][0] = new int[] {1 + rng.nextInt(39)};
    }
    ItemFeatureTable items = ItemFeatureTable.fromNested(1, feats);
    Params theta = ParamInitializer.initialize(spec, 1, 0.05f, 1f);
    InnerLoopConfig inner = new InnerLoopConfig(INNER_STEPS, 0.005f, 0.1f, 0.01f, 0f, UserSolver.SGD,
        Set.of(ParamGroup.DECISION), true);

    double steps = (double) threads * timedTasks * INNER_STEPS;
    double[] us = new double[repeats];
    for (int rep = 0; rep < repeats; rep++) {
      us[rep] = runOurs(spec, items, theta, inner, threads, warmupTasks, timedTasks) * 1e6 / steps;
    }
    double[] sorted = us.clone();
    java.util.Arrays.sort(sorted);
    double usPerStep = repeats % 2 == 1 ? sorted[repeats / 2] : (sorted[repeats / 2 - 1] + sorted[repeats / 2]) / 2;
    double gflops = flopsPerStep / usPerStep / 1e3;
    double dl4jUs = dl4jTimedFits > 0 ? runDl4j(in, dl4jWarmupFits, dl4jTimedFits) : Double.NaN;
    String shape = FIELDS + "x" + EMBEDDING_DIM + " -> " + H1 + "-" + H2 + " -> 1, support " + SUPPORT + ", "
        + INNER_STEPS + " inner steps, relu";
    return new Result(threads, usPerStep, gflops, dl4jUs, dl4jUs / usPerStep, flopsPerStep, shape, repeats,
        sorted[0], sorted[repeats - 1], KernelPath.description());
  }

  private static List<Task> tasks(long seed, int count) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Task> out = new ArrayList<>(count);
    for (int t = 0; t < count; t++) {
      int[] it = new int[SUPPORT + 1];
      float[] lab = new float[SUPPORT + 1];
      for (int r = 0; r <= SUPPORT; r++) {
        it[r] = rng.nextInt(NUM_ITEMS);
        lab[r] = 1 + rng.nextInt(5);
      }
      out.add(new Task(seed * 1_000_000 + t, it, lab, SUPPORT, new int[][] {{1 + rng.nextInt(9)}, {1 + rng.nextInt(29)}}));
    }
    return out;
  }

  private static double runOurs(ModelSpec spec, ItemFeatureTable items, Params theta, InnerLoopConfig inner,
      int threads, int warmupTasks, int timedTasks) {
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    CyclicBarrier end = new CyclicBarrier(threads + 1);
    double[] sink = new double[threads];
    List<Thread> ts = new ArrayList<>();
    RuntimeException[] failure = new RuntimeException[1];
    for (int k = 0; k < threads; k++) {
      final int id = k;
      Thread th = new Thread(() -> {
        try {
          JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, items);
          List<Task> warm = tasks(100 + id, Math.min(warmupTasks, 1000));
          for (int i = 0; i < warmupTasks; i++) {
            sink[id] += engine.adaptAndPredict(theta, inner, warm.get(i % warm.size()))[0];
          }
          List<Task> timed = tasks(200 + id, Math.min(timedTasks, 2000));
          start.await();
          for (int i = 0; i < timedTasks; i++) {
            sink[id] += engine.adaptAndPredict(theta, inner, timed.get(i % timed.size()))[0];
          }
          end.await();
        } catch (Exception e) {
          failure[0] = new IllegalStateException("benchmark thread failed", e);
        }
      }, "kernel-bench-" + k);
      th.setDaemon(true);
      ts.add(th);
      th.start();
    }
    try {
      start.await();
      long t0 = System.nanoTime();
      end.await();
      long t1 = System.nanoTime();
      for (Thread th : ts) {
        th.join();
      }
      if (failure[0] != null) {
        throw failure[0];
      }
      if (Double.isNaN(sum(sink))) {
        throw new IllegalStateException("NaN predictions in benchmark");
      }
      return (t1 - t0) / 1e9;
    } catch (InterruptedException | java.util.concurrent.BrokenBarrierException e) {
      throw new IllegalStateException("benchmark interrupted", e);
    }
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }

  private static double runDl4j(int in, int warmup, int timed) {
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .dataType(DataType.FLOAT).seed(1).updater(new Sgd(0.005)).list()
        .layer(new DenseLayer.Builder().nIn(in).nOut(H1).activation(org.nd4j.linalg.activations.Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(H1).nOut(H2).activation(org.nd4j.linalg.activations.Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(H2).nOut(1)
            .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    INDArray x = Nd4j.rand(DataType.FLOAT, SUPPORT, in);
    INDArray y = Nd4j.rand(DataType.FLOAT, SUPPORT, 1);
    DataSet ds = new DataSet(x, y);
    for (int i = 0; i < warmup; i++) {
      net.fit(ds);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < timed; i++) {
      net.fit(ds);
    }
    long t1 = System.nanoTime();
    return (t1 - t0) / 1e3 / timed;
  }

  /** Prints the JSON result: {@code KernelBench [threads [repeats]]}. */
  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    System.out.println(run(threads, repeats).toJson());
  }
}
