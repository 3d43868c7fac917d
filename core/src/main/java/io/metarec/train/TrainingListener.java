package io.metarec.train;

/**
 * Told by the {@link MetaTrainer}, on the training thread, after each outer iteration has been
 * applied (and validated, where due): for progress displays, for programs that train through the
 * library, and for tests that act at a known point of a run. A slow listener slows training.
 */
@FunctionalInterface
public interface TrainingListener {
  /** A listener that does nothing. */
  TrainingListener NONE = r -> { };

  /** Iteration {@code report.iteration()} (counted from 1) is done. */
  void iterationDone(IterationReport report);

  /** This listener, then {@code next}. */
  default TrainingListener andThen(TrainingListener next) {
    return r -> {
      iterationDone(r);
      next.iterationDone(r);
    };
  }
}
