package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

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
  /** The accumulators' class tag for Spark's serializer. */
  private static final ClassTag<MetaGradientAccumulator> ACCUMULATOR =
      ClassTag$.MODULE$.apply(MetaGradientAccumulator.class);
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

  /** Writes the HELLO message (not flushed). */
  static void writeHello(DataOutputStream out, long token, long round, int partition)
      throws IOException {
    out.writeInt(MAGIC);
    out.writeLong(token);
    out.writeLong(round);
    out.writeInt(partition);
  }

  /** A HELLO message as read; the driver checks it. */
  record Hello(int magic, long token, long round, int partition) {}

  static Hello readHello(DataInputStream in) throws IOException {
    return new Hello(in.readInt(), in.readLong(), in.readLong(), in.readInt());
  }

  /**
   * θ as little-endian float32 bytes in layout order (the order of {@link Params#flatten}), the
   * ITERATE message's payload: one pass over the parameters, encoded once for every connection.
   */
  static byte[] encode(Params theta) {
    ByteBuffer b = ByteBuffer.allocate(theta.layout().flatSize() * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer f = b.asFloatBuffer();
    for (int seg = 0; seg < theta.layout().numSegments(); seg++) {
      for (float[] row : theta.segment(seg)) {
        f.put(row);
      }
    }
    return b.array();
  }

  /** Writes an ITERATE message (not flushed). */
  static void writeIterate(DataOutputStream out, long iteration, int attempts, byte[] theta)
      throws IOException {
    out.writeInt(ITERATE);
    out.writeLong(iteration);
    out.writeInt(attempts);
    out.writeInt(theta.length / Float.BYTES);
    out.write(theta);
  }

  /**
   * Reads the θ of an ITERATE message whose header up to the float count has been read, straight
   * into new parameters of {@code layout}.
   *
   * @param scratch at least {@code floats * 4} bytes
   */
  static Params readTheta(DataInputStream in, int floats, byte[] scratch, ParamLayout layout)
      throws IOException {
    in.readFully(scratch, 0, floats * Float.BYTES);
    FloatBuffer f = ByteBuffer.wrap(scratch, 0, floats * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    Params theta = new Params(layout);
    for (int seg = 0; seg < layout.numSegments(); seg++) {
      for (float[] row : theta.segment(seg)) {
        f.get(row);
      }
    }
    return theta;
  }

  /** Writes a RESULT message: the partition's accumulator in {@code ser}, and its kernel time. */
  static void writeResult(DataOutputStream out, long iteration, long kernelNanos,
      MetaGradientAccumulator acc, SerializerInstance ser) throws IOException {
    ByteBuffer bytes = ser.serialize(acc, ACCUMULATOR);
    out.writeInt(RESULT);
    out.writeLong(iteration);
    out.writeLong(kernelNanos);
    out.writeInt(bytes.remaining());
    if (bytes.hasArray()) {
      out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    } else {
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      out.write(copy);
    }
  }

  /** A RESULT message as read. */
  record Result(MetaGradientAccumulator accumulator, long kernelNanos) {}

  /**
   * Reads partition {@code partition}'s RESULT message of iteration {@code iteration}.
   *
   * @throws IOException for another message, another iteration or a bad length
   */
  static Result readResult(DataInputStream in, long iteration, int partition,
      SerializerInstance ser) throws IOException {
    int type = in.readInt();
    long it = in.readLong();
    long ns = in.readLong();
    int len = in.readInt();
    if (type != RESULT || it != iteration || len < 0) {
      throw new IOException("partition " + partition + " sent message " + type + " for iteration "
          + it + " (" + len + " bytes) in iteration " + iteration);
    }
    byte[] bytes = new byte[len];
    in.readFully(bytes);
    return new Result(ser.deserialize(ByteBuffer.wrap(bytes), ACCUMULATOR), ns);
  }
}
