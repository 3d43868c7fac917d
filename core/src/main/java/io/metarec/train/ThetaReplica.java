package io.metarec.train;

import io.metarec.model.ParamLayout;
import io.metarec.model.Params;

/**
 * An executor JVM's copy of a training run's θ with {@code train.exchange=jobs}, shared by every
 * partition (and every helper thread) of the run in this JVM, brought from iteration to iteration
 * by the broadcast {@link ThetaDelta}s: the driver sends what changed, once per JVM, not the whole
 * of θ to every partition. The first iteration a JVM sees, or one after its copy was lost, takes
 * the full base. (Training rounds pull rows instead: {@link ThetaRowCache}.)
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
  private static final RunRegistry<ThetaReplica> RUNS = new RunRegistry<>(KEPT);

  private final long run;
  private final Params theta;
  private long version = UNKNOWN;

  private ThetaReplica(long run, ParamLayout layout) {
    this.run = run;
    this.theta = new Params(layout);
  }

  /** This JVM's replica of run {@code run} (created, at {@link #UNKNOWN}, if it has none). */
  public static ThetaReplica of(long run, ParamLayout layout) {
    return RUNS.of(run, r -> r.theta.layout().totalSize() == layout.totalSize(),
        () -> new ThetaReplica(run, layout));
  }

  /** Drops this JVM's replica of run {@code run}, if any. */
  public static void release(long run) {
    RUNS.release(run);
  }

  /** @return how many runs this JVM holds replicas of (for tests) */
  public static int heldRuns() {
    return RUNS.held();
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

  /** @return the copy, whatever its version */
  public synchronized Params theta() {
    return theta;
  }

  private void apply(ThetaDelta d, long to) {
    version = UNKNOWN;
    d.applyTo(theta);
    version = to;
  }
}
