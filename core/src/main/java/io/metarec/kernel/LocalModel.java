package io.metarec.kernel;

import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import java.util.Arrays;

/**
 * Task-local copy of the parameters (or of their gradients): dense segments at full shape, table
 * segments holding only the rows of one {@link TaskIndex} (local row ids). Lets the inner loop
 * adapt any group, embedding rows included, without writing the shared global parameters. Table
 * capacity grows on demand. Owned by one thread.
 */
public final class LocalModel {
  private final ParamLayout layout;
  private final float[][][] seg;

  public LocalModel(ParamLayout layout) {
    this.layout = layout;
    this.seg = new float[layout.numSegments()][][];
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      seg[s.id()] = new float[s.table() ? Math.min(s.rows(), 32) : s.rows()][s.cols()];
    }
  }

  public ParamLayout layout() {
    return layout;
  }

  /** @return the row arrays of segment {@code id} (live; table rows are local ids) */
  public float[][] segment(int id) {
    return seg[id];
  }

  /** Grows table segments to hold the local rows of {@code ti}. */
  public void ensureCapacityInPlace(TaskIndex ti) {
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      if (s.table()) {
        int need = ti.segCount[s.id()];
        float[][] t = seg[s.id()];
        if (t.length < need) {
          int cap = Math.min(s.rows(), Math.max(need, t.length * 2));
          float[][] g = Arrays.copyOf(t, cap);
          for (int r = t.length; r < cap; r++) {
            g[r] = new float[s.cols()];
          }
          seg[s.id()] = g;
        }
      }
    }
  }

  /** Overwrites this with {@code theta}'s dense segments and the rows of {@code ti} of its tables. */
  public void loadInPlace(Params theta, TaskIndex ti) {
    ensureCapacityInPlace(ti);
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      float[][] src = theta.segment(s.id());
      float[][] dst = seg[s.id()];
      int n = ti.segCount[s.id()];
      int[] glob = ti.segGlobal[s.id()];
      int cols = s.cols();
      for (int r = 0; r < n; r++) {
        System.arraycopy(src[glob == null ? r : glob[r]], 0, dst[r], 0, cols);
      }
    }
  }

  /** Overwrites the segments of {@code group} (all segments if null) with {@code other}'s, rows of {@code ti}. */
  public void copyFromInPlace(LocalModel other, TaskIndex ti, ParamGroup group) {
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      if (group != null && s.group() != group) {
        continue;
      }
      float[][] src = other.seg[s.id()];
      float[][] dst = seg[s.id()];
      int n = ti.segCount[s.id()];
      for (int r = 0; r < n; r++) {
        System.arraycopy(src[r], 0, dst[r], 0, s.cols());
      }
    }
  }

  /** Zeroes the rows of {@code ti} of every segment in {@code group} (all segments if null). */
  public void zeroInPlace(TaskIndex ti, ParamGroup group) {
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment s = layout.segment(sid);
      if (group != null && s.group() != group) {
        continue;
      }
      float[][] dst = seg[s.id()];
      int n = ti.segCount[s.id()];
      for (int r = 0; r < n; r++) {
        Arrays.fill(dst[r], 0f);
      }
    }
  }
}
