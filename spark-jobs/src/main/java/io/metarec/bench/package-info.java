/**
 * Benchmarks behind the {@code metarec bench-*} commands: the inner-loop kernel against the DL4J
 * reference, the engines against each other, and the serving API in process and over HTTP.
 */
package io.metarec.bench;
