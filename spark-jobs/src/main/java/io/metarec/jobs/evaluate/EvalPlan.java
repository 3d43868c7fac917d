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
 */
record EvalPlan(List<Integer> ks, int rankK, double relevanceThreshold, int negatives,
    List<Integer> steps, int stepsK, int stepsMethod, long seed, boolean explicit,
    double labelMin, double labelMax, List<EvalMethod> methods, List<ModelSpec> specs)
    implements Serializable {

  /** @return the metric names in accumulator order */
  List<String> metricNames() {
    return explicit ? UserScorer.explicitMetrics(rankK) : UserScorer.implicitMetrics(rankK);
  }
}
