/**
 * Allocation-free forward and backward passes of the scorer over a whole support or query set at
 * once, on row arrays with loops shaped for C2's auto-vectorizer (same index on every array; four
 * output rows per pass over two weight rows with fused multiply-adds; a transposed weight copy so
 * {@code dX = dY W^T} is a row update), with per-thread scratch ({@link io.metarec.kernel.Workspace})
 * and task-local parameter copies ({@link io.metarec.kernel.LocalModel}).
 */
package io.metarec.kernel;
