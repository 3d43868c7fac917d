package io.metarec.io;

import io.metarec.io.Formats.Kind;
import io.metarec.io.ModelFileException.Problem;
import io.metarec.model.ItemNeighbours;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads and writes a model's item neighbourhoods ({@link ItemNeighbours}; {@code neighbours.bin}
 * of a model folder, written by {@code train} for the implicit-feedback neighbourhood term).
 * Format 1, little-endian:
 *
 * <pre>
 * bytes    field
 * 8        magic "MRNEIGHB" (ASCII)
 * 4        int32 format version (1)
 * 4        int32 item count N, 1 .. 2^31 - 2
 * 4        int32 neighbour count M, 0 .. 2^31 - 9
 * 4        uint32 header CRC32 of every byte before it
 * 4*(N+1)  int32 CSR offsets (from 0, non-decreasing, ending at M)
 * 4*M      int32 neighbour item indices, each in [1, N)
 * 4*M      float32 similarities
 * 4        uint32 CRC32 of every byte before it
 *          end of file
 * </pre>
 *
 * <p>Streams are neither opened nor closed here. Every problem with a file read is a {@link
 * ModelFileException} whose message starts with the {@code source} label.
 */
public final class NeighbourFile {
  /** The format this build writes, and the newest it reads. */
  public static final int FORMAT_VERSION = 1;
  /** The file's name in a model folder. */
  public static final String NAME = "neighbours.bin";

  private NeighbourFile() {}

  /** Writes {@code nb} to {@code out} and flushes it; does not close it. */
  public static void write(OutputStream out, ItemNeighbours nb) throws IOException {
    BinaryOut w = new BinaryOut(out);
    Formats.writeStart(w, Kind.NEIGHBOURS, FORMAT_VERSION);
    w.writeInt(nb.numItems());
    w.writeInt(nb.size());
    w.writeCrc();
    for (int o : nb.offsets()) {
      w.writeInt(o);
    }
    for (int id : nb.ids()) {
      w.writeInt(id);
    }
    w.writeFloats(nb.similarities(), 0, nb.size());
    w.writeCrc();
    w.finish();
  }

  /**
   * Reads a neighbour file of a model with {@code numItems} item indices.
   *
   * @throws ModelFileException if the file is not a neighbour file, is newer, truncated, corrupt,
   *     followed by more bytes, or covers another number of items ({@link Problem#LAYOUT_MISMATCH})
   */
  public static ItemNeighbours read(InputStream in, String source, int numItems) throws IOException {
    BinaryIn r = new BinaryIn(in, source);
    Formats.readStart(r, Kind.NEIGHBOURS, FORMAT_VERSION);
    int n = Formats.readIntIn(r, "item count", 1, Integer.MAX_VALUE - 1);
    int m = Formats.readIntIn(r, "neighbour count", 0, Integer.MAX_VALUE - 8);
    Formats.readHeaderChecksum(r);
    if (n != numItems) {
      throw new ModelFileException(source, Problem.LAYOUT_MISMATCH, "neighbourhoods of " + n
          + " items, the model has " + numItems);
    }
    int[] offsets = new int[n + 1];
    for (int i = 0; i <= n; i++) {
      offsets[i] = r.readInt("the offsets");
    }
    int[] ids = new int[m];
    for (int i = 0; i < m; i++) {
      ids[i] = r.readInt("the neighbour indices");
    }
    float[] sims = new float[m];
    Formats.readData(r, sims, 4L * m, 0);
    Formats.readFinalChecksum(r);
    try {
      return new ItemNeighbours(offsets, ids, sims);
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(source, Problem.CORRUPT_HEADER, e.getMessage());
    }
  }
}
