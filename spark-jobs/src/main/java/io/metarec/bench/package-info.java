/**
 * Micro-benchmarks of the core engine against the DL4J reference, called by the
 * {@code metarec bench-kernel} command.
 */
package io.metarec.bench;
