package io.metarec.model;

import java.io.Serializable;

/**
 * One named parameter tensor of the layout: {@code rows x cols} floats stored as {@code rows} row
 * arrays, at {@code offset} in the flat vector. A {@code table} segment is an embedding-like table
 * indexed by item or vocabulary index: it is gathered, updated and aggregated sparsely (touched rows
 * only); other segments are dense.
 */
public record Segment(int id, String name, int rows, int cols, ParamGroup group, boolean table, long offset)
    implements Serializable {
  public Segment {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("segment " + name + ": rows and cols must be >= 1, got " + rows + "x" + cols);
    }
  }

  /** @return number of floats */
  public long size() {
    return (long) rows * cols;
  }
}
