package io.metarec.bench;

import io.metarec.config.ServeConfig;
import io.metarec.io.ModelManifest;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.serve.History;
import io.metarec.serve.ItemScore;
import io.metarec.serve.MetaRecModel;
import io.metarec.serve.http.ServeServer;
import io.metarec.task.ItemFeatureTable;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serving benchmark ({@code metarec bench-serve}): the latency of one request of the serving API,
 * adapt a new user to {@code history} interactions and rank the whole catalog for a top-10, in
 * process on one thread and on all cores, exact and two-stage at several candidate counts (with the
 * two-stage lists' recall@10 against exact), and optionally a bounded HTTP load on loopback.
 *
 * <p>Histories are real ones from a delimited file ({@code user, item, rating[, timestamp]}, the
 * first {@code history} known interactions of each user by time) or, without one, drawn from the
 * model: items by their training popularity, ratings uniform over the label range. The catalog can
 * be scaled to N items ({@link #scaled}) by copying the model's item rows with a little noise, to
 * time catalogs larger than any model at hand.
 */
public final class ServeBench {
  private ServeBench() {}

  /**
   * What to measure.
   *
   * @param rerank candidate counts of the two-stage lists (0 = exact); the first is the headline
   * @param history interactions per request
   * @param n list length
   * @param users distinct histories cycled through
   * @param seconds timed seconds per configuration (after as long a warm-up, at most 3 s)
   * @param threads threads of the all-cores configuration
   * @param recallUsers users the recall of two-stage lists is measured on
   * @param httpSeconds seconds of the HTTP load run, 0 for none
   * @param httpClients concurrent connections of the HTTP load run
   */
  public record Plan(List<Integer> rerank, int history, int n, int users, double seconds,
      int threads, int recallUsers, double httpSeconds, int httpClients) {}

  /** Latencies of one configuration. */
  record Timing(String lists, int rerank, int threads, long requests, double seconds, double p50,
      double p90, double p99, double max, double mean) {
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lists", lists);
      m.put("rerank", rerank);
      m.put("threads", threads);
      m.put("requests", requests);
      m.put("requests_per_s", requests / seconds);
      m.put("p50_us", p50);
      m.put("p90_us", p90);
      m.put("p99_us", p99);
      m.put("max_us", max);
      m.put("mean_us", mean);
      return m;
    }
  }

  /** Runs the plan on {@code model}; returns the result as JSON-ready maps. */
  public static Map<String, Object> run(MetaRecModel model, List<History> histories, Plan plan,
      String source) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model", model.dir());
    out.put("model_version", model.version());
    out.put("items", model.itemCount());
    out.put("feedback", model.feedback().name().toLowerCase(Locale.ROOT));
    out.put("architecture", ModelManifest.Architecture.of(model.spec()));
    out.put("inner_steps", model.inner().steps());
    out.put("histories", source);
    out.put("history", plan.history());
    out.put("n", plan.n());
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    out.put("load_average_before", loadAverage());
    // The JIT compiles the kernels of every configuration before any is timed: a warm-up of one
    // configuration alone leaves the next one's first seconds to C2 (a p99 of milliseconds).
    List<MetaRecModel> variants = new ArrayList<>();
    for (int c : plan.rerank()) {
      variants.add(model.withOptions(model.options().withRerank(c)));
    }
    long warm = System.nanoTime();
    for (int k = 0; System.nanoTime() - warm < 8e9; k++) {
      for (MetaRecModel v : variants) {
        v.recommend(histories.get(k % histories.size()), plan.n());
      }
    }
    List<Map<String, Object>> configs = new ArrayList<>();
    Timing headline = null;
    for (int v = 0; v < variants.size(); v++) {
      int c = plan.rerank().get(v);
      MetaRecModel m = variants.get(v);
      for (int threads : plan.threads() > 1 ? new int[] {1, plan.threads()} : new int[] {1}) {
        Timing t = time(m, histories, plan, threads);
        Map<String, Object> j = t.json();
        if (c > 0 && c < model.itemCount() && threads == 1) {
          j.put("recall_at_" + plan.n(), recall(model, m, histories, plan));
        }
        configs.add(j);
        if (headline == null) {
          headline = t;
          out.put("p50_us", t.p50());
          out.put("p99_us", t.p99());
          out.put("lists", t.lists());
          out.put("rerank", c);
          j.forEach((k, x) -> {
            if (k.startsWith("recall")) {
              out.put(k, x);
            }
          });
        }
        System.err.printf(Locale.ROOT, "bench-serve: %-34s threads %2d: p50 %8.1f us, p99 %8.1f"
            + " us, %8.0f requests/s%s%n", t.lists(), threads, t.p50(), t.p99(),
            t.requests() / t.seconds(), j.containsKey("recall_at_" + plan.n())
                ? String.format(Locale.ROOT, ", recall@%d %.3f", plan.n(), j.get("recall_at_"
                    + plan.n())) : "");
      }
    }
    out.put("configurations", configs);
    if (plan.httpSeconds() > 0) {
      out.put("http", http(variants.get(0), histories, plan));
    }
    out.put("load_average_after", loadAverage());
    return out;
  }

  private static String lists(MetaRecModel m, int c) {
    return c == 0 || c >= m.itemCount() ? "exact" : "two-stage (" + c + " rescored)";
  }

  /** Warm-up, then {@code plan.seconds} of requests on {@code threads} threads. */
  private static Timing time(MetaRecModel m, List<History> histories, Plan plan, int threads)
      throws Exception {
    long warmNanos = (long) (Math.min(3.0, plan.seconds()) * 1e9);
    long runNanos = (long) (plan.seconds() * 1e9);
    long[][] lat = new long[threads][];
    int[] count = new int[threads];
    CyclicBarrier start = new CyclicBarrier(threads);
    Thread[] ts = new Thread[threads];
    Throwable[] failure = new Throwable[1];
    long[] wall = new long[2];
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] = new Thread(() -> {
        try {
          int k = id * 7919;
          long w0 = System.nanoTime();
          while (System.nanoTime() - w0 < warmNanos) {
            m.recommend(histories.get(k++ % histories.size()), plan.n());
          }
          long[] l = new long[1 << 16];
          int c = 0;
          start.await();
          long t0 = System.nanoTime();
          if (id == 0) {
            wall[0] = t0;
          }
          long now = t0;
          while (now - t0 < runNanos) {
            History h = histories.get(k++ % histories.size());
            long a = System.nanoTime();
            m.recommend(h, plan.n());
            now = System.nanoTime();
            if (c == l.length) {
              l = Arrays.copyOf(l, 2 * c);
            }
            l[c++] = now - a;
          }
          if (id == 0) {
            wall[1] = now;
          }
          lat[id] = l;
          count[id] = c;
        } catch (Throwable e) {
          failure[0] = e;
        }
      }, "bench-serve-" + t);
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException("bench-serve thread failed", failure[0]);
    }
    int total = 0;
    for (int c : count) {
      total += c;
    }
    long[] all = new long[total];
    int p = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(lat[t], 0, all, p, count[t]);
      p += count[t];
    }
    return timing(lists(m, m.options().rerank()), m.options().rerank(), threads, all,
        (wall[1] - wall[0]) / 1e9);
  }

  private static Timing timing(String lists, int rerank, int threads, long[] nanos,
      double seconds) {
    Arrays.sort(nanos);
    double sum = 0;
    for (long v : nanos) {
      sum += v;
    }
    int n = nanos.length;
    return new Timing(lists, rerank, threads, n, seconds, q(nanos, 0.50), q(nanos, 0.90),
        q(nanos, 0.99), n == 0 ? 0 : nanos[n - 1] / 1e3, n == 0 ? 0 : sum / n / 1e3);
  }

  private static double q(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e3;
  }

  /** Mean share of the exact top-n that the two-stage list finds. */
  private static double recall(MetaRecModel exact, MetaRecModel twoStage, List<History> histories,
      Plan plan) {
    MetaRecModel e = exact.withOptions(exact.options().withRerank(0));
    double sum = 0;
    int users = Math.min(plan.recallUsers(), histories.size());
    for (int u = 0; u < users; u++) {
      Set<String> want = new HashSet<>();
      for (ItemScore s : e.recommend(histories.get(u), plan.n()).items()) {
        want.add(s.item());
      }
      int hit = 0;
      for (ItemScore s : twoStage.recommend(histories.get(u), plan.n()).items()) {
        hit += want.contains(s.item()) ? 1 : 0;
      }
      sum += want.isEmpty() ? 1 : (double) hit / want.size();
    }
    return sum / users;
  }

  // ---------------------------------------------------------------- HTTP

  /**
   * A bounded HTTP load on loopback: the endpoint in this JVM with one thread per core,
   * {@code httpClients} keep-alive connections sending {@code POST /recommend} back to back for
   * {@code httpSeconds} (after a warm-up of a third of that), each response read whole.
   */
  private static Map<String, Object> http(MetaRecModel m, List<History> histories, Plan plan)
      throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    ServeConfig cfg = new ServeConfig("", "", "127.0.0.1", 0, cores, m.options().rerank(),
        plan.n(), Math.max(plan.n(), 1000), Math.max(plan.history(), 10_000), 1 << 20, 10, 5);
    List<byte[]> requests = new ArrayList<>();
    for (History h : histories) {
      requests.add(request(h, plan.n(), m.feedback()));
    }
    try (ServeServer server = ServeServer.start(cfg, m)) {
      int clients = plan.httpClients();
      long warm = (long) (plan.httpSeconds() / 3 * 1e9);
      long run = (long) (plan.httpSeconds() * 1e9);
      long[][] lat = new long[clients][];
      int[] count = new int[clients];
      AtomicLong errors = new AtomicLong();
      CyclicBarrier start = new CyclicBarrier(clients);
      Thread[] ts = new Thread[clients];
      long[] wall = new long[2];
      Throwable[] failure = new Throwable[1];
      for (int c = 0; c < clients; c++) {
        int id = c;
        ts[c] = new Thread(() -> {
          try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(30_000);
            OutputStream os = s.getOutputStream();
            InputStream is = new BufferedInputStream(s.getInputStream(), 1 << 16);
            int k = id * 7919;
            long w0 = System.nanoTime();
            while (System.nanoTime() - w0 < warm) {
              if (exchange(os, is, requests.get(k++ % requests.size())) != 200) {
                errors.incrementAndGet();
              }
            }
            long[] l = new long[1 << 16];
            int n = 0;
            start.await();
            long t0 = System.nanoTime();
            if (id == 0) {
              wall[0] = t0;
            }
            long now = t0;
            while (now - t0 < run) {
              byte[] req = requests.get(k++ % requests.size());
              long a = System.nanoTime();
              int status = exchange(os, is, req);
              now = System.nanoTime();
              if (status != 200) {
                errors.incrementAndGet();
              }
              if (n == l.length) {
                l = Arrays.copyOf(l, 2 * n);
              }
              l[n++] = now - a;
            }
            if (id == 0) {
              wall[1] = now;
            }
            lat[id] = l;
            count[id] = n;
          } catch (Throwable e) {
            failure[0] = e;
          }
        }, "bench-http-" + c);
        ts[c].start();
      }
      for (Thread t : ts) {
        t.join();
      }
      if (failure[0] != null) {
        throw new IllegalStateException("bench-serve HTTP client failed", failure[0]);
      }
      int total = 0;
      for (int c : count) {
        total += c;
      }
      long[] all = new long[total];
      int p = 0;
      for (int c = 0; c < clients; c++) {
        System.arraycopy(lat[c], 0, all, p, count[c]);
        p += count[c];
      }
      Timing t = timing(lists(m, m.options().rerank()), m.options().rerank(), cores, all,
          (wall[1] - wall[0]) / 1e9);
      Map<String, Object> j = t.json();
      j.put("server_threads", cores);
      j.put("clients", clients);
      j.put("errors", errors.get());
      j.put("seconds", plan.httpSeconds());
      System.err.printf(Locale.ROOT, "bench-serve: HTTP %d clients, %s: %.0f requests/s, p50 %.1f us,"
          + " p99 %.1f us, %d errors%n", clients, t.lists(), t.requests() / t.seconds(), t.p50(),
          t.p99(), errors.get());
      return j;
    }
  }

  /** The bytes of one {@code POST /recommend} request with {@code h} as its history. */
  static byte[] request(History h, int n, Feedback fb) {
    StringBuilder b = new StringBuilder("{\"history\": [");
    for (int k = 0; k < h.interactions().size(); k++) {
      History.Interaction in = h.interactions().get(k);
      b.append(k == 0 ? "" : ", ").append("{\"item\": ").append(jsonString(in.item()));
      if (fb == Feedback.EXPLICIT) {
        b.append(", \"rating\": ").append(in.label());
      }
      b.append('}');
    }
    b.append("], \"n\": ").append(n).append('}');
    byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  private static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** Sends one request and reads its whole response; returns the status. */
  private static int exchange(OutputStream os, InputStream is, byte[] request) throws IOException {
    os.write(request);
    os.flush();
    String status = line(is);
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    for (String h = line(is); !h.isEmpty(); h = line(is)) {
      if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Long.parseLong(h.substring(15).trim());
      }
    }
    if (length < 0) {
      throw new IOException("response without Content-Length: " + status);
    }
    for (long left = length; left > 0; ) {
      long skipped = is.skip(left);
      if (skipped <= 0) {
        if (is.read() < 0) {
          throw new IOException("connection closed mid-response");
        }
        skipped = 1;
      }
      left -= skipped;
    }
    return code;
  }

  private static String line(InputStream is) throws IOException {
    StringBuilder b = new StringBuilder(64);
    for (int c = is.read(); c != '\n'; c = is.read()) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Histories from a delimited file of {@code user, item, rating[, timestamp]} (comma or tab; a
   * first line whose rating is not a number is a header): each user's first {@code size} known
   * interactions by time (users with fewer are skipped), at most {@code users} users.
   */
  public static List<History> readHistories(Path file, MetaRecModel m, int size, int users)
      throws IOException {
    Map<String, List<String[]>> byUser = new LinkedHashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      boolean first = true;
      while ((line = r.readLine()) != null) {
        String[] f = line.split(line.indexOf('\t') >= 0 ? "\t" : ",");
        if (f.length < 3) {
          continue;
        }
        if (first) {
          first = false;
          try {
            Double.parseDouble(f[2].trim());
          } catch (NumberFormatException e) {
            continue;
          }
        }
        if (m.knows(f[1].trim())) {
          byUser.computeIfAbsent(f[0].trim(), u -> new ArrayList<>()).add(f);
        }
      }
    }
    List<History> out = new ArrayList<>();
    for (List<String[]> rows : byUser.values()) {
      if (rows.size() < size) {
        continue;
      }
      rows.sort((a, b) -> Long.compare(a.length > 3 ? Long.parseLong(a[3].trim()) : 0,
          b.length > 3 ? Long.parseLong(b[3].trim()) : 0));
      List<History.Interaction> in = new ArrayList<>();
      for (String[] f : rows.subList(0, size)) {
        in.add(m.feedback() == Feedback.IMPLICIT ? History.Interaction.event(f[1].trim())
            : History.Interaction.rating(f[1].trim(), Double.parseDouble(f[2].trim())));
      }
      out.add(History.of(in));
      if (out.size() == users) {
        break;
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + " has no user with " + size + " interactions "
          + "with items of the model");
    }
    return out;
  }

  /**
   * Histories drawn from the model: {@code size} distinct items by training popularity, ratings
   * uniform over the label range in half steps (explicit feedback).
   */
  public static List<History> drawHistories(MetaRecModel m, int size, int users, long seed) {
    int items = m.itemCount() + 1;
    double[] cum = new double[items];
    double total = 0;
    for (int i = 1; i < items; i++) {
      total += m.trainingCount(i) + 1;
      cum[i] = total;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    List<History> out = new ArrayList<>();
    int steps = (int) Math.round((m.labelMax() - m.labelMin()) * 2);
    for (int u = 0; u < users; u++) {
      Set<Integer> chosen = new HashSet<>();
      List<History.Interaction> in = new ArrayList<>();
      while (in.size() < Math.min(size, items - 1)) {
        double x = rng.nextDouble() * total;
        int i = Arrays.binarySearch(cum, x);
        i = Math.max(1, i < 0 ? -i - 1 : i);
        if (chosen.add(i)) {
          in.add(m.feedback() == Feedback.IMPLICIT ? History.Interaction.event(m.itemId(i))
              : History.Interaction.rating(m.itemId(i), m.labelMin() + 0.5 * rng.nextInt(steps + 1)));
        }
      }
      out.add(History.of(in));
    }
    return out;
  }

  /**
   * The model with its catalog scaled to {@code items} item indices: item i &gt;= the model's takes
   * every item-indexed row (bias, embedding, factor, implicit vector) and the features of item
   * {@code 1 + (i - 1) mod M}, each value perturbed by Gaussian noise of 1% of the table's spread,
   * and the id {@code "<id>#<i>"}. For timing catalogs larger than any trained model; the scaled
   * model is not trained on anything, though its rows look like trained ones.
   */
  public static MetaRecModel scaled(MetaRecModel m, int items, long seed) {
    MetaRecModel.Parts p = m.parts();
    ModelManifest mf = m.manifest();
    ModelSpec s = m.spec();
    int old = s.numItems();
    ModelSpec grown = new ModelSpec(items, s.userFields(), s.itemFields(), s.embeddingDim(),
        s.hidden(), s.activation(), s.userDim(), s.feedback(), s.implicitTerm(), s.userInMlp(),
        s.learnedFoldIn());
    ParamLayout ol = new ParamLayout(s);
    ParamLayout nl = new ParamLayout(grown);
    Params before = Params.unflatten(ol, p.theta());
    Params after = new Params(nl);
    SplittableRandom rng = new SplittableRandom(seed);
    for (Segment seg : nl.segments()) {
      float[][] src = before.segment(seg.id());
      float[][] dst = after.segment(seg.id());
      boolean byItem = seg.table() && seg.rows() == items && src.length == old;
      if (!byItem) {
        for (int r = 0; r < dst.length; r++) {
          System.arraycopy(src[r], 0, dst[r], 0, dst[r].length);
        }
        continue;
      }
      double spread = 0;
      for (int r = 1; r < old; r++) {
        for (float v : src[r]) {
          spread += v * (double) v;
        }
      }
      double sd = 0.01 * Math.sqrt(spread / Math.max(1, (old - 1) * (long) seg.cols()));
      for (int r = 0; r < items; r++) {
        int from = r < old ? r : 1 + (r - 1) % (old - 1);
        for (int c = 0; c < seg.cols(); c++) {
          dst[r][c] = src[from][c] + (r < old ? 0f : (float) (sd * rng.nextGaussian()));
        }
      }
    }
    String[] ids = new String[items];
    int[][][] features = new int[items][][];
    long[] counts = new long[items];
    ItemFeatureTable t = p.items();
    for (int i = 0; i < items; i++) {
      int from = i < old ? i : 1 + (i - 1) % (old - 1);
      ids[i] = i == 0 ? null : i < old ? p.itemIds()[i] : p.itemIds()[from] + "#" + i;
      features[i] = new int[t.numFields()][];
      for (int f = 0; f < t.numFields(); f++) {
        features[i][f] = Arrays.copyOfRange(t.indices(f), t.start(f, from), t.end(f, from));
      }
      counts[i] = t.counts() == null ? 0 : t.counts()[from];
    }
    ModelManifest scaledManifest = new ModelManifest(mf.formatVersion(), mf.kind(), mf.trainedBy(),
        mf.createdAt(), mf.codeVersion(), ModelManifest.Architecture.of(grown), mf.labelMin(),
        mf.labelMax(), ModelManifest.segmentsOf(nl), mf.training(), mf.configHash(), mf.data(),
        mf.metrics(), mf.run(), mf.adaptation());
    return MetaRecModel.of(new MetaRecModel.Parts(p.dir() + "#scaled-" + items,
        scaledManifest.toJson(), after.flatten(), ids,
        ItemFeatureTable.fromNested(t.numFields(), features).withCounts(counts), p.userValues()),
        m.options().withVersion(m.version() + "#scaled-" + items));
  }

  /** The 1-minute load average, or -1 where the system does not say. */
  static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage();
  }
}
