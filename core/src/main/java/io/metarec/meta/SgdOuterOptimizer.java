package io.metarec.meta;
import io.metarec.config.Algorithm;

import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;

/**
 * Outer SGD: {@code theta -= lr * mean contribution}. With {@link Algorithm#REPTILE} contributions
 * ({@code theta - phi}) this is Reptile's {@code theta += eps * mean(phi - theta)} (Nichol et al.
 * 2018). Its only state is the step count.
 */
public final class SgdOuterOptimizer extends StepCountingOptimizer {
  private final float tableL2;
  private final float priorLrRatio;

  public SgdOuterOptimizer(float lr) {
    this(lr, 0f);
  }

  public SgdOuterOptimizer(float lr, float tableL2) {
    this(lr, tableL2, 1f);
  }

  /**
   * Plain SGD whose table rows also decay by {@code lr * tableL2 * row} (L2 on touched rows) and
   * whose learned inner-loop hyperparameters (log prior strength) step {@code priorLrRatio} times
   * as far.
   */
  public SgdOuterOptimizer(float lr, float tableL2, float priorLrRatio) {
    super(lr);
    this.priorLrRatio = priorLrRatio;
    this.tableL2 = tableL2;
  }

  @Override
  public void stepInPlace(Params theta, MetaGradientAccumulator acc) {
    if (acc.taskCount() == 0) {
      return;
    }
    float scale = (float) (lr / acc.weightSum());
    ParamLayout layout = theta.layout();
    float[] dense = acc.denseSums();
    for (Segment s : layout.segments()) {
      float[][] t = theta.segment(s.id());
      if (s.table()) {
        SparseRows rows = acc.table(s.id());
        for (int i = 0; i < rows.size(); i++) {
          float[] dst = t[rows.key(i)];
          float[] g = rows.row(i);
          for (int c = 0; c < dst.length; c++) {
            dst[c] -= scale * g[c] + lr * tableL2 * dst[c];
          }
        }
      } else {
        int off = acc.denseOffset(s.id());
        float segScale = s.id() == layout.logLambda || s.id() == layout.logFoldIn
            ? scale * priorLrRatio : scale;
        for (float[] dst : t) {
          for (int c = 0; c < dst.length; c++) {
            dst[c] -= segScale * dense[off + c];
          }
          off += dst.length;
        }
      }
    }
    steps++;
    theta.markChangedInPlace();
  }

  @Override
  public float[] exportState() {
    float[] out = new float[2];
    stepWords(steps, out);
    return out;
  }

  @Override
  public void importStateInPlace(float[] state) {
    if (state.length != 2) {
      throw new IllegalArgumentException("SGD optimizer state must have 2 floats, got " + state.length);
    }
    steps = stepsOf(state);
  }
}
