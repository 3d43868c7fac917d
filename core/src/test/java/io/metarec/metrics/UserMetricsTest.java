package io.metarec.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every metric against values worked out by hand (arithmetic in the comments). */
class UserMetricsTest {
  private static final double LOG2_3 = Math.log(3) / Math.log(2);

  @Test
  void maeAndMse() {
    float[] p = {3, 4, 2};
    float[] y = {4, 4, 5};
    // |3-4| + 0 + |2-5| = 4 over 3 rows; squares 1 + 0 + 9 = 10 over 3
    assertEquals(4.0 / 3, UserMetrics.mae(p, y), 1e-12);
    assertEquals(10.0 / 3, UserMetrics.mse(p, y), 1e-12);
    assertTrue(Double.isNaN(UserMetrics.mae(new float[0], new float[0])));
    assertTrue(Double.isNaN(UserMetrics.mse(new float[0], new float[0])));
    assertThrows(IllegalArgumentException.class, () -> UserMetrics.mae(p, new float[2]));
  }

  @Test
  void ndcgOfAnImperfectRanking() {
    // Scores rank rows 1, 0, 2 (labels 3, 5, 1). Gains 2^r - 1: 7, 31, 1.
    // DCG@3 = 7/1 + 31/log2(3) + 1/2; ideal 31/1 + 7/log2(3) + 1/2.
    float[] p = {0.5f, 0.9f, 0.1f};
    float[] y = {5, 3, 1};
    double dcg = 7 + 31 / LOG2_3 + 0.5;
    double idcg = 31 + 7 / LOG2_3 + 0.5;
    assertEquals(dcg / idcg, UserMetrics.ndcg(p, y, 3), 1e-12);
    // @1: 7 / 31
    assertEquals(7.0 / 31, UserMetrics.ndcg(p, y, 1), 1e-12);
    // k beyond the rows is the same as k = n
    assertEquals(dcg / idcg, UserMetrics.ndcg(p, y, 10), 1e-12);
  }

  @Test
  void ndcgTiesKeepRowOrder() {
    // Equal scores: row order decides. Labels 1 then 4: DCG = 1 + 15/log2(3); ideal 15 + 1/log2(3).
    float[] tie = {2, 2};
    assertEquals((1 + 15 / LOG2_3) / (15 + 1 / LOG2_3),
        UserMetrics.ndcg(tie, new float[] {1, 4}, 10), 1e-12);
    // The same rows in the other order are ideal.
    assertEquals(1.0, UserMetrics.ndcg(tie, new float[] {4, 1}, 10), 1e-12);
    // All labels equal: any ranking is ideal.
    assertEquals(1.0, UserMetrics.ndcg(new float[] {1, 3, 2}, new float[] {4, 4, 4}, 2), 1e-12);
    // Gains all zero (labels 0) or no rows: undefined.
    assertTrue(Double.isNaN(UserMetrics.ndcg(new float[] {1, 2}, new float[] {0, 0}, 2)));
    assertTrue(Double.isNaN(UserMetrics.ndcg(new float[0], new float[0], 2)));
  }

  @Test
  void precisionAndRecall() {
    // Ranked by score: rows 2 (5), 0 (4), 3 (2), 1 (3). Relevant (>= 4): rows 0 and 2.
    float[] p = {0.8f, 0.1f, 0.9f, 0.3f};
    float[] y = {4, 3, 5, 2};
    // top 1: row 2 relevant → 1/1; top 3: rows 2, 0 relevant of 3 → 2/3
    assertEquals(1.0, UserMetrics.precision(p, y, 1, 4), 1e-12);
    assertEquals(2.0 / 3, UserMetrics.precision(p, y, 3, 4), 1e-12);
    // k = 10 > 4 rows: 2 relevant of min(10, 4)
    assertEquals(0.5, UserMetrics.precision(p, y, 10, 4), 1e-12);
    // recall@1: 1 of 2 relevant; @3: 2 of 2
    assertEquals(0.5, UserMetrics.recall(p, y, 1, 4), 1e-12);
    assertEquals(1.0, UserMetrics.recall(p, y, 3, 4), 1e-12);
    assertTrue(Double.isNaN(UserMetrics.recall(p, new float[] {1, 1, 1, 1}, 3, 4)));
    assertTrue(Double.isNaN(UserMetrics.precision(new float[0], new float[0], 3, 4)));
  }

  @Test
  void aucCountsTiesAsHalf() {
    // Positives 0.9, 0.5; negatives 0.5, 0.1, 0.7.
    // 0.9 beats all 3; 0.5 beats 0.1, ties 0.5 (1/2), loses to 0.7 → 1.5. (3 + 1.5) / 6
    assertEquals(4.5 / 6, UserMetrics.auc(new float[] {0.9f, 0.5f},
        new float[] {0.5f, 0.1f, 0.7f}), 1e-12);
    assertEquals(0.5, UserMetrics.auc(new float[] {1, 1}, new float[] {1}), 1e-12);
    assertTrue(Double.isNaN(UserMetrics.auc(new float[0], new float[] {1})));
    assertTrue(Double.isNaN(UserMetrics.auc(new float[] {1}, new float[0])));
  }

  @Test
  void hitRateAndImplicitNdcg() {
    // Candidates by score: 0.9 (pos), 0.8 (neg), 0.6 (pos), 0.5 (neg), 0.2 (pos).
    float[] pos = {0.6f, 0.9f, 0.2f};
    float[] neg = {0.8f, 0.5f};
    // Positive ranks (0-based): 0, 2, 4. HR@2: 1 hit / min(2, 3); HR@3: 2 / 3; HR@10: 3 / 3.
    assertEquals(0.5, UserMetrics.hitRate(pos, neg, 2), 1e-12);
    assertEquals(2.0 / 3, UserMetrics.hitRate(pos, neg, 3), 1e-12);
    assertEquals(1.0, UserMetrics.hitRate(pos, neg, 10), 1e-12);
    // nDCG@3: (1/log2(2) + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4))
    assertEquals((1 + 0.5) / (1 + 1 / LOG2_3 + 0.5), UserMetrics.ndcgImplicit(pos, neg, 3), 1e-12);
    // A positive tied with a negative ranks after it: a constant scorer has no hit at k = 1.
    assertEquals(0.0, UserMetrics.hitRate(new float[] {1}, new float[] {1, 1}, 1), 1e-12);
    assertEquals(0.0, UserMetrics.ndcgImplicit(new float[] {1}, new float[] {1, 1}, 2), 1e-12);
    assertTrue(Double.isNaN(UserMetrics.hitRate(new float[0], neg, 3)));
    assertTrue(Double.isNaN(UserMetrics.ndcgImplicit(new float[0], neg, 3)));
  }

  @Test
  void recallAgainstEveryUnseenItem() {
    // Full ranking: 3 positives against 4 unseen items. By score: 0.9 (pos), 0.8 (neg), 0.7 (neg),
    // 0.6 (pos), 0.6 (neg, the tie ranks first), 0.5 (neg), 0.2 (pos).
    float[] pos = {0.6f, 0.9f, 0.2f};
    float[] all = {0.8f, 0.7f, 0.6f, 0.5f};
    // Positive ranks 0, 4, 6. Recall@1 = 1/3, @4 = 1/3 (the tied positive is 5th), @5 = 2/3,
    // @20 = 1; recall divides by all positives, hit rate by min(k, positives).
    assertEquals(1.0 / 3, UserMetrics.recall(pos, all, 1), 1e-12);
    assertEquals(1.0 / 3, UserMetrics.recall(pos, all, 4), 1e-12);
    assertEquals(2.0 / 3, UserMetrics.recall(pos, all, 5), 1e-12);
    assertEquals(1.0, UserMetrics.recall(pos, all, 20), 1e-12);
    assertEquals(1.0 / 2, UserMetrics.hitRate(pos, all, 2), 1e-12);
    assertTrue(Double.isNaN(UserMetrics.recall(new float[0], all, 20)), "no query: undefined");
    assertEquals(1.0, UserMetrics.recall(pos, new float[0], 3), 1e-12, "nothing to rank against");
  }
}
