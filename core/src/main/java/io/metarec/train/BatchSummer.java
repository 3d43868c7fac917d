package io.metarec.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.Params;

/**
 * How the {@link MetaTrainer} gets an iteration's meta-batch adapted: in-process threads
 * ({@link InProcessSummer}), one Spark job per iteration or training rounds (in {@code
 * spark-jobs}). Every implementation samples, places and sums as {@link MetaBatch} says, so for the
 * same partition count they give the same bits.
 */
public interface BatchSummer extends AutoCloseable {
  /**
   * Iteration {@code iteration}'s meta-batch adapted from {@code theta}, summed. The trainer passes
   * the same θ instance from iteration to iteration, changed in between only by the outer step on
   * the accumulator this returned (dense segments and the table rows it holds), so a summer may
   * send executors only those ({@link ThetaUpdates}).
   */
  MetaGradientAccumulator sum(long iteration, Params theta);

  /**
   * Called before a validation: frees what iterations hold that validation needs (the executors'
   * task slots, in training rounds); the next {@link #sum} takes it again.
   */
  default void pause() {}

  /** Kernel nanoseconds spent so far, summed over the threads that adapted tasks. */
  default long kernelNanos() {
    return 0;
  }

  /** Bytes of θ sent to the executors so far (full θ and deltas), 0 where nothing travels. */
  default long thetaBytesSent() {
    return 0;
  }

  /** Releases what the summer holds (threads, broadcasts, sockets, a running job). */
  @Override
  void close();
}
