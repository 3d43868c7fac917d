package io.metarec.config;

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
 * @param priorLr outer step size of the learned inner-loop hyperparameters (the ridge solve's log
 *     prior strength), {@code > 0}; scaled with {@code outerLr} by decay and divergence halving
 * @param outputInit initial weights of the MLP's output layer ({@code meta.init.output})
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
    float tableL2,
    float priorLr,
    OutputInit outputInit) implements Serializable {

  /** Initial weights of the MLP's output layer. */
  public enum OutputInit {
    /**
     * Zero: the MLP starts as the zero function, so the unadapted model starts as the bias model's
     * item means (explicit) or popularity (implicit), and the hidden layers get gradients from the
     * first outer step on.
     */
    ZERO,
    /** Glorot-uniform, as the hidden layers: the MLP adds a random function from the start. */
    GLOROT
  }

  /** The settings with the MLP's output layer starting at zero ({@link OutputInit#ZERO}). */
  public MetaConfig(Algorithm algorithm, OuterOptimizerKind outerOptimizer, float outerLr,
      float adamBeta1, float adamBeta2, float adamEpsilon, long seed, int iterations,
      int tasksPerIteration, boolean resplit, int minSupport, int maxSupport, float embeddingStd,
      float lambdaInit, float itemBiasShrinkage, float tableL2, float priorLr) {
    this(algorithm, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit,
        itemBiasShrinkage, tableL2, priorLr, OutputInit.ZERO);
  }

  /** The settings with the learned hyperparameters stepping like every other parameter. */
  public MetaConfig(Algorithm algorithm, OuterOptimizerKind outerOptimizer, float outerLr,
      float adamBeta1, float adamBeta2, float adamEpsilon, long seed, int iterations,
      int tasksPerIteration, boolean resplit, int minSupport, int maxSupport, float embeddingStd,
      float lambdaInit, float itemBiasShrinkage, float tableL2) {
    this(algorithm, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit,
        itemBiasShrinkage, tableL2, outerLr);
  }

  public MetaConfig {
    if (algorithm == null || outerOptimizer == null || outputInit == null) {
      throw new ConfigValidationException(
          "meta.algorithm, meta.outerOptimizer and meta.init.output must be set");
    }
    Checks.doubleAbove("meta.outerLr", outerLr, 0);
    if (!(adamBeta1 >= 0f && adamBeta1 < 1f)) {
      throw new ConfigValidationException("meta.adam.beta1 must be in [0, 1), got " + adamBeta1);
    }
    if (!(adamBeta2 >= 0f && adamBeta2 < 1f)) {
      throw new ConfigValidationException("meta.adam.beta2 must be in [0, 1), got " + adamBeta2);
    }
    Checks.doubleAbove("meta.adam.epsilon", adamEpsilon, 0);
    Checks.intAtLeast("meta.iterations", iterations, 1);
    Checks.intAtLeast("meta.tasksPerIteration", tasksPerIteration, 1);
    Checks.intAtLeast("meta.resplit.minSupport", minSupport, 0);
    // Cross-field rule: the drawn support range must be non-empty.
    if (maxSupport < minSupport) {
      throw new ConfigValidationException("meta.resplit.maxSupport must be >= "
          + "meta.resplit.minSupport (" + minSupport + "), got " + maxSupport);
    }
    Checks.rate("meta.init.embeddingStd", embeddingStd);
    Checks.doubleAbove("meta.init.lambda", lambdaInit, 0);
    Checks.rate("meta.init.itemBiasShrinkage", itemBiasShrinkage);
    Checks.rate("meta.tableL2", tableL2);
    Checks.doubleAbove("meta.priorLr", priorLr, 0);
  }

  /** How much larger the learned hyperparameters' outer step is than every other parameter's. */
  public float priorLrRatio() {
    return priorLr / outerLr;
  }

  /** Reads the {@code meta} section (see conf/metarec.conf). */
  static MetaConfig from(ConfigReader meta) {
    return new MetaConfig(
        meta.getEnum("algorithm", Algorithm.class),
        meta.getEnum("outerOptimizer", OuterOptimizerKind.class),
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
        (float) meta.getDouble("tableL2"),
        (float) meta.getDouble("priorLr"),
        meta.getEnum("init.output", OutputInit.class));
  }

  /** @return a copy with another algorithm */
  public MetaConfig withAlgorithm(Algorithm a) {
    return new MetaConfig(a, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2, priorLr,
        outputInit);
  }

  /** @return a copy with another outer step size (the divergence guard halves it) */
  public MetaConfig withOuterLr(float lr) {
    return new MetaConfig(algorithm, outerOptimizer, lr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2,
        priorLr * (lr / outerLr), outputInit);
  }

  /** @return a copy with another initial output layer */
  public MetaConfig withOutputInit(OutputInit o) {
    return new MetaConfig(algorithm, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, seed, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2, priorLr,
        o);
  }

  /**
   * Fresh parameters for {@code spec} drawn with these settings' {@code meta.init.*} (the item
   * biases are the caller's to set from its data).
   */
  public io.metarec.model.Params initialParams(io.metarec.model.ModelSpec spec, long seed) {
    return io.metarec.model.ParamInitializer.initialize(spec, seed, embeddingStd, lambdaInit,
        outputInit == OutputInit.ZERO);
  }

  /** @return a copy with another seed */
  public MetaConfig withSeed(long s) {
    return new MetaConfig(algorithm, outerOptimizer, outerLr, adamBeta1, adamBeta2, adamEpsilon, s, iterations,
        tasksPerIteration, resplit, minSupport, maxSupport, embeddingStd, lambdaInit, itemBiasShrinkage, tableL2, priorLr,
        outputInit);
  }
}
