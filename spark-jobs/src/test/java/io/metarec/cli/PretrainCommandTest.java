package io.metarec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code metarec pretrain} is registered and parses its options before any Spark work. */
class PretrainCommandTest {
  private static String[] run(String... args) {
    CommandLine cl = MetaRecCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void helpListsTheOptions() {
    String[] r = run("pretrain", "--help");
    assertEquals("0", r[0], r[2]);
    for (String option : new String[] {"--tasks", "--model", "--epochs", "--master", "--set"}) {
      assertTrue(r[1].contains(option), "help lists " + option + ": " + r[1]);
    }
    assertTrue(run("--help")[1].contains("pretrain"));
  }

  @Test
  void anOutOfRangeKeyIsAConfigError() {
    String[] r = run("pretrain", "--tasks", "/nowhere", "--model", "/tmp/x", "--epochs", "0");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("pretrain.epochs must be >= 1, got 0"), r[2]);
  }
}
