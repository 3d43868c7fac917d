package io.metarec.config;

/** The values of {@code train.exchange}: how θ and the meta-gradients travel each iteration. */
public enum ExchangeKind {
  /** One Spark job per iteration: θ broadcast, accumulators returned as task results. */
  JOBS,
  /**
   * One barrier Spark job per stretch of iterations between validations, θ and accumulators over a
   * TCP connection from each task to the driver.
   */
  ROUNDS,
  /** Rounds where the cluster allows them, jobs elsewhere. */
  AUTO
}
