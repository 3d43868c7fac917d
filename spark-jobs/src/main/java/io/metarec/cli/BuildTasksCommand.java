package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.tasks.Summary;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec build-tasks}: interaction logs → user-level meta-tasks as Parquet. */
@Command(name = "build-tasks", mixinStandardHelpOptions = true,
    description = "Validate an interaction log and split it into user-level meta-tasks "
        + "(support, query), written as Parquet with vocabularies, rejects, "
        + "features.json and stats.json.")
final class BuildTasksCommand extends JobCommand {
  @Option(names = "--input", paramLabel = "PATH", required = true,
      description = "Interaction log: file or folder (input.path).")
  String input;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "parquet|csv|json|movielens (input.format, default parquet).")
  String format;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "Output folder, replaced atomically (buildTasks.out).")
  String out;

  @Option(names = "--user-features", paramLabel = "PATH",
      description = "User feature table (input.userFeatures.path).")
  String userFeatures;

  @Option(names = "--item-features", paramLabel = "PATH",
      description = "Item feature table (input.itemFeatures.path).")
  String itemFeatures;

  @Option(names = "--vocab-from", paramLabel = "DIR",
      description = "Earlier build-tasks output whose vocabularies are extended (tasks.vocabFrom).")
  String vocabFrom;

  @Override
  Map<String, Object> options() {
    return opts("input.path", input, "input.format", format, "buildTasks.out", out,
        "input.userFeatures.path", userFeatures, "input.itemFeatures.path", itemFeatures,
        "tasks.vocabFrom", vocabFrom);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    Map<String, Object> stats = BuildTasksJob.run(spark, cfg);
    System.out.print(Summary.render(stats, cfg.buildTasksOut()));
  }

  @Override
  String name() {
    return "build-tasks";
  }
}
