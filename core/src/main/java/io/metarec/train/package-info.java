/**
 * The meta-training loop, with no Spark in it: {@link io.metarec.train.MetaTrainer} owns θ, the
 * outer optimizer and the training state and talks to the outside through a {@link
 * io.metarec.train.BatchSummer} and a {@link io.metarec.train.Validator}; {@link
 * io.metarec.train.MetaBatch} fixes which tasks an iteration adapts, where they live and the order
 * their sums are merged in, so in-process threads ({@link io.metarec.train.InProcessTraining}) and
 * the Spark transports give the same bits.
 */
package io.metarec.train;
