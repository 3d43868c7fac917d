package io.metarec.spark;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.train.ValidationAccumulator;
import io.metarec.train.ValidationMetrics;
import io.metarec.train.Validator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A {@link Validator} over cached validation tasks on the executors: θ goes out as a broadcast (the
 * parameters' own rows, destroyed after the pass), every partition adapts and scores its tasks into
 * one {@link ValidationAccumulator} with its thread's JVM kernel, and the driver merges them.
 */
public final class SparkValidator implements Validator {
  private final JavaSparkContext jsc;
  private final JavaRDD<Task> tasks;
  private final Broadcast<ModelSpec> spec;
  private final Broadcast<ItemFeatureTable> items;
  private final InnerLoopConfig inner;
  private final long seed;
  private final int[] supports;

  /**
   * @param tasks the validation tasks (cached by the caller when validated repeatedly)
   * @param seed the run's seed (implicit feedback's sampled negatives)
   */
  public SparkValidator(JavaSparkContext jsc, JavaRDD<Task> tasks, Broadcast<ModelSpec> spec,
      Broadcast<ItemFeatureTable> items, InnerLoopConfig inner, long seed) {
    this(jsc, tasks, spec, items, inner, seed, new int[0]);
  }

  /**
   * @param tasks the validation tasks (cached by the caller when validated repeatedly)
   * @param seed the run's seed (implicit feedback's sampled negatives)
   * @param supports support sizes every task is scored at ({@code train.validationSupports});
   *     empty = each task's own split
   */
  public SparkValidator(JavaSparkContext jsc, JavaRDD<Task> tasks, Broadcast<ModelSpec> spec,
      Broadcast<ItemFeatureTable> items, InnerLoopConfig inner, long seed, int[] supports) {
    this.supports = supports.clone();
    this.jsc = jsc;
    this.tasks = tasks;
    this.spec = spec;
    this.items = items;
    this.inner = inner;
    this.seed = seed;
  }

  @Override
  public ValidationMetrics validate(Params theta) {
    return accumulate(theta).metrics();
  }

  /** The merged validation sums of {@code theta} (per support size as well). */
  public ValidationAccumulator accumulate(Params theta) {
    Broadcast<Params> bTheta = jsc.broadcast(theta);
    try {
      return accumulate(bTheta);
    } finally {
      bTheta.destroy();
    }
  }

  /**
   * The merged validation sums of an already broadcast θ, which stays the caller's to destroy: many
   * validations of one θ (the selection's candidates) then send it once, not once each — at a
   * catalog of 1M items a broadcast is 196 MB serialized.
   */
  public ValidationAccumulator accumulate(Broadcast<Params> bTheta) {
    Feedback feedback = spec.value().feedback();
    Broadcast<ModelSpec> bSpec = spec;
    Broadcast<ItemFeatureTable> bItems = items;
    InnerLoopConfig in = inner;
    long s = seed;
    int[] ks = supports;
    return tasks.mapPartitions(it -> {
      Params th = bTheta.value();
      JvmAdaptationEngine engine = ExecutorCache.engine(bSpec, bItems);
      ValidationAccumulator acc = new ValidationAccumulator(feedback, ks);
      while (it.hasNext()) {
        acc.addTaskInPlace(engine, th, in, it.next(), s);
      }
      return List.of(acc).iterator();
    }).reduce(ValidationAccumulator::mergeInPlace);
  }
}
