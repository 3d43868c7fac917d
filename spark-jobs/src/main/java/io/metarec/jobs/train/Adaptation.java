package io.metarec.jobs.train;

import io.metarec.config.EngineKind;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.config.TrainSettings;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.spark.ExecutorCache;
import io.metarec.task.Task;
import io.metarec.train.MetaBatch;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;

/**
 * What an executor needs to adapt its partition's share of a meta-batch, the same for every
 * iteration of a run and for both ways of exchanging θ ({@code train.exchange}): the broadcast
 * model spec, item table and settings, the engine choice and the batch sampling.
 *
 * @param spec the model spec
 * @param items the item feature table
 * @param settings the inner-loop and meta settings
 * @param engineKind {@code train.engine}
 * @param blockSize {@code train.engineBlockSize}
 * @param seed the run's seed
 * @param fraction the probability that a task is in an iteration's meta-batch
 * @param faults what a test makes the tasks do ({@link TaskFaults#NONE} in production)
 * @param run this training run's id (random, positive): the key of the executors' copies of θ
 *     ({@link io.metarec.train.ThetaReplica}) and of the partitions that share work
 */
record Adaptation(Broadcast<ModelSpec> spec, Broadcast<ItemFeatureTable> items,
    Broadcast<TrainSettings> settings, EngineKind engineKind, int blockSize, long seed,
    double fraction, TaskFaults faults, long run) implements Serializable {

  /** A fresh run id: random and positive, so it never equals a training round's (negative) id. */
  static long newRun() {
    return new java.security.SecureRandom().nextLong() >>> 1 | 1L << 40;
  }

  /** The layout of the model spec (built on each call: cheap, a list of segments). */
  io.metarec.model.ParamLayout layout() {
    return new io.metarec.model.ParamLayout(spec.value());
  }

  /**
   * Adapts the tasks of {@code tasks} that belong to iteration {@code iteration}'s meta-batch from
   * {@code theta} and sums their meta-gradients into one accumulator: with the JVM kernel through
   * {@link MetaBatch#adaptShare} (chunks that idle threads of this JVM working under the same
   * {@code key} help with); the ND4J engine batches the share on its device itself.
   *
   * @param kernelNanos receives, in element 0, the kernel time spent on this share
   */
  MetaGradientAccumulator share(Iterator<Task> tasks, Params theta, MetaBatch.ShareKey key,
      long iteration, long[] kernelNanos) {
    List<Task> partition = new ArrayList<>();
    tasks.forEachRemaining(partition::add);
    return adaptShare(shareOf(partition, iteration), theta, key, iteration, kernelNanos);
  }

  /** The tasks of {@code partition} in iteration {@code iteration}'s meta-batch, in order. */
  List<Task> shareOf(List<Task> partition, long iteration) {
    return MetaBatch.sampled(partition.iterator(), seed, iteration, fraction);
  }

  /**
   * As {@link #share}, for a share already drawn by {@link #shareOf} (so that a training round
   * draws it once for listing its rows and for adapting it).
   */
  MetaGradientAccumulator adaptShare(List<Task> share, Params theta, MetaBatch.ShareKey key,
      long iteration, long[] kernelNanos) {
    TrainSettings s = settings.value();
    AdaptationEngine engine = engine(s);
    if (!(engine instanceof JvmAdaptationEngine)) {
      MetaGradientAccumulator a = new MetaGradientAccumulator(theta.layout());
      long k0 = System.nanoTime();
      engine.accumulate(share.iterator(), theta, s, iteration, a);
      kernelNanos[0] = System.nanoTime() - k0;
      return a;
    }
    // The share is drawn already: every task of it is in the batch (fraction 1).
    return MetaBatch.adaptShare(share, theta, s, key, iteration, 1.0,
        () -> ExecutorCache.engine(spec, items), kernelNanos);
  }

  /**
   * Adds to {@code into} the table rows of θ that adapting {@code share} (drawn by {@link
   * #shareOf}) in iteration {@code iteration} reads (every row with an engine other than the JVM
   * kernel, which reads θ its own way).
   */
  void rowsRead(List<Task> share, long iteration, io.metarec.model.RowSet into) {
    TrainSettings s = settings.value();
    if (engine(s) instanceof JvmAdaptationEngine jvm) {
      MetaBatch.addRowsOfShare(share, s, iteration, 1.0, jvm, into);
    } else {
      into.addEverything();
    }
  }

  /** This executor's training engine for {@code s} ({@code train.engine}). */
  private AdaptationEngine engine(TrainSettings s) {
    return ExecutorCache.trainEngine(spec, items, s, engineKind, blockSize);
  }
}
