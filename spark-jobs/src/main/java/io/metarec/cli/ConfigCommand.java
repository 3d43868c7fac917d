package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metarec config}: validates and prints the resolved configuration, or the known keys. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Validate --conf/--set and print the resolved configuration (no Spark).")
final class ConfigCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Spec
  CommandSpec spec;

  @Option(names = "--keys", description = "List every known key with its default instead.")
  boolean keys;

  @Override
  public Integer call() {
    // The command line's writer (standard output unless a caller such as a test set another).
    java.io.PrintWriter out = spec.commandLine().getOut();
    if (keys) {
      for (Map.Entry<String, String> e : MetaRecConfig.knownKeys().entrySet()) {
        out.println(e.getKey() + " = " + e.getValue());
      }
      out.flush();
      return 0;
    }
    MetaRecConfig cfg = MetaRecConfig.load(common.conf, common.sets, Map.of());
    out.println(cfg.toJson());
    out.flush();
    return 0;
  }
}
