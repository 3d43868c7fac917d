package io.metarec.config;

/** The task meta-gradient. */
public enum Algorithm {
  /**
   * Reptile (Nichol et al. 2018): {@code theta - phi} for the adapted parameters, so an outer SGD step
   * of size eps gives {@code theta + eps * mean(phi_i - theta)}; parameters the inner loop does not
   * adapt (global mean, item biases, non-adapted tables) get the query-loss gradient at phi.
   */
  REPTILE,
  /** First-order MAML (Finn et al. 2017): gradient of the query loss at the adapted phi. */
  FOMAML,
  /** Plain multi-task training, no adaptation: gradient of the loss on support + query at theta. */
  MULTITASK;
}
