package io.metarec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Command-line parsing and the config errors it reports before any Spark work. */
class MetaRecCliTest {
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = MetaRecCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : new String[] {"generate", "build-tasks", "train", "config"}) {
      Run r = run(cmd, "--help");
      assertEquals(0, r.code(), cmd);
      assertTrue(r.out().contains("--set"), cmd + " help lists --set: " + r.out());
    }
    assertTrue(run("--help").out().contains("build-tasks"));
    Run bench = run("bench-kernel", "--help");
    assertEquals(0, bench.code());
    assertTrue(bench.out().contains("--threads"), bench.out());
    assertTrue(bench.out().contains("--repeat"), bench.out());
    assertTrue(bench.out().contains("--no-dl4j"), bench.out());
    Run noRepeat = run("bench-kernel", "--repeat", "0");
    assertEquals(2, noRepeat.code());
    assertTrue(noRepeat.err().contains("--repeat must be >= 1, got 0"), noRepeat.err());
    Run engines = run("bench-engine", "--help");
    assertEquals(0, engines.code());
    assertTrue(engines.out().contains("--block"), engines.out());
  }

  @Test
  void theShippedRecipesValidate() {
    // The recipes under conf/ are only read by scripts and benchmarks: a renamed or mistyped key
    // there would otherwise surface in the middle of a benchmark run.
    java.nio.file.Path conf = java.nio.file.Path.of(System.getProperty("metarec.root", ".."), "conf");
    for (String recipe : new String[] {"quickstart.conf"}) {
      Run r = run("config", "--conf", conf.resolve(recipe).toString());
      assertEquals(0, r.code(), recipe + ": " + r.err());
      assertTrue(r.out().matches("(?s).*\"iterations\" : 300\\b.*"),
          "the recipe's own value is resolved: " + r.out());
    }
  }

  @Test
  void unknownKeyFailsWithExitCode2BeforeSpark() {
    // A master no Spark can start: had the command tried to start a session before validating,
    // it would fail with that error (exit 1) instead of naming the key (exit 2).
    Run r = run("build-tasks", "--input", "/nowhere", "--out", "/tmp/x", "--set", "split.tset=0.2",
        "--master", "no-such-master://nowhere");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key 'split.tset'"), r.err());
  }

  @Test
  void outOfRangeValueFromOptionIsNamed() {
    Run r = run("build-tasks", "--input", "/nowhere", "--out", "/tmp/x", "--format", "xml");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("input.format must be one of parquet|csv|json|movielens"), r.err());
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    Run r = run("generate");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--out"), r.err());
  }

  @Test
  void nightlySettingsThatCouldOnlyFailAfterTheNightAreRefusedBeforeSpark() {
    Run metric = run("nightly", "--root", "/r", "--date", "2026-11-30", "--input", "/logs",
        "--set", "nightly.metric=foo", "--master", "no-such-master://nowhere");
    assertEquals(2, metric.code());
    assertTrue(metric.err().contains("nightly.metric must be one of"), metric.err());
    Run k = run("nightly", "--root", "/r", "--date", "2026-11-30", "--input", "/logs",
        "--set", "nightly.k=7", "--master", "no-such-master://nowhere");
    assertEquals(2, k.code());
    assertTrue(k.err().contains("nightly.k = 7 is not one of evaluate.ks [1, 3, 5, 10, 20]"),
        k.err());
  }
}
