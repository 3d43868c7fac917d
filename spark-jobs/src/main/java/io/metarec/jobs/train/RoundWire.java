package io.metarec.jobs.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The wire format between the driver and the tasks of a training round ({@code
 * train.exchange=rounds}). One TCP connection per task, opened by the task:
 * <pre>
 * task   → driver  HELLO   int magic, long token, long round, int partition
 * driver → task    ITERATE int 1, long iteration, int earlier attempts, int n, n little-endian float32 (θ)
 * task   → driver  RESULT  int 3, long iteration, long kernel ns, int length, length bytes (the
 *                          accumulator in Spark's serializer, Kryo as configured)
 * driver → task    STOP    int 2
 * </pre>
 * The token is a random number that travels to the tasks inside the job's closure (so through
 * Spark's own, possibly authenticated, channel); a connection that does not present it, or
 * presents another round's id, is closed.
 */
final class RoundWire {
  static final int MAGIC = 0x4d52_5831; // "MRX1"
  static final int ITERATE = 1;
  static final int STOP = 2;
  static final int RESULT = 3;
  /** How often a blocked read wakes up to check whether its peer's job or task is still alive. */
  static final int POLL_MS = 200;

  private RoundWire() {}

  /** Where the tasks of a run connect to. */
  record Endpoint(String host, int port, long token) implements Serializable {}

  /** Something a blocked read checks at every {@link #POLL_MS}; throws to give up. */
  interface Liveness {
    void check() throws IOException;
  }

  /**
   * An input stream whose reads never time out: each socket timeout runs the liveness check and
   * reads on, so buffered and data streams on top of it never lose their place mid-message.
   */
  static final class Polling extends FilterInputStream {
    private final Liveness liveness;

    Polling(InputStream in, Liveness liveness) {
      super(in);
      this.liveness = liveness;
    }

    @Override
    public int read() throws IOException {
      while (true) {
        try {
          return super.read();
        } catch (SocketTimeoutException e) {
          liveness.check();
        }
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        try {
          return super.read(b, off, len);
        } catch (SocketTimeoutException e) {
          liveness.check();
        }
      }
    }
  }

  /** θ as little-endian float32 bytes, the ITERATE message's payload. */
  static byte[] encode(float[] theta) {
    ByteBuffer b = ByteBuffer.allocate(theta.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(theta);
    return b.array();
  }

  /** Writes an ITERATE message (not flushed). */
  static void writeIterate(DataOutputStream out, long iteration, int attempts, int floats,
      byte[] theta) throws IOException {
    out.writeInt(ITERATE);
    out.writeLong(iteration);
    out.writeInt(attempts);
    out.writeInt(floats);
    out.write(theta);
  }

  /** Reads the θ of an ITERATE message whose header up to the float count has been read. */
  static float[] readTheta(DataInputStream in, int floats, byte[] scratch) throws IOException {
    in.readFully(scratch, 0, floats * Float.BYTES);
    float[] theta = new float[floats];
    ByteBuffer.wrap(scratch, 0, floats * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer().get(theta);
    return theta;
  }
}
