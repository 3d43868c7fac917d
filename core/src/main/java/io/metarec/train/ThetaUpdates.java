package io.metarec.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.Params;

/**
 * The driver's side of {@link ThetaReplica} and {@link ThetaRowCache}: what to send for an
 * iteration so that an executor's
 * copy of θ at the previous iteration becomes this one's. Between two consecutive iterations the
 * {@link MetaTrainer} changes θ only by the outer step on the accumulator the summer returned,
 * which changes the dense segments and the table rows that accumulator holds (its own rows and,
 * in implicit mode with the weighted solve, every item-factor row the Gramian's gradient reaches);
 * so the delta is those, with their new values ({@link ThetaDelta#changedRows}). Anything else
 * (the first iteration, a resumed run, another θ instance, a gap in the iterations) gets no delta:
 * with jobs the executors take θ in full, in rounds the news are a reset.
 *
 * <p>Not thread-safe; one per summer.
 */
public final class ThetaUpdates {
  private Params last;
  private long lastIteration = -1;
  private MetaGradientAccumulator lastSum;

  /**
   * The delta from θ of the previous iteration to {@code theta} for {@code iteration}, or null when
   * only a full θ will do.
   */
  public ThetaDelta deltaFor(long iteration, Params theta) {
    if (last != theta || lastSum == null || iteration != lastIteration + 1) {
      return null;
    }
    return ThetaDelta.changedRows(theta, lastSum, lastIteration, iteration);
  }

  /**
   * The news from θ of the previous iteration to {@code theta} for {@code iteration} (the dense
   * part and the changed rows, as {@link #deltaFor}), or a reset where a delta cannot be made.
   */
  public ThetaPull.News newsFor(long iteration, Params theta) {
    ThetaDelta d = deltaFor(iteration, theta);
    return d == null ? ThetaPull.News.reset(theta, iteration) : ThetaPull.News.of(d);
  }

  /**
   * Records the accumulator {@code sum} returned for {@code iteration} of {@code theta}: the next
   * iteration's delta carries the rows it holds (read when that delta is made, after the trainer's
   * outer step and the Gramian gradient's spread into it).
   */
  public void summed(long iteration, Params theta, MetaGradientAccumulator sum) {
    last = theta;
    lastIteration = iteration;
    lastSum = sum;
  }

  /** Forgets the last iteration: the next θ goes out in full. */
  public void reset() {
    last = null;
    lastSum = null;
    lastIteration = -1;
  }
}
