package io.metarec.jobs.train;

/**
 * What the training rounds' server ({@code train.exchange=rounds}) did with the connections it
 * accepted in one run; all zero for {@code train.exchange=jobs}.
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
 */
public record ExchangeStats(long authenticated, long rejected, long timedOut, long broken,
    long refused, long failedRounds) {
  /** No connections: a run that exchanged θ through Spark jobs. */
  public static final ExchangeStats NONE = new ExchangeStats(0, 0, 0, 0, 0, 0);

  /** Connections dropped for any reason. */
  public long dropped() {
    return rejected + timedOut + broken + refused;
  }
}
