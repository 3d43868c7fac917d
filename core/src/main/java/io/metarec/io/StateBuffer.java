package io.metarec.io;

import java.nio.charset.StandardCharsets;

/**
 * One named buffer of optimizer state in a {@link Checkpoint}, such as Adam's first moment {@code m}.
 * Buffers of one checkpoint may have different lengths. The array is not copied; {@link #equals}
 * compares it bit by bit.
 *
 * @param name the buffer's name: not blank, at most {@link ParamSegment#MAX_NAME_BYTES} bytes of UTF-8
 * @param values the buffer's floats
 */
public record StateBuffer(String name, float[] values) {

  /** Validates the name and that there are values. */
  public StateBuffer {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("state buffer name must not be blank, got '" + name + "'");
    }
    int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (nameBytes > ParamSegment.MAX_NAME_BYTES) {
      throw new IllegalArgumentException("state buffer name must be at most " + ParamSegment.MAX_NAME_BYTES
          + " UTF-8 bytes, got " + nameBytes);
    }
    if (values == null) {
      throw new IllegalArgumentException("state buffer " + name + ": values must not be null");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateBuffer b && name.equals(b.name) && Formats.sameBits(values, b.values);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + values.length;
  }

  /** @return the name and length, not the values */
  @Override
  public String toString() {
    return name + " (" + values.length + " floats)";
  }
}
