package io.metarec.serve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metarec.config.ServeConfig;
import io.metarec.io.ModelManifest;
import io.metarec.serve.ItemScore;
import io.metarec.serve.MetaRecModel;
import io.metarec.serve.Recommendations;
import io.metarec.serve.Scores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metarec serve}: the serving API ({@link MetaRecModel}) as an HTTP JSON endpoint on the
 * JDK's built-in server.
 *
 * <pre>
 *   POST /recommend  {"history": [{"item": "i1", "rating": 4}, ...], "n": 10, "exclude_seen": true,
 *                     "exclude": [...], "candidates": [...], "user_features": {"age": "25-34"}}
 *                    → {"items": [{"item": "i7", "score": 4.62}, ...], "unknown_items": 0,
 *                       "model_version": "2026-11-27"}
 *   POST /score      {"history": [...], "items": ["i7", "i9"], "user_features": {...}}
 *                    → {"items": [{"item": "i7", "score": 4.62}], "unscored": ["i9"], ...}
 *   GET  /health     {"status": "ok", "model_version": ..., "items": ..., ...}
 *   GET  /model      the model.json summary: architecture, training, metrics, inner loop, serving
 * </pre>
 *
 * <p>A bad request is answered 4xx with {@code {"error": "..."}} naming the field and what is
 * allowed, never a stack trace: malformed JSON, a missing or mistyped field, an unknown field, a
 * rating out of the model's range, {@code n} outside [1, {@code serve.maxN}] or a history longer
 * than {@code serve.maxHistory} (400), a body over {@code serve.maxBodyBytes} (413, not read), a
 * wrong method (405), an unknown path (404). A failure of the server itself is a 500 with its
 * one-line reason (the stack goes to the log).
 *
 * <p>With a registry ({@code serve.registry}) the server reads its {@code latest.json} every
 * {@code serve.pollSeconds}; when it names another version, that model is loaded and checked on the
 * poller's thread while requests keep being answered by the current one, then swapped in atomically:
 * a request uses the model it started with, so none is dropped or answered by half of each. A
 * version that fails to load is logged and reported by {@code /health}, and the current model stays.
 *
 * <p>{@link #stop} (the command's SIGTERM hook) drains: requests in flight finish (for up to
 * {@code serve.shutdownSeconds}) while new ones are answered 503 with {@code Connection: close},
 * then the listener and the threads stop. (The JDK 17 server's own {@code stop(delay)} waits the
 * whole delay when nothing is in flight, JDK-8304065, so the drain is counted here.)
 */
public final class ServeServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServeServer.class);

  static {
    // The JDK server writes a response's headers and body in two segments; with Nagle's algorithm
    // on, the body waits for the client's delayed ACK of the headers: 40 ms a request on Linux.
    // The server reads this property once, when its first instance is made.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final ServeConfig cfg;
  private final HttpServer http;
  private final ThreadPoolExecutor pool;
  private final AtomicReference<MetaRecModel> model;
  private final ModelRegistry registry;
  private final ScheduledExecutorService poller;
  private final Instant started = Instant.now();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong reloads = new AtomicLong();
  private volatile String reloadError;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicInteger stopping = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  private ServeServer(ServeConfig cfg, MetaRecModel first, ModelRegistry registry)
      throws IOException {
    this.cfg = cfg;
    this.model = new AtomicReference<>(first);
    this.registry = registry;
    AtomicInteger n = new AtomicInteger();
    int threads = cfg.resolvedThreads();
    this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "metarec-serve-" + n.incrementAndGet());
          t.setDaemon(false);
          return t;
        });
    this.http = HttpServer.create(new InetSocketAddress(cfg.host(), cfg.port()), 1024);
    http.createContext("/", this::handle);
    http.setExecutor(pool);
    http.start();
    if (registry != null) {
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "metarec-registry");
        t.setDaemon(true);
        return t;
      });
      long every = Math.max(1, Math.round(cfg.pollSeconds() * 1000));
      poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    } else {
      poller = null;
    }
    LOG.info("serving {} ({} items, {}) on http://{}:{} with {} threads", first.version(),
        first.itemCount(), mode(first), cfg.host(), port(), threads);
  }

  /**
   * Starts serving the model of {@code cfg}: {@code serve.registry}'s latest version (and its
   * successors), else the folder {@code serve.model}.
   *
   * @param options how the model is served ({@link MetaRecModel.Options#rerank}); the registry
   *     names the version
   * @throws IllegalArgumentException when neither is set, or the model cannot be loaded (naming the
   *     file and what is wrong)
   */
  public static ServeServer start(ServeConfig cfg, MetaRecModel.Options options)
      throws IOException {
    if (!cfg.registry().isBlank()) {
      ModelRegistry r = new ModelRegistry(Path.of(cfg.registry()), options);
      return new ServeServer(cfg, r.loadLatest(), r);
    }
    if (cfg.model().isBlank()) {
      throw new IllegalArgumentException("serve needs --model DIR (serve.model) or --registry DIR "
          + "(serve.registry)");
    }
    return new ServeServer(cfg, MetaRecModel.load(Path.of(cfg.model()), options), null);
  }

  /** Starts serving {@code model}, which never changes. */
  public static ServeServer start(ServeConfig cfg, MetaRecModel model) throws IOException {
    return new ServeServer(cfg, model, null);
  }

  /** @return the port listened on (the chosen one when {@code serve.port} is 0) */
  public int port() {
    return http.getAddress().getPort();
  }

  /** @return the model answering new requests */
  public MetaRecModel model() {
    return model.get();
  }

  /** @return how many times a new version has been swapped in */
  public long reloads() {
    return reloads.get();
  }

  /**
   * Stops: no new connections, requests in flight finish (for {@code serve.shutdownSeconds} at
   * most), then the threads end. Idempotent; returns when stopped.
   */
  public void stop() {
    if (stopping.getAndIncrement() > 0) {
      awaitStopped();
      return;
    }
    LOG.info("stopping: waiting up to {} s for requests in flight", cfg.shutdownSeconds());
    if (poller != null) {
      poller.shutdownNow();
    }
    draining = true;
    long deadline = System.nanoTime() + cfg.shutdownSeconds() * 1_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    http.stop(0);
    pool.shutdown();
    try {
      if (!pool.awaitTermination(Math.max(1, cfg.shutdownSeconds()), TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
    LOG.info("stopped after {} requests answered, {} refused, {} failed", answered.get(),
        refused.get(), failed.get());
    stopped.countDown();
  }

  @Override
  public void close() {
    stop();
  }

  /** Blocks until {@link #stop} has finished. */
  public void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void poll() {
    try {
      MetaRecModel next = registry.loadIfChanged();
      if (next != null) {
        MetaRecModel old = model.getAndSet(next);
        reloads.incrementAndGet();
        reloadError = null;
        LOG.info("reloaded: now serving {} ({} items), was {}", next.version(), next.itemCount(),
            old.version());
      } else {
        reloadError = null;
      }
    } catch (RuntimeException e) {
      if (!java.util.Objects.equals(e.getMessage(), reloadError)) {
        LOG.warn("registry {}: keeping {}: {}", cfg.registry(), model.get().version(),
            e.getMessage());
      }
      reloadError = e.getMessage();
    }
  }

  // ---------------------------------------------------------------- requests

  private void handle(HttpExchange ex) {
    inFlight.incrementAndGet();
    try {
      if (draining) {
        ex.getResponseHeaders().set("Connection", "close");
        throw new ApiException(503, "the server is shutting down");
      }
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/recommend" -> {
          allow(ex, method, "POST");
          recommend(ex, readBody(ex));
        }
        case "/score" -> {
          allow(ex, method, "POST");
          score(ex, readBody(ex));
        }
        case "/health" -> {
          allow(ex, method, "GET");
          health(ex);
        }
        case "/model" -> {
          allow(ex, method, "GET");
          modelSummary(ex);
        }
        default -> throw new ApiException(404, "no such endpoint " + path
            + "; the endpoints are POST /recommend, POST /score, GET /health, GET /model");
      }
      answered.incrementAndGet();
    } catch (ApiException e) {
      refused.incrementAndGet();
      error(ex, e.status(), e.getMessage());
    } catch (IllegalArgumentException e) {
      // The model refusing a value of the request (a rating out of range, an unknown field).
      refused.incrementAndGet();
      error(ex, 400, e.getMessage());
    } catch (Throwable t) {
      failed.incrementAndGet();
      LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), t);
      error(ex, 500, "internal error: " + t.getClass().getSimpleName()
          + (t.getMessage() == null ? "" : ": " + t.getMessage().lines().findFirst().orElse("")));
    } finally {
      ex.close();
      inFlight.decrementAndGet();
    }
  }

  private static void allow(HttpExchange ex, String method, String allowed) {
    if (!method.equals(allowed)) {
      ex.getResponseHeaders().set("Allow", allowed);
      throw new ApiException(405, ex.getRequestURI().getPath() + " takes " + allowed + ", not "
          + method);
    }
  }

  private byte[] readBody(HttpExchange ex) throws IOException {
    int max = cfg.maxBodyBytes();
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long len;
      try {
        len = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        throw new ApiException(400, "Content-Length is not a number: " + declared);
      }
      if (len > max) {
        ex.getResponseHeaders().set("Connection", "close");
        throw new ApiException(413, "the body has " + len + " bytes, more than " + max
            + " (serve.maxBodyBytes)");
      }
    }
    InputStream in = ex.getRequestBody();
    byte[] b = in.readNBytes(max + 1);
    if (b.length > max) {
      ex.getResponseHeaders().set("Connection", "close");
      throw new ApiException(413, "the body has more than " + max + " bytes (serve.maxBodyBytes)");
    }
    return b;
  }

  private void recommend(HttpExchange ex, byte[] body) throws IOException {
    MetaRecModel m = model.get();
    Requests.Recommend r = Requests.recommend(body, m, cfg);
    Recommendations rec = m.recommend(r.history(), r.n(), r.excludeSeen(), r.exclude(),
        r.candidates());
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 48 * rec.items().size());
    try (JsonGenerator g = Requests.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      items(g, rec.items());
      g.writeNumberField("unknown_items", rec.unknownItems());
      g.writeStringField("model_version", rec.modelVersion());
      g.writeEndObject();
    }
    send(ex, 200, out.toByteArray());
  }

  private void score(HttpExchange ex, byte[] body) throws IOException {
    MetaRecModel m = model.get();
    Requests.Score r = Requests.score(body, m, cfg);
    Scores s = m.score(r.history(), r.items());
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 48 * s.items().size());
    try (JsonGenerator g = Requests.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      items(g, s.items());
      g.writeArrayFieldStart("unscored");
      for (String u : s.unscored()) {
        g.writeString(u);
      }
      g.writeEndArray();
      g.writeNumberField("unknown_items", s.unknownItems());
      g.writeStringField("model_version", s.modelVersion());
      g.writeEndObject();
    }
    send(ex, 200, out.toByteArray());
  }

  private static void items(JsonGenerator g, java.util.List<ItemScore> items) throws IOException {
    g.writeArrayFieldStart("items");
    for (ItemScore s : items) {
      g.writeStartObject();
      g.writeStringField("item", s.item());
      g.writeNumberField("score", s.score());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private void health(HttpExchange ex) throws IOException {
    MetaRecModel m = model.get();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = Requests.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("status", "ok");
      g.writeStringField("model_version", m.version());
      g.writeNumberField("items", m.itemCount());
      g.writeNumberField("uptime_s", Duration.between(started, Instant.now()).toSeconds());
      g.writeNumberField("answered", answered.get());
      g.writeNumberField("refused", refused.get());
      g.writeNumberField("failed", failed.get());
      g.writeNumberField("reloads", reloads.get());
      if (registry != null) {
        g.writeStringField("registry", cfg.registry());
        g.writeStringField("reload_error", reloadError);
      }
      g.writeEndObject();
    }
    send(ex, 200, out.toByteArray());
  }

  private void modelSummary(HttpExchange ex) throws IOException {
    MetaRecModel m = model.get();
    ModelManifest mf = m.manifest();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = Requests.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("model_version", m.version());
      g.writeStringField("dir", m.dir());
      g.writeStringField("kind", mf.kind());
      g.writeNumberField("formatVersion", mf.formatVersion());
      g.writeStringField("trainedBy", mf.trainedBy() == null ? "meta-training" : mf.trainedBy());
      g.writeStringField("createdAt", mf.createdAt());
      g.writeStringField("codeVersion", mf.codeVersion());
      g.writeStringField("feedback", m.feedback().name().toLowerCase(Locale.ROOT));
      g.writeNumberField("labelMin", mf.labelMin());
      g.writeNumberField("labelMax", mf.labelMax());
      g.writeNumberField("items", m.itemCount());
      g.writeFieldName("userFields");
      Requests.MAPPER.writeValue(g, m.userFieldNames());
      g.writeFieldName("architecture");
      Requests.MAPPER.writeValue(g, mf.architecture());
      g.writeStringField("configHash", mf.configHash());
      g.writeFieldName("data");
      Requests.MAPPER.writeValue(g, mf.data());
      g.writeFieldName("metrics");
      Requests.MAPPER.writeValue(g, mf.metrics());
      g.writeFieldName("innerLoop");
      Requests.MAPPER.writeValue(g, m.inner());
      g.writeObjectFieldStart("serving");
      g.writeStringField("lists", mode(m));
      g.writeNumberField("rerank", m.options().rerank());
      g.writeNumberField("maxN", cfg.maxN());
      g.writeNumberField("maxHistory", cfg.maxHistory());
      g.writeNumberField("maxBodyBytes", cfg.maxBodyBytes());
      g.writeEndObject();
      g.writeEndObject();
    }
    send(ex, 200, out.toByteArray());
  }

  private static String mode(MetaRecModel m) {
    int c = m.options().rerank();
    return c == 0 || c >= m.itemCount() ? "exact" : "two-stage, " + c + " candidates rescored";
  }

  private static void error(HttpExchange ex, int status, String message) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (JsonGenerator g = Requests.MAPPER.getFactory().createGenerator(out)) {
        g.writeStartObject();
        g.writeStringField("error", message);
        g.writeNumberField("status", status);
        g.writeEndObject();
      }
      send(ex, status, out.toByteArray());
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot answer {} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
    }
  }

  private static void send(HttpExchange ex, int status, byte[] json) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, json.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(json);
    }
  }
}
