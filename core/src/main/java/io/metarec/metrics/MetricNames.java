package io.metarec.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The names under which evaluation reports its per-user metrics, in the order the evaluation's
 * accumulators hold them; {@code k} is the ranking cut-off ({@code evaluate.rankK}).
 */
public final class MetricNames {
  /** Explicit-feedback metrics pooled over all query ratings rather than averaged per user. */
  public static final List<String> POOLED = List.of("mae_all", "rmse_all");

  private MetricNames() {}

  /** Per-user metrics of explicit feedback (ratings). */
  public static List<String> explicit(int k) {
    return List.of("mae", "rmse", "ndcg@" + k, "precision@" + k, "recall@" + k);
  }

  /** Per-user metrics of implicit feedback (events). */
  public static List<String> implicit(int k) {
    return List.of("auc", "hr@" + k, "ndcg@" + k);
  }

  /** Every metric an evaluation can report, for either feedback, for checks before data is read. */
  public static List<String> any(int k) {
    List<String> all = new ArrayList<>(explicit(k));
    all.addAll(POOLED);
    for (String m : implicit(k)) {
      if (!all.contains(m)) {
        all.add(m);
      }
    }
    return all;
  }
}
