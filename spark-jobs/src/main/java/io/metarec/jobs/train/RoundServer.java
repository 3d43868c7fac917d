package io.metarec.jobs.train;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's listening side of the training rounds' exchange ({@link RoundWire}), with no
 * Spark in it: a server socket, an accept thread, and handshakes off that thread.
 *
 * <p>The accept thread only accepts: each connection's handshake (challenge, response, accepted)
 * runs on a thread of its own with a deadline of {@value #HANDSHAKE_TIMEOUT_MS} ms for the whole
 * handshake, and at most {@value #MAX_PENDING} handshakes are pending at once; a connection beyond
 * that is closed at once. So an idle or slow peer holds one handshake thread for at most the
 * deadline and never delays another connection, and a flood of them is refused rather than queued.
 * A task whose connection was refused or cut during the handshake connects again
 * ({@link RoundTask}). Connections that prove they know the run's secret wait in a queue for the
 * round they name ({@link #next}).
 *
 * <p>Counters of what was dropped and why ({@link #stats}, an {@link ExchangeStats}) are for logs and tests.
 */
final class RoundServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoundServer.class);
  /** The whole handshake of one connection must end within this long. */
  static final int HANDSHAKE_TIMEOUT_MS = 5_000;
  /** Handshakes pending at once; a connection beyond this is closed without one. */
  static final int MAX_PENDING = 64;
  /** Dropped connections logged one by one; later ones are counted and summed up at close. */
  private static final int LOGGED_DROPS = 20;

  /**
   * A connection that passed the handshake.
   *
   * @param socket the socket, with no read timeout set
   * @param round the round id it named
   * @param partition the partition it named
   */
  record Connection(Socket socket, long round, int partition) {}

  private final ServerSocket server;
  private final byte[] secret = new byte[RoundWire.SECRET_BYTES];
  private final SecureRandom random = new SecureRandom();
  private final Semaphore pending;
  private final ThreadPoolExecutor handshakes;
  private final BlockingQueue<Connection> ready = new LinkedBlockingQueue<>();
  private final Thread acceptor;
  private final AtomicLong authenticated = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  private final AtomicLong broken = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicInteger logged = new AtomicInteger();
  private final java.util.Set<Socket> inHandshake = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final int handshakeTimeoutMs;
  private final int maxPending;
  private volatile boolean closed;

  /**
   * Listens on {@code bindHost:port} (0 = any free port) and starts accepting.
   *
   * @throws IOException if the address cannot be bound
   */
  RoundServer(String bindHost, int port) throws IOException {
    this(bindHost, port, HANDSHAKE_TIMEOUT_MS, MAX_PENDING);
  }

  /** As {@link #RoundServer(String, int)}, with another deadline and cap (tests). */
  RoundServer(String bindHost, int port, int handshakeTimeoutMs, int maxPending) throws IOException {
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.maxPending = maxPending;
    this.pending = new Semaphore(maxPending);
    random.nextBytes(secret);
    server = new ServerSocket();
    server.setReuseAddress(true);
    try {
      server.bind(new InetSocketAddress(bindHost, port), 128);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    AtomicInteger n = new AtomicInteger();
    handshakes = new ThreadPoolExecutor(0, maxPending, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "metarec-round-handshake-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    acceptor = new Thread(this::acceptLoop, "metarec-round-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port listened on. */
  int port() {
    return server.getLocalPort();
  }

  /** The run's secret, for the tasks' closure. */
  byte[] secret() {
    return secret.clone();
  }

  /** A fresh random round id; negative, so that it never equals a broadcast id ({@link io.metarec.train.MetaBatch.ShareKey}). */
  long newRoundId() {
    return random.nextLong() | Long.MIN_VALUE;
  }

  /**
   * The next authenticated connection, waiting up to {@code timeoutMs}; null if none came.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  Connection next(long timeoutMs) throws InterruptedException {
    return ready.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** What happened to the connections so far ({@code failedRounds} is the caller's to count). */
  ExchangeStats stats() {
    return new ExchangeStats(authenticated.get(), rejected.get(), timedOut.get(), broken.get(),
        refused.get(), 0, 0, 0, 0);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("training rounds: accepting a connection failed: {}", e.toString());
        }
        continue;
      }
      if (!pending.tryAcquire()) {
        refused.incrementAndGet();
        drop(s, "refused: " + maxPending + " handshakes are already pending");
        continue;
      }
      inHandshake.add(s);
      try {
        handshakes.execute(() -> {
          try {
            handshake(s);
          } finally {
            inHandshake.remove(s);
            pending.release();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException shutDown) {
        inHandshake.remove(s);
        pending.release();
        closeQuietly(s);
      }
    }
  }

  /** One connection's handshake, on a handshake thread. */
  private void handshake(Socket s) {
    long deadline = System.nanoTime() + handshakeTimeoutMs * 1_000_000L;
    try {
      s.setTcpNoDelay(true);
      byte[] nonce = RoundWire.nonce(random);
      ByteArrayOutputStream challenge = new ByteArrayOutputStream();
      RoundWire.writeChallenge(new DataOutputStream(challenge), nonce);
      s.getOutputStream().write(challenge.toByteArray());
      s.getOutputStream().flush();
      byte[] response = new byte[RoundWire.RESPONSE_BYTES];
      readFully(s, response, deadline);
      RoundWire.Response r = RoundWire.Response.parse(response);
      if (!r.verify(secret, nonce)) {
        rejected.incrementAndGet();
        drop(s, r.magic() != RoundWire.MAGIC
            ? String.format(Locale.ROOT, "not a MetaRec task (magic number 0x%08x)", r.magic())
            : "its handshake does not prove the run's secret (not one of this run's tasks)");
        return;
      }
      ByteArrayOutputStream ok = new ByteArrayOutputStream();
      RoundWire.writeAccepted(new DataOutputStream(ok));
      s.getOutputStream().write(ok.toByteArray());
      s.getOutputStream().flush();
      s.setSoTimeout(0);
      authenticated.incrementAndGet();
      ready.add(new Connection(s, r.round(), r.partition()));
      if (closed) {
        drainReady();
      }
    } catch (SocketTimeoutException e) {
      timedOut.incrementAndGet();
      drop(s, "no handshake within " + handshakeTimeoutMs + " ms");
    } catch (IOException e) {
      if (closed) {
        closeQuietly(s);
        return;
      }
      broken.incrementAndGet();
      drop(s, "the handshake broke off (" + (e instanceof java.io.EOFException
          ? "the peer closed the connection" : e.toString()) + ")");
    }
  }

  /** Reads {@code b.length} bytes, failing with a timeout once {@code deadline} passes. */
  private static void readFully(Socket s, byte[] b, long deadline) throws IOException {
    InputStream in = s.getInputStream();
    int off = 0;
    while (off < b.length) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw new SocketTimeoutException("handshake deadline");
      }
      s.setSoTimeout((int) Math.max(1, Math.min(left, Integer.MAX_VALUE)));
      int n = in.read(b, off, b.length - off);
      if (n < 0) {
        throw new java.io.EOFException();
      }
      off += n;
    }
  }

  private void drop(Socket s, String why) {
    if (logged.incrementAndGet() <= LOGGED_DROPS) {
      LOG.warn("training rounds: dropped a connection from {}: {}", s.getRemoteSocketAddress(), why);
    }
    closeQuietly(s);
  }

  private void drainReady() {
    List<Connection> left = new ArrayList<>();
    ready.drainTo(left);
    for (Connection c : left) {
      closeQuietly(c.socket());
    }
  }

  /**
   * Handshakes holding a slot now. A handshake's outcome is counted in {@link #stats} just before
   * its slot is released, so a caller that waits for an outcome and then needs the slot waits for
   * this too (tests).
   */
  int pendingHandshakes() {
    return maxPending - pending.availablePermits();
  }

  /** Stops listening, ends pending handshakes and closes every connection no round took. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("closing the training rounds' server socket: {}", e.toString());
    }
    handshakes.shutdownNow();
    for (Socket s : inHandshake) {
      closeQuietly(s); // a blocked handshake read fails at once
    }
    try {
      acceptor.join(5_000);
      handshakes.awaitTermination(handshakeTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    drainReady();
    ExchangeStats st = stats();
    if (st.dropped() > 0) {
      LOG.warn("training rounds: {} connections dropped in this run ({} failed authentication, {} "
          + "timed out, {} broke off, {} refused while {} handshakes were pending)", st.dropped(),
          st.rejected(), st.timedOut(), st.broken(), st.refused(), maxPending);
    }
  }

  static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing is all that is left to do with it
    }
  }

}
