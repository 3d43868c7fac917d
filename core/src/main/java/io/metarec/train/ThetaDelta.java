package io.metarec.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.SparseRows;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What brings a copy of θ from one iteration's values to the next: every dense segment (the MLP,
 * priors, field-independent globals: kilobytes) and the rows of the embedding tables that the
 * outer step between them changed, which are the rows some task of the earlier iteration's
 * meta-batch touched ({@link io.metarec.meta.OuterOptimizer}'s contract: rows absent from the accumulator are not
 * changed). Its size follows the meta-batch, not the catalog. A <em>full</em> delta carries every
 * row and brings any copy, or an empty one, to its version.
 *
 * <p>Versions are iterations: the delta {@code from -> to} turns θ as it was sent for iteration
 * {@code from} into θ for iteration {@code to}. Rows are stored in chunks of at most {@value
 * #CHUNK_FLOATS} floats, so that no single array (or serialized buffer of one) comes near 2 GB
 * however large the catalog. Immutable after construction; serializable (broadcast in jobs) and
 * with its own wire form ({@link #write}, {@link #read}) for training rounds.
 */
public final class ThetaDelta implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  /** The {@code from} of a full delta: it applies to anything. */
  public static final long ANY = -1;
  /** Floats per chunk of table rows (16 MiB). */
  static final int CHUNK_FLOATS = 1 << 22;
  private static final int WIRE_MAGIC = 0x5444_4c31; // "TDL1"

  private final long from;
  private final long to;
  private final boolean full;
  private final float[] dense;
  /** Per segment: the rows carried, ascending; null for dense segments and in a full delta. */
  private final int[][] keys;
  /** Per table segment: the carried rows' values in chunks of whole rows; null for dense ones. */
  private final float[][][] rows;

  private ThetaDelta(long from, long to, boolean full, float[] dense, int[][] keys,
      float[][][] rows) {
    this.from = from;
    this.to = to;
    this.full = full;
    this.dense = dense;
    this.keys = keys;
    this.rows = rows;
  }

  /** Every value of {@code theta}, as the version {@code version} (a copy). */
  public static ThetaDelta full(Params theta, long version) {
    ParamLayout l = theta.layout();
    float[][][] rows = new float[l.numSegments()][][];
    for (Segment s : l.segments()) {
      if (s.table()) {
        rows[s.id()] = copyRows(theta.segment(s.id()), null, s.rows(), s.cols());
      }
    }
    return new ThetaDelta(ANY, version, true, denseOf(theta), new int[l.numSegments()][], rows);
  }

  /**
   * The change from θ of iteration {@code from} to {@code theta} of iteration {@code to}, given
   * the accumulator whose outer step made it: the dense segments and every table row that
   * {@code changed} holds, with their current values.
   */
  public static ThetaDelta changedRows(Params theta, MetaGradientAccumulator changed, long from,
      long to) {
    if (from < 0 || to <= from) {
      throw new IllegalArgumentException("a delta goes forward, got " + from + " -> " + to);
    }
    ParamLayout l = theta.layout();
    int[][] keys = new int[l.numSegments()][];
    float[][][] rows = new float[l.numSegments()][][];
    for (Segment s : l.segments()) {
      if (s.table()) {
        SparseRows t = changed.table(s.id());
        int[] k = new int[t.size()];
        for (int i = 0; i < k.length; i++) {
          k[i] = t.key(i);
        }
        Arrays.sort(k);
        keys[s.id()] = k;
        rows[s.id()] = copyRows(theta.segment(s.id()), k, k.length, s.cols());
      }
    }
    return new ThetaDelta(from, to, false, denseOf(theta), keys, rows);
  }

  /** @return the floats of {@code layout}'s dense (non-table) segments */
  static int denseLength(ParamLayout layout) {
    int n = 0;
    for (Segment s : layout.segments()) {
      if (!s.table()) {
        n += (int) s.size();
      }
    }
    return n;
  }

  /** Writes the dense segments' floats ({@link #denseOf}'s order) into {@code copy}'s rows. */
  static void scatterDense(float[] dense, Params copy) {
    int p = 0;
    for (Segment s : copy.layout().segments()) {
      if (!s.table()) {
        for (float[] row : copy.segment(s.id())) {
          System.arraycopy(dense, p, row, 0, row.length);
          p += row.length;
        }
      }
    }
  }

  /** Reads the wire form's magic number, failing on anything else. */
  private static void readMagic(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != WIRE_MAGIC) {
      throw new IOException(String.format(java.util.Locale.ROOT,
          "not a θ delta (magic number 0x%08x)", magic));
    }
  }

  static float[] denseOf(Params theta) {
    ParamLayout l = theta.layout();
    float[] dense = new float[denseLength(l)];
    int p = 0;
    for (Segment s : l.segments()) {
      if (!s.table()) {
        for (float[] row : theta.segment(s.id())) {
          System.arraycopy(row, 0, dense, p, row.length);
          p += row.length;
        }
      }
    }
    return dense;
  }

  /** Rows per chunk for a table of {@code cols} columns. */
  static int chunkRows(int cols) {
    return Math.max(1, CHUNK_FLOATS / cols);
  }

  /** The rows {@code keys} (all rows when null) of {@code table}, in chunks. */
  static float[][] copyRows(float[][] table, int[] keys, int n, int cols) {
    int per = chunkRows(cols);
    float[][] chunks = new float[(n + per - 1) / per][];
    for (int c = 0; c < chunks.length; c++) {
      int first = c * per;
      int count = Math.min(per, n - first);
      float[] chunk = new float[count * cols];
      for (int r = 0; r < count; r++) {
        int row = keys == null ? first + r : keys[first + r];
        System.arraycopy(table[row], 0, chunk, r * cols, cols);
      }
      chunks[c] = chunk;
    }
    return chunks;
  }

  /** @return the version this delta applies to, {@link #ANY} for a full one */
  public long from() {
    return from;
  }

  /** @return the version it brings a copy to */
  public long to() {
    return to;
  }

  /** @return whether it carries every row */
  public boolean isFull() {
    return full;
  }

  /** @return whether it can bring a copy at version {@code version} to {@link #to()} */
  public boolean appliesTo(long version) {
    return full || version == from;
  }

  /** @return the floats it carries */
  public long floats() {
    long n = dense.length;
    for (float[][] chunks : rows) {
      if (chunks != null) {
        for (float[] c : chunks) {
          n += c.length;
        }
      }
    }
    return n;
  }

  /** @return the bytes of its payload (floats and row keys) */
  public long bytes() {
    long n = 4 * floats();
    for (int[] k : keys) {
      if (k != null) {
        n += 4L * k.length;
      }
    }
    return n;
  }

  /**
   * The table rows it carries for segment {@code seg}, ascending (all rows of a full delta:
   * {@code null}); for tests and logs.
   */
  public int[] rowsOf(int seg) {
    return full ? null : keys[seg] == null ? null : keys[seg].clone();
  }

  /**
   * The table rows it carries for segment {@code seg}, ascending, live (null for dense segments
   * and in a full delta).
   */
  int[] keysOf(int seg) {
    return keys[seg];
  }

  /** Writes its values into {@code copy} (same layout) and marks it changed. */
  public void applyTo(Params copy) {
    ParamLayout l = copy.layout();
    if (rows.length != l.numSegments()) {
      throw new IllegalArgumentException("a delta of " + rows.length + " segments cannot patch a "
          + "model of " + l.numSegments());
    }
    scatterDense(dense, copy);
    for (Segment s : l.segments()) {
      if (!s.table()) {
        continue;
      }
      int n = full ? s.rows() : keys[s.id()].length;
      copyChunkedRows(copy.segment(s.id()), full ? null : keys[s.id()], n, rows[s.id()], s.cols());
    }
    copy.markChangedInPlace();
  }

  /**
   * Copies rows {@code keys[0..n)} (rows {@code 0..n) when null), whose values are {@code chunks}
   * in whole rows, into {@code table}; a row that is null (a copy that holds rows on demand,
   * {@link Params#withTableRowsOnDemand}) is allocated first.
   */
  static void copyChunkedRows(float[][] table, int[] keys, int n, float[][] chunks, int cols) {
    int per = chunkRows(cols);
    for (int i = 0; i < n; i++) {
      int row = keys == null ? i : keys[i];
      if (table[row] == null) {
        table[row] = new float[cols];
      }
      System.arraycopy(chunks[i / per], (i % per) * cols, table[row], 0, cols);
    }
  }

  /** Reads {@code n} rows of {@code cols} floats in the chunks {@link #copyRows} makes. */
  static float[][] readChunks(DataInputStream in, int n, int cols) throws IOException {
    int per = chunkRows(cols);
    float[][] chunks = new float[(n + per - 1) / per][];
    for (int c = 0; c < chunks.length; c++) {
      chunks[c] = readFloats(in, Math.min(per, n - c * per) * cols);
    }
    return chunks;
  }

  /**
   * Writes the wire form: magic, from, to, full flag, the dense floats, then per table segment its
   * row count, keys (not for a full delta) and rows; ints and floats little-endian.
   */
  public void write(DataOutputStream out, ParamLayout layout) throws IOException {
    out.writeInt(WIRE_MAGIC);
    out.writeLong(from);
    out.writeLong(to);
    out.writeBoolean(full);
    out.writeInt(dense.length);
    writeFloats(out, dense);
    for (Segment s : layout.segments()) {
      if (!s.table()) {
        continue;
      }
      int n = full ? s.rows() : keys[s.id()].length;
      out.writeInt(n);
      if (!full) {
        writeKeys(out, keys[s.id()]);
      }
      for (float[] chunk : rows[s.id()]) {
        writeFloats(out, chunk);
      }
    }
  }

  static void writeFloats(DataOutputStream out, float[] f) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(f);
    out.write(b.array());
  }

  static float[] readFloats(DataInputStream in, int n) throws IOException {
    byte[] bytes = new byte[4 * n];
    in.readFully(bytes);
    float[] f = new float[n];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }

  /**
   * Reads the wire form of a delta for {@code layout}, checking every count and row key against
   * the layout before allocating for it.
   *
   * @throws IOException if the bytes are not a delta of this layout
   */
  public static ThetaDelta read(DataInputStream in, ParamLayout layout) throws IOException {
    readMagic(in);
    long from = in.readLong();
    long to = in.readLong();
    boolean full = in.readBoolean();
    int denseLen = in.readInt();
    int expected = denseLength(layout);
    if (denseLen != expected || (!full && (from < 0 || to <= from))) {
      throw new IOException("θ delta " + from + " -> " + to + " with " + denseLen
          + " dense floats; the model has " + expected);
    }
    float[] dense = readFloats(in, denseLen);
    int[][] keys = new int[layout.numSegments()][];
    float[][][] rows = new float[layout.numSegments()][][];
    for (Segment s : layout.segments()) {
      if (!s.table()) {
        continue;
      }
      int n = in.readInt();
      if (n < 0 || n > s.rows() || (full && n != s.rows())) {
        throw new IOException("θ delta with " + n + " rows of " + s.name() + ", which has "
            + s.rows());
      }
      if (!full) {
        keys[s.id()] = readKeys(in, s, n, "θ delta");
      }
      rows[s.id()] = readChunks(in, n, s.cols());
    }
    return new ThetaDelta(from, to, full, dense, keys, rows);
  }

  /** Writes row keys as little-endian ints (the count is the caller's to write). */
  static void writeKeys(DataOutputStream out, int[] keys) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * keys.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(keys);
    out.write(b.array());
  }

  /**
   * Reads {@code n} row keys of segment {@code s} written by {@link #writeKeys}, failing unless
   * they are strictly ascending and inside the segment ({@code what} names the message).
   */
  static int[] readKeys(DataInputStream in, Segment s, int n, String what) throws IOException {
    byte[] kb = new byte[4 * n];
    in.readFully(kb);
    int[] k = new int[n];
    ByteBuffer.wrap(kb).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(k);
    for (int i = 0; i < n; i++) {
      if (k[i] < 0 || k[i] >= s.rows() || (i > 0 && k[i] <= k[i - 1])) {
        throw new IOException(what + ": row " + k[i] + " of " + s.name() + " out of order or "
            + "out of range (" + s.rows() + " rows)");
      }
    }
    return k;
  }
}
