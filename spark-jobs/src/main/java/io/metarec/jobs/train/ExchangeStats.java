package io.metarec.jobs.train;

/**
 * How θ travelled in one run: what the training rounds' server ({@code train.exchange=rounds}) did
 * with the connections it accepted (all zero for {@code train.exchange=jobs}), and for both
 * exchanges how θ's values went out and how many bytes of them.
 *
 * @param authenticated connections that passed the handshake (one per partition and round, plus
 *     reconnections)
 * @param rejected connections whose response was not a valid proof of the run's secret
 * @param timedOut connections that did not finish the handshake within its deadline
 * @param broken connections that closed or broke during the handshake
 * @param refused connections closed at once because too many handshakes were pending
 * @param failedRounds rounds abandoned after a failure (a task failed, an executor was lost, a
 *     connection broke or sent a broken result), each followed by a new round that redid its
 *     iteration
 * @param fullThetas times θ went out in full: never in rounds (executors pull the rows they
 *     read); in jobs, the broadcast bases
 * @param thetaBytes bytes of θ sent (jobs: full θ and deltas; rounds: news and pulled rows,
 *     counted per connection)
 * @param pulledRows table rows the tasks of training rounds pulled from the driver (0 in jobs)
 */
public record ExchangeStats(long authenticated, long rejected, long timedOut, long broken,
    long refused, long failedRounds, long fullThetas, long thetaBytes, long pulledRows) {
  /** Nothing exchanged (no training iteration ran on Spark). */
  public static final ExchangeStats NONE = new ExchangeStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** Connections dropped for any reason. */
  public long dropped() {
    return rejected + timedOut + broken + refused;
  }
}
