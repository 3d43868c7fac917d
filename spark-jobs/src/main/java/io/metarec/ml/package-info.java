/**
 * MetaRec in Spark ML's conventions: the {@link io.metarec.ml.MetaRec} estimator (build-tasks and
 * train on a data set) and its {@link io.metarec.ml.MetaRecModel} (predictions and top-n lists by
 * the serving API on the executors), which work inside a {@code Pipeline} and save and load as the
 * project's model folders.
 */
package io.metarec.ml;
