package io.metarec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.serve.ServingFixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code metarec serve} as a process: it answers, and a SIGTERM stops it gracefully. */
class ServeCommandTest {
  @Test
  void serveAnswersThenStopsOnSigterm(@TempDir Path dir) throws Exception {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU);
    Path model = dir.resolve("model");
    ServingFixtures.writeFolder(model, ServingFixtures.parts(spec,
        TestFixtures.randomParams(spec, 1), TestFixtures.tinyItems(spec.numItems())));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx256m",
        "-Dlog4j2.configurationFile=" + System.getProperty("log4j2.configurationFile", ""),
        "-cp", System.getProperty("java.class.path"), "io.metarec.cli.MetaRecCli", "serve",
        "--model", model.toString(), "--port", "0", "--threads", "2")
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      Pattern listening = Pattern.compile("serve: model@\\S+ \\(11 items\\) on http://127\\.0\\.0\\.1:(\\d+) "
          + "with 2 threads");
      int port = -1;
      StringBuilder seen = new StringBuilder();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        seen.append(line).append('\n');
        Matcher m = listening.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
          break;
        }
      }
      assertTrue(port > 0, "no listening line in: " + seen);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + port + "/recommend")).timeout(Duration.ofSeconds(10)).POST(
          HttpRequest.BodyPublishers.ofString("{\"history\": [{\"item\": \"item-2\", \"rating\": "
              + "4}], \"n\": 3}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"items\""), r.body());
      long t0 = System.nanoTime();
      new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "serve stops on SIGTERM");
      assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "without waiting serve.shutdownSeconds "
          + "when nothing is in flight");
      List<String> rest = out.lines().toList();
      assertTrue(rest.contains("serve: stopped"), "graceful stop: " + rest);
      assertEquals(143, p.exitValue(), "the exit status of a SIGTERM");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void serveWithoutAModelIsRefusedNamingTheOptions() {
    CommandLine cl = MetaRecCli.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertEquals(1, cl.execute("serve", "--port", "0"));
    assertTrue(err.toString().contains("exactly one of --model DIR (serve.model) and --registry"),
        err.toString());
    StringWriter err2 = new StringWriter();
    cl.setErr(new PrintWriter(err2));
    assertEquals(2, cl.execute("serve", "--model", "x", "--set", "serve.maxN=0"));
    assertTrue(err2.toString().contains("serve.maxN"), err2.toString());
  }
}
