package io.metarec.io;

import io.metarec.io.ModelFileException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Little-endian reader over a caller's stream with one 64 KiB buffer and a running CRC32 of every
 * byte consumed. A file that ends early becomes a {@link ModelFileException} ({@link
 * Problem#TRUNCATED}) naming the source and what was being read. Does not close the stream. One per
 * file, one thread.
 */
final class BinaryIn {
  private final InputStream in;
  private final String source;
  private final byte[] buf = new byte[BinaryOut.CHUNK_BYTES];
  private final ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32 crc = new CRC32();
  private int pos;
  private int lim;
  private long consumed;

  BinaryIn(InputStream in, String source) {
    this.in = in;
    this.source = source;
  }

  String source() {
    return source;
  }

  /** Buffers at least {@code n <= buf.length} unread bytes unless the stream ends; returns how many are buffered. */
  private int fill(int n) throws IOException {
    if (lim - pos >= n) {
      return lim - pos;
    }
    System.arraycopy(buf, pos, buf, 0, lim - pos);
    lim -= pos;
    pos = 0;
    while (lim < n) {
      int r = in.read(buf, lim, buf.length - lim);
      if (r < 0) {
        break;
      }
      lim += r;
    }
    return lim - pos;
  }

  private void consume(int n) {
    crc.update(buf, pos, n);
    pos += n;
    consumed += n;
  }

  ModelFileException truncated(String what) {
    return new ModelFileException(source, Problem.TRUNCATED, "truncated: the file ends after "
        + (consumed + lim - pos) + " bytes, in the middle of " + what);
  }

  /** Reads up to {@code n <= 64 KiB} bytes; fewer only where the stream ends. */
  byte[] readUpTo(int n) throws IOException {
    int k = Math.min(n, fill(n));
    byte[] b = new byte[k];
    System.arraycopy(buf, pos, b, 0, k);
    consume(k);
    return b;
  }

  byte[] readBytes(int n, String what) throws IOException {
    byte[] b = new byte[n];
    for (int off = 0; off < n; ) {
      int k = Math.min(n - off, fill(1));
      if (k == 0) {
        throw truncated(what);
      }
      System.arraycopy(buf, pos, b, off, k);
      consume(k);
      off += k;
    }
    return b;
  }

  int readInt(String what) throws IOException {
    if (fill(4) < 4) {
      throw truncated(what);
    }
    int v = bb.getInt(pos);
    consume(4);
    return v;
  }

  long readLong(String what) throws IOException {
    if (fill(8) < 8) {
      throw truncated(what);
    }
    long v = bb.getLong(pos);
    consume(8);
    return v;
  }

  /**
   * Reads {@code n} floats into {@code dst} from {@code off}, a buffer at a time.
   *
   * @return how many were read: {@code n}, or fewer where the stream ends ({@link #buffered()} then
   *     tells how many bytes of an incomplete float are left)
   */
  int readFloats(float[] dst, int off, int n) throws IOException {
    int done = 0;
    while (done < n) {
      // Ask for the whole rest (up to a buffer), so a stream with short reads still fills chunks.
      long want = Math.min(buf.length, 4L * (n - done));
      if (fill((int) want) < 4) {
        return done;
      }
      int k = Math.min((lim - pos) / 4, n - done);
      bb.position(pos);
      bb.asFloatBuffer().get(dst, off + done, k);
      consume(4 * k);
      done += k;
    }
    return done;
  }

  /** @return bytes buffered but not consumed (after a short read: the bytes the stream still had) */
  int buffered() {
    return lim - pos;
  }

  /** @return the CRC32 of the bytes consumed so far */
  int crc() {
    return (int) crc.getValue();
  }

  /** @return whether the stream has no byte left */
  boolean atEof() throws IOException {
    return fill(1) == 0;
  }
}
