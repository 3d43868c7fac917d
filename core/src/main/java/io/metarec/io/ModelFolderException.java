package io.metarec.io;

/**
 * A model folder cannot be used: a file is missing, damaged, of a newer format or does not agree
 * with the rest of the folder. The message names the file and what is wrong, for showing as it is.
 */
public final class ModelFolderException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** @param message the file and what is wrong with it */
  public ModelFolderException(String message) {
    super(message);
  }

  /**
   * @param message the file and what is wrong with it
   * @param cause the underlying failure
   */
  public ModelFolderException(String message, Throwable cause) {
    super(message, cause);
  }
}
