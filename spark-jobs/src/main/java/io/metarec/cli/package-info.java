/**
 * The {@code metarec} command line (picocli): one subcommand per job, each parsing its options into
 * config keys, validating the whole configuration before any Spark work, then calling the job's
 * {@code run(SparkSession, MetaRecConfig)}.
 */
package io.metarec.cli;
