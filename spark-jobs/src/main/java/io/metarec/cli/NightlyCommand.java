package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.pipeline.NightlyJob;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code metarec nightly}: one night of warm-started retraining with a promotion gate. */
@Command(name = "nightly", mixinStandardHelpOptions = true,
    description = "Retrain for one night against a model registry (nightly.*): build tasks from "
        + "the logs up to --date, warm-start from the latest version, evaluate candidate and "
        + "current model on the night's test users, promote (latest.json) unless worse beyond "
        + "nightly.tolerance; keeps the last nightly.keep versions. Rerunning a finished night only "
        + "reports it; a failed night leaves latest untouched and resumes on rerun.")
final class NightlyCommand extends JobCommand {
  @Option(names = "--root", paramLabel = "DIR", required = true,
      description = "Model registry folder (nightly.root).")
  String root;

  @Option(names = "--date", paramLabel = "YYYY-MM-DD", required = true,
      description = "The night: logs up to and including this day (nightly.date).")
  String date;

  @Option(names = "--input", paramLabel = "PATH",
      description = "Interaction log (input.path).")
  String input;

  @Mixin InputOptions in;

  @Override
  Map<String, Object> options() {
    return in.addTo(opts("nightly.root", root, "nightly.date", date, "input.path", input));
  }

  @Override
  void check(MetaRecConfig cfg) {
    NightlyJob.check(cfg);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    System.out.println(NightlyJob.describe(NightlyJob.run(spark, cfg)));
  }

  @Override
  String name() {
    return "nightly";
  }
}
