package io.metarec.metrics;

/**
 * Metrics of one user's query. Every array holds one user's query rows (or candidate scores); the
 * methods are pure and return NaN where a metric is undefined for the user (no rows, no relevant
 * row), which {@link MeanStat} then skips rather than counting as zero.
 *
 * <p>Rankings sort by score, highest first; equal scores keep row order (a stable sort), except
 * {@link #hitRate} and {@link #ndcgImplicit}, which rank a positive after every negative of equal
 * score (pessimistic), so that a constant scorer earns no hits.
 */
public final class UserMetrics {
  private UserMetrics() {}

  /** @return mean |p - y| over the rows; NaN if empty */
  public static double mae(float[] pred, float[] label) {
    check(pred, label);
    if (pred.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (int r = 0; r < pred.length; r++) {
      s += Math.abs((double) pred[r] - label[r]);
    }
    return s / pred.length;
  }

  /** @return mean (p - y)^2 over the rows (per-user RMSE is its square root); NaN if empty */
  public static double mse(float[] pred, float[] label) {
    check(pred, label);
    if (pred.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (int r = 0; r < pred.length; r++) {
      double e = (double) pred[r] - label[r];
      s += e * e;
    }
    return s / pred.length;
  }

  /**
   * nDCG@k of ranking the rows by {@code pred} (Järvelin and Kekäläinen 2002): gain
   * {@code 2^label - 1}, discount {@code 1 / log2(rank + 1)}, normalized by the DCG of the rows
   * sorted by label.
   *
   * @return nDCG@k in [0, 1]; NaN if there are no rows or the ideal DCG is 0
   */
  public static double ndcg(float[] pred, float[] label, int k) {
    check(pred, label);
    int[] order = rankStable(pred);
    int[] ideal = rankStable(label);
    double dcg = 0;
    double idcg = 0;
    for (int r = 0; r < Math.min(k, pred.length); r++) {
      double disc = 1 / log2(r + 2);
      dcg += (Math.pow(2, label[order[r]]) - 1) * disc;
      idcg += (Math.pow(2, label[ideal[r]]) - 1) * disc;
    }
    return idcg > 0 ? dcg / idcg : Double.NaN;
  }

  /**
   * Precision@k: relevant rows ({@code label >= threshold}) among the top {@code min(k, n)} rows,
   * divided by {@code min(k, n)} (a user with fewer than k query rows is not penalized for it).
   *
   * @return precision in [0, 1]; NaN if there are no rows
   */
  public static double precision(float[] pred, float[] label, int k, double threshold) {
    check(pred, label);
    int top = Math.min(k, pred.length);
    if (top == 0) {
      return Double.NaN;
    }
    return (double) relevantInTop(pred, label, top, threshold) / top;
  }

  /**
   * Recall@k: relevant rows in the top k over all relevant rows.
   *
   * @return recall in [0, 1]; NaN if no row is relevant
   */
  public static double recall(float[] pred, float[] label, int k, double threshold) {
    check(pred, label);
    int relevant = 0;
    for (float y : label) {
      if (y >= threshold) {
        relevant++;
      }
    }
    if (relevant == 0) {
      return Double.NaN;
    }
    return (double) relevantInTop(pred, label, Math.min(k, pred.length), threshold) / relevant;
  }

  /**
   * AUC: the fraction of (positive, negative) pairs where the positive scores higher, ties counting
   * one half.
   *
   * @return AUC in [0, 1]; NaN if either side is empty
   */
  public static double auc(float[] posScores, float[] negScores) {
    if (posScores.length == 0 || negScores.length == 0) {
      return Double.NaN;
    }
    float[] neg = negScores.clone();
    java.util.Arrays.sort(neg);
    double pairs = 0;
    for (float p : posScores) {
      int below = lowerBound(neg, p);
      int notAbove = upperBound(neg, p);
      pairs += below + 0.5 * (notAbove - below);
    }
    return pairs / ((double) posScores.length * negScores.length);
  }

  /**
   * Hit rate @k of implicit feedback: the candidates (positives and negatives) ranked by score, a
   * positive after every negative of equal score; hits = positives in the top k.
   *
   * @return {@code hits / min(k, #positives)}; NaN if there is no positive
   */
  public static double hitRate(float[] posScores, float[] negScores, int k) {
    if (posScores.length == 0) {
      return Double.NaN;
    }
    int hits = 0;
    for (int rank : positiveRanks(posScores, negScores)) {
      if (rank < k) {
        hits++;
      }
    }
    return (double) hits / Math.min(k, posScores.length);
  }

  /**
   * Recall@k of implicit feedback on the ranking of {@link #hitRate}: positives in the top k over
   * all positives.
   *
   * @return {@code hits / #positives}; NaN if there is no positive
   */
  public static double recall(float[] posScores, float[] negScores, int k) {
    if (posScores.length == 0) {
      return Double.NaN;
    }
    int hits = 0;
    for (int rank : positiveRanks(posScores, negScores)) {
      if (rank < k) {
        hits++;
      }
    }
    return (double) hits / posScores.length;
  }

  /**
   * nDCG@k of implicit feedback on the ranking of {@link #hitRate}, binary gain; the ideal ranks
   * every positive first.
   *
   * @return nDCG@k in [0, 1]; NaN if there is no positive
   */
  public static double ndcgImplicit(float[] posScores, float[] negScores, int k) {
    if (posScores.length == 0) {
      return Double.NaN;
    }
    double dcg = 0;
    for (int rank : positiveRanks(posScores, negScores)) {
      if (rank < k) {
        dcg += 1 / log2(rank + 2);
      }
    }
    double idcg = 0;
    for (int r = 0; r < Math.min(k, posScores.length); r++) {
      idcg += 1 / log2(r + 2);
    }
    return dcg / idcg;
  }

  /** 0-based ranks of the positives: negatives scoring >= it and positives ranked before it. */
  private static int[] positiveRanks(float[] pos, float[] neg) {
    float[] sortedNeg = neg.clone();
    java.util.Arrays.sort(sortedNeg);
    int[] order = rankStable(pos);
    int[] ranks = new int[pos.length];
    for (int j = 0; j < order.length; j++) {
      float s = pos[order[j]];
      int negAtOrAbove = sortedNeg.length - lowerBound(sortedNeg, s);
      ranks[j] = j + negAtOrAbove;
    }
    return ranks;
  }

  private static int relevantInTop(float[] pred, float[] label, int top, double threshold) {
    int[] order = rankStable(pred);
    int rel = 0;
    for (int r = 0; r < top; r++) {
      if (label[order[r]] >= threshold) {
        rel++;
      }
    }
    return rel;
  }

  /** Row indices by descending score; equal scores keep row order. */
  static int[] rankStable(float[] score) {
    Integer[] idx = new Integer[score.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Float.compare(score[b], score[a]));
    int[] out = new int[idx.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /** First index with a[i] >= v. */
  private static int lowerBound(float[] a, float v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** First index with a[i] > v. */
  private static int upperBound(float[] a, float v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  private static void check(float[] pred, float[] label) {
    if (pred.length != label.length) {
      throw new IllegalArgumentException("pred and label lengths differ: " + pred.length + " vs "
          + label.length);
    }
  }
}
