package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.Params;

/**
 * How the driver gets each iteration's meta-batch adapted on the executors ({@code
 * train.exchange}): {@link TrainJob.JobBatches} runs one Spark job per iteration, {@link
 * RoundBatches} keeps one barrier job running across iterations and exchanges θ and the
 * accumulators over TCP. Both sum the partitions' accumulators in partition order, so for the same
 * partitioning they give the same bits.
 */
interface MetaBatches extends AutoCloseable {
  /** Iteration {@code iteration}'s meta-batch adapted from {@code theta}, summed. */
  MetaGradientAccumulator sum(long iteration, Params theta);

  /** Frees the executors' task slots for other Spark jobs (validation); the next sum takes them again. */
  void pause();

  /** Kernel nanoseconds the executors reported so far, summed over task slots. */
  long kernelNanos();

  /** Releases what the exchange holds (broadcasts, sockets, a running job). */
  @Override
  void close();
}
