package io.metarec.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Little-endian writer over a caller's stream with one 64 KiB buffer and a running CRC32 of every
 * byte written. Floats go through the buffer in chunks, so writing a vector never copies it whole.
 * Does not close the stream. One per file, one thread.
 */
final class BinaryOut {
  static final int CHUNK_BYTES = 64 * 1024;

  private final OutputStream out;
  private final byte[] buf = new byte[CHUNK_BYTES];
  private final ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32 crc = new CRC32();

  BinaryOut(OutputStream out) {
    this.out = out;
  }

  private void ensure(int n) throws IOException {
    if (bb.remaining() < n) {
      drain();
    }
  }

  private void drain() throws IOException {
    int n = bb.position();
    if (n > 0) {
      crc.update(buf, 0, n);
      out.write(buf, 0, n);
      bb.clear();
    }
  }

  void writeBytes(byte[] b) throws IOException {
    for (int off = 0; off < b.length; ) {
      ensure(1);
      int n = Math.min(bb.remaining(), b.length - off);
      bb.put(b, off, n);
      off += n;
    }
  }

  void writeInt(int v) throws IOException {
    ensure(4);
    bb.putInt(v);
  }

  void writeLong(long v) throws IOException {
    ensure(8);
    bb.putLong(v);
  }

  /** Writes a string as its UTF-8 byte length (int32) and the bytes. */
  void writeString(String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeInt(b.length);
    writeBytes(b);
  }

  /** Writes {@code n} floats of {@code data} from {@code off}, in chunks of the buffer. */
  void writeFloats(float[] data, int off, int n) throws IOException {
    int end = off + n;
    while (off < end) {
      ensure(4);
      int k = Math.min(bb.remaining() / 4, end - off);
      int pos = bb.position();
      bb.asFloatBuffer().put(data, off, k); // a view from pos; LE matches the buffer's order
      bb.position(pos + 4 * k);
      off += k;
    }
  }

  /** Writes the CRC32 of everything written so far as an int32. */
  void writeCrc() throws IOException {
    drain();
    writeInt((int) crc.getValue());
  }

  /** Writes out what is buffered and flushes the stream (without closing it). */
  void finish() throws IOException {
    drain();
    out.flush();
  }
}
