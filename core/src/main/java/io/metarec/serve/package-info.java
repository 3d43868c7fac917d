/**
 * Serving without Spark: {@link io.metarec.serve.MetaRecModel} loads a model folder, adapts a new
 * user to their history with the model's inner loop and scores or ranks the catalog for them,
 * thread-safe with per-thread scratch; the HTTP endpoint over it is {@code io.metarec.serve.http}.
 */
package io.metarec.serve;
