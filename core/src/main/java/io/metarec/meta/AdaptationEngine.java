package io.metarec.meta;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;

import io.metarec.model.Params;
import io.metarec.task.Task;
import java.util.Iterator;

/**
 * What a Spark executor (or a future GPU engine) runs per partition: the pure inner loop
 * {@code (task, theta, settings, (seed, iteration, taskId)) -> contribution}, summed into an
 * accumulator, plus adaptation and scoring for evaluation and serving. An instance is confined to one
 * thread (it owns scratch); {@code theta} is shared read-only and never written.
 */
public interface AdaptationEngine {
  /**
   * Adds the meta-gradient contribution of every task to {@code out}: re-splits each task if
   * {@code settings.meta().resplit()}, adapts from {@code theta} (inner loop) and adds the task's
   * contribution for {@code settings.meta().algorithm()}. Tasks without query rows (or, for multitask,
   * without rows) are skipped. Deterministic: the result depends only on the arguments and task order.
   */
  void accumulate(Iterator<Task> tasks, Params theta, TrainSettings settings, long iteration,
      MetaGradientAccumulator out);

  /**
   * Adapts on the task's support rows (any size, 0 = the meta-initialization) with {@code inner} and
   * returns the scores of its query rows, in order (ratings for explicit feedback, logits for implicit).
   */
  float[] adaptAndPredict(Params theta, InnerLoopConfig inner, Task task);

  /**
   * Adapts on a new user's known interactions ({@code items, labels}, possibly empty) and features and
   * scores every candidate item (ratings or logits; implicit feedback's logits plus the neighbourhood
   * term when {@code inner.neighbourWeight} is not 0).
   */
  float[] adaptAndScore(Params theta, InnerLoopConfig inner, int[] items, float[] labels, int[][] userFeatures,
      int[] candidates);

  /** Adapts on the support and returns the mean query loss (squared error or BCE), NaN without query rows. */
  double adaptAndEvaluateLoss(Params theta, InnerLoopConfig inner, Task task);
}
