package io.metarec.jobs.pretrain;

import io.metarec.model.ModelSpec;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rows of tasks as the inputs of {@link Dl4jModel}'s graph, with the kernel's conventions: an empty
 * feature list is the unknown value 0; a field's values (duplicates included) are mean-pooled, so
 * its input holds each value's count divided by the number of values; the implicit term's set S
 * is the task's support rows (duplicates included), so the support input holds each item's
 * count times {@code |S|^-1/2} (all zero for an empty support), the same for every row of the task.
 *
 * <p>Pretraining fits every row of a task, support and query, with S = its support: the user
 * vector the model learns to build is the one meta-training and evaluation build from a support
 * set, while no interaction of the training users is left out of the fit.
 */
public final class Examples {
  private static final int[] UNKNOWN = {0};

  private final ModelSpec spec;
  private final ItemFeatureTable items;
  private final int[] widths;

  /** Examples of {@code spec}'s graph with the item features of {@code items}. */
  public Examples(ModelSpec spec, ItemFeatureTable items) {
    if (items.numFields() != spec.itemFields().size() || items.numItems() != spec.numItems()) {
      throw new IllegalArgumentException("item feature table has " + items.numFields()
          + " fields and " + items.numItems() + " items, the model expects "
          + spec.itemFields().size() + " and " + spec.numItems());
    }
    this.spec = spec;
    this.items = items;
    int fi = spec.itemFields().size();
    int fu = spec.userFields().size();
    widths = new int[2 + fi + fu];
    widths[0] = 1;
    for (int f = 0; f < fi; f++) {
      widths[1 + f] = spec.itemFields().get(f).vocabSize();
    }
    for (int g = 0; g < fu; g++) {
      widths[1 + fi + g] = spec.userFields().get(g).vocabSize();
    }
    widths[1 + fi + fu] = Dl4jModel.supportWidth(spec);
  }

  /** A row of a task: the task and the row index in it. */
  public record Row(Task task, int row) {}

  /** The input arrays (one per graph input) and the labels of {@code rows}. */
  public MultiDataSet of(List<Row> rows) {
    int n = rows.size();
    float[][] in = new float[widths.length][];
    for (int k = 0; k < widths.length; k++) {
      in[k] = new float[n * widths[k]];
    }
    float[] labels = new float[n];
    int fi = spec.itemFields().size();
    int fu = spec.userFields().size();
    int sup = 1 + fi + fu;
    Task prev = null;
    int prevRow = -1;
    for (int r = 0; r < n; r++) {
      Row row = rows.get(r);
      Task t = row.task();
      int item = t.items()[row.row()];
      if (item < 0 || item >= spec.numItems()) {
        throw new IllegalArgumentException("task " + t.taskId() + ": item index must be in [0, "
            + spec.numItems() + "), got " + item);
      }
      // An implicit positive's label may be its count's weight (input.columns.weight); the
      // pretrain baseline trains on its target, 1, unweighted.
      float label = t.labels()[row.row()];
      labels[r] = spec.feedback() == io.metarec.model.Feedback.IMPLICIT
          ? io.metarec.kernel.Losses.targetOf(label) : label;
      in[0][r] = item;
      for (int f = 0; f < fi; f++) {
        int s = items.start(f, item);
        int e = items.end(f, item);
        if (s == e) {
          poolInto(UNKNOWN, 0, 1, in[1 + f], r * widths[1 + f], widths[1 + f], "item field "
              + spec.itemFields().get(f).name());
        } else {
          poolInto(items.indices(f), s, e, in[1 + f], r * widths[1 + f], widths[1 + f],
              "item field " + spec.itemFields().get(f).name());
        }
      }
      if (t == prev) {
        // Same user: copy the per-task inputs of the previous row.
        for (int k = 1 + fi; k <= sup; k++) {
          System.arraycopy(in[k], prevRow * widths[k], in[k], r * widths[k], widths[k]);
        }
      } else {
        for (int g = 0; g < fu; g++) {
          int[] vals = t.userFeatures()[g].length == 0 ? UNKNOWN : t.userFeatures()[g];
          poolInto(vals, 0, vals.length, in[1 + fi + g], r * widths[1 + fi + g],
              widths[1 + fi + g], "user field " + spec.userFields().get(g).name());
        }
        if (spec.implicitTerm() && t.supportSize() > 0) {
          float scale = (float) (1.0 / Math.sqrt(t.supportSize()));
          int off = r * widths[sup];
          for (int k = 0; k < t.supportSize(); k++) {
            in[sup][off + t.items()[k]] += scale;
          }
        }
      }
      prev = t;
      prevRow = r;
    }
    INDArray[] features = new INDArray[widths.length];
    for (int k = 0; k < widths.length; k++) {
      features[k] = Nd4j.create(in[k], new long[] {n, widths[k]}, 'c');
    }
    INDArray y = Nd4j.create(labels, new long[] {n, 1}, 'c');
    return new MultiDataSet(features, new INDArray[] {y});
  }

  /** Adds {@code 1/(e-s)} at each value of {@code vals[s, e)} into {@code out[off, off+width)}. */
  private static void poolInto(int[] vals, int s, int e, float[] out, int off, int width,
      String what) {
    float inv = 1f / (e - s);
    for (int k = s; k < e; k++) {
      int v = vals[k];
      if (v < 0 || v >= width) {
        throw new IllegalArgumentException(what + ": value must be in [0, " + width + "), got " + v);
      }
      out[off + v] += inv;
    }
  }
}
