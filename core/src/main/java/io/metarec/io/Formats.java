package io.metarec.io;

import io.metarec.io.ModelFileException.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The pieces both file formats share: magic and version, segment tables, strings, checksums, errors. */
final class Formats {
  /** Most segments in one table. */
  static final int MAX_SEGMENTS = 65_536;

  private Formats() {}

  /** The kinds of MetaRec binary file, each with its magic bytes. */
  enum Kind {
    PARAMS("MRPARAMS", "MetaRec parameter file"),
    CHECKPOINT("MRCHKPNT", "MetaRec checkpoint"),
    NEIGHBOURS("MRNEIGHB", "MetaRec item-neighbour file");

    final byte[] magic;
    final String description;

    Kind(String magic, String description) {
      this.magic = magic.getBytes(StandardCharsets.US_ASCII);
      this.description = description;
    }
  }

  static void writeStart(BinaryOut out, Kind kind, int version) throws IOException {
    out.writeBytes(kind.magic);
    out.writeInt(version);
  }

  /** Checks the magic bytes and reads the version, refusing versions outside [1, maxVersion]. */
  static int readStart(BinaryIn in, Kind kind, int maxVersion) throws IOException {
    byte[] magic = in.readUpTo(kind.magic.length);
    if (!java.util.Arrays.equals(magic, kind.magic)) {
      throw new ModelFileException(in.source(), Problem.NOT_A_MODEL_FILE, describeMagic(magic, kind));
    }
    int version = in.readInt("the format version");
    if (version > maxVersion) {
      throw new ModelFileException(in.source(), Problem.UNSUPPORTED_VERSION, "written by a newer MetaRec: format "
          + version + ", this build reads up to " + maxVersion);
    }
    if (version < 1) {
      throw new ModelFileException(in.source(), Problem.UNSUPPORTED_VERSION, "unknown format version "
          + version + " (this build reads formats 1 to " + maxVersion + ")");
    }
    return version;
  }

  private static String describeMagic(byte[] found, Kind kind) {
    String not = "not a " + kind.description;
    if (found.length == 0) {
      return "empty file: " + not;
    }
    for (Kind other : Kind.values()) {
      if (other != kind && java.util.Arrays.equals(found, other.magic)) {
        return not + ": it is a " + other.description + " (magic " + ascii(found) + ")";
      }
    }
    return not + ": magic bytes " + hex(found) + (found.length < kind.magic.length
        ? " (the file has only " + found.length + " bytes)" : "") + ", expected " + ascii(kind.magic);
  }

  private static String ascii(byte[] b) {
    return "'" + new String(b, StandardCharsets.US_ASCII) + "'";
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder("0x");
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }

  static ModelFileException corrupt(BinaryIn in, String detail) {
    return new ModelFileException(in.source(), Problem.CORRUPT_HEADER, "corrupt header: " + detail);
  }

  /** Reads an int32 that must lie in [min, max]. */
  static int readIntIn(BinaryIn in, String what, int min, int max) throws IOException {
    int v = in.readInt(what);
    if (v < min || v > max) {
      throw corrupt(in, what + " " + v + " is out of range [" + min + ", " + max + "]");
    }
    return v;
  }

  static String readString(BinaryIn in, String what, int maxBytes) throws IOException {
    int n = readIntIn(in, "byte length of " + what, 0, maxBytes);
    return new String(in.readBytes(n, what), StandardCharsets.UTF_8);
  }

  static void writeSegments(BinaryOut out, List<ParamSegment> segments) throws IOException {
    out.writeInt(segments.size());
    for (ParamSegment s : segments) {
      out.writeString(s.name());
      out.writeInt(s.rank());
      for (int a = 0; a < s.rank(); a++) {
        out.writeInt(s.dim(a));
      }
    }
  }

  /** Reads a segment table whose segments together hold at most {@link ParamSegment#MAX_SIZE} floats. */
  static List<ParamSegment> readSegments(BinaryIn in) throws IOException {
    int count = readIntIn(in, "segment count", 0, MAX_SEGMENTS);
    List<ParamSegment> segments = new ArrayList<>(count);
    Set<String> names = new HashSet<>();
    long total = 0;
    for (int i = 0; i < count; i++) {
      String name = readString(in, "the name of segment " + i, ParamSegment.MAX_NAME_BYTES);
      int rank = readIntIn(in, "rank of segment " + name, 0, ParamSegment.MAX_RANK);
      int[] shape = new int[rank];
      for (int a = 0; a < rank; a++) {
        shape[a] = readIntIn(in, "dimension " + a + " of segment " + name, 0, ParamSegment.MAX_SIZE);
      }
      ParamSegment s;
      try {
        s = new ParamSegment(name, shape);
      } catch (IllegalArgumentException e) {
        throw corrupt(in, e.getMessage());
      }
      if (!names.add(name)) {
        throw corrupt(in, "segment " + name + " appears twice");
      }
      total += s.size();
      if (total > ParamSegment.MAX_SIZE) {
        throw corrupt(in, "the segments hold more than " + ParamSegment.MAX_SIZE + " floats");
      }
      segments.add(s);
    }
    return segments;
  }

  /** @return the sum of the segments' sizes */
  static long totalSize(List<ParamSegment> segments) {
    long total = 0;
    for (ParamSegment s : segments) {
      total += s.size();
    }
    return total;
  }

  static void readHeaderChecksum(BinaryIn in) throws IOException {
    int computed = in.crc();
    int stored = in.readInt("the header checksum");
    if (stored != computed) {
      throw corrupt(in, String.format(
          "header checksum mismatch: expected 0x%08x (stored), actual 0x%08x (computed)", stored, computed));
    }
  }

  /**
   * Reads {@code dst.length} floats of the data section.
   *
   * @param dataBytes the size of the whole data section, for the message
   * @param before bytes of the data section read before this call
   */
  static void readData(BinaryIn in, float[] dst, long dataBytes, long before) throws IOException {
    int n = in.readFloats(dst, 0, dst.length);
    if (n < dst.length) {
      long found = before + 4L * n + in.buffered();
      throw new ModelFileException(in.source(), Problem.TRUNCATED,
          "truncated: expected " + dataBytes + " bytes of data, found " + found);
    }
  }

  /** Reads the final checksum, compares it with the bytes read, and requires the stream to end there. */
  static void readFinalChecksum(BinaryIn in) throws IOException {
    int computed = in.crc();
    byte[] b = in.readUpTo(4);
    if (b.length < 4) {
      throw new ModelFileException(in.source(), Problem.TRUNCATED,
          "truncated: expected a 4-byte checksum after the data, found " + b.length + " bytes");
    }
    int stored = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    if (stored != computed) {
      throw new ModelFileException(in.source(), Problem.CHECKSUM_MISMATCH, String.format(
          "checksum mismatch: expected 0x%08x (stored), actual 0x%08x (computed over header and data);"
              + " the file is corrupt", stored, computed));
    }
    if (!in.atEof()) {
      throw new ModelFileException(in.source(), Problem.TRAILING_BYTES,
          "unexpected bytes after the checksum: the file is longer than its header says");
    }
  }

  /**
   * Checks that {@code found} has exactly the segments of {@code expected}, in the same order.
   *
   * @throws ModelFileException ({@link Problem#LAYOUT_MISMATCH}) listing every difference
   */
  static void checkLayout(String source, List<ParamSegment> expected, List<ParamSegment> found)
      throws ModelFileException {
    Map<String, ParamSegment> inFile = new HashMap<>();
    for (ParamSegment s : found) {
      inFile.put(s.name(), s);
    }
    Set<String> wanted = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (ParamSegment e : expected) {
      wanted.add(e.name());
      ParamSegment f = inFile.get(e.name());
      if (f == null) {
        problems.add("missing segment " + e);
      } else if (!f.sameShape(e)) {
        problems.add("segment " + e.name() + ": expected " + e.shapeString() + ", file has " + f.shapeString());
      }
    }
    for (ParamSegment f : found) {
      if (!wanted.contains(f.name())) {
        problems.add("extra segment " + f);
      }
    }
    if (problems.isEmpty() && !expected.equals(found)) {
      problems.add("segment order differs: expected " + names(expected) + ", file has " + names(found));
    }
    if (!problems.isEmpty()) {
      throw new ModelFileException(source, Problem.LAYOUT_MISMATCH,
          "the file does not match the expected layout: " + String.join("; ", problems));
    }
  }

  private static List<String> names(List<ParamSegment> segments) {
    return segments.stream().map(ParamSegment::name).toList();
  }

  /** Whether two arrays hold the same bits (NaN payloads and the sign of zero included). */
  static boolean sameBits(float[] a, float[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return false;
      }
    }
    return true;
  }
}
