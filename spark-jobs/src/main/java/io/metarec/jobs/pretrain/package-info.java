/**
 * {@code metarec pretrain}: the conventional baseline. The MetaRec model trained as one
 * Deeplearning4j {@code ComputationGraph} on every training interaction with Spark parameter
 * averaging, then written in MetaRec's model format so that evaluation can compare "pretrain +
 * fine-tune" with meta-learning.
 */
package io.metarec.jobs.pretrain;
