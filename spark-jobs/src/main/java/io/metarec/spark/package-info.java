/**
 * Spark plumbing shared by the jobs: sessions for runs the CLI starts, atomic (staged) outputs on
 * any Hadoop file system, input fingerprints and JSON side files.
 */
package io.metarec.spark;
