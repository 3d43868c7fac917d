package io.metarec.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The messages by which an executor's copy of θ ({@link ThetaRowCache}) comes to hold the rows its
 * tasks read without θ ever going out in full: the driver pushes what changed, and a task pulls
 * what its executor has never held.
 *
 * <ul>
 *   <li>{@link News}, from the driver to one partition of each executor every iteration: the
 *       {@link ThetaDelta} of the last outer step (the dense segments, the MLP, priors, globals
 *       and small tables: kilobytes, and the table rows it changed, with their values); or a
 *       reset (the first iteration, a resumed run, a gap), after which only the dense part is
 *       current.
 *   <li>A request ({@link #writeRequest}), from every task: the rows its share of the meta-batch
 *       reads ({@link io.metarec.model.RowSet}) that its executor's copy does not hold.
 *   <li>{@link Rows}, the driver's answer: those rows' values at the iteration.
 * </ul>
 * So an executor receives the changed rows once per iteration and every other row once, when a
 * task of it first reads the row, instead of θ in full at its first iteration. Ints and floats are
 * little-endian; every count and key a peer sends is checked against the layout before anything
 * is allocated for it.
 */
public final class ThetaPull {
  private static final int NEWS_MAGIC = 0x544e_5731; // "TNW1"
  private static final int REQUEST_MAGIC = 0x5452_5131; // "TRQ1"
  private static final int ROWS_MAGIC = 0x5452_5731; // "TRW1"
  /** Bytes of the buffer the driver writes rows through. */
  private static final int BUFFER = 1 << 20;

  private ThetaPull() {}

  /**
   * θ for iteration {@code to}: a delta from iteration {@code from} ({@link ThetaDelta#changedRows}:
   * the dense segments and the table rows the outer step changed, with their values), or a reset
   * (the dense segments only).
   */
  public static final class News {
    private final long to;
    /** The dense segments of a reset; null otherwise (the delta carries them). */
    private final float[] dense;
    /** The delta; null for a reset. */
    private final ThetaDelta delta;

    private News(long to, float[] dense, ThetaDelta delta) {
      this.to = to;
      this.dense = dense;
      this.delta = delta;
    }

    /** θ's dense part for {@code version}; every table row is to be pulled afresh. */
    public static News reset(Params theta, long version) {
      return new News(version, ThetaDelta.denseOf(theta), null);
    }

    /**
     * The news of a delta that is not full ({@link ThetaDelta#changedRows}).
     *
     * @throws IllegalArgumentException for a full delta (executors pull rows, never θ whole)
     */
    public static News of(ThetaDelta delta) {
      if (delta.isFull()) {
        throw new IllegalArgumentException("θ news carry the changed rows, not θ in full");
      }
      return new News(delta.to(), null, delta);
    }

    /**
     * From θ of iteration {@code from} to {@code theta} of iteration {@code to}, which the outer
     * step on {@code changed} made ({@link ThetaDelta#changedRows}).
     */
    public static News changed(Params theta, MetaGradientAccumulator changed, long from, long to) {
      return of(ThetaDelta.changedRows(theta, changed, from, to));
    }

    /** @return the version the news follow ({@link ThetaDelta#ANY} for a reset) */
    public long from() {
      return delta == null ? ThetaDelta.ANY : delta.from();
    }

    public long to() {
      return to;
    }

    /** @return whether it is a reset: no rows, and every row held before is stale */
    public boolean isReset() {
      return delta == null;
    }

    /** @return the changed rows of table segment {@code seg}, ascending (null for a reset) */
    public int[] changed(int seg) {
      return delta == null ? null : delta.keysOf(seg);
    }

    /** Writes the dense segments and the changed rows into {@code copy}, and marks it changed. */
    void applyTo(Params copy) {
      if (delta != null) {
        delta.applyTo(copy);
      } else {
        ThetaDelta.scatterDense(dense, copy);
        copy.markChangedInPlace();
      }
    }

    /** Writes magic, a reset flag, then the reset's version and dense floats, or the delta. */
    public void write(DataOutputStream out, ParamLayout layout) throws IOException {
      out.writeInt(NEWS_MAGIC);
      out.writeBoolean(delta == null);
      if (delta != null) {
        delta.write(out, layout);
        return;
      }
      out.writeLong(to);
      out.writeInt(dense.length);
      ThetaDelta.writeFloats(out, dense);
    }

    /** Reads what {@link #write} wrote, checking it against {@code layout}. */
    public static News read(DataInputStream in, ParamLayout layout) throws IOException {
      magic(in, NEWS_MAGIC, "θ news");
      if (!in.readBoolean()) {
        ThetaDelta d = ThetaDelta.read(in, layout);
        if (d.isFull()) {
          throw new IOException("θ news to version " + d.to() + " carry θ in full");
        }
        return of(d);
      }
      long to = in.readLong();
      int denseLen = in.readInt();
      int expected = ThetaDelta.denseLength(layout);
      if (denseLen != expected) {
        throw new IOException("θ news to version " + to + " with " + denseLen
            + " dense floats; the model has " + expected);
      }
      return new News(to, ThetaDelta.readFloats(in, denseLen), null);
    }
  }

  /** Writes a request for the rows {@code keys} (per segment, ascending; null for dense ones). */
  public static void writeRequest(DataOutputStream out, ParamLayout layout, int[][] keys)
      throws IOException {
    out.writeInt(REQUEST_MAGIC);
    writeKeys(out, layout, keys);
  }

  /** Reads a request written by {@link #writeRequest}, checking it against {@code layout}. */
  public static int[][] readRequest(DataInputStream in, ParamLayout layout) throws IOException {
    magic(in, REQUEST_MAGIC, "a row request");
    return readKeys(in, layout, "a row request");
  }

  /** @return the rows {@code keys} asks for, over every segment */
  public static long count(int[][] keys) {
    long n = 0;
    for (int[] k : keys) {
      n += k == null ? 0 : k.length;
    }
    return n;
  }

  /**
   * Writes the values of rows {@code keys} of {@code theta}, as version {@code version}, straight
   * from its rows through a 1 MiB buffer.
   *
   * @return the bytes written
   */
  public static long writeRows(DataOutputStream out, Params theta, long version, int[][] keys)
      throws IOException {
    ParamLayout l = theta.layout();
    out.writeInt(ROWS_MAGIC);
    out.writeLong(version);
    long bytes = 12;
    ByteBuffer b = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    for (Segment s : l.segments()) {
      if (!s.table()) {
        continue;
      }
      int[] k = keys[s.id()];
      out.writeInt(k.length);
      ThetaDelta.writeKeys(out, k);
      bytes += 4 + 4L * k.length * (1 + s.cols());
      float[][] rows = theta.segment(s.id());
      java.nio.FloatBuffer f = b.asFloatBuffer();
      for (int key : k) {
        if (f.remaining() < s.cols()) {
          out.write(b.array(), 0, 4 * f.position());
          f.clear();
        }
        f.put(rows[key]);
      }
      out.write(b.array(), 0, 4 * f.position());
    }
    return bytes;
  }

  /** Values of some table rows of θ at one version, in chunks of whole rows (never near 2 GB). */
  public static final class Rows {
    private final long version;
    private final int[][] keys;
    private final float[][][] values;

    private Rows(long version, int[][] keys, float[][][] values) {
      this.version = version;
      this.keys = keys;
      this.values = values;
    }

    /** Rows {@code keys} of {@code theta}, as version {@code version} (a copy; for tests). */
    public static Rows of(Params theta, long version, int[][] keys) {
      float[][][] values = new float[keys.length][][];
      for (Segment s : theta.layout().segments()) {
        if (s.table()) {
          values[s.id()] = ThetaDelta.copyRows(theta.segment(s.id()), keys[s.id()],
              keys[s.id()].length, s.cols());
        }
      }
      return new Rows(version, keys, values);
    }

    public long version() {
      return version;
    }

    /** @return the rows carried of table segment {@code seg}, ascending */
    public int[] keys(int seg) {
      return keys[seg];
    }

    /** Copies the rows into {@code copy}'s tables. */
    void copyInto(Params copy) {
      for (Segment s : copy.layout().segments()) {
        if (s.table()) {
          ThetaDelta.copyChunkedRows(copy.segment(s.id()), keys[s.id()], keys[s.id()].length,
              values[s.id()], s.cols());
        }
      }
    }

    /** Reads what {@link #writeRows} wrote, checking it against {@code layout}. */
    public static Rows read(DataInputStream in, ParamLayout layout) throws IOException {
      magic(in, ROWS_MAGIC, "θ rows");
      long version = in.readLong();
      int[][] keys = new int[layout.numSegments()][];
      float[][][] values = new float[layout.numSegments()][][];
      for (Segment s : layout.segments()) {
        if (s.table()) {
          keys[s.id()] = ThetaDelta.readKeys(in, s, count(in, s, "θ rows"), "θ rows");
          values[s.id()] = ThetaDelta.readChunks(in, keys[s.id()].length, s.cols());
        }
      }
      return new Rows(version, keys, values);
    }
  }

  private static void writeKeys(DataOutputStream out, ParamLayout layout, int[][] keys)
      throws IOException {
    for (Segment s : layout.segments()) {
      if (s.table()) {
        int[] k = keys[s.id()];
        out.writeInt(k.length);
        ThetaDelta.writeKeys(out, k);
      }
    }
  }

  private static int[][] readKeys(DataInputStream in, ParamLayout layout, String what)
      throws IOException {
    int[][] keys = new int[layout.numSegments()][];
    for (Segment s : layout.segments()) {
      if (s.table()) {
        keys[s.id()] = ThetaDelta.readKeys(in, s, count(in, s, what), what);
      }
    }
    return keys;
  }

  private static int count(DataInputStream in, Segment s, String what) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > s.rows()) {
      throw new IOException(what + " with " + n + " rows of " + s.name() + ", which has "
          + s.rows());
    }
    return n;
  }

  private static void magic(DataInputStream in, int expected, String what) throws IOException {
    int m = in.readInt();
    if (m != expected) {
      throw new IOException(String.format(java.util.Locale.ROOT,
          "not %s (magic number 0x%08x)", what, m));
    }
  }
}
