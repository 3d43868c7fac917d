package io.metarec.train;

import io.metarec.model.Params;

/**
 * Scores θ on the validation tasks for the {@link MetaTrainer}: every task adapted on its support
 * and scored on its query through a {@link ValidationAccumulator} ({@link InProcessValidator}, or
 * a Spark job in {@code spark-jobs}).
 */
@FunctionalInterface
public interface Validator {
  /** The validation metrics of {@code theta}, which must not be modified. */
  ValidationMetrics validate(Params theta);
}
