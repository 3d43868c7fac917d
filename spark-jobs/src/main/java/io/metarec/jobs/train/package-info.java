/**
 * {@code metarec train} on Spark: the job's wiring and the transports that move θ and the
 * meta-gradients between the driver's {@link io.metarec.train.MetaTrainer} and the executors that
 * cache the tasks: one Spark job per iteration ({@code JobBatches}) or training rounds over TCP
 * ({@code RoundBatches}, {@code RoundTask}, with the wire format and the driver's server, which
 * know no Spark, in {@code RoundWire} and {@code RoundServer}).
 */
package io.metarec.jobs.train;
