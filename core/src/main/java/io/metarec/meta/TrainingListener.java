package io.metarec.meta;

/**
 * Told by the training loop, on the driver, after each outer iteration has been applied: for
 * progress displays of programs that train through the library, and for tests that act at a known
 * point of a run. Runs on the training thread, so a slow listener slows training.
 */
@FunctionalInterface
public interface TrainingListener {
  /** A listener that does nothing. */
  TrainingListener NONE = (iteration, trainLoss) -> { };

  /**
   * Iteration {@code iteration} (counted from 1) is done.
   *
   * @param trainLoss the meta-batch's mean query loss, NaN for an empty batch
   */
  void iterationDone(long iteration, double trainLoss);
}
