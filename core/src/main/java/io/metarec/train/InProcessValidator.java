package io.metarec.train;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.List;

/**
 * A {@link Validator} on the calling thread: every task adapted and scored into one {@link
 * ValidationAccumulator}. Its sums are added in task order, so they may differ in the last bits
 * from a Spark job that merges partition sums; early stopping compares metrics, not bits.
 */
public final class InProcessValidator implements Validator {
  private final List<Task> tasks;
  private final JvmAdaptationEngine engine;
  private final InnerLoopConfig inner;
  private final long seed;
  private final int[] supports;

  /** @param seed the run's seed (implicit feedback's sampled negatives) */
  public InProcessValidator(List<Task> tasks, ModelSpec spec, ItemFeatureTable items,
      InnerLoopConfig inner, long seed) {
    this(tasks, spec, items, inner, seed, new int[0]);
  }

  /**
   * @param seed the run's seed (implicit feedback's sampled negatives)
   * @param supports support sizes every task is scored at ({@code train.validationSupports});
   *     empty = each task's own split
   */
  public InProcessValidator(List<Task> tasks, ModelSpec spec, ItemFeatureTable items,
      InnerLoopConfig inner, long seed, int[] supports) {
    this.tasks = List.copyOf(tasks);
    this.engine = new JvmAdaptationEngine(spec, items);
    this.inner = inner;
    this.seed = seed;
    this.supports = supports.clone();
  }

  @Override
  public ValidationMetrics validate(Params theta) {
    ValidationAccumulator acc = new ValidationAccumulator(theta.layout().spec().feedback(), supports);
    for (Task t : tasks) {
      acc.addTaskInPlace(engine, theta, inner, t, seed);
    }
    return acc.metrics();
  }
}
