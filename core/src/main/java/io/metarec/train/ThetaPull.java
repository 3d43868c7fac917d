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
 *   <li>{@link News}, from the driver to one partition of each executor every iteration: the dense
 *       segments (the MLP, priors, globals and small tables: kilobytes) and the table rows the
 *       last outer step changed, with their values (what {@link ThetaDelta} carries); or a reset
 *       (the first iteration, a resumed run, a gap), after which only the dense part is current.
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
   * The dense segments of θ for iteration {@code to}, and the table rows that changed since
   * {@code from} with their values (none for a reset).
   */
  public static final class News {
    private final long from;
    private final long to;
    private final float[] dense;
    private final int[][] changed;
    /** Per table segment: the changed rows' values at {@code to}, in chunks of whole rows. */
    private final float[][][] values;

    private News(long from, long to, float[] dense, int[][] changed, float[][][] values) {
      this.from = from;
      this.to = to;
      this.dense = dense;
      this.changed = changed;
      this.values = values;
    }

    /** θ's dense part for {@code version}; every table row is to be pulled afresh. */
    public static News reset(Params theta, long version) {
      return new News(ThetaDelta.ANY, version, ThetaDelta.denseOf(theta), null, null);
    }

    /**
     * From θ of iteration {@code from} to {@code theta} of iteration {@code to}, which the outer
     * step on {@code changed} made: the table rows that accumulator holds are the ones it changed
     * ({@link ThetaDelta#changedRows} has the same contract).
     */
    public static News changed(Params theta, MetaGradientAccumulator changed, long from, long to) {
      ThetaDelta d = ThetaDelta.changedRows(theta, changed, from, to);
      return new News(from, to, d.denseValues(), d.rowKeys(), d.rowValues());
    }

    public long from() {
      return from;
    }

    public long to() {
      return to;
    }

    /** @return whether it is a reset: no rows, and every row held before is stale */
    public boolean isReset() {
      return changed == null;
    }

    /** @return the changed rows of table segment {@code seg}, ascending (null for a reset) */
    public int[] changed(int seg) {
      return changed == null ? null : changed[seg];
    }

    float[] dense() {
      return dense;
    }

    /** Copies the changed rows' values into {@code copy}'s tables (nothing for a reset). */
    void copyChangedInto(Params copy) {
      if (changed != null) {
        copyRowsInto(copy, changed, values);
      }
    }

    /**
     * Writes magic, from, to, reset flag, dense floats, then per table segment the count, keys and
     * values of the changed rows.
     */
    public void write(DataOutputStream out, ParamLayout layout) throws IOException {
      out.writeInt(NEWS_MAGIC);
      out.writeLong(from);
      out.writeLong(to);
      out.writeBoolean(changed == null);
      out.writeInt(dense.length);
      ThetaDelta.writeFloats(out, dense);
      if (changed == null) {
        return;
      }
      for (Segment s : layout.segments()) {
        if (s.table()) {
          out.writeInt(changed[s.id()].length);
          ThetaDelta.writeKeys(out, changed[s.id()]);
          for (float[] chunk : values[s.id()]) {
            ThetaDelta.writeFloats(out, chunk);
          }
        }
      }
    }

    /** Reads what {@link #write} wrote, checking it against {@code layout}. */
    public static News read(DataInputStream in, ParamLayout layout) throws IOException {
      magic(in, NEWS_MAGIC, "θ news");
      long from = in.readLong();
      long to = in.readLong();
      boolean reset = in.readBoolean();
      int denseLen = in.readInt();
      int expected = ThetaDelta.denseLength(layout);
      if (denseLen != expected || (!reset && (from < 0 || to <= from))) {
        throw new IOException("θ news " + from + " -> " + to + " with " + denseLen
            + " dense floats; the model has " + expected);
      }
      float[] dense = ThetaDelta.readFloats(in, denseLen);
      if (reset) {
        return new News(ThetaDelta.ANY, to, dense, null, null);
      }
      int[][] keys = new int[layout.numSegments()][];
      float[][][] values = new float[layout.numSegments()][][];
      readRows(in, layout, "θ news", keys, values);
      return new News(from, to, dense, keys, values);
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
      copyRowsInto(copy, keys, values);
    }

    /** Reads what {@link #writeRows} wrote, checking it against {@code layout}. */
    public static Rows read(DataInputStream in, ParamLayout layout) throws IOException {
      magic(in, ROWS_MAGIC, "θ rows");
      long version = in.readLong();
      int[][] keys = new int[layout.numSegments()][];
      float[][][] values = new float[layout.numSegments()][][];
      readRows(in, layout, "θ rows", keys, values);
      return new Rows(version, keys, values);
    }
  }

  /** Per table segment: a count, that many keys and their rows' values, into the arrays given. */
  private static void readRows(DataInputStream in, ParamLayout layout, String what, int[][] keys,
      float[][][] values) throws IOException {
    for (Segment s : layout.segments()) {
      if (!s.table()) {
        continue;
      }
      keys[s.id()] = ThetaDelta.readKeys(in, s, count(in, s, what), what);
      int n = keys[s.id()].length;
      int per = ThetaDelta.chunkRows(s.cols());
      float[][] chunks = new float[(n + per - 1) / per][];
      for (int c = 0; c < chunks.length; c++) {
        chunks[c] = ThetaDelta.readFloats(in, Math.min(per, n - c * per) * s.cols());
      }
      values[s.id()] = chunks;
    }
  }

  /** Copies rows {@code keys} with their chunked {@code values} into {@code copy}'s tables. */
  private static void copyRowsInto(Params copy, int[][] keys, float[][][] values) {
    for (Segment s : copy.layout().segments()) {
      if (!s.table()) {
        continue;
      }
      float[][] dst = copy.segment(s.id());
      int cols = s.cols();
      int per = ThetaDelta.chunkRows(cols);
      int[] k = keys[s.id()];
      float[][] chunks = values[s.id()];
      for (int i = 0; i < k.length; i++) {
        if (dst[k[i]] == null) {
          dst[k[i]] = new float[cols]; // a copy whose rows come on demand (ThetaRowCache)
        }
        System.arraycopy(chunks[i / per], (i % per) * cols, dst[k[i]], 0, cols);
      }
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
