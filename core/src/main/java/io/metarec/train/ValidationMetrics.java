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
 * @param mae mean absolute error over query interactions (explicit; NaN for implicit)
 * @param rmse root mean squared error over query interactions (explicit; NaN for implicit)
 * @param auc mean per-user AUC of the query items against sampled unseen items (implicit; NaN
 *     for explicit)
 */
public record ValidationMetrics(long tasks, long interactions, double loss, double mae,
    double rmse, double auc) implements Serializable {

  /** Whether a lower or a higher primary metric is better. */
  public enum Direction {
    /** MAE: lower is better. */
    LOWER,
    /** AUC: higher is better. */
    HIGHER
  }

  /** The metric early stopping watches: MAE (explicit) or AUC (implicit). */
  public double primary() {
    return Double.isNaN(auc) ? mae : auc;
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
        : String.format(Locale.ROOT, "auc %.4f loss %.4f", auc, loss);
  }
}
