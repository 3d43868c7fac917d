package io.metarec.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Warm start after a vocabulary grew: a table {@code [oldRows, dim]} becomes {@code [newRows, dim]}
 * with rows {@code 0..oldRows-1} copied bit for bit and rows {@code oldRows..newRows-1} filled by a
 * {@link RowInitializer}. Old indices must keep their meaning, i.e. the vocabulary was extended by
 * appending; a re-indexed vocabulary needs a row mapping, which is not done here. Nothing is modified
 * in place: every method returns new arrays.
 */
public final class EmbeddingGrowth {
  private EmbeddingGrowth() {}

  /**
   * Grows a row-major table.
   *
   * @param table the old table, exactly {@code oldRows * dim} floats (not modified)
   * @param oldRows rows of the old table, {@code >= 0}
   * @param dim floats per row, {@code >= 0}
   * @param newRows rows of the new table, {@code >= oldRows}
   * @param init values of the added rows, called once per added row in increasing row order
   * @return a new table of {@code newRows * dim} floats
   */
  public static float[] growRows(float[] table, int oldRows, int dim, int newRows, RowInitializer init) {
    if (table == null || init == null) {
      throw new IllegalArgumentException("table and init must not be null, got table="
          + (table == null ? "null" : "float[" + table.length + "]") + ", init=" + init);
    }
    if (oldRows < 0 || dim < 0) {
      throw new IllegalArgumentException("oldRows and dim must be >= 0, got oldRows=" + oldRows + ", dim=" + dim);
    }
    if ((long) oldRows * dim != table.length) {
      throw new IllegalArgumentException("table has " + table.length + " floats, not oldRows * dim = "
          + oldRows + " * " + dim);
    }
    if (newRows < oldRows) {
      throw new IllegalArgumentException("newRows must be >= oldRows = " + oldRows + ", got " + newRows);
    }
    if ((long) newRows * dim > ParamSegment.MAX_SIZE) {
      throw new IllegalArgumentException("newRows * dim = " + newRows + " * " + dim + " exceeds "
          + ParamSegment.MAX_SIZE + " floats");
    }
    float[] grown = Arrays.copyOf(table, newRows * dim); // old rows copied, the rest zero
    float[] row = new float[dim];
    for (int r = oldRows; r < newRows; r++) {
      Arrays.fill(row, 0f);
      init.initRow(r, row);
      System.arraycopy(row, 0, grown, r * dim, dim);
    }
    return grown;
  }

  /**
   * Grows one two-dimensional segment of {@code params}.
   *
   * @param params the old vector (not modified)
   * @param segment the name of a rank-2 segment {@code [oldRows, dim]}
   * @param newRows rows of the new table, {@code >= oldRows}
   * @param init values of the added rows
   * @return a new table of {@code newRows * dim} floats
   */
  public static float[] growRows(ParamVector params, String segment, int newRows, RowInitializer init) {
    ParamSegment s = params.segment(segment);
    if (s.rank() != 2) {
      throw new IllegalArgumentException("segment " + s + " must have rank 2 to grow by rows");
    }
    int from = params.offset(segment);
    float[] old = Arrays.copyOfRange(params.data(), from, from + s.size());
    return growRows(old, s.dim(0), s.dim(1), newRows, init);
  }

  /**
   * Builds a vector with the {@code target} segments from an older one read with {@link
   * ParamFile#readAsFound}. For each target segment: same shape in {@code old}: copied; same shape but
   * for more rows in the first dimension: grown (a row is the product of the other dimensions); not in
   * {@code old}: every row from its initializer (a scalar is one row of one float).
   *
   * @param old the saved vector (not modified)
   * @param target the segments of the new model, in its order
   * @param initFor the initializer of each target segment's new rows; give tables distinct seeds
   * @return the new vector
   * @throws IllegalArgumentException naming each segment that shrank, changed its other dimensions or
   *     rank, and each old segment the target drops
   */
  public static ParamVector warmStart(ParamVector old, List<ParamSegment> target,
      Function<ParamSegment, RowInitializer> initFor) {
    int total = ParamVector.checkSegments(List.copyOf(target));
    Map<String, ParamSegment> before = new HashMap<>();
    for (ParamSegment s : old.segments()) {
      before.put(s.name(), s);
    }
    List<String> problems = new ArrayList<>();
    Set<String> kept = new HashSet<>();
    for (ParamSegment t : target) {
      ParamSegment o = before.get(t.name());
      if (o == null) {
        continue;
      }
      kept.add(t.name());
      if (!o.sameShape(t) && (t.rank() == 0 || o.rank() != t.rank() || o.dim(0) > t.dim(0)
          || rowWidth(o) != rowWidth(t))) {
        problems.add("segment " + t.name() + ": file has " + o.shapeString() + ", cannot become "
            + t.shapeString() + " (only the first dimension may grow)");
      }
    }
    for (ParamSegment o : old.segments()) {
      if (!kept.contains(o.name())) {
        problems.add("segment " + o + " is not in the new model");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("cannot warm-start: " + String.join("; ", problems));
    }
    float[] data = new float[total];
    int offset = 0;
    for (ParamSegment t : target) {
      ParamSegment o = before.get(t.name());
      int width = rowWidth(t);
      float[] table;
      if (o == null) {
        table = growRows(new float[0], 0, width, t.rank() == 0 ? 1 : t.dim(0), initFor.apply(t));
      } else if (o.sameShape(t)) {
        table = old.copyOfSegment(t.name());
      } else {
        table = growRows(old.copyOfSegment(t.name()), o.dim(0), width, t.dim(0), initFor.apply(t));
      }
      System.arraycopy(table, 0, data, offset, table.length);
      offset += table.length;
    }
    return new ParamVector(target, data);
  }

  /** @return floats per row: the product of all dimensions but the first (1 for rank 0 or 1) */
  private static int rowWidth(ParamSegment s) {
    int w = 1;
    for (int a = 1; a < s.rank(); a++) {
      w *= s.dim(a);
    }
    return w;
  }
}
