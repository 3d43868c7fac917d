package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.GenerateJob;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec generate}: the synthetic default data set. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Write the seeded synthetic interaction log (interactions/, users/, items/ as "
        + "Parquet). Sizes: tiny (~6k interactions), small (~150k), medium (~1.2M), 1m, "
        + "10m.")
final class GenerateCommand extends JobCommand {
  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (generate.out).")
  String out;

  @Option(names = "--size", paramLabel = "PRESET",
      description = "tiny|small|medium|1m|10m (generate.size, default small).")
  String size;

  @Option(names = "--users", paramLabel = "N", description = "Number of users (generate.users).")
  Integer users;

  @Option(names = "--items", paramLabel = "N", description = "Number of items (generate.items).")
  Integer items;

  @Option(names = "--seed", paramLabel = "N", description = "Seed (seed, default 42).")
  Long seed;

  @Option(names = "--feedback", paramLabel = "KIND",
      description = "explicit (ratings) | implicit (events, no rating column) (generate.feedback).")
  String feedback;

  @Override
  Map<String, Object> options() {
    return opts("generate.out", out, "generate.size", size, "generate.users", users,
        "generate.items", items, "seed", seed, "generate.feedback", feedback);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    Map<String, Object> s = GenerateJob.run(spark, cfg);
    System.out.printf("generate: %s users, %s items, %s interactions -> %s (%.1f s)%n",
        s.get("users"), s.get("items"), s.get("interactions"), cfg.generate().out(),
        (Double) s.get("wallSeconds"));
  }

  @Override
  String name() {
    return "generate";
  }
}
