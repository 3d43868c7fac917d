package io.metarec.jobs.evaluate;

import io.metarec.config.AdaptationPlan;
import io.metarec.config.InnerLoopConfig;
import java.io.Serializable;

/**
 * One scored method of an evaluation: a baseline or a model adapted with an inner-loop setting.
 *
 * @param name name in the report and in metrics.json ("meta", "bias", ...)
 * @param description one line for the report
 * @param kind how the method predicts
 * @param model index of the model (parameters and spec) for {@link Kind#MODEL}, else -1
 * @param inner inner-loop settings of a model method (null for the closed-form baselines)
 * @param members for {@link Kind#ENSEMBLE}, the indices of the methods whose predictions are
 *     averaged (all listed before it); empty otherwise
 * @param plan for a model adapted per support size (its model.json's choice), the settings by
 *     support size ({@link #innerAt}); null = {@code inner} at every size
 */
record EvalMethod(String name, String description, Kind kind, int model, InnerLoopConfig inner,
    java.util.List<Integer> members, AdaptationPlan plan) implements Serializable {

  /** A method without members (everything but an ensemble). */
  EvalMethod(String name, String description, Kind kind, int model, InnerLoopConfig inner) {
    this(name, description, kind, model, inner, java.util.List.of(), null);
  }

  /** A method with members, one setting at every support size. */
  EvalMethod(String name, String description, Kind kind, int model, InnerLoopConfig inner,
      java.util.List<Integer> members) {
    this(name, description, kind, model, inner, members, null);
  }

  /** The inner-loop settings for a support of {@code k} interactions. */
  InnerLoopConfig innerAt(int k) {
    return plan != null ? plan.forSupport(k) : inner;
  }

  /** How a method predicts. */
  enum Kind {
    /** The training mean (explicit), a constant score (implicit). */
    GLOBAL,
    /** The shrunk item mean (explicit), the item's training count (implicit). */
    ITEM_MEAN,
    /** mu + b_i + b_u with b_u fitted on the support. */
    BIAS,
    /** Spark MLlib ALS with the user's support folded into its training data. */
    ALS,
    /** Cosine item-item neighbourhoods of the training users, summed over the support. */
    ITEM_KNN,
    /** A model's parameters adapted on the support by the engine. */
    MODEL,
    /** The mean of the predictions of several model methods (each adapted on its own). */
    ENSEMBLE
  }

  /** @return whether the method runs the adaptation engine */
  boolean adapts() {
    return kind == Kind.MODEL;
  }
}
