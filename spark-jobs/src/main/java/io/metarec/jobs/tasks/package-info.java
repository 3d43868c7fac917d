/**
 * {@code metarec build-tasks}: reading interaction logs in every supported layout, validating rows
 * (rejects kept with a reason), stable vocabularies, the salted user split and the per-user
 * support/query tasks written as Parquet.
 */
package io.metarec.jobs.tasks;
