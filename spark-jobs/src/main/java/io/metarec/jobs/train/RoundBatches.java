package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.spark.JobFailedException;
import io.metarec.task.Task;
import io.metarec.train.BatchSummer;
import io.metarec.train.ThetaPull;
import io.metarec.train.ThetaUpdates;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.serializer.SerializerInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * {@code train.exchange=rounds}: the executors stay in one Spark job for a whole stretch of
 * iterations (a round, up to the next validation), instead of one job per iteration.
 *
 * <p>A round is a barrier stage over the cached training tasks ({@link RoundTask}): every partition
 * holds a task slot for the whole round and keeps a TCP connection to this driver. Each iteration
 * the driver sends the news of θ ({@link ThetaPull.News}: the dense part and the rows the last
 * outer step changed, with their values) to one partition of each executor, which brings that JVM's one copy of θ
 * ({@link io.metarec.train.ThetaRowCache}) to this iteration while the executor's other partitions
 * wait for it; serves each partition the rows its share reads that the copy does not hold
 * current; then reads every partition's accumulator back, summing them in partition order, as
 * {@link JobBatches} sums the task results of its per-iteration jobs. What this saves per iteration is Spark's scheduling of a job (submission, task
 * serialization and launch, result handling, the θ broadcast and its removal): ~30 ms on a two-core
 * machine, where a MovieLens-100K iteration adapts for ~110 ms.
 *
 * <p>A round that fails (a task threw, an executor was lost, a connection broke) is abandoned:
 * the driver closes its connections and cancels its job, and a new round starts at the iteration
 * that did not complete, from the same θ. That iteration is retried up to {@code maxAttempts} times
 * in all, as Spark retries a failed task. Nothing an abandoned round computed is used, so a retried
 * run ends with the same bits as a clean one.
 */
final class RoundBatches implements BatchSummer {
  private static final Logger LOG = LoggerFactory.getLogger(RoundBatches.class);
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);
  private final JavaRDD<Task> train;
  private final Adaptation adaptation;
  private final ParamLayout layout;
  private final int maxAttempts;
  private final int maxResultBytes;
  private final RoundServer server;
  private final RoundWire.Endpoint endpoint;
  private final SerializerInstance ser = SparkEnv.get().serializer().newInstance();
  private final ThetaUpdates updates = new ThetaUpdates();
  private Round round;
  private long kernelNanos;
  private long sentBytes;
  private long pulledRows;
  private long failedIteration = -1;
  private int failures;
  private long failedRounds;

  /**
   * Opens the driver's server socket.
   *
   * @param bindHost the address to listen on ({@code spark.driver.bindAddress})
   * @param advertisedHost the address executors connect to ({@code spark.driver.host})
   * @param port the port; 0 = any free port
   * @param maxAttempts how often one iteration may be attempted before the job fails
   */
  RoundBatches(JavaRDD<Task> train, Adaptation adaptation, ParamLayout layout, String bindHost,
      String advertisedHost, int port, int maxAttempts) {
    this.train = train;
    this.adaptation = adaptation;
    this.layout = layout;
    this.maxAttempts = maxAttempts;
    this.maxResultBytes = RoundWire.maxResultBytes(layout);
    try {
      server = new RoundServer(bindHost, port);
    } catch (IOException e) {
      throw new JobFailedException("train.exchange=rounds: cannot listen on " + bindHost + ":" + port
          + " (train.exchangePort; 0 = any free port): " + e.getMessage());
    }
    endpoint = new RoundWire.Endpoint(advertisedHost, server.port(), server.secret());
    LOG.info("training rounds: executors connect to {}:{}", advertisedHost, server.port());
  }

  @Override
  public MetaGradientAccumulator sum(long iteration, Params theta) {
    ThetaPull.News news = updates.newsFor(iteration, theta);
    byte[] bytes = RoundWire.encode(news, layout);
    while (true) {
      if (round == null) {
        round = new Round(server.newRoundId());
      }
      int attempts = iteration == failedIteration ? failures : 0;
      try {
        MetaGradientAccumulator acc = round.iterate(iteration, attempts, bytes, theta);
        if (iteration != failedIteration) {
          failedIteration = -1;
          failures = 0;
        }
        updates.summed(iteration, theta, acc);
        return acc;
      } catch (RoundFailedException e) {
        round.abandon();
        round = null;
        failedRounds++;
        if (iteration != failedIteration) {
          failedIteration = iteration;
          failures = 0;
        }
        failures++;
        if (failures >= maxAttempts) {
          throw new JobFailedException("training iteration " + iteration + " failed " + failures
              + " times (spark.task.maxFailures = " + maxAttempts + "): " + e.getMessage(), e);
        }
        LOG.warn("training round failed in iteration {} ({}); a new round retries it (attempt {} "
            + "of {})", iteration, e.getMessage(), failures + 1, maxAttempts);
      }
    }
  }

  @Override
  public void pause() {
    if (round == null) {
      return;
    }
    try {
      round.finish();
    } catch (RoundFailedException e) {
      // Every iteration of the round has its accumulators: nothing to redo.
      LOG.warn("training round ended with an error after its last iteration: {}", e.getMessage());
      round.abandon();
    } finally {
      round = null;
    }
  }

  @Override
  public long kernelNanos() {
    return kernelNanos;
  }

  /** Bytes of θ sent so far (news and pulled rows, counted per connection). */
  @Override
  public long thetaBytesSent() {
    return sentBytes;
  }

  /** What the exchange's server did with the connections it was offered, and the failed rounds. */
  ExchangeStats stats() {
    ExchangeStats s = server.stats();
    return new ExchangeStats(s.authenticated(), s.rejected(), s.timedOut(), s.broken(), s.refused(),
        failedRounds, 0, sentBytes, pulledRows);
  }

  @Override
  public void close() {
    updates.reset();
    if (round != null) {
      round.abandon();
      round = null;
    }
    server.close();
  }

  /** Why a round cannot go on; its iteration is retried in a new round. */
  static final class RoundFailedException extends RuntimeException {
    RoundFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** One partition's connection. */
  private record Peer(Socket socket, DataInputStream in, DataOutputStream out, String executor) {}

  /** One barrier job and its connections, one per partition. */
  private final class Round {
    private final long id;
    private final JavaFutureAction<List<Object>> job;
    private final Peer[] peers;
    private int connected;

    Round(long id) {
      this.id = id;
      RDD<Object> tasks = train.rdd().barrier()
          .mapPartitions(new RoundTask(endpoint, id, adaptation), false, ANY);
      this.job = JavaRDD.fromRDD(tasks, ANY).collectAsync();
      this.peers = new Peer[train.getNumPartitions()];
    }

    /** Throws if the job is over (failed, or ended while the driver still expects messages). */
    private void checkJob() {
      if (!job.isDone()) {
        return;
      }
      try {
        job.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new RoundFailedException(firstLine(cause), cause);
      } catch (CancellationException | InterruptedException e) {
        throw new RoundFailedException("the round's job was cancelled", e);
      }
      throw new RoundFailedException("the round's tasks ended while the driver expected results", null);
    }

    MetaGradientAccumulator iterate(long iteration, int attempts, byte[] news, Params theta) {
      while (connected < peers.length) {
        accept();
      }
      int part = -1;
      String doing = "sending θ";
      try {
        java.util.Set<String> carried = new java.util.HashSet<>();
        for (Peer p : peers) {
          // The lowest partition of each executor carries the news there; the others wait for it.
          int kind = carried.add(p.executor()) ? RoundWire.NEWS : RoundWire.FOLLOW;
          RoundWire.writeIterate(p.out(), iteration, attempts, kind, news);
          p.out().flush();
          sentBytes += kind == RoundWire.NEWS ? news.length : 0;
        }
        doing = "serving the rows of partition ";
        for (part = 0; part < peers.length; part++) {
          int[][] request = RoundWire.readStatus(peers[part].in(), iteration, part, layout);
          sentBytes += RoundWire.writeRows(peers[part].out(), iteration, theta, request);
          peers[part].out().flush();
          pulledRows += ThetaPull.count(request);
        }
        doing = "reading the accumulator of partition ";
        MetaGradientAccumulator total = new MetaGradientAccumulator(layout);
        for (part = 0; part < peers.length; part++) {
          RoundWire.Result r = RoundWire.readResult(peers[part].in(), iteration, part, layout,
              maxResultBytes, ser);
          total.mergeInPlace(r.accumulator());
          kernelNanos += r.kernelNanos();
        }
        return total;
      } catch (IOException e) {
        checkJob();
        throw new RoundFailedException((part < 0 ? doing : doing + part) + " failed: "
            + (e instanceof java.io.EOFException ? "the task closed its connection"
            : e.toString()), e);
      }
    }

    /**
     * Waits up to {@link RoundWire#POLL_MS} for one more authenticated connection of this round;
     * connections of other (abandoned) rounds and duplicates are closed.
     */
    private void accept() {
      RoundServer.Connection c;
      try {
        c = server.next(RoundWire.POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RoundFailedException("interrupted while waiting for the round's tasks", e);
      }
      if (c == null) {
        checkJob();
        return;
      }
      Socket s = c.socket();
      int part = c.partition();
      if (c.round() != id || part < 0 || part >= peers.length || peers[part] != null) {
        RoundServer.closeQuietly(s); // a task of an abandoned round, or a duplicate
        return;
      }
      try {
        s.setSoTimeout(RoundWire.POLL_MS);
        DataInputStream in = new DataInputStream(new BufferedInputStream(
            new RoundWire.Polling(s.getInputStream(), this::checkJob), 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
        peers[part] = new Peer(s, in, out, RoundWire.readHello(in));
        connected++;
      } catch (IOException e) {
        LOG.warn("training rounds: partition {}'s connection broke right after its handshake: {}",
            part, e.toString());
        RoundServer.closeQuietly(s);
      }
    }

    /** Tells every task to stop and waits for the job to end. */
    void finish() {
      try {
        for (Peer p : peers) {
          if (p != null) {
            p.out().writeInt(RoundWire.STOP);
            p.out().flush();
          }
        }
        job.get();
      } catch (IOException | ExecutionException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        throw new RoundFailedException(firstLine(cause), cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RoundFailedException("interrupted while the round ended", e);
      } finally {
        closeAll();
      }
    }

    /** Closes every connection (the tasks fail on it) and cancels the job. */
    void abandon() {
      closeAll();
      job.cancel(true);
    }

    private void closeAll() {
      for (Peer p : peers) {
        if (p != null) {
          RoundServer.closeQuietly(p.socket());
        }
      }
    }
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
