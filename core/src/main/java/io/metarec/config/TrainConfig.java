package io.metarec.config;

import java.io.Serializable;
import java.util.List;

/**
 * The distributed meta-training job ({@code train.*}).
 *
 * @param tasks the build-tasks output to train on ({@code train.tasks})
 * @param model the model folder to write ({@code train.model})
 * @param partitions partitions of the cached training tasks; 0 = one per task slot for {@code
 *     rounds}, 3 × the default parallelism for {@code jobs}
 * @param validateEvery iterations between validations (>= 1)
 * @param patience validations without improvement before stopping; 0 = never stop early
 * @param validationTasks validation tasks per validation; 0 = all
 * @param validationSupports support sizes K at which validation scores each validation user,
 *     ascending: support = the user's first K interactions, query = those after the largest K, the
 *     metric averaged over the Ks (the evaluation's strict protocol); empty = the task's own
 *     support and query as build-tasks wrote them
 * @param checkpointEvery iterations between checkpoints (>= 1)
 * @param progressEvery iterations between progress lines (>= 1)
 * @param lrDecay iteration t steps with {@code meta.outerLr * lrDecay^t}; in (0, 1]
 * @param maxDivergences non-finite updates in a row before the job fails (>= 1)
 * @param resume continue from the model folder's last complete checkpoint
 * @param initFrom a model to warm-start from; empty = none
 * @param engine the executors' adaptation engine: {@code jvm} (the plain-JVM kernel), {@code nd4j}
 *     (the task-batched ND4J engine) or {@code auto} (ND4J on an executor that Spark gave a GPU,
 *     the JVM kernel otherwise)
 * @param engineBlockSize tasks the ND4J engine adapts at once (>= 1)
 * @param exchange how θ and the meta-gradients travel each iteration: {@code jobs} (one Spark job
 *     per iteration: θ broadcast, accumulators returned as task results), {@code rounds} (one
 *     barrier Spark job per stretch of iterations between validations, θ and accumulators over a
 *     TCP connection from each task to the driver) or {@code auto} (rounds where the cluster allows
 *     it)
 * @param exchangePort the driver's TCP port for {@code rounds}; 0 = any free port
 * @param selectAdaptation after training, choose the inner-loop settings the model is adapted
 *     with on the validation users ({@code train.selectAdaptation.enabled})
 * @param selectSteps the inner step counts tried (each >= 0)
 * @param selectLrScales the scales of every inner step size tried (each > 0)
 * @param selectPriorScales the factors on the learned prior strength tried (each > 0)
 * @param selectMinGainStdErrors how many paired standard errors over the validation users a
 *     candidate's gain over no adaptation must exceed to be taken ({@code >= 0}; 0, the default,
 *     = any gain of the mean)
 * @param selectFoldInScales the factors on the fold-in's gain tried with implicit feedback (each
 *     > 0; null = auto: {@link #AUTO_FOLD_IN_SCALES})
 * @param selectWidenings the most rounds in which the selection widens its grid where a choice
 *     lies on an edge of it ({@code >= 0}; 0 = the grid as listed)
 * @param selectWidenMinGainStdErrors the paired standard errors over the validation users by which
 *     a widened candidate must beat the choice it would replace ({@code >= 0})
 * @param selectNeighbourWeights the weights of the neighbourhood term tried on top of each support
 *     size's choice (each > 0; null = auto: {@link #neighbourWeights})
 * @param selectNeighbourMinGainStdErrors the paired standard errors over the validation users by
 *     which the neighbourhood term must beat the choice it joins to be taken ({@code >= 0}; 0 = any
 *     gain of the mean)
 * @param neighbours neighbours kept per item for the neighbourhood term, {@code >= 1}
 * @param neighbourMaxUserItems a training user's most recent items the similarities count,
 *     {@code >= 2}
 */
public record TrainConfig(
    String tasks,
    String model,
    int partitions,
    int validateEvery,
    int patience,
    int validationTasks,
    List<Integer> validationSupports,
    int checkpointEvery,
    int progressEvery,
    double lrDecay,
    int maxDivergences,
    boolean resume,
    String initFrom,
    EngineKind engine,
    int engineBlockSize,
    ExchangeKind exchange,
    int exchangePort,
    boolean selectAdaptation,
    List<Integer> selectSteps,
    List<Double> selectLrScales,
    List<Double> selectPriorScales,
    double selectMinGainStdErrors,
    List<Double> selectFoldInScales,
    int selectWidenings,
    double selectWidenMinGainStdErrors,
    List<Double> selectNeighbourWeights,
    double selectNeighbourMinGainStdErrors,
    int neighbours,
    int neighbourMaxUserItems)
    implements Serializable {

  /** The neighbourhood weights {@code auto} tries with implicit feedback (none with explicit). */
  public static final List<Double> AUTO_NEIGHBOUR_WEIGHTS =
      List.of(0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 1000.0);

  /** The fold-in gains {@code auto} tries with implicit feedback (none with explicit). */
  public static final List<Double> AUTO_FOLD_IN_SCALES = List.of(2.0, 4.0, 8.0);

  /** Validates the ranges. */
  public TrainConfig {
    Checks.intAtLeast("train.partitions", partitions, 0);
    Checks.intAtLeast("train.validateEvery", validateEvery, 1);
    Checks.intAtLeast("train.patience", patience, 0);
    Checks.intAtLeast("train.validationTasks", validationTasks, 0);
    validationSupports = List.copyOf(validationSupports);
    for (int i = 0; i < validationSupports.size(); i++) {
      Checks.intAtLeast("train.validationSupports[" + i + "]", validationSupports.get(i), 1);
      if (i > 0 && validationSupports.get(i) <= validationSupports.get(i - 1)) {
        throw new ConfigValidationException("train.validationSupports must be strictly ascending, got "
            + validationSupports);
      }
    }
    Checks.intAtLeast("train.checkpointEvery", checkpointEvery, 1);
    Checks.intAtLeast("train.progressEvery", progressEvery, 1);
    if (!(lrDecay > 0 && lrDecay <= 1)) {
      throw new ConfigValidationException("train.lrDecay must be in (0, 1], got " + lrDecay);
    }
    Checks.intAtLeast("train.maxDivergences", maxDivergences, 1);
    if (engine == null || exchange == null) {
      throw new ConfigValidationException("train.engine and train.exchange must be set");
    }
    Checks.intAtLeast("train.engineBlockSize", engineBlockSize, 1);
    Checks.intIn("train.exchangePort", exchangePort, 0, 65535);
    selectSteps = List.copyOf(selectSteps);
    for (int i = 0; i < selectSteps.size(); i++) {
      Checks.intAtLeast("train.selectAdaptation.steps[" + i + "]", selectSteps.get(i), 0);
    }
    selectLrScales = positives("train.selectAdaptation.lrScales", selectLrScales);
    selectPriorScales = positives("train.selectAdaptation.priorScales", selectPriorScales);
    Checks.nonNegative("train.selectAdaptation.minGainStdErrors", selectMinGainStdErrors);
    if (selectFoldInScales != null) {
      selectFoldInScales = positives("train.selectAdaptation.foldInScales", selectFoldInScales);
    }
    Checks.intIn("train.selectAdaptation.widenings", selectWidenings, 0, 10);
    Checks.nonNegative("train.selectAdaptation.widenMinGainStdErrors", selectWidenMinGainStdErrors);
    if (selectNeighbourWeights != null) {
      selectNeighbourWeights = positives("train.selectAdaptation.neighbourWeights",
          selectNeighbourWeights);
    }
    Checks.nonNegative("train.selectAdaptation.neighbourMinGainStdErrors",
        selectNeighbourMinGainStdErrors);
    Checks.intAtLeast("train.selectAdaptation.neighbours", neighbours, 1);
    Checks.intAtLeast("train.selectAdaptation.neighbourMaxUserItems", neighbourMaxUserItems, 2);
    if (selectAdaptation && (selectSteps.isEmpty() || selectLrScales.isEmpty())) {
      throw new ConfigValidationException("train.selectAdaptation.steps and .lrScales must each "
          + "list at least one value when train.selectAdaptation.enabled = true");
    }
    // train.resume with train.initFrom: a checkpoint of this (warm-started) run wins, else the
    // run warm-starts; the checkpoint's run identity records initFrom.
  }

  /** A copy of {@code values}, each of which must be a finite number > 0 (named {@code key[i]}). */
  private static List<Double> positives(String key, List<Double> values) {
    List<Double> out = List.copyOf(values);
    for (int i = 0; i < out.size(); i++) {
      double v = out.get(i);
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new ConfigValidationException(key + "[" + i + "] must be a positive number, got " + v);
      }
    }
    return out;
  }

  /**
   * The weights of the neighbourhood term the selection tries: the configured list, or with
   * {@code auto} {@link #AUTO_NEIGHBOUR_WEIGHTS} for implicit feedback and none for explicit (a
   * similarity sum is not a rating).
   *
   * @throws ConfigValidationException for a list with explicit feedback
   */
  public List<Double> neighbourWeights(io.metarec.model.Feedback feedback) {
    boolean implicit = feedback == io.metarec.model.Feedback.IMPLICIT;
    if (selectNeighbourWeights == null) {
      return implicit ? AUTO_NEIGHBOUR_WEIGHTS : List.of();
    }
    if (!implicit && !selectNeighbourWeights.isEmpty()) {
      throw new ConfigValidationException("train.selectAdaptation.neighbourWeights is for implicit "
          + "feedback (the neighbourhood term ranks items), the tasks are explicit; set it to auto "
          + "or []");
    }
    return selectNeighbourWeights;
  }

  /**
   * The factors on the implicit fold-in's gain the selection tries: the configured list, or with
   * {@code auto} {@link #AUTO_FOLD_IN_SCALES} for implicit feedback and none for explicit (there is
   * no fold-in).
   */
  public List<Double> foldInScales(io.metarec.model.Feedback feedback) {
    if (feedback != io.metarec.model.Feedback.IMPLICIT) {
      return List.of();
    }
    return selectFoldInScales == null ? AUTO_FOLD_IN_SCALES : selectFoldInScales;
  }

  /** @return {@link #validationSupports} as an array (empty: the tasks' own split) */
  public int[] validationSupportArray() {
    return validationSupports.stream().mapToInt(Integer::intValue).toArray();
  }

  static TrainConfig from(ConfigReader r) {
    return new TrainConfig(
        r.getString("train.tasks"),
        r.getString("train.model"),
        r.getInt("train.partitions"),
        r.getInt("train.validateEvery"),
        r.getInt("train.patience"),
        r.getInt("train.validationTasks"),
        r.getIntList("train.validationSupports"),
        r.getInt("train.checkpointEvery"),
        r.getInt("train.progressEvery"),
        r.getDouble("train.lrDecay"),
        r.getInt("train.maxDivergences"),
        r.getBoolean("train.resume"),
        r.getString("train.initFrom"),
        r.getEnum("train.engine", EngineKind.class),
        r.getInt("train.engineBlockSize"),
        r.getEnum("train.exchange", ExchangeKind.class),
        r.getInt("train.exchangePort"),
        r.getBoolean("train.selectAdaptation.enabled"),
        r.getIntList("train.selectAdaptation.steps"),
        r.getDoubleList("train.selectAdaptation.lrScales"),
        r.getDoubleList("train.selectAdaptation.priorScales"),
        r.getDouble("train.selectAdaptation.minGainStdErrors"),
        r.getDoubleListOrAuto("train.selectAdaptation.foldInScales"),
        r.getInt("train.selectAdaptation.widenings"),
        r.getDouble("train.selectAdaptation.widenMinGainStdErrors"),
        r.getDoubleListOrAuto("train.selectAdaptation.neighbourWeights"),
        r.getDouble("train.selectAdaptation.neighbourMinGainStdErrors"),
        r.getInt("train.selectAdaptation.neighbours"),
        r.getInt("train.selectAdaptation.neighbourMaxUserItems"));
  }
}
