package io.metarec.jobs.evaluate;

import io.metarec.model.ModelSpec;
import java.io.Serializable;
import java.util.List;

/**
 * What the executors need to score users, shipped once per evaluation.
 *
 * @param ks support sizes, ascending
 * @param rankK cut-off of the ranking metrics
 * @param relevanceThreshold explicit labels at or above it are relevant
 * @param negatives sampled negatives per user (implicit feedback)
 * @param steps inner step counts of the steps curve (empty = none)
 * @param stepsK support size of the steps curve
 * @param stepsMethod index of the method whose steps curve is drawn
 * @param seed seed of the negative sampling
 * @param explicit explicit (ratings) or implicit feedback
 * @param labelMin smallest label (explicit predictions are clipped to the label range)
 * @param labelMax largest label
 * @param methods the scored methods, in report order
 * @param specs the model specs, by model index
 * @param taskSplit evaluate each task's own split (ks = [0]) instead of the strict protocol
 * @param recallK cut-off of the full-ranking recall (implicit feedback)
 * @param headline index of the method the report's headline compares with the baselines (the
 *     first meta-learned model), or -1 for none
 * @param headlineBaselines indices of the methods it is compared with (every baseline, the
 *     pretrained models included; not the other meta-learned models or their ensemble)
 */
record EvalPlan(List<Integer> ks, int rankK, double relevanceThreshold, int negatives,
    List<Integer> steps, int stepsK, int stepsMethod, long seed, boolean explicit,
    double labelMin, double labelMax, List<EvalMethod> methods, List<ModelSpec> specs,
    boolean taskSplit, int recallK, int headline, List<Integer> headlineBaselines)
    implements Serializable {

  /** A plan without a headline. */
  EvalPlan(List<Integer> ks, int rankK, double relevanceThreshold, int negatives,
      List<Integer> steps, int stepsK, int stepsMethod, long seed, boolean explicit,
      double labelMin, double labelMax, List<EvalMethod> methods, List<ModelSpec> specs,
      boolean taskSplit, int recallK) {
    this(ks, rankK, relevanceThreshold, negatives, steps, stepsK, stepsMethod, seed, explicit,
        labelMin, labelMax, methods, specs, taskSplit, recallK, -1, List.of());
  }

  /** @return the support size of a task at the K entry {@code k} */
  int support(io.metarec.task.Task t, int k) {
    return taskSplit ? t.supportSize() : k;
  }

  /** @return the first query row of a task: after its own support, or after the largest K */
  int queryStart(io.metarec.task.Task t) {
    return taskSplit ? t.supportSize() : ks.get(ks.size() - 1);
  }

  /** @return the metric names in accumulator order */
  List<String> metricNames() {
    return explicit ? UserScorer.explicitMetrics(rankK)
        : UserScorer.implicitMetrics(rankK, recallK);
  }
}
