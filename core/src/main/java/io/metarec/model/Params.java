package io.metarec.model;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Model parameters as named tensors, each stored as its own row arrays ({@code float[rows][cols]}):
 * the kernels need separate row arrays for the JIT to vectorize (a loop that writes one flat array at
 * one offset while reading it at another is not vectorized by C2). {@link #flattenInto} and
 * {@link #unflatten} convert to and from the flat layout of {@link ParamLayout}.
 *
 * <p>Mutable; the meta-training driver owns it and mutates it only through methods named
 * {@code ...InPlace} or the outer optimizer. Engines read it concurrently and never write it.
 * Serializable so it can be broadcast as is; files use the flat vector instead.
 */
public final class Params implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Source of revision stamps, unique within a JVM. */
  private static final java.util.concurrent.atomic.AtomicLong REVISIONS =
      new java.util.concurrent.atomic.AtomicLong();

  private final ParamLayout layout;
  private final float[][][] data;
  /**
   * Changes whenever the values change in place ({@link #markChangedInPlace}); not serialized (a
   * deserialized copy starts at 0), so caches derived from θ key on the instance and this stamp.
   */
  private transient volatile long revision = REVISIONS.incrementAndGet();

  /** Zero parameters of {@code layout}. */
  public Params(ParamLayout layout) {
    this(layout, true);
  }

  private Params(ParamLayout layout, boolean tableRows) {
    this.layout = layout;
    this.data = new float[layout.numSegments()][][];
    for (Segment s : layout.segments()) {
      data[s.id()] = tableRows || !s.table() ? new float[s.rows()][s.cols()] : new float[s.rows()][];
    }
  }

  /**
   * Zero dense segments and table segments whose row arrays are null until their owner puts rows
   * there (an executor's copy of θ that holds only the rows its tasks read,
   * {@code io.metarec.train.ThetaRowCache}): a table row costs memory only once it is held, and
   * reading a row never held fails loudly instead of reading zeros.
   */
  public static Params withTableRowsOnDemand(ParamLayout layout) {
    return new Params(layout, false);
  }

  public ParamLayout layout() {
    return layout;
  }

  /**
   * A stamp that differs after every in-place change of the values; with the instance it keys
   * what is computed from θ (the item factors' Gramian of the implicit solve), so that a θ that
   * lives across iterations (the driver's, an executor's replica) is never read through a stale
   * cache.
   */
  public long revision() {
    return revision;
  }

  /**
   * Records that the values changed in place. Every writer of a θ that outlives one iteration calls
   * it after writing: the outer optimizers, {@link #copyFromInPlace}, {@link #unflattenInPlace},
   * and the replicas that executors patch.
   */
  public void markChangedInPlace() {
    revision = REVISIONS.incrementAndGet();
  }

  /** @return the row arrays of segment {@code id} (live, not a copy) */
  public float[][] segment(int id) {
    return data[id];
  }

  /** @return the row arrays of the segment named {@code name} (live) */
  public float[][] segment(String name) {
    return data[layout.segment(name).id()];
  }

  /** @return a deep copy */
  public Params copy() {
    Params p = new Params(layout);
    p.copyFromInPlace(this);
    return p;
  }

  /** Overwrites these parameters with {@code other}'s (same layout). */
  public void copyFromInPlace(Params other) {
    checkLayout(other.layout);
    for (int s = 0; s < data.length; s++) {
      float[][] src = other.data[s];
      float[][] dst = data[s];
      for (int r = 0; r < dst.length; r++) {
        System.arraycopy(src[r], 0, dst[r], 0, dst[r].length);
      }
    }
    markChangedInPlace();
  }

  /** @return the flat vector in layout order */
  public float[] flatten() {
    float[] out = new float[layout.flatSize()];
    flattenInto(out);
    return out;
  }

  /** Writes the flat vector into {@code out} (length {@link ParamLayout#totalSize()}). */
  public void flattenInto(float[] out) {
    if (out.length != layout.totalSize()) {
      throw new IllegalArgumentException("flat array must have length " + layout.totalSize() + ", got " + out.length);
    }
    int p = 0;
    for (float[][] seg : data) {
      for (float[] row : seg) {
        System.arraycopy(row, 0, out, p, row.length);
        p += row.length;
      }
    }
  }

  /** Overwrites these parameters from a flat vector in layout order. */
  public void unflattenInPlace(float[] flat) {
    if (flat.length != layout.totalSize()) {
      throw new IllegalArgumentException("flat array must have length " + layout.totalSize() + ", got " + flat.length);
    }
    int p = 0;
    for (float[][] seg : data) {
      for (float[] row : seg) {
        System.arraycopy(flat, p, row, 0, row.length);
        p += row.length;
      }
    }
    markChangedInPlace();
  }

  /** @return new parameters of {@code layout} read from the flat vector */
  public static Params unflatten(ParamLayout layout, float[] flat) {
    Params p = new Params(layout);
    p.unflattenInPlace(flat);
    return p;
  }

  private void checkLayout(ParamLayout other) {
    if (other.totalSize() != layout.totalSize() || other.numSegments() != layout.numSegments()) {
      throw new IllegalArgumentException("layouts differ: " + other.totalSize() + " vs " + layout.totalSize() + " floats");
    }
  }

  /** @return true if every float is bit-identical */
  public boolean bitEquals(Params other) {
    for (int s = 0; s < data.length; s++) {
      for (int r = 0; r < data[s].length; r++) {
        if (!Arrays.equals(data[s][r], other.data[s][r])) {
          return false;
        }
      }
    }
    return true;
  }
}
