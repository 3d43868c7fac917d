package io.metarec.meta;

import io.metarec.kernel.DenseKernels;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;

/**
 * Outer Adam (Kingma and Ba 2015) on the mean task meta-gradient. Dense segments get the standard
 * update; embedding-table rows are updated lazily: only rows present in the accumulator, with their
 * moments decayed only when touched and bias correction from the global step count (as in
 * TensorFlow's LazyAdam), so one step costs O(touched rows), not O(table size).
 *
 * <p>State: the moments m and v (same layout as the parameters) and the step count; exported as
 * {@code [steps low bits, steps high bits, m (flat layout), v (flat layout)]}.
 */
public final class AdamOuterOptimizer extends StepCountingOptimizer {
  /** Touched table floats from which one step's rows are split between threads. */
  private static final long PARALLEL_FLOATS = 1 << 16;
  private final ParamLayout layout;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final Params m;
  private final Params v;
  private final float tableL2;
  private final float priorLrRatio;

  public AdamOuterOptimizer(ParamLayout layout, float lr, float beta1, float beta2, float eps) {
    this(layout, lr, beta1, beta2, eps, 0f);
  }

  public AdamOuterOptimizer(ParamLayout layout, float lr, float beta1, float beta2, float eps, float tableL2) {
    this(layout, lr, beta1, beta2, eps, tableL2, 1f);
  }

  /**
   * An Adam optimizer whose table rows get {@code tableL2 * row} added to their mean meta-gradient
   * (L2 regularization of the touched rows, inside the moments as in Adam with weight decay) and
   * whose learned inner-loop hyperparameters (the ridge solve's log prior strength) take steps
   * {@code priorLrRatio} times the others': a scalar that sets how far every user moves needs to
   * travel orders of magnitude in a few hundred steps, where a weight must not.
   */
  public AdamOuterOptimizer(ParamLayout layout, float lr, float beta1, float beta2, float eps, float tableL2,
      float priorLrRatio) {
    super(lr);
    this.priorLrRatio = priorLrRatio;
    this.layout = layout;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.tableL2 = tableL2;
    this.m = new Params(layout);
    this.v = new Params(layout);
  }

  @Override
  public void stepInPlace(Params theta, MetaGradientAccumulator acc) {
    if (acc.taskCount() == 0) {
      return;
    }
    steps++;
    float inv = (float) (1.0 / acc.weightSum());
    double bc1 = 1 - Math.pow(beta1, steps);
    double bc2 = 1 - Math.pow(beta2, steps);
    float stepSize = (float) (lr * Math.sqrt(bc2) / bc1);
    float epsHat = (float) (eps * Math.sqrt(bc2));
    float[] dense = acc.denseSums();
    for (Segment s : layout.segments()) {
      float[][] t = theta.segment(s.id());
      float[][] ms = m.segment(s.id());
      float[][] vs = v.segment(s.id());
      if (s.table()) {
        SparseRows rows = acc.table(s.id());
        int[] order = rows.ascendingKeys();
        int n = order.length;
        // Rows are independent: a large table's touched rows are split between the common pool's
        // threads (memory-bound on a big catalog; the executors are idle during the step).
        int parts = (long) n * s.cols() < PARALLEL_FLOATS ? 1
            : Math.min(n, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
        float l2 = tableL2;
        java.util.stream.IntStream.range(0, parts).parallel().forEach(q -> {
          for (int j = (int) ((long) q * n / parts); j < (long) (q + 1) * n / parts; j++) {
            int i = order[j];
            int k = rows.key(i);
            updateRow(t[k], ms[k], vs[k], rows.row(i), 0, inv, stepSize, epsHat, l2);
          }
        });
      } else {
        int off = acc.denseOffset(s.id());
        float segStep = s.id() == layout.logLambda || s.id() == layout.logFoldIn
            ? stepSize * priorLrRatio : stepSize;
        for (int r = 0; r < t.length; r++) {
          updateRow(t[r], ms[r], vs[r], dense, off, inv, segStep, epsHat, 0f);
          off += t[r].length;
        }
      }
    }
    theta.markChangedInPlace();
  }

  private void updateRow(float[] p, float[] mr, float[] vr, float[] g, int off, float inv, float stepSize, float epsHat,
      float l2) {
    DenseKernels.adamRowInPlace(p, mr, vr, g, off, inv, l2, beta1, beta2, stepSize, epsHat);
  }

  @Override
  public float[] exportState() {
    int n = layout.flatSize();
    float[] out = new float[2 + 2 * n];
    stepWords(steps, out);
    float[] mf = m.flatten();
    float[] vf = v.flatten();
    System.arraycopy(mf, 0, out, 2, n);
    System.arraycopy(vf, 0, out, 2 + n, n);
    return out;
  }

  @Override
  public long stateLength() {
    return 2 + 2 * layout.totalSize();
  }

  @Override
  public void exportStateTo(StateSink sink) throws java.io.IOException {
    float[] words = new float[2];
    stepWords(steps, words);
    sink.write(words, 0, 2);
    for (Params moments : new Params[] {m, v}) {
      for (int seg = 0; seg < layout.numSegments(); seg++) {
        for (float[] row : moments.segment(seg)) {
          sink.write(row, 0, row.length);
        }
      }
    }
  }

  @Override
  public void importStateInPlace(float[] state) {
    int n = layout.flatSize();
    if (state.length != 2 + 2 * n) {
      throw new IllegalArgumentException("Adam state must have 2 + 2 * " + n + " floats, got " + state.length);
    }
    steps = stepsOf(state);
    float[] mf = new float[n];
    float[] vf = new float[n];
    System.arraycopy(state, 2, mf, 0, n);
    System.arraycopy(state, 2 + n, vf, 0, n);
    m.unflattenInPlace(mf);
    v.unflattenInPlace(vf);
  }
}
