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

  /**
   * Per-user metrics of implicit feedback (events): first the full-ranking ones (the query items
   * ranked against every item the user has not interacted with), then the sampled ones (against
   * {@code evaluate.negatives} sampled unseen items), which can rank methods differently (Krichene
   * and Rendle, KDD 2020).
   *
   * @param recallK the cut-off of the full-ranking recall ({@code evaluate.recallK})
   */
  public static List<String> implicit(int k, int recallK) {
    return List.of("hr@" + k + "_full", "ndcg@" + k + "_full", "recall@" + recallK + "_full",
        "auc", "hr@" + k, "ndcg@" + k);
  }

  /** Every metric an evaluation can report, for either feedback, for checks before data is read. */
  public static List<String> any(int k, int recallK) {
    List<String> all = new ArrayList<>(explicit(k));
    all.addAll(POOLED);
    for (String m : implicit(k, recallK)) {
      if (!all.contains(m)) {
        all.add(m);
      }
    }
    return all;
  }
}
