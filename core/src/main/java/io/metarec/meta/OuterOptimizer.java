package io.metarec.meta;
import io.metarec.config.MetaConfig;

import io.metarec.model.ParamLayout;
import io.metarec.model.Params;

/**
 * Applies one outer (meta) step from an accumulator of task meta-gradients. The step uses the
 * weighted mean contribution {@code sum / weightSum} (the mean when every task has weight 1). Life
 * cycle: create once per training run (state sized from the layout), call {@link #stepInPlace}
 * once per meta-iteration on the driver, export the state into checkpoints and import it when
 * resuming.
 */
public interface OuterOptimizer {
  /**
   * Updates {@code theta} in place from the mean of {@code acc}; embedding-table rows absent from
   * {@code acc} are not touched. An empty accumulator leaves {@code theta} unchanged.
   */
  void stepInPlace(Params theta, MetaGradientAccumulator acc);

  /**
   * Sets the step size of the following steps, in place (the training job decays it and halves it
   * after a divergence); the optimizer's other state is kept.
   *
   * @param lr the new step size, finite and {@code > 0}
   */
  void setLearningRateInPlace(float lr);

  /** Returns {@code lr} when it is a usable step size; throws naming it otherwise. */
  static float checkedLearningRate(float lr) {
    if (!(lr > 0f) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("outer step size must be finite and > 0, got " + lr);
    }
    return lr;
  }

  /** @return number of steps taken */
  long steps();

  /** @return the optimizer state as one flat array (for checkpoint files) */
  float[] exportState();

  /** Receives pieces of an exported state, in order. */
  interface StateSink {
    void write(float[] data, int off, int len) throws java.io.IOException;
  }

  /** @return the length of {@link #exportState()} */
  default long stateLength() {
    return exportState().length;
  }

  /**
   * Passes the floats of {@link #exportState()} to {@code sink}, in order, without building one
   * array where the state is large (Adam's moments: twice θ).
   */
  default void exportStateTo(StateSink sink) throws java.io.IOException {
    float[] s = exportState();
    sink.write(s, 0, s.length);
  }

  /** Replaces the state with one from {@link #exportState()} of an optimizer of the same kind and layout. */
  void importStateInPlace(float[] state);

  /** Creates the optimizer {@code meta} names for parameters of {@code layout}. */
  static OuterOptimizer create(MetaConfig meta, ParamLayout layout) {
    return switch (meta.outerOptimizer()) {
      case SGD -> new SgdOuterOptimizer(meta.outerLr(), meta.tableL2(), meta.priorLrRatio());
      case ADAM -> new AdamOuterOptimizer(layout, meta.outerLr(), meta.adamBeta1(), meta.adamBeta2(),
          meta.adamEpsilon(), meta.tableL2(), meta.priorLrRatio());
    };
  }
}
