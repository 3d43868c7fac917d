package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.train.MetaBatch;
import io.metarec.model.RowSet;
import io.metarec.train.ThetaPull;
import io.metarec.train.ThetaRowCache;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.serializer.SerializerInstance;

/**
 * One partition's side of a training round ({@code train.exchange=rounds}): connects to the
 * driver, then, every iteration, lists the rows of θ its share of the meta-batch reads, pulls
 * those that this JVM's copy ({@link ThetaRowCache}, shared by the partitions of the JVM and
 * brought to the iteration by the driver's news) does not hold current, adapts the share and
 * sends back the partition's accumulator, until the driver says stop. Runs as a task of
 * a barrier stage, so that every partition of the round holds a task slot at once (the driver needs
 * all accumulators of an iteration before it can send the next θ). A named class, not a lambda, for
 * the reason given at {@link TrainJob.IterationStep}.
 */
final class RoundTask extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Task>,
    scala.collection.Iterator<Object>> implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoundTask.class);
  /** Connecting to the driver (and passing its handshake) gives up after this long. */
  private static final int CONNECT_TIMEOUT_MS = 60_000;
  /** The longest wait between two connection attempts. */
  private static final int MAX_BACKOFF_MS = 1_000;

  private final RoundWire.Endpoint driver;
  private final long round;
  private final Adaptation adaptation;

  RoundTask(RoundWire.Endpoint driver, long round, Adaptation adaptation) {
    this.driver = driver;
    this.round = round;
    this.adaptation = adaptation;
  }

  /** Returns the number of iterations this task adapted. */
  @Override
  public scala.collection.Iterator<Object> apply(scala.collection.Iterator<Task> partition) {
    TaskContext ctx = TaskContext.get();
    List<Task> tasks = new ArrayList<>();
    scala.collection.JavaConverters.asJavaIterator(partition).forEachRemaining(tasks::add);
    ParamLayout layout = adaptation.layout();
    ThetaRowCache cache = ThetaRowCache.of(adaptation.run(), layout);
    RowSet needed = new RowSet(layout);
    long planned = Long.MIN_VALUE;
    boolean carrier = false;
    List<Task> share = null;
    SerializerInstance ser = SparkEnv.get().serializer().newInstance();
    long iterations = 0;
    try (Socket s = connect(ctx)) {
      s.setSoTimeout(RoundWire.POLL_MS);
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
      RoundWire.writeHello(out, SparkEnv.get().executorId());
      out.flush();
      DataInputStream in = new DataInputStream(new BufferedInputStream(
          new RoundWire.Polling(s.getInputStream(), () -> {
            if (ctx.isInterrupted()) {
              throw new TaskKilledException("killed while waiting for the driver");
            }
          }), 1 << 16));
      while (true) {
        int type;
        try {
          type = in.readInt();
        } catch (java.io.EOFException e) {
          throw new IllegalStateException("training round " + round + ", partition "
              + ctx.partitionId() + ": the driver closed the connection (the round was abandoned "
              + "after a failure elsewhere, or the driver stopped)", e);
        }
        if (type == RoundWire.STOP) {
          if (carrier) {
            LOG.info("training round {}: this executor's copy of θ holds {} MB of table rows "
                + "(θ's tables in full: {} MB)", round, String.format(java.util.Locale.ROOT,
                "%.1f", cache.heldTableBytes() / 1e6), String.format(java.util.Locale.ROOT,
                "%.1f", 4.0 * tableFloats(layout) / 1e6));
          }
          break;
        }
        if (type != RoundWire.ITERATE) {
          throw new IOException("round " + round + ": unexpected message " + type + " from the driver");
        }
        long iteration = in.readLong();
        int attempts = in.readInt();
        int kind = in.readByte();
        carrier = kind == RoundWire.NEWS;
        if (carrier) {
          cache.advance(ThetaPull.News.read(in, layout));
        } else if (kind == RoundWire.FOLLOW) {
          await(cache, iteration, ctx);
        } else {
          throw new IOException("round " + round + ": θ kind " + kind + " from the driver");
        }
        if (planned != iteration) {
          share = plan(tasks, iteration, needed);
        }
        RoundWire.writeStatus(out, iteration, layout, cache.missing(iteration, needed));
        out.flush();
        Params theta = cache.fill(RoundWire.readRows(in, iteration, layout));
        adaptation.faults().beforeIteration(iteration, attempts);
        long[] ns = new long[1];
        MetaGradientAccumulator acc = adaptation.adaptShare(share, theta,
            new MetaBatch.ShareKey(round, iteration), iteration, ns);
        String broken = adaptation.faults().corruptResult(iteration, attempts);
        if (broken != null) {
          out.writeInt(RoundWire.RESULT);
          out.writeLong(iteration);
          out.writeLong(ns[0]);
          out.writeInt(broken.equals("huge") ? Integer.MAX_VALUE : 16);
          out.write(new byte[16]);
        } else {
          RoundWire.writeResult(out, iteration, ns[0], acc, ser);
        }
        out.flush();
        iterations++;
        // The next iteration's share and rows are known now (a function of seed, iteration and
        // task id): drawn while the driver takes its outer step, not after its news arrive.
        planned = iteration + 1;
        share = plan(tasks, planned, needed);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("training round " + round + ", partition " + ctx.partitionId()
          + ": exchange with the driver at " + driver.host() + ":" + driver.port() + " failed", e);
    }
    return scala.collection.Iterator$.MODULE$.single(iterations);
  }

  private static long tableFloats(ParamLayout layout) {
    long n = 0;
    for (io.metarec.model.Segment s : layout.segments()) {
      n += s.table() ? s.size() : 0;
    }
    return n;
  }

  /** This partition's share of iteration {@code iteration}, with the rows it reads in {@code needed}. */
  private List<Task> plan(List<Task> tasks, long iteration, RowSet needed) {
    List<Task> share = adaptation.shareOf(tasks, iteration);
    needed.clear();
    adaptation.rowsRead(share, iteration, needed);
    return share;
  }

  /** Waits for the partition of this JVM that carries the news of {@code iteration} to apply them. */
  private static void await(ThetaRowCache cache, long iteration, TaskContext ctx) {
    try {
      cache.awaitVersion(iteration, RoundWire.POLL_MS, () -> {
        if (ctx.isInterrupted()) {
          throw new TaskKilledException("killed while waiting for this executor's copy of θ");
        }
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TaskKilledException("interrupted while waiting for this executor's copy of θ");
    }
  }

  /**
   * Connects to the driver and passes its handshake (challenge, HMAC response, accepted). The
   * driver closes a connection at once while too many handshakes are pending, so a connection cut
   * before ACCEPTED is tried again, with a growing pause, until {@value #CONNECT_TIMEOUT_MS} ms
   * have passed.
   */
  private Socket connect(TaskContext ctx) throws IOException {
    long deadline = System.nanoTime() + CONNECT_TIMEOUT_MS * 1_000_000L;
    int pause = 20;
    IOException last = null;
    int attempts = 0;
    while (attempts == 0 || System.nanoTime() < deadline) {
      if (ctx.isInterrupted()) {
        throw new TaskKilledException("killed while connecting to the driver");
      }
      attempts++;
      Socket s = new Socket();
      try {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
        s.connect(new InetSocketAddress(driver.host(), driver.port()),
            (int) Math.min(left, CONNECT_TIMEOUT_MS));
        s.setTcpNoDelay(true);
        s.setSoTimeout(RoundServer.HANDSHAKE_TIMEOUT_MS);
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] nonce = RoundWire.readChallenge(in);
        java.io.ByteArrayOutputStream response = new java.io.ByteArrayOutputStream();
        RoundWire.writeResponse(new DataOutputStream(response), driver.secret(), nonce, round,
            ctx.partitionId());
        s.getOutputStream().write(response.toByteArray());
        s.getOutputStream().flush();
        RoundWire.readAccepted(in);
        return s;
      } catch (IOException e) {
        last = e;
        s.close();
        try {
          Thread.sleep(pause);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new TaskKilledException("interrupted while connecting to the driver");
        }
        pause = Math.min(MAX_BACKOFF_MS, pause * 2);
      }
    }
    throw new IOException("no handshake with the driver in " + attempts + " attempts over "
        + CONNECT_TIMEOUT_MS + " ms; last: " + last, last);
  }
}
