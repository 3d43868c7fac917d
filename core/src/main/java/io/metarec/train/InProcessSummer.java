package io.metarec.train;

import io.metarec.config.TrainSettings;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BatchSummer} on local threads, with no Spark: the training tasks placed into {@code
 * partitions} partitions as Spark places them ({@link MetaBatch#place}), each partition's share
 * adapted on a pool of {@code threads} threads (one JVM kernel per thread, idle threads helping
 * busy partitions, {@link MetaBatch#adaptShare}) and the partition sums merged as {@link
 * MetaBatch#sum} says. For the same tasks, settings and partition count this gives the bits of the
 * Spark job, whatever the thread count: the reference the distributed run is checked against, and
 * the trainer of programs that hold their tasks in memory.
 */
public final class InProcessSummer implements BatchSummer {
  private static final AtomicLong RUNS = new AtomicLong();

  private final List<List<Task>> partitions;
  private final TrainSettings settings;
  private final double fraction;
  private final ExecutorService pool;
  private final ThreadLocal<JvmAdaptationEngine> engines;
  private final long scope = RUNS.incrementAndGet();
  private final AtomicLong kernelNanos = new AtomicLong();

  /**
   * @param tasks the training tasks
   * @param partitions partitions to place them in, {@code >= 1}
   * @param threads threads adapting them, {@code >= 1}
   */
  public InProcessSummer(List<Task> tasks, ModelSpec spec, ItemFeatureTable items,
      TrainSettings settings, int partitions, int threads) {
    if (tasks.isEmpty() || partitions < 1 || threads < 1) {
      throw new IllegalArgumentException("need tasks, partitions >= 1 and threads >= 1, got "
          + tasks.size() + " tasks, " + partitions + " partitions, " + threads + " threads");
    }
    this.partitions = MetaBatch.place(tasks, partitions);
    this.settings = settings;
    this.fraction = MetaBatch.fraction(settings.meta().tasksPerIteration(), tasks.size());
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "metarec-train-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.engines = ThreadLocal.withInitial(() -> new JvmAdaptationEngine(spec, items));
  }

  @Override
  public MetaGradientAccumulator sum(long iteration, Params theta) {
    MetaBatch.ShareKey key = new MetaBatch.ShareKey(scope, iteration);
    List<Future<MetaGradientAccumulator>> shares = new ArrayList<>();
    for (List<Task> part : partitions) {
      shares.add(pool.submit(() -> {
        long[] ns = new long[1];
        MetaGradientAccumulator a = MetaBatch.adaptShare(part, theta, settings, key, iteration,
            fraction, engines::get, ns);
        kernelNanos.addAndGet(ns[0]);
        return a;
      }));
    }
    List<MetaGradientAccumulator> sums = new ArrayList<>();
    try {
      for (Future<MetaGradientAccumulator> f : shares) {
        sums.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted in iteration " + iteration, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("iteration " + iteration + " failed: " + e.getCause(),
          e.getCause());
    }
    return MetaBatch.sum(sums, theta.layout());
  }

  @Override
  public long kernelNanos() {
    return kernelNanos.get();
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
