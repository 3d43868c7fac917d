package io.metarec.io;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A flat parameter vector and the ordered segments that describe it: segment {@code i} occupies the
 * {@code segments.get(i).size()} floats after those of segments {@code 0..i-1}.
 *
 * <p>The segment list is copied; the data array is not (models hold tens of millions of floats), so
 * the vector is as mutable as the array the caller keeps. {@link #equals} compares the data bit by
 * bit ({@code -0.0f} differs from {@code 0.0f}, NaN payloads count).
 *
 * @param segments the segments, in order, with distinct names
 * @param data the floats, exactly as many as the segments hold
 */
public record ParamVector(List<ParamSegment> segments, float[] data) {

  /** Checks that names are distinct and the sizes add up to {@code data.length}. */
  public ParamVector {
    if (segments == null || data == null) {
      throw new IllegalArgumentException("segments and data must not be null, got segments=" + segments
          + ", data=" + (data == null ? "null" : "float[" + data.length + "]"));
    }
    segments = List.copyOf(segments);
    long total = checkSegments(segments);
    if (total != data.length) {
      throw new IllegalArgumentException("data has " + data.length + " floats but the segments "
          + segments + " hold " + total);
    }
  }

  /**
   * Checks that the names are distinct and the segments fit one Java array.
   *
   * @return the number of floats they hold
   */
  static int checkSegments(List<ParamSegment> segments) {
    Set<String> names = new HashSet<>();
    for (ParamSegment s : segments) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("segment names must be distinct, got " + s.name() + " twice");
      }
    }
    long total = Formats.totalSize(segments);
    if (total > ParamSegment.MAX_SIZE) {
      throw new IllegalArgumentException("the segments hold " + total + " floats, more than one array holds ("
          + ParamSegment.MAX_SIZE + ")");
    }
    return (int) total;
  }

  /**
   * @param name a segment's name
   * @return that segment
   * @throws IllegalArgumentException if there is no such segment
   */
  public ParamSegment segment(String name) {
    for (ParamSegment s : segments) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no segment named " + name + " among " + segments);
  }

  /**
   * @param name a segment's name
   * @return where the segment starts in {@link #data()}
   * @throws IllegalArgumentException if there is no such segment
   */
  public int offset(String name) {
    int offset = 0;
    for (ParamSegment s : segments) {
      if (s.name().equals(name)) {
        return offset;
      }
      offset += s.size();
    }
    throw new IllegalArgumentException("no segment named " + name + " among " + segments);
  }

  /**
   * @param name a segment's name
   * @return a copy of the segment's floats
   */
  public float[] copyOfSegment(String name) {
    int from = offset(name);
    return java.util.Arrays.copyOfRange(data, from, from + segment(name).size());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamVector v && segments.equals(v.segments) && Formats.sameBits(data, v.data);
  }

  @Override
  public int hashCode() {
    return segments.hashCode();
  }

  /** @return the segments and the length, not the data */
  @Override
  public String toString() {
    return "ParamVector" + segments + " (" + data.length + " floats)";
  }
}
