package io.metarec.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.Feedback;
import org.junit.jupiter.api.Test;

/** The implicit loss with weighted positives (a count column's confidence) and its gradient. */
class LossesTest {
  private static final float[] PRED = {0.8f, -1.3f, 2.1f, -0.4f};

  @Test
  void aPositiveOfWeightWCountsWTimesAPositiveOfWeightOne() {
    float[] weights = {2.5f, 0f, 0.5f, 0f};
    float[] ones = {1f, 0f, 1f, 0f};
    float[] dW = new float[4];
    float[] d1 = new float[4];
    double lw = Losses.meanLossInto(Feedback.IMPLICIT, PRED, weights, 0, 4, dW);
    Losses.meanLossInto(Feedback.IMPLICIT, PRED, ones, 0, 4, d1);
    double expected = 0;
    for (int r = 0; r < 4; r++) {
      double w = weights[r] > 0 ? weights[r] : 1;
      double one = Losses.rowLoss(Feedback.IMPLICIT, PRED[r], ones[r]);
      expected += w * one;
      assertEquals(w * one, Losses.rowLoss(Feedback.IMPLICIT, PRED[r], weights[r]), 1e-12);
      assertEquals(w * d1[r], dW[r], 1e-6, "gradient of row " + r);
    }
    assertEquals(expected / 4, lw, 1e-12);
  }

  @Test
  void weightOneIsTheUnweightedLossToTheBitAndTheGradientMatchesCentralDifferences() {
    float[] labels = {1f, 0f, 1f, 0f};
    float[] d = new float[4];
    double loss = Losses.meanLossInto(Feedback.IMPLICIT, PRED, labels, 0, 4, d);
    double plain = 0;
    for (int r = 0; r < 4; r++) {
      double p = PRED[r];
      double y = labels[r];
      plain += Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p)));
    }
    assertEquals(plain / 4, loss, 0.0, "label 1: the unweighted BCE");
    float[] weighted = {3f, 0f, 1.5f, 0f};
    float[] dw = new float[4];
    Losses.meanLossInto(Feedback.IMPLICIT, PRED, weighted, 0, 4, dw);
    for (int r = 0; r < 4; r++) {
      double h = 1e-3;
      float[] up = PRED.clone();
      float[] down = PRED.clone();
      up[r] += (float) h;
      down[r] -= (float) h;
      double fd = (Losses.meanLossInto(Feedback.IMPLICIT, up, weighted, 0, 4, new float[4])
          - Losses.meanLossInto(Feedback.IMPLICIT, down, weighted, 0, 4, new float[4]))
          / (up[r] - down[r]);
      assertEquals(fd, dw[r], 1e-4, "row " + r);
    }
  }

  @Test
  void aCountsConfidenceIsLog2OfOnePlusTheCount() {
    assertEquals(1f, Losses.confidenceOfCount(1), 0f,
        "a count of 1 weighs what an unweighted row does");
    assertEquals(2f, Losses.confidenceOfCount(3), 0f);
    assertEquals((float) (Math.log(1.5) / Math.log(2)), Losses.confidenceOfCount(0.5), 1e-7f);
    assertTrue(Losses.confidenceOfCount(1000) > Losses.confidenceOfCount(999));
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Losses.confidenceOfCount(bad));
      assertTrue(e.getMessage().contains("count"), e.getMessage());
    }
    assertArrayEquals(new float[] {1f, 1f, 2f}, new float[] {Losses.weightOf(0f),
        Losses.weightOf(1f), Losses.weightOf(2f)}, "a negative weighs 1");
  }
}
