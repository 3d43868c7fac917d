package io.metarec.train;

/** Training stopped after {@code train.maxDivergences} non-finite updates in a row. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what happened, with the iteration and the keys to change */
  public TrainingDivergedException(String message) {
    super(message);
  }
}
