package io.metarec.meta;

import io.metarec.kernel.LocalModel;
import io.metarec.kernel.TaskIndex;
import io.metarec.model.ParamLayout;
import io.metarec.model.Segment;
import java.io.Serial;
import java.io.Serializable;

/**
 * Sum of many tasks' meta-gradient contributions (the shape of Spark MLlib's
 * {@code DifferentiableLossAggregator}): one dense float buffer for all dense segments, a
 * {@link SparseRows} per embedding table holding only rows some task touched, the number of tasks
 * and the summed query loss. {@link #mergeInPlace} is commutative and associative up to float
 * rounding: for a given partitioning and merge tree the result is bit-identical from run to run
 * (every stream and every sum order is fixed), but a different partitioning may change the last bits.
 * Serializable for {@code treeAggregate}; not thread-safe (one per thread / partition).
 */
public final class MetaGradientAccumulator implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final ParamLayout layout;
  private final int[] denseOffset;
  private final float[] dense;
  private final SparseRows[] tables;
  /**
   * The summed gradient w.r.t. the item factors' Gramian {@code G = sum_i q_i q_i^T} (userDim x
   * userDim, row-major), which the implicit-feedback user solve reads: every item's factor row gets
   * {@code (W + W^T) q_i} from it ({@link #spreadGramianGradientInPlace}).
   */
  private final float[] gram;
  private long taskCount;
  /** Summed task weights: the outer step's denominator (the task count when every weight is 1). */
  private double weightSum;
  private double lossSum;

  /** An empty accumulator for parameters of {@code layout}. */
  public MetaGradientAccumulator(ParamLayout layout) {
    this.layout = layout;
    this.denseOffset = new int[layout.numSegments()];
    this.tables = new SparseRows[layout.numSegments()];
    int off = 0;
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      if (s.table()) {
        denseOffset[s.id()] = -1;
        tables[s.id()] = new SparseRows(s.cols());
      } else {
        denseOffset[s.id()] = off;
        off += (int) s.size();
      }
    }
    this.dense = new float[off];
    this.gram = new float[layout.spec().userDim() * layout.spec().userDim()];
  }

  public ParamLayout layout() {
    return layout;
  }

  /**
   * Adds {@code weight} times one task's contribution and loss, in place: every dense segment of
   * {@code g} and the local rows of every table segment (scattered to their global rows via {@code
   * ti}); {@code weight} goes to {@link #weightSum()}, so the outer step is the weighted mean of the
   * tasks' contributions.
   *
   * @param loss the task's loss; {@code weight} times it goes to {@link #lossSum()}
   * @param weight the task's weight, {@code > 0} (e.g. its query positives, so that every
   *     interaction counts alike)
   */
  public void addTaskInPlace(LocalModel g, TaskIndex ti, double loss, float weight) {
    if (!(weight > 0f) || Float.isInfinite(weight)) {
      throw new IllegalArgumentException("task weight must be finite and > 0, got " + weight);
    }
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      float[][] src = g.segment(s.id());
      if (s.table()) {
        SparseRows t = tables[s.id()];
        int n = ti.localRows(s.id());
        int[] glob = ti.globalRows(s.id());
        for (int r = 0; r < n; r++) {
          t.addInPlace(glob[r], src[r], weight);
        }
      } else {
        int off = denseOffset[s.id()];
        int cols = s.cols();
        for (int r = 0; r < s.rows(); r++) {
          float[] row = src[r];
          for (int c = 0; c < cols; c++) {
            dense[off + c] += weight * row[c];
          }
          off += cols;
        }
      }
    }
    taskCount++;
    weightSum += weight;
    lossSum += weight * loss;
  }

  /**
   * Counts {@code tasks} more tasks with summed loss {@code lossSum}, in place, for an engine that
   * sums many tasks' contributions itself (on a device) and adds the sums straight into
   * {@link #denseSums()} and {@link #table(int)}; {@link #addTaskInPlace} does both at once.
   *
   * @throws IllegalArgumentException if {@code tasks < 0}
   */
  public void addTaskCountInPlace(long tasks, double lossSum) {
    if (tasks < 0) {
      throw new IllegalArgumentException("tasks must be >= 0, got " + tasks);
    }
    taskCount += tasks;
    weightSum += tasks;
    this.lossSum += lossSum;
  }

  /**
   * Adds {@code other} into this, in place, and returns this (usable as Spark's combOp).
   */
  public MetaGradientAccumulator mergeInPlace(MetaGradientAccumulator other) {
    if (other.layout.totalSize() != layout.totalSize() || other.dense.length != dense.length) {
      throw new IllegalArgumentException("cannot merge accumulators of different layouts (" + other.layout.totalSize()
          + " vs " + layout.totalSize() + " floats)");
    }
    for (int i = 0; i < dense.length; i++) {
      dense[i] += other.dense[i];
    }
    for (int s = 0; s < tables.length; s++) {
      if (tables[s] != null) {
        tables[s].mergeInPlace(other.tables[s]);
      }
    }
    for (int i = 0; i < gram.length; i++) {
      gram[i] += other.gram[i];
    }
    taskCount += other.taskCount;
    weightSum += other.weightSum;
    lossSum += other.lossSum;
    return this;
  }

  /**
   * Adds {@code -(v u^T)} to the Gramian gradient, in place: the part of one implicit-feedback
   * solve's backward pass that reaches every item ({@link WlsSolver}); its symmetric half is added
   * when it is spread. {@code weight} is the task's ({@link #addTaskInPlace(LocalModel, TaskIndex,
   * double, float)}).
   */
  public void addGramianGradientInPlace(double[] v, double[] u, float weight) {
    int d = v.length;
    for (int a = 0; a < d; a++) {
      for (int b = 0; b < d; b++) {
        gram[a * d + b] -= weight * (float) (v[a] * u[b]);
      }
    }
  }

  /**
   * Turns the summed Gramian gradient into item-factor gradients, in place: every item row {@code
   * i >= 1} of {@code theta}'s factor table gets {@code (W + W^T) q_i} added (a row no task touched
   * is added to the table's rows), then the Gramian gradient is zero. A no-op when no task solved
   * for its user this way. Call once, after all tasks are merged and before the outer step.
   */
  public void spreadGramianGradientInPlace(io.metarec.model.Params theta) {
    boolean any = false;
    for (float g : gram) {
      if (g != 0f) {
        any = true;
        break;
      }
    }
    if (!any) {
      return;
    }
    int d = layout.spec().userDim();
    int seg = layout.itemFactor;
    float[][] q = theta.segment(seg);
    SparseRows rows = tables[seg];
    float[] row = new float[d];
    for (int i = 1; i < q.length; i++) {
      float[] qi = q[i];
      for (int a = 0; a < d; a++) {
        double s = 0;
        for (int b = 0; b < d; b++) {
          s += (gram[a * d + b] + gram[b * d + a]) * qi[b];
        }
        row[a] = (float) s;
      }
      rows.addInPlace(i, row, 1f);
    }
    java.util.Arrays.fill(gram, 0f);
  }

  /** @return number of tasks added (directly or through merges) */
  public long taskCount() {
    return taskCount;
  }

  /** @return summed task weights (the task count when every task has weight 1) */
  public double weightSum() {
    return weightSum;
  }

  /** @return summed task losses, each times its weight */
  public double lossSum() {
    return lossSum;
  }

  /** @return weighted mean task loss, NaN when empty */
  public double meanLoss() {
    return taskCount == 0 ? Double.NaN : lossSum / weightSum;
  }

  /** @return the summed dense buffer (live) */
  public float[] denseSums() {
    return dense;
  }

  /** @return offset of dense segment {@code seg} in {@link #denseSums()}, -1 for tables */
  public int denseOffset(int seg) {
    return denseOffset[seg];
  }

  /** @return the summed rows of table segment {@code seg} (live), null for dense segments */
  public SparseRows table(int seg) {
    return tables[seg];
  }

  /**
   * @return whether the loss sum and every summed value (dense part and touched table rows) are
   *     finite; reads the buffers in place, where {@code toFlat()} would build a vector of the whole
   *     layout (embedding tables included) only to scan it
   */
  public boolean isFinite() {
    if (!Double.isFinite(lossSum)) {
      return false;
    }
    for (float v : dense) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    for (float v : gram) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    for (SparseRows t : tables) {
      for (int i = 0; t != null && i < t.size(); i++) {
        for (float v : t.row(i)) {
          if (!Float.isFinite(v)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** @return the summed contribution as a flat vector in layout order (untouched rows 0) */
  public float[] toFlat() {
    float[] flat = new float[layout.flatSize()];
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      int base = (int) s.offset();
      if (s.table()) {
        SparseRows t = tables[s.id()];
        for (int i = 0; i < t.size(); i++) {
          System.arraycopy(t.row(i), 0, flat, base + t.key(i) * s.cols(), s.cols());
        }
      } else {
        System.arraycopy(dense, denseOffset[s.id()], flat, base, (int) s.size());
      }
    }
    return flat;
  }
}
