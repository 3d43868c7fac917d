package io.metarec.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How to read the interaction log and its feature tables: the options build-tasks, pipeline and
 * nightly share.
 */
final class InputOptions {
  @Option(names = "--format", paramLabel = "FORMAT",
      description = "parquet|csv|json|movielens (input.format, default parquet).")
  String format;

  @Option(names = "--user-features", paramLabel = "PATH",
      description = "User feature table (input.userFeatures.path).")
  String userFeatures;

  @Option(names = "--item-features", paramLabel = "PATH",
      description = "Item feature table (input.itemFeatures.path).")
  String itemFeatures;

  /** Adds the given options to a command's options map as config keys (nulls are skipped). */
  Map<String, Object> addTo(Map<String, Object> options) {
    options.putAll(JobCommand.opts("input.format", format, "input.userFeatures.path", userFeatures,
        "input.itemFeatures.path", itemFeatures));
    return options;
  }
}
