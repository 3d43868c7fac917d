package io.metarec.meta;

import java.util.Locale;

/** How the inner loop adapts the user bias and vector. */
public enum UserSolver {
  /** Gradient steps like every other adapted group. */
  SGD,
  /**
   * Exact ridge solve of the linear user part {@code b_u + <u_eff, q_i>} on the support residuals,
   * with the meta-learned initial values as prior mean and the learned strength lambda; explicit
   * feedback only. See {@link RidgeSolver}.
   */
  RIDGE;

  /** Parses {@code sgd|ridge}, naming {@code key} on failure. */
  public static UserSolver parse(String key, String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be one of sgd|ridge, got '" + value + "'", e);
    }
  }
}
