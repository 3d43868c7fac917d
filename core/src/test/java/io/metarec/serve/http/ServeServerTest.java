package io.metarec.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.config.ServeConfig;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.serve.MetaRecModel;
import io.metarec.serve.ServingFixtures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP endpoint: every bad request answered 4xx with a message, reloads that drop nothing. */
class ServeServerTest {
  private static final ModelSpec SPEC = new ModelSpec(60,
      List.of(new FieldSpec("age", 5, false), new FieldSpec("genres", 6, true)),
      List.of(new FieldSpec("category", 4, true)), 3, List.of(5, 4), Activation.RELU, 3,
      Feedback.EXPLICIT, true, true);
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private static ServeConfig cfg(String registry, int maxBody) {
    return new ServeConfig("", registry, "127.0.0.1", 0, 4, 20, 10, 50, 30, maxBody, 0.05, 5);
  }

  private static MetaRecModel.Parts parts(long seed) {
    return ServingFixtures.parts(SPEC, TestFixtures.randomParams(SPEC, seed),
        TestFixtures.tinyItems(SPEC.numItems()));
  }

  private static HttpResponse<String> post(ServeServer s, String path, String body)
      throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(ServeServer s, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Requests.MAPPER.readTree(r.body());
  }

  private static final String GOOD = "{\"history\": [{\"item\": \"item-3\", \"rating\": 5}, "
      + "{\"item\": \"item-4\", \"rating\": 1.5}, {\"item\": \"nope\", \"rating\": 3}], \"n\": 5, "
      + "\"user_features\": {\"age\": \"age-2\", \"genres\": [\"genres-1\", \"genres-3\"]}}";

  @Test
  void everyBadRequestIsAnswered4xxWithAMessageNeverAStackTrace() throws Exception {
    try (ServeServer s = ServeServer.start(cfg("", 4096),
        MetaRecModel.of(parts(1), MetaRecModel.Options.DEFAULTS.withVersion("v1").withRerank(20)))) {
      HttpResponse<String> ok = post(s, "/recommend", GOOD);
      assertEquals(200, ok.statusCode(), ok.body());
      JsonNode j = json(ok);
      assertEquals(5, j.get("items").size());
      assertEquals(1, j.get("unknown_items").asInt());
      assertEquals("v1", j.get("model_version").asText());
      assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
      for (JsonNode it : j.get("items")) {
        assertFalse(List.of("item-3", "item-4").contains(it.get("item").asText()), "seen items");
        assertTrue(it.get("score").asDouble() >= 1 && it.get("score").asDouble() <= 5);
      }
      HttpResponse<String> scored = post(s, "/score", "{\"history\": [], \"items\": [\"item-1\", "
          + "\"zzz\", \"item-2\"]}");
      assertEquals(200, scored.statusCode(), scored.body());
      assertEquals(2, json(scored).get("items").size());
      assertEquals("zzz", json(scored).get("unscored").get(0).asText());
      assertEquals(200, get(s, "/health").statusCode());
      JsonNode model = json(get(s, "/model"));
      assertEquals("v1", model.get("model_version").asText());
      assertEquals(59, model.get("items").asInt());
      assertEquals("two-stage, 20 candidates rescored", model.get("serving").get("lists").asText());

      Map<String, String[]> bad = new java.util.LinkedHashMap<>();
      bad.put("{\"history\": [", new String[] {"400", "malformed JSON"});
      bad.put("{\"history\": []} {}", new String[] {"400", "malformed JSON"});
      bad.put("{\"history\": [], \"history\": []}", new String[] {"400", "Duplicate field"});
      bad.put("", new String[] {"400", "the body is empty"});
      bad.put("[1, 2]", new String[] {"400", "must be a JSON object, got an array"});
      bad.put("{\"n\": 5}", new String[] {"400", "missing field \"history\""});
      bad.put("{\"history\": {}}", new String[] {"400", "\"history\" must be an array"});
      bad.put("{\"history\": [{\"rating\": 4}]}", new String[] {"400", "history[0].item is missing"});
      bad.put("{\"history\": [{\"item\": \"item-1\"}]}", new String[] {"400",
          "history[0] has no \"rating\""});
      bad.put("{\"history\": [{\"item\": \"item-1\", \"rating\": 9}]}", new String[] {"400",
          "history[0].rating must be a number in [1.0, 5.0], got 9"});
      bad.put("{\"history\": [{\"item\": \"item-1\", \"rating\": \"4\"}]}", new String[] {"400",
          "history[0].rating must be a number"});
      bad.put("{\"history\": [{\"item\": [1], \"rating\": 4}]}", new String[] {"400",
          "history[0].item must be a string id"});
      bad.put("{\"history\": [{\"item\": \"i\", \"rating\": 4, \"when\": 3}]}", new String[] {
          "400", "unknown field \"when\""});
      bad.put("{\"history\": [], \"nn\": 5}", new String[] {"400", "unknown field \"nn\""});
      bad.put("{\"history\": [], \"n\": 0}", new String[] {"400", "\"n\" must be an integer in [1, 50]"});
      bad.put("{\"history\": [], \"n\": 1000000000000}", new String[] {"400", "\"n\" must be"});
      bad.put("{\"history\": [], \"n\": 2.5}", new String[] {"400", "\"n\" must be"});
      bad.put("{\"history\": [], \"n\": \"10\"}", new String[] {"400", "\"n\" must be"});
      bad.put("{\"history\": [], \"exclude_seen\": 1}", new String[] {"400", "\"exclude_seen\" must be"});
      bad.put("{\"history\": [], \"user_features\": {\"shoe\": \"42\"}}", new String[] {"400",
          "does not have (its user fields: [age, genres])"});
      StringBuilder longHistory = new StringBuilder("{\"history\": [");
      for (int k = 0; k < 31; k++) {
        longHistory.append(k == 0 ? "" : ",").append("{\"item\": \"item-1\", \"rating\": 3}");
      }
      bad.put(longHistory + "]}", new String[] {"400", "more than 30 (serve.maxHistory)"});
      bad.put("{\"history\": [], \"x\": \"" + "a".repeat(5000) + "\"}", new String[] {"413",
          "serve.maxBodyBytes"});
      for (Map.Entry<String, String[]> b : bad.entrySet()) {
        HttpResponse<String> r = post(s, "/recommend", b.getKey());
        String what = b.getKey().length() > 80 ? b.getKey().substring(0, 80) + "..." : b.getKey();
        assertEquals(Integer.parseInt(b.getValue()[0]), r.statusCode(), what + " -> " + r.body());
        String message = json(r).get("error").asText();
        assertTrue(message.contains(b.getValue()[1]), what + " -> " + message);
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), r.body());
      }
      HttpResponse<String> noItems = post(s, "/score", "{\"history\": []}");
      assertEquals(400, noItems.statusCode());
      assertTrue(json(noItems).get("error").asText().contains("missing field \"items\""));
      HttpResponse<String> wrongMethod = get(s, "/recommend");
      assertEquals(405, wrongMethod.statusCode());
      assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElse(""));
      assertEquals(405, post(s, "/health", "{}").statusCode());
      HttpResponse<String> nowhere = get(s, "/recommendations");
      assertEquals(404, nowhere.statusCode());
      assertTrue(json(nowhere).get("error").asText().contains("POST /recommend"));
      // The server is still healthy after all of it.
      assertEquals(200, post(s, "/recommend", GOOD).statusCode());
    }
  }

  @Test
  void anImplicitModelReadsAnEventsCountAndAnExplicitOneRefusesIt() throws Exception {
    ModelSpec implicit = new ModelSpec(60, SPEC.userFields(), SPEC.itemFields(), 3,
        List.of(5, 4), Activation.RELU, 3, Feedback.IMPLICIT, true, true);
    MetaRecModel model = MetaRecModel.of(ServingFixtures.parts(implicit,
        TestFixtures.randomParams(implicit, 4), TestFixtures.tinyItems(implicit.numItems())),
        MetaRecModel.Options.DEFAULTS);
    List<String> items = List.of("item-1", "item-2", "item-7");
    try (ServeServer s = ServeServer.start(cfg("", 4096), model)) {
      HttpResponse<String> counted = post(s, "/score", "{\"history\": [{\"item\": \"item-3\", "
          + "\"count\": 3}, {\"item\": \"item-4\", \"rating\": 2}], \"items\": [\"item-1\", "
          + "\"item-2\", \"item-7\"]}");
      assertEquals(200, counted.statusCode(), counted.body());
      var api = model.score(io.metarec.serve.History.of(List.of(
          io.metarec.serve.History.Interaction.event("item-3", 3),
          io.metarec.serve.History.Interaction.event("item-4"))), items);
      var once = model.score(io.metarec.serve.History.of(List.of(
          io.metarec.serve.History.Interaction.event("item-3"),
          io.metarec.serve.History.Interaction.event("item-4"))), items);
      JsonNode got = json(counted).get("items");
      boolean differs = false;
      for (int k = 0; k < items.size(); k++) {
        assertEquals(api.items().get(k).item(), got.get(k).get("item").asText());
        assertEquals(api.items().get(k).score(), (float) got.get(k).get("score").asDouble(),
            "a count weighs as the API weighs it: " + items.get(k));
        differs |= once.items().get(k).score() != api.items().get(k).score();
      }
      assertTrue(differs, "a count of 3 weighs more than one event");
      for (String bad : List.of("0", "-2", "\"3\"", "1e300", "null")) {
        HttpResponse<String> r = post(s, "/score", "{\"history\": [{\"item\": \"item-3\", "
            + "\"count\": " + bad + "}], \"items\": [\"item-1\"]}");
        assertEquals(400, r.statusCode(), bad + " -> " + r.body());
        assertTrue(json(r).get("error").asText().contains("history[0].count must be a number > 0"),
            bad + " -> " + r.body());
      }
    }
    try (ServeServer s = ServeServer.start(cfg("", 4096),
        MetaRecModel.of(parts(1), MetaRecModel.Options.DEFAULTS))) {
      HttpResponse<String> r = post(s, "/recommend", "{\"history\": [{\"item\": \"item-3\", "
          + "\"rating\": 4, \"count\": 2}]}");
      assertEquals(400, r.statusCode(), r.body());
      assertTrue(json(r).get("error").asText().contains("history[0] has a \"count\""), r.body());
    }
  }

  /** Points the registry's latest.json at {@code model} as {@code version}, atomically. */
  private static void promote(Path registry, String version, Path model) throws Exception {
    Path tmp = registry.resolve(".latest.json.tmp");
    Files.writeString(tmp, "{\"version\": \"" + version + "\", \"model\": \"" + model
        + "\", \"tasks\": \"t\"}");
    Files.move(tmp, registry.resolve("latest.json"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void reloadsUnderLoadDropNothingAndABrokenVersionKeepsTheCurrentOne(@TempDir Path dir)
      throws Exception {
    Path registry = dir.resolve("registry");
    Files.createDirectories(registry);
    ServingFixtures.writeFolder(dir.resolve("a"), parts(1));
    ServingFixtures.writeFolder(dir.resolve("b"), parts(2));
    promote(registry, "v1", dir.resolve("a"));
    try (ServeServer s = ServeServer.start(cfg(registry.toString(), 1 << 20),
        MetaRecModel.Options.DEFAULTS)) {
      assertEquals("v1", s.model().version());
      List<String> errors = new CopyOnWriteArrayList<>();
      Map<String, Integer> versions = new ConcurrentHashMap<>();
      AtomicBoolean done = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(3);
      List<Future<Integer>> sent = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      for (int c = 0; c < 3; c++) {
        sent.add(clients.submit(() -> {
          int n = 0;
          while (!done.get() && System.nanoTime() < deadline) {
            HttpResponse<String> r = post(s, "/recommend", GOOD);
            n++;
            if (r.statusCode() != 200) {
              errors.add(r.statusCode() + " " + r.body());
              continue;
            }
            versions.merge(json(r).get("model_version").asText(), 1, Integer::sum);
          }
          return n;
        }));
      }
      waitFor(() -> versions.getOrDefault("v1", 0) >= 30, deadline);
      promote(registry, "v2", dir.resolve("b"));
      waitFor(() -> versions.getOrDefault("v2", 0) >= 30, deadline);
      // A version whose folder is damaged: logged, reported, and v2 keeps answering.
      Files.createDirectories(dir.resolve("c"));
      Files.writeString(dir.resolve("c/model.json"), "{ not json");
      promote(registry, "v3", dir.resolve("c"));
      waitFor(() -> healthError(s) != null, deadline);
      int v2Before = versions.getOrDefault("v2", 0);
      waitFor(() -> versions.getOrDefault("v2", 0) >= v2Before + 30, deadline);
      promote(registry, "v4", dir.resolve("a"));
      waitFor(() -> versions.getOrDefault("v4", 0) >= 30, deadline);
      done.set(true);
      int total = 0;
      for (Future<Integer> f : sent) {
        total += f.get();
      }
      clients.shutdown();
      assertTrue(System.nanoTime() < deadline, "the load run ended by its deadline");
      assertEquals(List.of(), errors, "every request answered 200");
      assertFalse(versions.containsKey("v3"), "the damaged version never served");
      assertEquals(total, versions.values().stream().mapToInt(Integer::intValue).sum());
      assertEquals(2, s.reloads(), "v2 and v4 swapped in");
      assertEquals(null, healthError(s));
    }
  }

  private static String healthError(ServeServer s) {
    try {
      JsonNode h = json(get(s, "/health"));
      return h.get("reload_error").isNull() ? null : h.get("reload_error").asText();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier cond, long deadline)
      throws InterruptedException {
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void stopLetsRequestsInFlightFinishAnswersLateOnes503ThenRefusesConnections() throws Exception {
    ServeServer s = ServeServer.start(cfg("", 1 << 20),
        MetaRecModel.of(parts(3), MetaRecModel.Options.DEFAULTS));
    int port = s.port();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<Integer>> inFlight = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      inFlight.add(clients.submit(() -> post(s, "/recommend", GOOD).statusCode()));
    }
    while (inFlight.stream().filter(Future::isDone).count() < 3) {
      Thread.sleep(1);
    }
    long stopStart = System.nanoTime();
    s.stop();
    assertTrue(System.nanoTime() - stopStart < 4_000_000_000L, "the drain ends when the requests do");
    int ok = 0;
    for (Future<Integer> f : inFlight) {
      try {
        int status = f.get();
        assertTrue(status == 200 || status == 503, "answered, or told to go elsewhere: " + status);
        ok += status == 200 ? 1 : 0;
      } catch (java.util.concurrent.ExecutionException e) {
        // Sent after the listener closed: refused at connect, never half-answered.
        assertTrue(e.getCause() instanceof java.net.ConnectException
            || e.getCause() instanceof java.io.IOException, e.toString());
      }
    }
    clients.shutdown();
    assertTrue(ok > 0, "requests before the stop were answered");
    long t0 = System.nanoTime();
    s.stop();
    assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "a second stop returns at once");
    assertThrows(java.io.IOException.class, () -> CLIENT.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).GET()
        .build(), HttpResponse.BodyHandlers.ofString()));
  }
}
