/**
 * Meta-learning of the scorer: the inner loop (SGD and the exact ridge solve of the user part), the
 * task meta-gradients of Reptile (Nichol et al. 2018), first-order MAML (Finn et al. 2017) and a
 * multi-task baseline, the serializable accumulator Spark aggregates, the outer optimizers, the
 * engine interface executors call, and the immutable configuration records.
 */
package io.metarec.meta;
