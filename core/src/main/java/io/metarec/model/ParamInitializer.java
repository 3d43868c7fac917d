package io.metarec.model;

import io.metarec.task.TaskRandom;
import java.util.SplittableRandom;

/**
 * Seeded initialization. Every segment draws from its own stream derived from (seed, segment id),
 * so the result does not depend on anything but the seed and the spec. MLP weights: He-uniform for
 * relu, Glorot-uniform otherwise (the output layer: Glorot-uniform, or zero); embedding tables and
 * factors: N(0, embeddingStd^2); biases, the meta-learned user bias and vector: 0; {@code
 * logLambda}: log of the initial ridge prior strength.
 */
public final class ParamInitializer {
  private static final long PURPOSE_INIT = 0x1A17L;

  private ParamInitializer() {
  }

  /**
   * As {@link #initialize(ModelSpec, long, float, float, boolean)} with a Glorot-uniform output
   * layer.
   */
  public static Params initialize(ModelSpec spec, long seed, float embeddingStd, float initialLambda) {
    return initialize(spec, seed, embeddingStd, initialLambda, false);
  }

  /**
   * @param spec the model
   * @param seed the run's seed
   * @param embeddingStd standard deviation of embedding and factor tables (for example 0.05)
   * @param initialLambda initial ridge prior strength, {@code > 0}
   * @param zeroOutput whether the MLP's output layer starts at zero (the MLP is then the zero
   *     function, and every other segment is drawn as without it, from the same streams)
   * @return new parameters
   */
  public static Params initialize(ModelSpec spec, long seed, float embeddingStd, float initialLambda,
      boolean zeroOutput) {
    if (!(embeddingStd >= 0f)) {
      throw new IllegalArgumentException("embeddingStd must be >= 0, got " + embeddingStd);
    }
    if (!(initialLambda > 0f)) {
      throw new IllegalArgumentException("initialLambda must be > 0, got " + initialLambda);
    }
    ParamLayout layout = new ParamLayout(spec);
    Params p = new Params(layout);
    for (Segment s : layout.segments()) {
      SplittableRandom rng = TaskRandom.stream(seed, 0, s.id(), PURPOSE_INIT);
      float[][] t = p.segment(s.id());
      if (s.table() && s.id() != layout.itemBias) {
        for (float[] row : t) {
          for (int j = 0; j < row.length; j++) {
            row[j] = (float) (gaussian(rng) * embeddingStd);
          }
        }
      } else if (zeroOutput && s.id() == layout.outW) {
        continue; // new arrays are zero
      } else if (s.group() == ParamGroup.DECISION && (s.name().startsWith("mlp.W") || s.id() == layout.outW)) {
        int fanIn = s.id() == layout.outW ? s.cols() : s.rows();
        int fanOut = s.id() == layout.outW ? 1 : s.cols();
        double limit = spec.activation() == Activation.RELU && s.id() != layout.outW
            ? Math.sqrt(6.0 / fanIn) : Math.sqrt(6.0 / (fanIn + fanOut));
        for (float[] row : t) {
          for (int j = 0; j < row.length; j++) {
            row[j] = (float) ((rng.nextDouble() * 2 - 1) * limit);
          }
        }
      }
    }
    p.segment(layout.logLambda)[0][0] = (float) Math.log(initialLambda);
    return p;
  }

  /**
   * Sets {@code mu} to the global mean and every item bias to its shrunk mean residual
   * {@code (sum_i - count_i * mu) / (count_i + shrinkage)}; items with no data get 0.
   *
   * @param itemSums per item index, the sum of its training labels
   * @param itemCounts per item index, the number of its training labels
   * @param shrinkage pseudo-count pulling rare items toward 0, {@code >= 0}
   */
  public static void initBiasesFromStatsInPlace(Params p, double[] itemSums, long[] itemCounts, double shrinkage) {
    ParamLayout layout = p.layout();
    int n = layout.spec().numItems();
    if (itemSums.length != n || itemCounts.length != n) {
      throw new IllegalArgumentException("itemSums and itemCounts must have numItems=" + n + " entries, got "
          + itemSums.length + " and " + itemCounts.length);
    }
    if (!(shrinkage >= 0)) {
      throw new IllegalArgumentException("shrinkage must be >= 0, got " + shrinkage);
    }
    double total = 0;
    long count = 0;
    for (int i = 0; i < n; i++) {
      if (itemCounts[i] < 0) {
        throw new IllegalArgumentException("itemCounts[" + i + "] must be >= 0, got " + itemCounts[i]);
      }
      total += itemSums[i];
      count += itemCounts[i];
    }
    double mu = count == 0 ? 0 : total / count;
    p.segment(layout.mu)[0][0] = (float) mu;
    float[][] b = p.segment(layout.itemBias);
    for (int i = 0; i < n; i++) {
      double denom = itemCounts[i] + shrinkage;
      b[i][0] = denom == 0 ? 0f : (float) ((itemSums[i] - itemCounts[i] * mu) / denom);
    }
  }

  /**
   * Sets mu and the item biases of an implicit-feedback model to the logits of popularity, in
   * place: against {@code negatives} negatives per positive drawn with probability {@code
   * sampling[i]} (uniform when null), the odds of item i being a positive are {@code (c_i / C) /
   * (negatives * sampling[i])}; {@code mu} takes their mean over items {@code >= 1} and {@code b_i}
   * the rest, with counts smoothed by +1. Without adaptation the model then ranks by popularity:
   * meta-learning starts where the popularity baseline ends.
   */
  public static void initPopularityBiasesInPlace(Params p, long[] counts, int negatives,
      double[] sampling) {
    ParamLayout layout = p.layout();
    int n = layout.spec().numItems();
    if (counts.length != n || (sampling != null && sampling.length != n)) {
      throw new IllegalArgumentException("counts (and sampling) must have numItems=" + n
          + " entries, got " + counts.length);
    }
    double total = 0;
    for (int i = 1; i < n; i++) {
      total += counts[i] + 1.0;
    }
    double m = Math.max(1, negatives);
    double[] logit = new double[n];
    double mean = 0;
    for (int i = 1; i < n; i++) {
      double q = sampling != null ? sampling[i] : 1.0 / (n - 1);
      logit[i] = Math.log(((counts[i] + 1.0) / total) / (m * Math.max(q, 1e-12)));
      mean += logit[i] / (n - 1);
    }
    p.segment(layout.mu)[0][0] = n > 1 ? (float) mean : 0f;
    float[][] b = p.segment(layout.itemBias);
    b[0][0] = 0f;
    for (int i = 1; i < n; i++) {
      b[i][0] = (float) (logit[i] - mean);
    }
  }

  private static double gaussian(SplittableRandom rng) {
    // Box-Muller on the stream (SplittableRandom has no nextGaussian in Java 17).
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
