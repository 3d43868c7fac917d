package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.tasks.Summary;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin InputOptions in;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "Output folder, replaced atomically (buildTasks.out).")
  String out;

  @Option(names = "--vocab-from", paramLabel = "DIR",
      description = "Earlier build-tasks output whose vocabularies are extended (tasks.vocabFrom).")
  String vocabFrom;

  @Override
  Map<String, Object> options() {
    return in.addTo(opts("input.path", input, "buildTasks.out", out,
        "tasks.vocabFrom", vocabFrom));
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
