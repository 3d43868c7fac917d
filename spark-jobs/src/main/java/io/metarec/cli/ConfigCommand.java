package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code metarec config}: validates and prints the resolved configuration, or the known keys. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Validate --conf/--set and print the resolved configuration (no Spark).")
final class ConfigCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--keys", description = "List every known key with its default instead.")
  boolean keys;

  @Override
  public Integer call() {
    if (keys) {
      for (Map.Entry<String, String> e : MetaRecConfig.knownKeys().entrySet()) {
        System.out.println(e.getKey() + " = " + e.getValue());
      }
      return 0;
    }
    MetaRecConfig cfg = MetaRecConfig.load(common.conf, common.sets, Map.of());
    System.out.println(cfg.toJson());
    return 0;
  }
}
