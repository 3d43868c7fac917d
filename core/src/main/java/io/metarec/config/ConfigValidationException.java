package io.metarec.config;

/**
 * A configuration value was unknown, of the wrong type or out of range. The message names the key
 * and what is allowed, so it can be shown to the user as it is.
 */
public final class ConfigValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** @param message the key, the rejected value and what is allowed */
  public ConfigValidationException(String message) {
    super(message);
  }

  /**
   * @param message the key, the rejected value and what is allowed
   * @param cause the Typesafe Config error behind it
   */
  public ConfigValidationException(String message, Throwable cause) {
    super(message, cause);
  }
}
