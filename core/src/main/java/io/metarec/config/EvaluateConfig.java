package io.metarec.config;

import java.io.Serializable;
import java.util.List;
import java.util.Set;

/**
 * The cold-start evaluation ({@code evaluate.*}; see {@code conf/metarec.conf}).
 *
 * @param tasks build-tasks output whose held-out users are evaluated ({@code evaluate.tasks})
 * @param models model folders; the first is the meta-learned model ({@code evaluate.models})
 * @param report report folder ({@code evaluate.report})
 * @param name run name in the report; blank = the report folder's name ({@code evaluate.name})
 * @param split split of the task set to evaluate: test | validation ({@code evaluate.split})
 * @param protocol strict (support = first K, query = after the largest K) or task-split (each
 *     task's own support and query as build-tasks wrote them, reported as K = 0)
 * @param ks support sizes K, ascending, each {@code >= 0} ({@code evaluate.ks})
 * @param rankK cut-off of the ranking metrics, {@code >= 1} ({@code evaluate.rankK})
 * @param relevanceThreshold explicit labels {@code >=} this are relevant for precision/recall
 * @param negatives sampled unseen items per user (implicit feedback), {@code >= 1}
 * @param steps inner step counts of the steps curve, each {@code >= 0} ({@code evaluate.steps})
 * @param stepsK support size of the steps curve, one of {@code ks} ({@code evaluate.stepsK})
 * @param baselines baselines computed besides the models ({@code evaluate.baselines})
 * @param itemShrinkage pseudo-count of the shrunk item mean, {@code >= 0}
 * @param userShrinkage pseudo-count of the support-fitted user bias, {@code >= 0}
 * @param alsRank ALS factor count, {@code >= 1} ({@code evaluate.als.rank})
 * @param alsRegParam ALS regularization, {@code >= 0} ({@code evaluate.als.regParam})
 * @param alsIterations ALS iterations, {@code >= 1} ({@code evaluate.als.iterations})
 * @param alsAlpha ALS confidence scale for implicit feedback, {@code > 0} ({@code evaluate.als.alpha})
 * @param scratchSteps inner steps of the from-scratch baseline, {@code >= 1}
 * @param partitions partitions of the evaluated tasks; 0 = 3 x the default parallelism
 * @param ensemble with several meta-learned models, also score the mean of their predictions
 * @param recallK cut-off of the full-ranking recall of implicit feedback, {@code >= 1} ({@code
 *     evaluate.recallK})
 * @param knnNeighbours neighbours kept per item by the item-knn baseline, {@code >= 1} ({@code
 *     evaluate.itemKnn.neighbours})
 * @param knnMaxUserItems a training user's most recent items the item-knn similarities count,
 *     {@code >= 2} ({@code evaluate.itemKnn.maxUserItems}: bounds the pairs a heavy user adds)
 */
public record EvaluateConfig(
    String tasks,
    List<String> models,
    String report,
    String name,
    String split,
    String protocol,
    List<Integer> ks,
    int rankK,
    double relevanceThreshold,
    int negatives,
    List<Integer> steps,
    int stepsK,
    List<String> baselines,
    double itemShrinkage,
    double userShrinkage,
    int alsRank,
    double alsRegParam,
    int alsIterations,
    double alsAlpha,
    int scratchSteps,
    int partitions,
    boolean ensemble,
    int recallK,
    int knnNeighbours,
    int knnMaxUserItems) implements Serializable {

  /** Baseline names {@code evaluate.baselines} accepts. */
  public static final Set<String> BASELINES =
      Set.of("global", "item-mean", "bias", "als", "item-knn", "no-adapt", "scratch");

  public EvaluateConfig {
    models = List.copyOf(models);
    ks = List.copyOf(ks);
    steps = List.copyOf(steps);
    baselines = baselines.stream().map(b -> b.trim().toLowerCase(java.util.Locale.ROOT)).toList();
    Checks.oneOf("evaluate.split", split, List.of("test", "validation"));
    protocol = Checks.oneOf("evaluate.protocol", protocol, List.of("strict", "task-split"));
    if (ks.isEmpty()) {
      throw new ConfigValidationException("evaluate.ks must list at least one support size, got []");
    }
    for (int i = 0; i < ks.size(); i++) {
      Checks.intAtLeast("evaluate.ks[" + i + "]", ks.get(i), 0);
      // Cross-field rule: ascending without repeats, so the largest K is the last and every K is
      // scored on the same query rows (those after the largest K).
      if (i > 0 && ks.get(i) <= ks.get(i - 1)) {
        throw new ConfigValidationException("evaluate.ks must be strictly ascending, got " + ks);
      }
    }
    Checks.intAtLeast("evaluate.rankK", rankK, 1);
    Checks.intAtLeast("evaluate.negatives", negatives, 1);
    for (int i = 0; i < steps.size(); i++) {
      Checks.intAtLeast("evaluate.steps[" + i + "]", steps.get(i), 0);
    }
    // Cross-field rule: the steps curve is drawn at one of the evaluated support sizes.
    if (!steps.isEmpty() && !"task-split".equals(protocol) && !ks.contains(stepsK)) {
      throw new ConfigValidationException("evaluate.stepsK must be one of evaluate.ks " + ks
          + ", got " + stepsK);
    }
    for (String b : baselines) {
      Checks.oneOf("evaluate.baselines", b, BASELINES.stream().sorted().toList());
    }
    Checks.doubleIn("evaluate.itemShrinkage", itemShrinkage, 0, Double.MAX_VALUE);
    Checks.doubleIn("evaluate.userShrinkage", userShrinkage, 0, Double.MAX_VALUE);
    Checks.intAtLeast("evaluate.als.rank", alsRank, 1);
    Checks.doubleIn("evaluate.als.regParam", alsRegParam, 0, Double.MAX_VALUE);
    Checks.intAtLeast("evaluate.als.iterations", alsIterations, 1);
    Checks.doubleAbove("evaluate.als.alpha", alsAlpha, 0);
    Checks.intAtLeast("evaluate.scratch.steps", scratchSteps, 1);
    Checks.intAtLeast("evaluate.partitions", partitions, 0);
    Checks.intAtLeast("evaluate.recallK", recallK, 1);
    Checks.intAtLeast("evaluate.itemKnn.neighbours", knnNeighbours, 1);
    Checks.intAtLeast("evaluate.itemKnn.maxUserItems", knnMaxUserItems, 2);
  }

  /** @return the largest support size: the query of every user is the rows after it */
  public int maxK() {
    return ks.get(ks.size() - 1);
  }

  /** @return whether each task's own support/query split is evaluated (the MeLU protocol) */
  public boolean taskSplit() {
    return protocol.equals("task-split");
  }

  static EvaluateConfig from(ConfigReader r) {
    return new EvaluateConfig(
        r.getString("evaluate.tasks"),
        r.getStringList("evaluate.models"),
        r.getString("evaluate.report"),
        r.getString("evaluate.name"),
        r.getString("evaluate.split"),
        r.getString("evaluate.protocol"),
        r.getIntList("evaluate.ks"),
        r.getInt("evaluate.rankK"),
        r.getDouble("evaluate.relevanceThreshold"),
        r.getInt("evaluate.negatives"),
        r.getIntList("evaluate.steps"),
        r.getInt("evaluate.stepsK"),
        r.getStringList("evaluate.baselines"),
        r.getDouble("evaluate.itemShrinkage"),
        r.getDouble("evaluate.userShrinkage"),
        r.getInt("evaluate.als.rank"),
        r.getDouble("evaluate.als.regParam"),
        r.getInt("evaluate.als.iterations"),
        r.getDouble("evaluate.als.alpha"),
        r.getInt("evaluate.scratch.steps"),
        r.getInt("evaluate.partitions"),
        r.getBoolean("evaluate.ensemble"),
        r.getInt("evaluate.recallK"),
        r.getInt("evaluate.itemKnn.neighbours"),
        r.getInt("evaluate.itemKnn.maxUserItems"));
  }
}
