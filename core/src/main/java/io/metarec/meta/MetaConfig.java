package io.metarec.meta;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The outer loop: algorithm, optimizer, seed, per-iteration task re-splitting and initialization
 * constants.
 *
 * @param algorithm reptile (Nichol et al. 2018), fomaml (Finn et al. 2017) or multitask
 * @param outerOptimizer sgd or adam
 * @param outerLr outer step size, {@code > 0}
 * @param adamBeta1 Adam first-moment decay, in [0, 1)
 * @param adamBeta2 Adam second-moment decay, in [0, 1)
 * @param adamEpsilon Adam denominator term, {@code > 0}
 * @param seed the one seed every random stream derives from
 * @param iterations number of outer iterations, {@code >= 1}
 * @param tasksPerIteration tasks sampled per outer iteration, {@code >= 1}
 * @param resplit whether training tasks get a fresh random support/query split each iteration
 * @param minSupport smallest drawn support size, {@code >= 0}
 * @param maxSupport largest drawn support size, {@code >= minSupport}
 * @param embeddingStd initial standard deviation of embedding tables, {@code >= 0}
 * @param lambdaInit initial ridge prior strength lambda, {@code > 0}
 * @param itemBiasShrinkage pseudo-count of the shrunk item-mean bias initialization, {@code >= 0}
 * @param tableL2 L2 strength on the embedding and factor table rows a meta-batch touches, added to
 *     their meta-gradient in the outer step ({@code tableL2 * row}), {@code >= 0}
 */
public record MetaConfig(
    Algorithm algorithm,
    OuterOptimizerKind outerOptimizer,
    float outerLr,
    float adamBeta1,
    float adamBeta2,
    float adamEpsilon,
    long seed,
    int iterations,
    int tasksPerIteration,
    boolean resplit,
    int minSupport,
    int maxSupport,
    float embeddingStd,
    float lambdaInit,
    float itemBiasShrinkage,
    float tableL2) implements Serializable {

  public MetaConfig {
    if (algorithm == null || outerOptimizer == null) {
      throw new IllegalArgumentException("meta.algorithm and meta.outerOptimizer must be non-null");
    }
    if (!(outerLr > 0f) || Float.isInfinite(outerLr)) {
      throw new IllegalArgumentException("meta.outerLr must be finite and > 0, got " + outerLr);
    }
    if (!(adamBeta1 >= 0f && adamBeta1 < 1f)) {
      throw new IllegalArgumentException("meta.adam.beta1 must be in [0, 1), got " + adamBeta1);
    }
    if (!(adamBeta2 >= 0f && adamBeta2 < 1f)) {
      throw new IllegalArgumentException("meta.adam.beta2 must be in [0, 1), got " + adamBeta2);
    }
    if (!(adamEpsilon > 0f)) {
      throw new IllegalArgumentException("meta.adam.epsilon must be > 0, got " + adamEpsilon);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("meta.iterations must be >= 1, got " + iterations);
    }
    if (tasksPerIteration < 1) {
      throw new IllegalArgumentException("meta.tasksPerIteration must be >= 1, got " + tasksPerIteration);
    }
    if (minSupport < 0) {
      throw new IllegalArgumentException("meta.resplit.minSupport must be >= 0, got " + minSupport);
    }
    // Cross-field rule: the drawn support range must be non-empty.
    if (maxSupport < minSupport) {
      throw new IllegalArgumentException("meta.resplit.maxSupport must be >= meta.resplit.minSupport (" + minSupport
          + "), got " + maxSupport);
    }
    if (!(embeddingStd >= 0f)) {
      throw new IllegalArgumentException("meta.init.embeddingStd must be >= 0, got " + embeddingStd);
    }
    if (!(lambdaInit > 0f)) {
      throw new IllegalArgumentException("meta.init.lambda must be > 0, got " + lambdaInit);
    }
    if (!(itemBiasShrinkage >= 0f)) {
      throw new IllegalArgumentException("meta.init.itemBiasShrinkage must be >= 0, got " + itemBiasShrinkage);
    }
    if (!(tableL2 >= 0f) || Float.isInfinite(tableL2)) {
      throw new IllegalArgumentException("meta.tableL2 must be finite and >= 0, got " + tableL2);
    }
  }

  /** Reads the {@code meta} subtree (see conf/metarec.conf). */
  public static MetaConfig fromConfig(Config meta) {
    return new MetaConfig(
        Algorithm.parse("meta.algorithm", meta.getString("algorithm")),
        OuterOptimizerKind.parse("meta.outerOptimizer", meta.getString("outerOptimizer")),
        (float) meta.getDouble("outerLr"),
        (float) meta.getDouble("adam.beta1"),
        (float) meta.getDouble("adam.beta2"),
        (float) meta.getDouble("adam.epsilon"),
        meta.getLong("seed"),
        meta.getInt("iterations"),
        meta.getInt("tasksPerIteration"),
        meta.getBoolean("resplit.enabled"),
        meta.getInt("resplit.minSupport"),
        meta.getInt("resplit.maxSupport"),
        (float) meta.getDouble("init.embeddingStd"),
        (float) meta.getDouble("init.lambda"),
        (float) meta.getDouble("init.itemBiasShrinkage"),
        (float) meta.getDouble("tableL2"));
  }

  /** @return a copy with another algorithm */
  public MetaConfig withAlgorithm(Algorithm a) {
    return new MetaConfig(a, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2);
  }

  /** @return a copy with another outer step size (the divergence guard halves it) */
  public MetaConfig withOuterLr(float lr) {
    return new MetaConfig(algorithm, outerOptimizer, lr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2);
  }

  /** @return a copy with another seed */
  public MetaConfig withSeed(long s) {
    return new MetaConfig(algorithm, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, s, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2);
  }
}
