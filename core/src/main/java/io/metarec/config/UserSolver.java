package io.metarec.config;

/** How the inner loop adapts the user bias and vector. */
public enum UserSolver {
  /** Gradient steps like every other adapted group. */
  SGD,
  /**
   * Exact ridge solve of the linear user part {@code b_u + <u_eff, q_i>} on the support residuals,
   * with the meta-learned initial values as prior mean and the learned strength lambda; explicit
   * feedback only. See {@link io.metarec.meta.RidgeSolver}.
   */
  RIDGE;
}
