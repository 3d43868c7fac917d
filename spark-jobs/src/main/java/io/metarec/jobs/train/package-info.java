/**
 * {@code metarec train}: distributed meta-training. Tasks are cached on the executors as compact
 * primitive-array {@link io.metarec.task.Task}s; each outer iteration the driver broadcasts θ,
 * executors adapt the sampled tasks and sum their meta-gradients into one accumulator per
 * partition, the driver tree-aggregates them and applies the outer optimizer (Nichol et al. 2018).
 */
package io.metarec.jobs.train;
