package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.pipeline.PipelineJob;
import io.metarec.report.EvalReport;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code metarec pipeline}: every stage under one run folder, skipping unchanged stages. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
    description = "Run generate (without --input) -> build-tasks -> train -> [pretrain] -> "
        + "evaluate -> recommend under one run folder (pipeline.*). A stage whose output is "
        + "complete and whose inputs, config and upstream stages are unchanged (fingerprints in "
        + "<run>/pipeline.json) is skipped, so a rerun after a failure picks up where it stopped.")
final class PipelineCommand extends JobCommand {
  @Option(names = "--run", paramLabel = "DIR", required = true,
      description = "Run folder every stage writes under (pipeline.run).")
  String run;

  @Option(names = "--input", paramLabel = "PATH",
      description = "Interaction log (input.path); without it the pipeline generates the "
          + "synthetic data set (generate.*).")
  String input;

  @Mixin InputOptions in;

  @Option(names = "--stages", paramLabel = "LIST", split = ",",
      description = "Stages to run, comma-separated (pipeline.stages), e.g. "
          + "build-tasks,train,pretrain,evaluate.")
  List<String> stages;

  @Option(names = "--force", description = "Rerun unchanged stages too (pipeline.force).")
  Boolean force;

  @Override
  Map<String, Object> options() {
    return in.addTo(opts("pipeline.run", run, "input.path", input,
        "pipeline.stages", stages, "pipeline.force", force));
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    PipelineJob.Result r = PipelineJob.run(spark, cfg);
    System.out.println();
    for (PipelineJob.StageOutcome s : r.stages()) {
      System.out.printf(Locale.ROOT, "%-12s %-8s %7.1f s  %s%n", s.stage(), s.status(), s.seconds(),
          s.output());
    }
    EvalReport report = r.report();
    if (report != null) {
      System.out.println();
      System.out.println(EvaluateCommand.table(report.methods(), report.ks()));
      System.out.println("report: " + r.run() + "/report/report.md (and report.html)");
    }
    System.out.printf(Locale.ROOT, "pipeline: %.1f s -> %s%n", r.wallSeconds(), r.run());
  }

  @Override
  String name() {
    return "pipeline";
  }
}
