package io.metarec.config;

import java.io.Serializable;
import java.util.List;

/**
 * How one user's interactions become a meta-task (support set, then query set).
 *
 * @param supportSize K of the strict cold-start rule: support = the first K, query = the rest
 *     ({@code tasks.supportSize}; 0 when {@code querySize} is used)
 * @param querySize Q of the MeLU rule: query = Q interactions, support = the rest
 *     ({@code tasks.querySize}; 0 when {@code supportSize} is used)
 * @param ordering {@code time} (by timestamp, ties by item index) or {@code random} (seeded per
 *     user and item) ({@code tasks.ordering})
 * @param minInteractions users with fewer are dropped and counted ({@code tasks.minInteractions};
 *     0 = the least that leaves a non-empty support and query)
 * @param maxInteractions users with more are truncated or dropped ({@code tasks.maxInteractions})
 * @param overflow {@code truncate} (keep the most recent {@code maxInteractions}) or {@code drop}
 *     ({@code tasks.overflow})
 * @param vocabFrom an earlier build-tasks output whose vocabularies are extended, never renumbered
 *     ({@code tasks.vocabFrom}; empty = none, or the output folder's own when it exists)
 */
public record TasksConfig(
    int supportSize,
    int querySize,
    String ordering,
    int minInteractions,
    int maxInteractions,
    String overflow,
    String vocabFrom)
    implements Serializable {

  /** Validates the split rule and the bounds. */
  public TasksConfig {
    Checks.intAtLeast("tasks.supportSize", supportSize, 0);
    Checks.intAtLeast("tasks.querySize", querySize, 0);
    // Cross-field rule: exactly one of the two split rules is active.
    if ((supportSize > 0) == (querySize > 0)) {
      throw new ConfigValidationException(
          "exactly one of tasks.supportSize and tasks.querySize must be > 0, got supportSize="
              + supportSize + ", querySize=" + querySize);
    }
    ordering = Checks.oneOf("tasks.ordering", ordering, List.of("time", "random"));
    Checks.intAtLeast("tasks.minInteractions", minInteractions, 0);
    // Cross-field rule: an explicit minimum must leave a non-empty support and query.
    int least = Math.max(supportSize, querySize) + 1;
    if (minInteractions != 0 && minInteractions < least) {
      throw new ConfigValidationException(
          "tasks.minInteractions must be 0 (auto) or >= " + least
              + " so that every task has a support and a query, got " + minInteractions);
    }
    Checks.intAtLeast("tasks.maxInteractions", maxInteractions, Math.max(least, 1));
    overflow = Checks.oneOf("tasks.overflow", overflow, List.of("truncate", "drop"));
    if (minInteractions > maxInteractions) {
      throw new ConfigValidationException(
          "tasks.minInteractions (" + minInteractions + ") must be <= tasks.maxInteractions ("
              + maxInteractions + ")");
    }
  }

  /** The minimum in force: {@code minInteractions}, or the least that gives a support and a query. */
  public int effectiveMinInteractions() {
    return minInteractions > 0 ? minInteractions : Math.max(supportSize, querySize) + 1;
  }

  static TasksConfig from(ConfigReader r) {
    return new TasksConfig(
        r.getInt("tasks.supportSize"),
        r.getInt("tasks.querySize"),
        r.getString("tasks.ordering"),
        r.getInt("tasks.minInteractions"),
        r.getInt("tasks.maxInteractions"),
        r.getString("tasks.overflow"),
        r.getString("tasks.vocabFrom"));
  }
}
