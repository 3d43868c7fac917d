package io.metarec.io;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One named tensor of a flat parameter vector: {@code size()} consecutive floats in row-major order
 * of {@code shape} (an embedding table {@code [rows, dim]} stores row {@code r} at
 * {@code [r * dim, (r + 1) * dim)}). A rank-0 shape {@code []} is a scalar of size 1.
 *
 * <p>The shape array is copied in and out, so a segment is immutable; {@link #equals}, {@link
 * #hashCode} and {@link #toString} use the shape's contents.
 *
 * @param name the segment's name: not blank, at most {@link #MAX_NAME_BYTES} bytes of UTF-8
 * @param shape the dimensions, each {@code >= 0}, at most {@link #MAX_RANK} of them, with a product
 *     of at most {@link #MAX_SIZE}
 */
public record ParamSegment(String name, int[] shape) {
  /** Longest segment name, in UTF-8 bytes. */
  public static final int MAX_NAME_BYTES = 1024;
  /** Largest rank. */
  public static final int MAX_RANK = 8;
  /** Largest number of floats in one segment, and in one flat vector: the longest Java array. */
  public static final int MAX_SIZE = Integer.MAX_VALUE - 8;

  /** Validates name and shape and copies the shape. */
  public ParamSegment {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("segment name must not be blank, got '" + name + "'");
    }
    int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (nameBytes > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          "segment name must be at most " + MAX_NAME_BYTES + " UTF-8 bytes, got " + nameBytes);
    }
    if (shape == null) {
      throw new IllegalArgumentException("segment " + name + ": shape must not be null");
    }
    shape = shape.clone();
    if (shape.length > MAX_RANK) {
      throw new IllegalArgumentException(
          "segment " + name + ": rank must be <= " + MAX_RANK + ", got " + shape.length);
    }
    long size = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "segment " + name + ": dimensions must be >= 0, got " + Arrays.toString(shape));
      }
      size *= d; // cannot overflow: checked against MAX_SIZE after each step
      if (size > MAX_SIZE) {
        throw new IllegalArgumentException("segment " + name + ": shape " + Arrays.toString(shape)
            + " has more than " + MAX_SIZE + " floats");
      }
    }
  }

  /**
   * A two-dimensional segment, such as an embedding table.
   *
   * @param name the segment's name
   * @param rows number of rows
   * @param cols number of columns
   * @return the segment {@code name [rows, cols]}
   */
  public static ParamSegment of(String name, int rows, int cols) {
    return new ParamSegment(name, new int[] {rows, cols});
  }

  /** The segments of {@code layout} as file segments, in layout order. */
  public static java.util.List<ParamSegment> list(io.metarec.model.ParamLayout layout) {
    java.util.List<ParamSegment> out = new java.util.ArrayList<>();
    for (io.metarec.model.Segment s : layout.segments()) {
      out.add(of(s.name(), s.rows(), s.cols()));
    }
    return out;
  }

  /** @return a copy of the dimensions */
  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** @return the number of dimensions */
  public int rank() {
    return shape.length;
  }

  /**
   * @param axis which dimension, {@code 0 <= axis < rank()}
   * @return that dimension
   */
  public int dim(int axis) {
    if (axis < 0 || axis >= shape.length) {
      throw new IllegalArgumentException(
          "segment " + name + ": axis must be in [0, " + shape.length + "), got " + axis);
    }
    return shape[axis];
  }

  /** @return the number of floats: the product of the dimensions (1 for a scalar) */
  public int size() {
    int size = 1;
    for (int d : shape) {
      size *= d;
    }
    return size;
  }

  /** Whether {@code other} has the same dimensions (names aside). */
  boolean sameShape(ParamSegment other) {
    return Arrays.equals(shape, other.shape);
  }

  /** @return the shape as {@code [1683, 16]} */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamSegment s && name.equals(s.name) && Arrays.equals(shape, s.shape);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(shape);
  }

  /** @return the segment as {@code item_emb [1683, 16]} */
  @Override
  public String toString() {
    return name + " " + shapeString();
  }
}
