package io.metarec.config;

import java.io.Serializable;

/**
 * How every job guards the folder it writes ({@code output.*}; see {@code conf/metarec.conf}).
 *
 * <p>A run holds a lock file beside its output for as long as it runs and rewrites it (its
 * heartbeat) every tenth of {@code lockStaleSeconds}; a lock whose last heartbeat is older than
 * that was left by a run that died, and the next run takes it over.
 *
 * @param lockStaleSeconds seconds without a heartbeat after which a lock is stale, in
 *     [{@value #MIN_STALE_SECONDS}, {@value #MAX_STALE_SECONDS}] ({@code output.lockStaleSeconds},
 *     default 600)
 */
public record OutputConfig(int lockStaleSeconds) implements Serializable {
  /** Shortest staleness: the heartbeat must get through a slow store's write in a tenth of it. */
  public static final int MIN_STALE_SECONDS = 10;
  /** Longest staleness: a week. */
  public static final int MAX_STALE_SECONDS = 604_800;

  public OutputConfig {
    Checks.intIn("output.lockStaleSeconds", lockStaleSeconds, MIN_STALE_SECONDS, MAX_STALE_SECONDS);
  }

  static OutputConfig from(ConfigReader r) {
    return new OutputConfig(r.getInt("output.lockStaleSeconds"));
  }
}
