/**
 * The Spark jobs. Each has {@code run(SparkSession, MetaRecConfig)}: it reads everything it needs
 * from the validated config, never creates or stops the session, and commits its output atomically.
 */
package io.metarec.jobs;
