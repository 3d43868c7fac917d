/**
 * Spark plumbing shared by the jobs: sessions for runs the CLI starts, outputs on any Hadoop file
 * system (claimed for a run with its lock and marker, staged and committed atomically), input
 * fingerprints and JSON side files, the executors' per-JVM engine cache and the distributed
 * validation of θ.
 */
package io.metarec.spark;
