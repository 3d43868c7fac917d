/**
 * Meta-learning of the scorer: the inner loop (SGD and the exact ridge solve of the user part), the
 * task meta-gradients of Reptile (Nichol et al. 2018), first-order MAML (Finn et al. 2017) and a
 * multi-task baseline, the serializable accumulator the transports sum, the outer optimizers and
 * the engine interface that whoever adapts tasks calls (the training loop is {@code io.metarec.train}).
 */
package io.metarec.meta;
