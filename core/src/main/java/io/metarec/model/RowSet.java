package io.metarec.model;

import java.util.BitSet;

/**
 * A set of rows of θ's table segments (the item tables and the feature tables): what a share of a
 * meta-batch reads ({@link io.metarec.meta.JvmAdaptationEngine#addRowsRead}), or what a copy of θ
 * holds current ({@link io.metarec.train.ThetaRowCache}). Dense segments are not in it: they
 * travel whole. Not thread-safe; reused from iteration to iteration ({@link #clear}).
 */
public final class RowSet {
  private final ParamLayout layout;
  /** Per segment: its rows in the set, null for dense segments. */
  private final BitSet[] rows;

  public RowSet(ParamLayout layout) {
    this.layout = layout;
    this.rows = new BitSet[layout.numSegments()];
    for (Segment s : layout.segments()) {
      if (s.table()) {
        rows[s.id()] = new BitSet(s.rows());
      }
    }
  }

  /** Adds rows {@code global[0..n)} of segment {@code seg} (nothing for a dense segment). */
  public void addAll(int seg, int[] global, int n) {
    BitSet b = rows[seg];
    if (b == null) {
      return;
    }
    for (int i = 0; i < n; i++) {
      b.set(global[i]);
    }
  }

  /** Adds every row of segment {@code seg} (nothing for a dense segment). */
  public void addSegment(int seg) {
    BitSet b = rows[seg];
    if (b != null) {
      b.set(0, layout.segment(seg).rows());
    }
  }

  /** Adds every row of every table segment. */
  public void addEverything() {
    for (Segment s : layout.segments()) {
      addSegment(s.id());
    }
  }

  /** @return whether row {@code row} of table segment {@code seg} is in the set */
  public boolean contains(int seg, int row) {
    return rows[seg].get(row);
  }

  /** @return the rows of segment {@code seg} in the set, ascending (null for a dense segment) */
  public int[] keys(int seg) {
    BitSet b = rows[seg];
    return b == null ? null : b.stream().toArray();
  }

  /** @return the rows of every table segment in the set, over all segments */
  public long size() {
    long n = 0;
    for (BitSet b : rows) {
      n += b == null ? 0 : b.cardinality();
    }
    return n;
  }

  /** Empties the set. */
  public void clear() {
    for (BitSet b : rows) {
      if (b != null) {
        b.clear();
      }
    }
  }

  /** @return the rows of table segment {@code seg} in the set but not in {@code have}, ascending */
  public int[] keysNotIn(int seg, BitSet have) {
    BitSet want = rows[seg];
    int n = 0;
    for (int r = want.nextSetBit(0); r >= 0; r = want.nextSetBit(r + 1)) {
      n += have.get(r) ? 0 : 1;
    }
    int[] k = new int[n];
    int i = 0;
    for (int r = want.nextSetBit(0); r >= 0; r = want.nextSetBit(r + 1)) {
      if (!have.get(r)) {
        k[i++] = r;
      }
    }
    return k;
  }
}
