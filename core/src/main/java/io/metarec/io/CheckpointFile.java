package io.metarec.io;

import io.metarec.io.Formats.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes a {@link Checkpoint} bit-exactly, with the discipline of {@link ParamFile}. Format
 * 1, all integers and floats little-endian; a string is an int32 UTF-8 byte length then the bytes:
 *
 * <pre>
 * bytes    field
 * 8        magic "MRCHKPNT" (ASCII)
 * 4        int32 format version (1)
 * 8        int64 iteration, &gt;= 0
 *          string config hash (0..65536 bytes)
 * 4        int32 RNG word count K, 0..65536
 * 8*K      int64 RNG state words
 * 4        int32 info entry count E, 0..65536
 *          E times: string key, string value (0..65536 bytes each; keys distinct, order kept)
 *          θ segment table, as in a parameter file (int32 count; name, rank, dims per segment)
 * 4        int32 optimizer buffer count B, 0..1024
 *          B times: string name (1..1024 bytes, distinct), int32 length (floats), 0..2^31 - 9
 * 4        uint32 header CRC32 of every byte before it
 * 4*N      float32 θ data, N = sum of the θ segment sizes
 * 4*Li     float32 data of each optimizer buffer, in order
 * 4        uint32 CRC32 of every byte before it
 *          end of file
 * </pre>
 *
 * <p>Streams are neither opened nor closed here. Every problem with a file read is a {@link
 * ModelFileException} whose message starts with the {@code source} label the caller passes.
 */
public final class CheckpointFile {
  /** The format this build writes, and the newest it reads. */
  public static final int FORMAT_VERSION = 1;

  private CheckpointFile() {}

  /**
   * Writes {@code checkpoint} to {@code out} and flushes it; does not close it.
   *
   * @param out where to write
   * @param source the file's label (not used in the bytes; kept for symmetry with the readers)
   * @param checkpoint what to write
   * @throws IOException if the stream fails
   */
  public static void write(OutputStream out, String source, Checkpoint checkpoint) throws IOException {
    List<String> names = new java.util.ArrayList<>();
    List<FloatRun> runs = new java.util.ArrayList<>();
    for (StateBuffer b : checkpoint.optimizerState()) {
      names.add(b.name());
      runs.add(FloatRun.of(b.values()));
    }
    write(out, checkpoint.iteration(), checkpoint.configHash(), checkpoint.rngState(),
        checkpoint.info(), checkpoint.theta().segments(), FloatRun.of(checkpoint.theta().data()),
        names, runs);
  }

  /**
   * Writes a checkpoint in the same bytes as {@link #write(OutputStream, String, Checkpoint)}, its
   * θ and buffers streamed from {@link FloatRun}s (straight from the parameters' rows and the
   * optimizer's moments), and flushes; does not close the stream.
   *
   * @throws IllegalArgumentException if θ's run does not match its segments, or a buffer is
   *     longer than the format allows
   */
  public static void write(OutputStream out, long iteration, String configHash, long[] rng,
      Map<String, String> info, List<ParamSegment> thetaSegments, FloatRun theta,
      List<String> bufferNames, List<FloatRun> buffers) throws IOException {
    if (theta.length() != Formats.totalSize(thetaSegments)) {
      throw new IllegalArgumentException("θ run of " + theta.length() + " floats for segments "
          + "holding " + Formats.totalSize(thetaSegments));
    }
    for (FloatRun b : buffers) {
      if (b.length() > ParamSegment.MAX_SIZE) {
        throw new IllegalArgumentException("a checkpoint buffer of " + b.length()
            + " floats is more than the format holds (" + ParamSegment.MAX_SIZE + ")");
      }
    }
    BinaryOut w = new BinaryOut(out);
    Formats.writeStart(w, Kind.CHECKPOINT, FORMAT_VERSION);
    w.writeLong(iteration);
    w.writeString(configHash);
    w.writeInt(rng.length);
    for (long word : rng) {
      w.writeLong(word);
    }
    w.writeInt(info.size());
    for (Map.Entry<String, String> e : info.entrySet()) {
      w.writeString(e.getKey());
      w.writeString(e.getValue());
    }
    Formats.writeSegments(w, thetaSegments);
    w.writeInt(buffers.size());
    for (int i = 0; i < buffers.size(); i++) {
      w.writeString(bufferNames.get(i));
      w.writeInt((int) buffers.get(i).length());
    }
    w.writeCrc();
    theta.writeTo(w::writeFloats);
    for (FloatRun b : buffers) {
      b.writeTo(w::writeFloats);
    }
    w.writeCrc();
    w.finish();
  }

  /**
   * Reads a checkpoint with whatever θ segments it has.
   *
   * @param in the file's bytes; read to its end, not closed
   * @param source the file's label for messages, such as its path
   * @return the checkpoint, bit for bit as written
   * @throws ModelFileException if the file is not a checkpoint, is newer, truncated, corrupt or
   *     followed by more bytes
   * @throws IOException if the stream fails
   */
  public static Checkpoint read(InputStream in, String source) throws IOException {
    return read(in, source, null);
  }

  /**
   * Reads a checkpoint whose θ must have exactly the segments {@code expectedTheta} (names, order and
   * shapes), compared before any data are read.
   *
   * @param in the file's bytes; read to its end, not closed
   * @param source the file's label for messages, such as its path
   * @param expectedTheta the segments the model needs, or {@code null} to accept any
   * @return the checkpoint, bit for bit as written
   * @throws ModelFileException as {@link #read(InputStream, String)}, and {@link
   *     ModelFileException.Problem#LAYOUT_MISMATCH} naming each θ segment missing, extra or of another
   *     shape
   * @throws IOException if the stream fails
   */
  public static Checkpoint read(InputStream in, String source, List<ParamSegment> expectedTheta)
      throws IOException {
    if (expectedTheta != null) {
      try {
        ParamVector.checkSegments(List.copyOf(expectedTheta));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException(source + ": invalid expected θ segments: " + e.getMessage(), e);
      }
    }
    BinaryIn r = new BinaryIn(in, source);
    Formats.readStart(r, Kind.CHECKPOINT, FORMAT_VERSION);
    long iteration = r.readLong("the iteration");
    if (iteration < 0) {
      throw Formats.corrupt(r, "iteration " + iteration + " is negative");
    }
    String configHash = Formats.readString(r, "the config hash", Checkpoint.MAX_STRING_BYTES);
    int words = Formats.readIntIn(r, "RNG word count", 0, Checkpoint.MAX_RNG_WORDS);
    long[] rng = new long[words];
    for (int i = 0; i < words; i++) {
      rng[i] = r.readLong("the RNG state");
    }
    int entries = Formats.readIntIn(r, "info entry count", 0, Checkpoint.MAX_INFO_ENTRIES);
    Map<String, String> info = new LinkedHashMap<>();
    for (int i = 0; i < entries; i++) {
      String key = Formats.readString(r, "info key " + i, Checkpoint.MAX_STRING_BYTES);
      String value = Formats.readString(r, "the info value of " + key, Checkpoint.MAX_STRING_BYTES);
      if (info.put(key, value) != null) {
        throw Formats.corrupt(r, "info key " + key + " appears twice");
      }
    }
    List<ParamSegment> segments = Formats.readSegments(r);
    int bufferCount = Formats.readIntIn(r, "optimizer buffer count", 0, Checkpoint.MAX_BUFFERS);
    List<String> names = new ArrayList<>(bufferCount);
    int[] lengths = new int[bufferCount];
    for (int i = 0; i < bufferCount; i++) {
      String name = Formats.readString(r, "the name of optimizer buffer " + i, ParamSegment.MAX_NAME_BYTES);
      if (name.isBlank() || names.contains(name)) {
        throw Formats.corrupt(r, "optimizer buffer " + i + " has a blank or repeated name '" + name + "'");
      }
      names.add(name);
      lengths[i] = Formats.readIntIn(r, "length of optimizer buffer " + name, 0, ParamSegment.MAX_SIZE);
    }
    Formats.readHeaderChecksum(r);
    if (expectedTheta != null) {
      Formats.checkLayout(source, expectedTheta, segments);
    }

    int thetaSize = (int) Formats.totalSize(segments);
    long dataBytes = 4L * thetaSize;
    for (int len : lengths) {
      dataBytes += 4L * len;
    }
    float[] theta = new float[thetaSize];
    Formats.readData(r, theta, dataBytes, 0);
    long before = 4L * thetaSize;
    List<StateBuffer> buffers = new ArrayList<>(bufferCount);
    for (int i = 0; i < bufferCount; i++) {
      float[] values = new float[lengths[i]];
      Formats.readData(r, values, dataBytes, before);
      before += 4L * lengths[i];
      buffers.add(new StateBuffer(names.get(i), values));
    }
    Formats.readFinalChecksum(r);
    return new Checkpoint(new ParamVector(segments, theta), buffers, iteration, rng, configHash, info);
  }
}
