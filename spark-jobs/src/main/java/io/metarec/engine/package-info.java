/**
 * Adaptation engines beyond the plain-JVM kernel, and the per-executor choice between them:
 * {@link io.metarec.engine.Nd4jBatchedEngine} adapts a whole block of tasks at once with batched
 * ND4J matrix products (one launch per layer for the block, on a GPU with the CUDA backend), and
 * {@link io.metarec.engine.EngineFactory} picks it or the JVM kernel from {@code train.engine} and
 * the GPU Spark assigned to the executor.
 */
package io.metarec.engine;
