package io.metarec.train;

import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import java.lang.ref.SoftReference;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An executor JVM's copy of a training run's θ, shared by every partition (and every helper
 * thread) of the run in this JVM, brought from iteration to iteration by {@link ThetaDelta}s: the
 * driver sends what changed, once per JVM, not the whole of θ to every partition. The first
 * iteration a JVM sees, or one after its copy was lost, takes a full delta.
 *
 * <p>Versions are iterations. Readers of version {@code t} read the copy without a lock: the
 * driver sends iteration {@code t + 1} only after every result of {@code t} is in, so nothing
 * advances the copy while it is read, except for tasks whose results are thrown away anyway (an
 * abandoned round, a speculative duplicate). Advancing is under the replica's monitor; a copy whose
 * patching failed halfway is marked unknown and is brought back by a full delta.
 *
 * <p>The JVM's registry ({@link #of}) holds the replicas of the last {@value #KEPT} runs through
 * soft references: a replica costs the memory of θ, and one the collector reclaims under memory
 * pressure is fetched again in full. The driver releases its run's replica when training ends
 * ({@link #release}; in local mode the driver is the executor).
 */
public final class ThetaReplica {
  /** The version of a copy whose values are unknown (new, or patching failed). */
  public static final long UNKNOWN = Long.MIN_VALUE;
  /** Runs whose replicas a JVM keeps at once. */
  static final int KEPT = 4;
  private static final Map<Long, SoftReference<ThetaReplica>> RUNS = new LinkedHashMap<>();

  private final long run;
  private final Params theta;
  private long version = UNKNOWN;
  private boolean fetching;
  private long fetchingFor = UNKNOWN;

  private ThetaReplica(long run, ParamLayout layout) {
    this.run = run;
    this.theta = new Params(layout);
  }

  /** This JVM's replica of run {@code run} (created, at {@link #UNKNOWN}, if it has none). */
  public static ThetaReplica of(long run, ParamLayout layout) {
    synchronized (RUNS) {
      SoftReference<ThetaReplica> ref = RUNS.get(run);
      ThetaReplica r = ref == null ? null : ref.get();
      if (r != null && r.theta.layout().totalSize() == layout.totalSize()) {
        return r;
      }
      r = new ThetaReplica(run, layout);
      RUNS.put(run, new SoftReference<>(r));
      Iterator<Long> it = RUNS.keySet().iterator();
      while (RUNS.size() > KEPT && it.hasNext()) {
        if (it.next() != run) {
          it.remove();
        }
      }
      return r;
    }
  }

  /** Drops this JVM's replica of run {@code run}, if any. */
  public static void release(long run) {
    synchronized (RUNS) {
      RUNS.remove(run);
    }
  }

  /** @return how many runs this JVM holds replicas of (for tests) */
  public static int heldRuns() {
    synchronized (RUNS) {
      return RUNS.size();
    }
  }

  /** @return the run this replica belongs to */
  public long run() {
    return run;
  }

  /** @return the version of the copy, {@link #UNKNOWN} before the first full delta */
  public synchronized long version() {
    return version;
  }

  /** Where {@link #advance} gets the deltas it needs (one job per iteration: broadcasts). */
  public interface Source {
    /** @return a full delta, of version {@link #baseVersion()} */
    ThetaDelta base();

    /** @return the version of {@link #base()} */
    long baseVersion();

    /** @return the delta {@code version - 1 -> version}, for {@code baseVersion < version} */
    ThetaDelta delta(long version);
  }

  /**
   * θ at {@code target}: the copy as it is when it has that version; else, when it is at a version
   * from {@code source}'s base up to {@code target}, patched by the deltas after it; else the base
   * and every delta after it.
   */
  public synchronized Params advance(long target, Source source) {
    if (version == target) {
      return theta;
    }
    long base = source.baseVersion();
    if (version == UNKNOWN || version < base || version > target) {
      apply(source.base(), base);
    }
    for (long v = version + 1; v <= target; v++) {
      ThetaDelta d = source.delta(v);
      if (d.to() != v || !d.appliesTo(v - 1)) {
        throw new IllegalStateException("run " + run + ": delta " + d.from() + " -> " + d.to()
            + " offered for version " + v);
      }
      apply(d, v);
    }
    return theta;
  }

  /** What {@link #receive} found. */
  public enum Receipt {
    /** The copy is at the version asked for. */
    READY,
    /** The caller is to get a full delta from the driver and {@link #receive} it. */
    FETCH,
    /** Another thread of this JVM brings the copy to the version; {@link #awaitVersion} it. */
    WAIT
  }

  /**
   * Takes what the driver sent for version {@code target} in a training round: the copy is used as
   * it is when it has that version, else patched by {@code sent} when that applies to it. Otherwise
   * the first thread to ask is told to fetch the full θ ({@link Receipt#FETCH}: it must then
   * {@link #receive} a full delta or call {@link #fetchFailed}) and every later one to wait for it.
   *
   * @param sent a delta, a full delta, or null when the driver sent none
   */
  public synchronized Receipt receive(long target, ThetaDelta sent) {
    return receive(target, sent, false);
  }

  /**
   * As {@link #receive(long, ThetaDelta)}; with {@code takeOver} the caller is the one thread
   * meant to bring the copy to {@code target} (a round's carrier for its executor), so a claim
   * left by another thread (a task of an abandoned round that has not failed yet) is taken over
   * instead of waited for: the result is never {@link Receipt#WAIT}.
   */
  public synchronized Receipt receive(long target, ThetaDelta sent, boolean takeOver) {
    if (version == target) {
      return Receipt.READY;
    }
    if (sent != null && sent.to() == target && sent.appliesTo(version)
        && (sent.isFull() || version != UNKNOWN)) {
      apply(sent, target);
      if (sent.isFull()) {
        fetching = false;
      }
      notifyAll();
      return Receipt.READY;
    }
    if (!fetching || fetchingFor != target || takeOver) {
      // A claim for another iteration is a leftover of an abandoned round: this one takes over.
      fetching = true;
      fetchingFor = target;
      return Receipt.FETCH;
    }
    return Receipt.WAIT;
  }

  /** Reads θ in full into a copy; returns the version read. */
  public interface FullReader {
    long readInto(Params copy) throws java.io.IOException;
  }

  /**
   * Takes θ in full for {@code target} straight into the copy (the thread told to {@link
   * Receipt#FETCH}), so a large θ is never held twice; a failure leaves the copy unknown and lets
   * another thread fetch.
   *
   * @throws java.io.IOException if reading fails or brings another version
   */
  public synchronized Params receiveFull(long target, FullReader reader)
      throws java.io.IOException {
    boolean done = false;
    try {
      version = UNKNOWN;
      long got = reader.readInto(theta);
      if (got != target) {
        throw new java.io.IOException("θ of version " + got + " where " + target + " was due");
      }
      version = target;
      done = true;
      return theta;
    } finally {
      fetching = false;
      notifyAll();
      if (!done) {
        version = UNKNOWN;
      }
    }
  }

  /** The thread told to fetch could not: another thread may try. */
  public synchronized void fetchFailed() {
    fetching = false;
    notifyAll();
  }

  /**
   * Waits until the copy has version {@code target} (another thread of this JVM brings it there),
   * running {@code alive} about every {@code pollMs} milliseconds: it throws to give up (the task
   * was killed because its round was abandoned).
   *
   * @return θ at {@code target}
   */
  public synchronized Params awaitVersion(long target, long pollMs, Runnable alive)
      throws InterruptedException {
    while (version != target) {
      wait(pollMs);
      alive.run();
    }
    return theta;
  }

  /** @return the copy, whatever its version (read it only at the version a receipt said) */
  public synchronized Params theta() {
    return theta;
  }

  private void apply(ThetaDelta d, long to) {
    version = UNKNOWN;
    d.applyTo(theta);
    version = to;
  }
}
