package io.metarec.io;

import io.metarec.io.Formats.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Reads and writes a flat parameter vector with its named segments (the binary part of a saved
 * model). Format 1, all integers and floats little-endian:
 *
 * <pre>
 * bytes    field
 * 8        magic "MRPARAMS" (ASCII)
 * 4        int32 format version (1)
 * 4        int32 segment count S, 0..65536
 *          S times:
 * 4          int32 name length L, 1..1024
 * L          name, UTF-8 (names distinct)
 * 4          int32 rank R, 0..8
 * 4*R        int32 dimensions, each &gt;= 0 (a segment holds their product: 1 for rank 0)
 * 4        uint32 header CRC32 of every byte before it
 * 4*N      float32 data, N = sum of the segment sizes (at most 2^31 - 9)
 * 4        uint32 CRC32 of every byte before it (header, header CRC and data)
 *          end of file
 * </pre>
 *
 * <p>The header checksum lets the reader trust the sizes before it allocates the data and before it
 * compares the segments with the caller's, so a damaged header is reported as such and never as a
 * layout mismatch or an attempt to allocate gigabytes. The data go through one 64 KiB buffer in each
 * direction: a vector is never copied whole.
 *
 * <p>Streams are neither opened nor closed here: the caller owns them (the Spark side writes to a
 * temporary file and renames it). Every problem with a file read is a {@link ModelFileException}
 * whose message starts with the {@code source} label the caller passes.
 */
public final class ParamFile {
  /** The format this build writes, and the newest it reads. */
  public static final int FORMAT_VERSION = 1;

  private ParamFile() {}

  /**
   * Writes {@code params} to {@code out} and flushes it; does not close it.
   *
   * @param out where to write
   * @param source the file's label (not used in the bytes; kept for symmetry with the readers)
   * @param params the segments and their data
   * @throws IOException if the stream fails
   */
  public static void write(OutputStream out, String source, ParamVector params) throws IOException {
    BinaryOut w = new BinaryOut(out);
    Formats.writeStart(w, Kind.PARAMS, FORMAT_VERSION);
    Formats.writeSegments(w, params.segments());
    w.writeCrc();
    w.writeFloats(params.data(), 0, params.data().length);
    w.writeCrc();
    w.finish();
  }

  /**
   * Writes {@code data}, described by {@code segments}, to {@code out} and flushes it; does not close
   * it.
   *
   * @param out where to write
   * @param source the file's label, for the messages of argument errors
   * @param segments the segments, in order, with distinct names
   * @param data the flat vector the segments describe
   * @throws IOException if the stream fails
   * @throws IllegalArgumentException if the segments' sizes do not add up to {@code data.length} or
   *     two segments share a name (the message names {@code source})
   * @see #write(OutputStream, String, ParamVector)
   */
  public static void write(OutputStream out, String source, List<ParamSegment> segments, float[] data)
      throws IOException {
    ParamVector params;
    try {
      params = new ParamVector(segments, data);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
    write(out, source, params);
  }

  /**
   * Reads a parameter file whose segments must be exactly {@code expected}: same names, same order,
   * same shapes. The header is compared before the data are read.
   *
   * @param in the file's bytes; read to its end, not closed
   * @param source the file's label for messages, such as its path
   * @param expected the segments the model needs
   * @return the flat data, in the order of {@code expected}
   * @throws ModelFileException if the file is not a parameter file, is newer, truncated, corrupt or
   *     followed by more bytes, or its segments differ from {@code expected} ({@link
   *     ModelFileException.Problem#LAYOUT_MISMATCH}, naming each segment missing, extra or of another
   *     shape)
   * @throws IOException if the stream fails
   */
  public static float[] read(InputStream in, String source, List<ParamSegment> expected) throws IOException {
    try {
      ParamVector.checkSegments(List.copyOf(expected));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(source + ": invalid expected segments: " + e.getMessage(), e);
    }
    return read(in, source, expected, true).data();
  }

  /**
   * Reads a parameter file with whatever segments it has (for tools that inspect a file whose
   * architecture they do not know).
   *
   * @param in the file's bytes; read to its end, not closed
   * @param source the file's label for messages, such as its path
   * @return the segments found and their data
   * @throws ModelFileException if the file is not a parameter file, is newer, truncated, corrupt or
   *     followed by more bytes
   * @throws IOException if the stream fails
   */
  public static ParamVector readAsFound(InputStream in, String source) throws IOException {
    return read(in, source, null, false);
  }

  private static ParamVector read(InputStream in, String source, List<ParamSegment> expected, boolean check)
      throws IOException {
    BinaryIn r = new BinaryIn(in, source);
    Formats.readStart(r, Kind.PARAMS, FORMAT_VERSION);
    List<ParamSegment> segments = Formats.readSegments(r);
    Formats.readHeaderChecksum(r);
    if (check) {
      Formats.checkLayout(source, expected, segments);
    }
    int n = (int) Formats.totalSize(segments); // <= MAX_SIZE, checked by readSegments
    float[] data = new float[n];
    Formats.readData(r, data, 4L * n, 0);
    Formats.readFinalChecksum(r);
    return new ParamVector(segments, data);
  }
}
