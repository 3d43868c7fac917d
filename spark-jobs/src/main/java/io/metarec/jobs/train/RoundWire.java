package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.train.ThetaPull;
import io.metarec.train.ThetaRowCache;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The wire format between the driver and the tasks of a training round ({@code
 * train.exchange=rounds}). One TCP connection per task, opened by the task:
 * <pre>
 * driver → task    CHALLENGE int magic, 16 bytes nonce (fresh for every connection)
 * task   → driver  RESPONSE  int magic, long round, int partition,
 *                            32 bytes HMAC-SHA256(run secret, nonce ‖ round ‖ partition)
 * driver → task    ACCEPTED  int magic
 * task   → driver  HELLO     int magic, UTF string (the task's executor id)
 * driver → task    ITERATE   int 1, long iteration, int earlier attempts, then byte 1 and θ's
 *                            news ({@link ThetaPull.News#write}: the dense part and the rows the
 *                            last outer step changed, with their values, or a reset), or byte 2
 *                            (another partition of your executor carries the news: wait for them)
 * task   → driver  STATUS    int 4, long iteration, a row request ({@link ThetaPull#writeRequest}:
 *                            the rows my share of the meta-batch reads that my JVM's copy lacks)
 * driver → task    ROWS      int 5, long iteration, those rows ({@link ThetaPull#writeRows})
 * task   → driver  RESULT    int 3, long iteration, long kernel ns, int length, length bytes (the
 *                            accumulator in Spark's serializer, Kryo as configured)
 * driver → task    STOP      int 2
 * </pre>
 * The tasks of one executor JVM share one copy of θ ({@link ThetaRowCache}) that holds only the
 * rows they have read. The news go to one partition per executor (the carrier, the lowest
 * partition of that executor id), so the bytes of news follow the executors, not the task slots;
 * every partition then pulls the rows its own share reads that the copy does not hold, so θ never
 * goes out in full. Every task answers ITERATE with STATUS before it adapts anything, and a task's STATUS
 * waits for nothing the driver has not sent yet (a follower waits for its carrier's news, which
 * went out before any STATUS is read), so the driver, which reads the statuses in partition order
 * and answers each at once, never waits on a task that waits for another.
 * The run secret ({@value #SECRET_BYTES} random bytes) reaches the tasks only inside the job's
 * closure, so through Spark's own (possibly authenticated and encrypted) channel; it never
 * travels on this connection. A captured RESPONSE is worth nothing on another connection, whose
 * nonce differs, and round ids are random. A connection that fails the handshake is closed
 * ({@link RoundServer}). After the handshake the traffic is neither encrypted nor
 * integrity-protected: whoever can read or rewrite packets between executors and the driver can
 * read θ or alter training (the README's threat model).
 *
 * <p>Every length a peer sends is checked against what the model's layout allows before anything
 * is allocated ({@link #maxResultBytes}).
 */
final class RoundWire {
  static final int MAGIC = 0x4d52_5831; // "MRX1"
  static final int ITERATE = 1;
  static final int STOP = 2;
  static final int RESULT = 3;
  static final int STATUS = 4;
  static final int ROWS = 5;
  /** ITERATE's θ byte: news follow; another partition of the executor carries them. */
  static final int NEWS = 1;
  static final int FOLLOW = 2;
  /** The longest executor id a HELLO may carry. */
  static final int MAX_EXECUTOR_ID = 256;
  /** Bytes of a handshake nonce. */
  static final int NONCE_BYTES = 16;
  /** Bytes of the run secret (256 bits). */
  static final int SECRET_BYTES = 32;
  /** Bytes of an HMAC-SHA256. */
  static final int MAC_BYTES = 32;
  /** Bytes of a RESPONSE message. */
  static final int RESPONSE_BYTES = 4 + 8 + 4 + MAC_BYTES;
  private static final String HMAC = "HmacSHA256";
  /** The accumulators' class tag for Spark's serializer. */
  private static final ClassTag<MetaGradientAccumulator> ACCUMULATOR =
      ClassTag$.MODULE$.apply(MetaGradientAccumulator.class);
  /** How often a blocked read wakes up to check whether its peer's job or task is still alive. */
  static final int POLL_MS = 200;

  private RoundWire() {}

  /**
   * Where the tasks of a run connect to, and the run's secret they prove they know.
   *
   * @param secret {@value #SECRET_BYTES} random bytes; not to be logged
   */
  record Endpoint(String host, int port, byte[] secret) implements Serializable {
    @Override
    public String toString() {
      return host + ":" + port; // never the secret
    }
  }

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

  /** A fresh random nonce for one connection's challenge. */
  static byte[] nonce(SecureRandom random) {
    byte[] n = new byte[NONCE_BYTES];
    random.nextBytes(n);
    return n;
  }

  /** Writes the CHALLENGE message (not flushed). */
  static void writeChallenge(DataOutputStream out, byte[] nonce) throws IOException {
    out.writeInt(MAGIC);
    out.write(nonce);
  }

  /**
   * Reads a CHALLENGE message and returns its nonce.
   *
   * @throws IOException if the peer is not a MetaRec driver (wrong magic number)
   */
  static byte[] readChallenge(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format(java.util.Locale.ROOT,
          "the peer is not a MetaRec training driver (magic number 0x%08x)", magic));
    }
    byte[] nonce = new byte[NONCE_BYTES];
    in.readFully(nonce);
    return nonce;
  }

  /**
   * The proof that a task knows the run's secret: HMAC-SHA256 under {@code secret} of the nonce,
   * the round id and the partition, so a response answers one challenge for one round's partition.
   */
  static byte[] mac(byte[] secret, byte[] nonce, long round, int partition) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(secret, HMAC));
      mac.update(nonce);
      mac.update(ByteBuffer.allocate(12).putLong(round).putInt(partition).array());
      return mac.doFinal();
    } catch (java.security.GeneralSecurityException e) {
      // HmacSHA256 is one of the algorithms every Java platform must provide.
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Writes the RESPONSE message to {@code nonce} (not flushed). */
  static void writeResponse(DataOutputStream out, byte[] secret, byte[] nonce, long round,
      int partition) throws IOException {
    out.writeInt(MAGIC);
    out.writeLong(round);
    out.writeInt(partition);
    out.write(mac(secret, nonce, round, partition));
  }

  /**
   * A RESPONSE message as read from its {@value #RESPONSE_BYTES} bytes; {@link #verify} checks it.
   */
  record Response(int magic, long round, int partition, byte[] mac) {
    static Response parse(byte[] b) {
      ByteBuffer buf = ByteBuffer.wrap(b, 0, RESPONSE_BYTES);
      int magic = buf.getInt();
      long round = buf.getLong();
      int partition = buf.getInt();
      byte[] mac = new byte[MAC_BYTES];
      buf.get(mac);
      return new Response(magic, round, partition, mac);
    }

    /** Whether this answers {@code nonce} under {@code secret} (constant-time comparison). */
    boolean verify(byte[] secret, byte[] nonce) {
      return magic == MAGIC && MessageDigest.isEqual(mac, RoundWire.mac(secret, nonce, round, partition));
    }
  }

  /** Writes the ACCEPTED message (not flushed). */
  static void writeAccepted(DataOutputStream out) throws IOException {
    out.writeInt(MAGIC);
  }

  /** Reads the ACCEPTED message, failing on anything else. */
  static void readAccepted(DataInputStream in) throws IOException {
    int m = in.readInt();
    if (m != MAGIC) {
      throw new IOException(String.format(java.util.Locale.ROOT,
          "the driver answered the handshake with 0x%08x", m));
    }
  }

  /**
   * The largest RESULT payload a partition can send for {@code layout}: every float of θ once
   * (the dense part and, at most, every table row), 64 bytes of bookkeeping per table row (row key,
   * index slots, array headers) and 1 MiB for the layout and counts. A peer that announces more is
   * not one of this run's tasks, and nothing of that size is allocated.
   */
  static int maxResultBytes(ParamLayout layout) {
    long tableRows = 0;
    for (Segment s : layout.segments()) {
      if (s.table()) {
        tableRows += s.rows();
      }
    }
    long bound = 4L * layout.flatSize() + 64L * tableRows + (1 << 20);
    return (int) Math.min(bound, Integer.MAX_VALUE - 64);
  }

  /** News' wire form ({@link ThetaPull.News#write}), encoded once for every connection. */
  static byte[] encode(ThetaPull.News news, ParamLayout layout) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      news.write(out, layout);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
    return b.toByteArray();
  }

  /**
   * Writes an ITERATE message (not flushed).
   *
   * @param kind {@link #NEWS} or {@link #FOLLOW}
   * @param news the encoded news ({@link #encode}) for {@link #NEWS}, else unused
   */
  static void writeIterate(DataOutputStream out, long iteration, int attempts, int kind,
      byte[] news) throws IOException {
    out.writeInt(ITERATE);
    out.writeLong(iteration);
    out.writeInt(attempts);
    out.writeByte(kind);
    if (kind == NEWS) {
      out.write(news);
    }
  }

  /** Writes the HELLO message (not flushed). */
  static void writeHello(DataOutputStream out, String executorId) throws IOException {
    out.writeInt(MAGIC);
    out.writeUTF(executorId);
  }

  /**
   * Reads the HELLO message and returns the executor id.
   *
   * @throws IOException for anything else, or an id longer than {@value #MAX_EXECUTOR_ID}
   */
  static String readHello(DataInputStream in) throws IOException {
    int m = in.readInt();
    if (m != MAGIC) {
      throw new IOException(String.format(java.util.Locale.ROOT,
          "the task's first message was 0x%08x, not its hello", m));
    }
    String id = in.readUTF();
    if (id.length() > MAX_EXECUTOR_ID) {
      throw new IOException("executor id of " + id.length() + " characters");
    }
    return id;
  }

  /** Writes a STATUS message: the rows this task needs and its executor's copy lacks (not flushed). */
  static void writeStatus(DataOutputStream out, long iteration, ParamLayout layout, int[][] request)
      throws IOException {
    out.writeInt(STATUS);
    out.writeLong(iteration);
    ThetaPull.writeRequest(out, layout, request);
  }

  /**
   * Reads partition {@code partition}'s STATUS message of iteration {@code iteration}: its row
   * request, checked against {@code layout}.
   *
   * @throws IOException for another message or iteration, or a request outside the layout
   */
  static int[][] readStatus(DataInputStream in, long iteration, int partition, ParamLayout layout)
      throws IOException {
    int type = in.readInt();
    long it = in.readLong();
    if (type != STATUS || it != iteration) {
      throw new IOException("partition " + partition + " sent message " + type + " for iteration "
          + it + " where its status for iteration " + iteration + " was due");
    }
    return ThetaPull.readRequest(in, layout);
  }

  /**
   * Writes a ROWS message: the rows {@code request} of θ, straight from its rows to the stream
   * (not flushed).
   *
   * @return the bytes of θ's rows written
   */
  static long writeRows(DataOutputStream out, long iteration, Params theta, int[][] request)
      throws IOException {
    out.writeInt(ROWS);
    out.writeLong(iteration);
    return ThetaPull.writeRows(out, theta, iteration, request);
  }

  /**
   * Reads a ROWS message of iteration {@code iteration}.
   *
   * @throws IOException for another message or iteration, or rows outside the layout
   */
  static ThetaPull.Rows readRows(DataInputStream in, long iteration, ParamLayout layout)
      throws IOException {
    int type = in.readInt();
    long it = in.readLong();
    if (type != ROWS || it != iteration) {
      throw new IOException("message " + type + " for iteration " + it + " from the driver where "
          + "the rows of iteration " + iteration + " were due");
    }
    ThetaPull.Rows rows = ThetaPull.Rows.read(in, layout);
    if (rows.version() != iteration) {
      throw new IOException("rows of version " + rows.version() + " for iteration " + iteration);
    }
    return rows;
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
   * Reads partition {@code partition}'s RESULT message of iteration {@code iteration}, refusing a
   * payload longer than {@code maxBytes} before allocating it.
   *
   * @throws IOException for another message, another iteration, a bad length or a payload that is
   *     not an accumulator of {@code layout}
   */
  static Result readResult(DataInputStream in, long iteration, int partition, ParamLayout layout,
      int maxBytes, SerializerInstance ser) throws IOException {
    int type = in.readInt();
    long it = in.readLong();
    long ns = in.readLong();
    int len = in.readInt();
    if (type != RESULT || it != iteration || len < 0 || len > maxBytes) {
      throw new IOException("partition " + partition + " sent message " + type + " for iteration "
          + it + " (" + len + " bytes; at most " + maxBytes + " allowed) in iteration " + iteration);
    }
    byte[] bytes = new byte[len];
    in.readFully(bytes);
    MetaGradientAccumulator acc;
    try {
      acc = ser.deserialize(ByteBuffer.wrap(bytes), ACCUMULATOR);
    } catch (RuntimeException | LinkageError e) {
      // Kryo throws its own unchecked exceptions on bytes it cannot read.
      throw new IOException("partition " + partition + " sent " + len + " bytes in iteration "
          + iteration + " that are not an accumulator: " + e, e);
    }
    if (acc == null) {
      throw new IOException("partition " + partition + " sent " + len + " bytes in iteration "
          + iteration + " that are not an accumulator");
    }
    if (acc.layout().totalSize() != layout.totalSize()
        || acc.layout().numSegments() != layout.numSegments()) {
      throw new IOException("partition " + partition + " sent an accumulator of another model in "
          + "iteration " + iteration);
    }
    return new Result(acc, ns);
  }
}
