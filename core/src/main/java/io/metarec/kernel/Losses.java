package io.metarec.kernel;

import io.metarec.model.Feedback;

/**
 * The two training losses, averaged over a batch, with their gradient w.r.t. the predictions:
 * squared error {@code (p - y)^2} (explicit feedback, identity output) and sigmoid binary
 * cross-entropy {@code w (softplus(p) - t p)} on the logit {@code p} (implicit feedback), computed
 * in a numerically stable form. An implicit label is the row's weight: a positive has label {@code
 * w > 0} (1, or its confidence from a count column, {@link #confidenceOfCount}) and target {@code t
 * = 1}; a sampled negative has label 0, target 0 and weight 1. Stateless.
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
        float label = labels[labelOffset + r];
        double y = targetOf(label);
        double w = weightOf(label);
        loss += w * (Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p))));
        dPred[r] = (float) (w * (1.0 / (1.0 + Math.exp(-p)) - y) * invN);
      }
    }
    return loss / n;
  }

  /** The target of an implicit row of label {@code label}: 1 for a positive, 0 for a negative. */
  public static float targetOf(float label) {
    return label > 0f ? 1f : 0f;
  }

  /**
   * The weight of an implicit row of label {@code label}: the label of a positive ({@code > 0}: 1,
   * or its count's {@link #confidenceOfCount}), 1 for a negative (label 0).
   */
  public static float weightOf(float label) {
    return label > 0f ? label : 1f;
  }

  /**
   * The weight of an implicit positive whose count column ({@code input.columns.weight}) holds
   * {@code count > 0}: {@code log2(1 + count)}, 1 for a count of 1. It scales the row's loss and,
   * in the exact user solve, its confidence {@code c = 1 + confidence * weight}: Hu, Koren and
   * Volinsky's (2008) log scaling {@code c = 1 + alpha log(1 + count)} with {@code alpha =
   * confidence / ln 2}. build-tasks writes it as the label of every row of a log with that column.
   *
   * @throws IllegalArgumentException unless {@code count} is finite and positive
   */
  public static float confidenceOfCount(double count) {
    if (!(count > 0) || !Double.isFinite(count)) {
      throw new IllegalArgumentException("an event's count must be finite and > 0, got " + count);
    }
    // Spark's log2, as build-tasks computes it, so that a served count weighs what it did there.
    return (float) (StrictMath.log(1.0 + count) / StrictMath.log(2.0));
  }

  /** @return the loss of one prediction */
  public static double rowLoss(Feedback feedback, float pred, float label) {
    if (feedback == Feedback.EXPLICIT) {
      double err = pred - label;
      return err * err;
    }
    double p = pred;
    double y = targetOf(label);
    double w = weightOf(label);
    return w * (Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p))));
  }
}
