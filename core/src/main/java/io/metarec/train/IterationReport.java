package io.metarec.train;

/**
 * What the {@link MetaTrainer} tells its {@link TrainingListener} after each iteration.
 *
 * @param state the state after the iteration
 * @param iterations the iterations of the whole run
 * @param tasks tasks in the iteration's meta-batch
 * @param trainLoss the meta-batch's mean query loss, NaN for an empty batch
 * @param validation the validation after this iteration, or null
 * @param trainSeconds seconds of this run (not counting validations) spent on iterations so far
 * @param adaptations task adaptations of this run so far
 * @param kernelNanos kernel nanoseconds the summer reported so far
 */
public record IterationReport(TrainingState state, int iterations, long tasks, double trainLoss,
    ValidationMetrics validation, double trainSeconds, long adaptations, long kernelNanos) {
  /** Iterations completed. */
  public long iteration() {
    return state.iteration();
  }

  /** Task adaptations per second of iteration time so far. */
  public double adaptationsPerSecond() {
    return trainSeconds > 0 ? adaptations / trainSeconds : 0;
  }
}
