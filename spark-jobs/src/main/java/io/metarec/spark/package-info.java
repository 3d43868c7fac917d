/**
 * Spark plumbing shared by the jobs: sessions for runs the CLI starts, atomic (staged) outputs on
 * any Hadoop file system, input fingerprints and JSON side files, the executors' per-JVM engine
 * cache and the distributed validation of θ.
 */
package io.metarec.spark;
