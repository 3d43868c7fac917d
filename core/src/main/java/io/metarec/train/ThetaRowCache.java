package io.metarec.train;

import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.RowSet;
import io.metarec.model.Segment;
import java.util.BitSet;

/**
 * An executor JVM's copy of a training run's θ in training rounds, shared by every partition of
 * the run in this JVM, that holds current only the table rows its tasks have read ({@link
 * ThetaPull}): every iteration's {@link ThetaPull.News} bring the dense segments and the rows the
 * last outer step changed; a task then asks the driver for the rows its share reads that the copy
 * does not hold ({@link #missing}) and puts them in ({@link #fill}). A row costs memory from the
 * first time it is received ({@link Params#withTableRowsOnDemand}); a stale row keeps its old
 * values and is never read: a task reads only rows that are current.
 *
 * <p>Versions are iterations. Readers of version {@code t} read the copy without a lock: the
 * driver sends iteration {@code t + 1}'s news only after every result of {@code t} is in, and two
 * tasks that pull the same row write the same values, so nothing a reader reads changes under it,
 * except for tasks whose results are thrown away anyway (an abandoned round, a speculative
 * duplicate). Everything that changes the copy is under its monitor and checks the version.
 *
 * <p>The JVM keeps the copies of the last {@value #KEPT} runs through soft references ({@link
 * RunRegistry}); the driver releases its run's copy when training ends ({@link #release}; in local
 * mode the driver is the executor).
 */
public final class ThetaRowCache {
  /** The version of a copy whose values are unknown (new, or advancing failed). */
  public static final long UNKNOWN = Long.MIN_VALUE;
  /** Runs whose copies a JVM keeps at once. */
  static final int KEPT = 4;
  private static final RunRegistry<ThetaRowCache> RUNS = new RunRegistry<>(KEPT);

  private final Params theta;
  /** Per table segment: the rows that are current at {@link #version}; null for dense segments. */
  private final BitSet[] current;
  private long version = UNKNOWN;

  private ThetaRowCache(ParamLayout layout) {
    this.theta = Params.withTableRowsOnDemand(layout);
    this.current = new BitSet[layout.numSegments()];
    for (Segment s : layout.segments()) {
      if (s.table()) {
        current[s.id()] = new BitSet(s.rows());
      }
    }
  }

  /** This JVM's copy for run {@code run} (created, at {@link #UNKNOWN}, if it has none). */
  public static ThetaRowCache of(long run, ParamLayout layout) {
    return RUNS.of(run, c -> c.theta.layout().totalSize() == layout.totalSize(),
        () -> new ThetaRowCache(layout));
  }

  /** Drops this JVM's copy for run {@code run}, if any. */
  public static void release(long run) {
    RUNS.release(run);
  }

  /** @return how many runs this JVM holds copies for (for tests) */
  public static int heldRuns() {
    return RUNS.held();
  }

  /** @return the version of the copy, {@link #UNKNOWN} before the first news */
  public synchronized long version() {
    return version;
  }

  /**
   * Brings the copy to {@code news.to()}: the dense segments and the rows the last outer step
   * changed are written, and those rows are current from now on. When the news do not follow the
   * copy's version (a reset, a new copy, a gap) every other row becomes stale; news for the
   * version the copy already has (an iteration retried by a new round, from the same θ) change
   * nothing.
   */
  public synchronized void advance(ThetaPull.News news) {
    long from = version;
    version = UNKNOWN;
    boolean keep = from == news.to()
        || (!news.isReset() && from != UNKNOWN && from == news.from());
    news.applyTo(theta);
    for (Segment s : theta.layout().segments()) {
      if (!s.table()) {
        continue;
      }
      if (!keep) {
        current[s.id()].clear();
      }
      if (!news.isReset()) {
        markCurrent(s.id(), news.changed(s.id()));
      }
    }
    version = news.to();
    notifyAll();
  }

  /**
   * The rows of {@code needed} that are not current, per table segment, ascending (null for dense
   * segments).
   *
   * @throws IllegalStateException if the copy is not at version {@code target}
   */
  public synchronized int[][] missing(long target, RowSet needed) {
    checkVersion(target);
    ParamLayout l = theta.layout();
    int[][] out = new int[l.numSegments()][];
    for (Segment s : l.segments()) {
      if (!s.table()) {
        continue;
      }
      out[s.id()] = needed.keysNotIn(s.id(), current[s.id()]);
    }
    return out;
  }

  /**
   * Puts pulled rows into the copy; they are current from now on.
   *
   * @return θ at the rows' version
   * @throws IllegalStateException if the copy is not at the rows' version (its round was abandoned
   *     and a newer one moved the copy on)
   */
  public synchronized Params fill(ThetaPull.Rows rows) {
    checkVersion(rows.version());
    rows.copyInto(theta);
    for (Segment s : theta.layout().segments()) {
      if (s.table()) {
        markCurrent(s.id(), rows.keys(s.id()));
      }
    }
    theta.markChangedInPlace();
    return theta;
  }

  private void markCurrent(int seg, int[] keys) {
    for (int k : keys) {
      current[seg].set(k);
    }
  }

  /**
   * Waits until the copy has version {@code target} (the partition of this JVM that carries the
   * news brings it there), running {@code alive} about every {@code pollMs} milliseconds: it throws
   * to give up (the task was killed because its round was abandoned).
   */
  public synchronized void awaitVersion(long target, long pollMs, Runnable alive)
      throws InterruptedException {
    while (version != target) {
      wait(pollMs);
      alive.run();
    }
  }

  /** @return the copy (read only the rows made current at the version read) */
  public synchronized Params theta() {
    return theta;
  }

  /** @return the bytes of table rows this copy holds (current or stale), for logs */
  public synchronized long heldTableBytes() {
    long n = 0;
    for (Segment s : theta.layout().segments()) {
      if (s.table()) {
        for (float[] row : theta.segment(s.id())) {
          n += row == null ? 0 : 4L * row.length;
        }
      }
    }
    return n;
  }

  /** @return how many rows of table segment {@code seg} are current (for tests and logs) */
  public synchronized int currentRows(int seg) {
    return current[seg].cardinality();
  }

  private void checkVersion(long target) {
    if (version != target) {
      throw new IllegalStateException("this executor's copy of θ is at version " + version
          + ", not " + target + " (its round was abandoned and a newer one moved it on)");
    }
  }
}
