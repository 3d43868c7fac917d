package io.metarec.train;

import java.io.Serializable;
import java.util.Locale;

/**
 * Validation metrics of one θ: every validation task adapted on its support, scored on its query.
 *
 * @param tasks tasks scored (with a non-empty query)
 * @param interactions query interactions scored
 * @param loss mean query loss: squared error (explicit) or binary cross-entropy over the query
 *     items and as many sampled unseen items (implicit)
 * @param mae mean over tasks of each task's mean absolute query error (explicit; NaN for implicit):
 *     the evaluation's per-user MAE
 * @param rmse mean over tasks of each task's query RMSE (explicit; NaN for implicit): the
 *     evaluation's per-user RMSE
 * @param auc mean per-user AUC of the query items against every unseen item (implicit; NaN
 *     for explicit)
 * @param ndcg mean per-user nDCG@10 of the query items ranked against every item the user never
 *     interacted with (implicit, the evaluation's {@code ndcg@10_full}; NaN for explicit)
 */
public record ValidationMetrics(long tasks, long interactions, double loss, double mae,
    double rmse, double auc, double ndcg) implements Serializable {

  /** The rank cut-off of {@link #ndcg}. */
  public static final int NDCG_K = 10;

  /** Whether a lower or a higher primary metric is better. */
  public enum Direction {
    /** MAE: lower is better. */
    LOWER,
    /** AUC: higher is better. */
    HIGHER;

    /** The direction of the primary metric for {@code feedback}: MAE (explicit), nDCG (implicit). */
    public static Direction of(io.metarec.model.Feedback feedback) {
      return feedback == io.metarec.model.Feedback.EXPLICIT ? LOWER : HIGHER;
    }
  }

  /**
   * The metric early stopping watches: MAE (explicit) or full-ranking nDCG@10 (implicit; AUC for
   * metrics read from a run that did not record it).
   */
  public double primary() {
    return !Double.isNaN(mae) ? mae : !Double.isNaN(ndcg) ? ndcg : auc;
  }

  /** Whether this is better than {@code best} (null: better unless undefined) in direction {@code d}. */
  public boolean improvesOn(ValidationMetrics best, Direction d) {
    if (best == null) {
      return !Double.isNaN(primary());
    }
    return d == Direction.LOWER ? primary() < best.primary() : primary() > best.primary();
  }

  @Override
  public String toString() {
    return Double.isNaN(auc)
        ? String.format(Locale.ROOT, "mae %.4f rmse %.4f", mae, rmse)
        : String.format(Locale.ROOT, "ndcg@%d_full %.4f auc %.4f loss %.4f", NDCG_K, ndcg, auc,
            loss);
  }
}
