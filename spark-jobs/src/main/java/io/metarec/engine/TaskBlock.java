package io.metarec.engine;

import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import java.util.Arrays;
import java.util.List;

/**
 * The host side of one block of T tasks for {@link Nd4jBatchedEngine}: everything the inner loop
 * reads but never adapts, gathered once from θ into padded row-major arrays, plus the lists that
 * route the eval rows' gradients back to embedding-table rows.
 *
 * <p>Rows: support rows {@code [0, s)} of task t sit at {@code t * S + r}, eval rows (the query, or
 * every row for multi-task training) at {@code t * Q + r}, S and Q being the block's largest counts;
 * padding rows are zero with weight 0. Per row: the embedding part of the MLP input ({@code E =
 * embeddingBlocks * embeddingDim} floats: item embedding, mean-pooled item fields, mean-pooled user
 * fields), the constant {@code mu + b_i}, the item factor {@code q_i}, the label and the loss weight
 * {@code 1 / rows} (0 on padding), so a weighted sum over rows is each task's mean. Per task: the
 * implicit term {@code |S|^-1/2 sum_{j in S} y_j} and the support size. Built on the calling
 * thread (executor threads build blocks in parallel while the device runs another).
 */
final class TaskBlock {
  final int tasks;
  final int support;
  final int eval;
  final float[] xeS;
  final float[] cS;
  final float[] qS;
  final float[] yS;
  final float[] wS;
  final float[] xeQ;
  final float[] cQ;
  final float[] qQ;
  final float[] yQ;
  final float[] wQ;
  final float[] imp;
  final float[] supportCount;
  /** Per eval row: partition-local item id (0 on padding, whose gradients are 0). */
  final int[] evalItem;
  /** Per item field: eval row, partition-local value id and weight 1/count of each (row, value) pair. */
  final int[][] fieldRow;
  final int[][] fieldId;
  final float[][] fieldW;
  /** Per user field: task, partition-local value id and weight 1/count of each value of the task's user. */
  final int[][] userTask;
  final int[][] userId;
  final float[][] userW;
  /** Implicit rows: task, partition-local item id and weight |S|^-1/2 of each support row. */
  final int[] impTask;
  final int[] impId;
  final float[] impW;

  private final ModelSpec spec;
  private final ParamLayout layout;
  private final Params theta;
  private final PartitionRows rows;
  private final int e;
  private final int ud;
  private final int width;
  private final float[][] pools;

  /**
   * The training target of a label: the label itself (explicit), or for implicit feedback 1 for a
   * positive (label {@code > 0}: its weight) and 0 for a negative, as {@code Losses} reads it.
   */
  private float target(float label) {
    return spec.feedback() == io.metarec.model.Feedback.IMPLICIT
        ? io.metarec.kernel.Losses.targetOf(label) : label;
  }

  /** The loss weight of a label's row: 1 (explicit, negatives), an implicit positive's label. */
  private float weight(float label) {
    return spec.feedback() == io.metarec.model.Feedback.IMPLICIT
        ? io.metarec.kernel.Losses.weightOf(label) : 1f;
  }

  /**
   * Gathers {@code block} (tasks already registered in {@code rows}).
   *
   * @param evalAll whether the eval rows are all rows (multi-task) rather than the query rows
   */
  TaskBlock(List<Task> block, Params theta, PartitionRows rows, boolean evalAll) {
    this.layout = theta.layout();
    this.spec = layout.spec();
    this.theta = theta;
    this.rows = rows;
    this.e = spec.embeddingDim();
    this.ud = spec.userDim();
    this.width = spec.embeddingBlocks() * e;
    this.pools = new float[spec.userFields().size()][e];
    tasks = block.size();
    int s = 0;
    int q = 0;
    for (Task t : block) {
      s = Math.max(s, t.supportSize());
      q = Math.max(q, evalAll ? t.size() : t.querySize());
    }
    support = s;
    eval = q;
    xeS = new float[tasks * support * width];
    cS = new float[tasks * support];
    qS = new float[tasks * support * ud];
    yS = new float[tasks * support];
    wS = new float[tasks * support];
    xeQ = new float[tasks * eval * width];
    cQ = new float[tasks * eval];
    qQ = new float[tasks * eval * ud];
    yQ = new float[tasks * eval];
    wQ = new float[tasks * eval];
    imp = new float[tasks * ud];
    supportCount = new float[tasks];
    evalItem = new int[tasks * eval];
    int nf = spec.itemFields().size();
    int nu = spec.userFields().size();
    IntList[] fr = new IntList[nf];
    IntList[] fi = new IntList[nf];
    FloatList[] fw = new FloatList[nf];
    for (int f = 0; f < nf; f++) {
      fr[f] = new IntList(tasks * eval);
      fi[f] = new IntList(tasks * eval);
      fw[f] = new FloatList(tasks * eval);
    }
    IntList[] ut = new IntList[nu];
    IntList[] ui = new IntList[nu];
    FloatList[] uw = new FloatList[nu];
    for (int g = 0; g < nu; g++) {
      ut[g] = new IntList(tasks);
      ui[g] = new IntList(tasks);
      uw[g] = new FloatList(tasks);
    }
    IntList it = new IntList(tasks * support);
    IntList ii = new IntList(tasks * support);
    FloatList iw = new FloatList(tasks * support);

    float mu = theta.segment(layout.mu)[0][0];
    float[][] ib = theta.segment(layout.itemBias);
    float[][] qf = theta.segment(layout.itemFactor);
    for (int t = 0; t < tasks; t++) {
      Task task = block.get(t);
      int ns = task.supportSize();
      int from = evalAll ? 0 : ns;
      int[] items = task.items();
      float[] labels = task.labels();
      supportCount[t] = ns;
      for (int g = 0; g < nu; g++) {
        poolUser(task, g, t, ut[g], ui[g], uw[g]);
      }
      if (layout.implicitItem >= 0 && ns > 0) {
        float scale = (float) (1.0 / Math.sqrt(ns));
        float[][] y = theta.segment(layout.implicitItem);
        int o = t * ud;
        for (int r = 0; r < ns; r++) {
          float[] yr = y[items[r]];
          for (int c = 0; c < ud; c++) {
            imp[o + c] += scale * yr[c];
          }
          it.add(t);
          ii.add(rows.items.idOf(items[r]));
          iw.add(scale);
        }
      }
      float ws = ns == 0 ? 0f : 1f / ns;
      for (int r = 0; r < ns; r++) {
        int row = t * support + r;
        writeInput(items[r], xeS, row * width);
        System.arraycopy(qf[items[r]], 0, qS, row * ud, ud);
        cS[row] = mu + ib[items[r]][0];
        yS[row] = target(labels[r]);
        wS[row] = ws * weight(labels[r]);
      }
      int nq = items.length - from;
      float wq = 1f / nq;
      for (int k = 0; k < nq; k++) {
        int item = items[from + k];
        int row = t * eval + k;
        writeInput(item, xeQ, row * width);
        System.arraycopy(qf[item], 0, qQ, row * ud, ud);
        cQ[row] = mu + ib[item][0];
        yQ[row] = target(labels[from + k]);
        wQ[row] = wq * weight(labels[from + k]);
        evalItem[row] = rows.items.idOf(item);
        for (int f = 0; f < nf; f++) {
          int[] vals = rows.itemValues(f, item);
          int a = rows.itemStart(f, item);
          int b = rows.itemEnd(f, item);
          float inv = 1f / (b - a);
          for (int j = a; j < b; j++) {
            fr[f].add(row);
            fi[f].add(rows.itemFields[f].idOf(vals[j]));
            fw[f].add(inv);
          }
        }
      }
    }
    fieldRow = new int[nf][];
    fieldId = new int[nf][];
    fieldW = new float[nf][];
    for (int f = 0; f < nf; f++) {
      fieldRow[f] = fr[f].toArray();
      fieldId[f] = fi[f].toArray();
      fieldW[f] = fw[f].toArray();
    }
    userTask = new int[nu][];
    userId = new int[nu][];
    userW = new float[nu][];
    for (int g = 0; g < nu; g++) {
      userTask[g] = ut[g].toArray();
      userId[g] = ui[g].toArray();
      userW[g] = uw[g].toArray();
    }
    impTask = it.toArray();
    impId = ii.toArray();
    impW = iw.toArray();
  }

  /** Mean-pools task {@code t}'s user field {@code g} into {@code pools[g]} and lists its gradient routes. */
  private void poolUser(Task task, int g, int t, IntList ut, IntList ui, FloatList uw) {
    float[] pool = pools[g];
    Arrays.fill(pool, 0f);
    int[] vals = PartitionRows.userValues(task, g);
    float[][] table = theta.segment(layout.userField(g));
    float inv = 1f / vals.length;
    for (int v : vals) {
      float[] row = table[v];
      for (int c = 0; c < e; c++) {
        pool[c] += row[c];
      }
      ut.add(t);
      ui.add(rows.userFields[g].idOf(v));
      uw.add(inv);
    }
    for (int c = 0; c < e; c++) {
      pool[c] *= inv;
    }
  }

  /** Writes the embedding part of the MLP input of {@code item} (user pools from {@link #pools}) at {@code off}. */
  private void writeInput(int item, float[] x, int off) {
    System.arraycopy(theta.segment(layout.itemEmb)[item], 0, x, off, e);
    for (int f = 0; f < spec.itemFields().size(); f++) {
      float[][] table = theta.segment(layout.itemField(f));
      int o = off + (1 + f) * e;
      int[] vals = rows.itemValues(f, item);
      int a = rows.itemStart(f, item);
      int b = rows.itemEnd(f, item);
      if (b - a == 1) {
        System.arraycopy(table[vals[a]], 0, x, o, e);
      } else {
        float inv = 1f / (b - a);
        for (int j = a; j < b; j++) {
          float[] row = table[vals[j]];
          for (int c = 0; c < e; c++) {
            x[o + c] += inv * row[c];
          }
        }
      }
    }
    int base = off + (1 + spec.itemFields().size()) * e;
    for (int g = 0; g < pools.length; g++) {
      System.arraycopy(pools[g], 0, x, base + g * e, e);
    }
  }

  /** A growable int array. */
  private static final class IntList {
    private int[] a;
    private int n;

    IntList(int cap) {
      a = new int[Math.max(4, cap)];
    }

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  /** A growable float array. */
  private static final class FloatList {
    private float[] a;
    private int n;

    FloatList(int cap) {
      a = new float[Math.max(4, cap)];
    }

    void add(float v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    float[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }
}
