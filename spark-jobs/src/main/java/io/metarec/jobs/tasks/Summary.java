package io.metarec.jobs.tasks;

import java.util.Locale;
import java.util.Map;

/** The one-screen console summary of a build-tasks run. */
public final class Summary {
  private Summary() {}

  /** Renders the statistics of {@link BuildTasksJob#run}. */
  @SuppressWarnings("unchecked")
  public static String render(Map<String, Object> stats, String out) {
    StringBuilder sb = new StringBuilder();
    Map<String, Object> rows = (Map<String, Object>) stats.get("rows");
    Map<String, Object> users = (Map<String, Object>) stats.get("users");
    Map<String, Object> splits = (Map<String, Object>) stats.get("splits");
    Map<String, Object> q = (Map<String, Object>) stats.get("interactionsPerTask");
    Map<String, Object> vocab = (Map<String, Object>) stats.get("vocabulary");
    sb.append("build-tasks: ").append(stats.get("input")).append('\n');
    sb.append(String.format(Locale.ROOT, "  rows       %,d read, %,d valid, %,d rejected %s%n",
        rows.get("read"), rows.get("valid"), rows.get("rejected"), rows.get("rejectedByReason")));
    if (!"".equals(stats.get("until"))) {
      sb.append(String.format(Locale.ROOT, "  until      %s: %,d later valid rows left out%n",
          stats.get("until"), rows.get("afterUntil")));
    }
    sb.append(String.format(Locale.ROOT, "  duplicates %,d (kept the %s)%n",
        rows.get("duplicates"), rows.get("duplicatePolicy")));
    sb.append(String.format(Locale.ROOT, "  users      %,d seen, %,d dropped (< %s interactions), %s%n",
        users.get("seen"), users.get("droppedTooFew"), users.get("minInteractions"),
        users.containsKey("truncated")
            ? String.format(Locale.ROOT, "%,d truncated (> %s)", users.get("truncated"),
                users.get("maxInteractions"))
            : String.format(Locale.ROOT, "%,d dropped (> %s)", users.get("droppedTooMany"),
                users.get("maxInteractions"))));
    sb.append("  split      tasks      support     query\n");
    for (Map.Entry<String, Object> e : splits.entrySet()) {
      Map<String, Object> s = (Map<String, Object>) e.getValue();
      sb.append(String.format(Locale.ROOT, "  %-10s %,9d %,11d %,9d%n", e.getKey(),
          s.get("tasks"), s.get("supportInteractions"), s.get("queryInteractions")));
    }
    if (!q.isEmpty()) {
      sb.append(String.format(Locale.ROOT,
          "  per task   min %.0f, median %.0f, p90 %.0f, max %.0f, mean %.1f interactions%n",
          q.get("min"), q.get("p50"), q.get("p90"), q.get("max"), q.get("mean")));
    }
    sb.append("  vocabulary ");
    boolean first = true;
    for (Map.Entry<String, Object> e : vocab.entrySet()) {
      Map<String, Object> v = (Map<String, Object>) e.getValue();
      sb.append(first ? "" : ", ").append(e.getKey()).append(' ').append(v.get("size"));
      first = false;
    }
    sb.append('\n');
    sb.append(String.format(Locale.ROOT, "  written    %s (%.1f s)%n", out, stats.get("wallSeconds")));
    return sb.toString();
  }
}
