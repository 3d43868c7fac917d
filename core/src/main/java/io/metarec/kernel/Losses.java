package io.metarec.kernel;

import io.metarec.model.Feedback;

/**
 * The two training losses, averaged over a batch, with their gradient w.r.t. the predictions:
 * squared error {@code (p - y)^2} (explicit feedback, identity output) and sigmoid binary
 * cross-entropy {@code softplus(p) - y p} on the logit {@code p} (implicit feedback), computed in a
 * numerically stable form. Stateless.
 */
public final class Losses {
  private Losses() {
  }

  /**
   * Writes {@code dPred[r] = d(meanLoss)/d(pred[r])} for {@code r < n} and returns the mean loss;
   * labels are read at {@code labels[labelOffset + r]}.
   */
  public static double meanLossInto(Feedback feedback, float[] pred, float[] labels, int labelOffset, int n,
      float[] dPred) {
    if (n == 0) {
      return 0;
    }
    double loss = 0;
    float invN = 1f / n;
    if (feedback == Feedback.EXPLICIT) {
      for (int r = 0; r < n; r++) {
        float err = pred[r] - labels[labelOffset + r];
        loss += (double) err * err;
        dPred[r] = 2f * err * invN;
      }
    } else {
      for (int r = 0; r < n; r++) {
        double p = pred[r];
        double y = labels[labelOffset + r];
        loss += Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p)));
        dPred[r] = (float) ((1.0 / (1.0 + Math.exp(-p)) - y) * invN);
      }
    }
    return loss / n;
  }

  /** @return the loss of one prediction */
  public static double rowLoss(Feedback feedback, float pred, float label) {
    if (feedback == Feedback.EXPLICIT) {
      double err = pred - label;
      return err * err;
    }
    double p = pred;
    return Math.max(p, 0) - p * label + Math.log1p(Math.exp(-Math.abs(p)));
  }
}
