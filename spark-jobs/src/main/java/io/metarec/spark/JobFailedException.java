package io.metarec.spark;

/**
 * A job stopped on purpose (bad input beyond the reject threshold, a missing input, a divergence
 * limit): the message says what happened and where, and is shown to the user without a stack trace.
 */
public final class JobFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what failed, naming the file, row or key */
  public JobFailedException(String message) {
    super(message);
  }

  /**
   * @param message what failed, naming the file, row or key
   * @param cause the underlying error
   */
  public JobFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
