package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.evaluate.EvaluateJob;
import io.metarec.report.MethodResult;
import io.metarec.report.MetricValue;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec evaluate}: cold-start evaluation against baselines, with a report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate models on the held-out users of a build-tasks output: adapt on each "
        + "user's first K interactions (K in evaluate.ks), score the interactions after the "
        + "largest K, against baselines (global and item means, the bias model, Spark ALS with "
        + "fold-in, no adaptation, training from scratch) in the same run; writes metrics.json, "
        + "report.md, report.html and PNG charts to the report folder atomically.")
final class EvaluateCommand extends JobCommand {
  @Option(names = "--tasks", paramLabel = "DIR", required = true,
      description = "Output folder of build-tasks (evaluate.tasks).")
  String tasks;

  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "Model folder; repeat for several. The first is reported as \"meta\"; a "
          + "model written by pretrain adds \"pretrain\" and \"pretrain+finetune\" "
          + "(evaluate.models).")
  List<String> models;

  @Option(names = "--report", paramLabel = "DIR", required = true,
      description = "Report folder, e.g. notebooks-export/my-run (evaluate.report).")
  String report;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Run name in the report; default: the report folder's name (evaluate.name).")
  String name;

  @Override
  Map<String, Object> options() {
    return opts("evaluate.tasks", tasks, "evaluate.models", models, "evaluate.report", report,
        "evaluate.name", name);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    EvaluateJob.Result r = EvaluateJob.run(spark, cfg);
    System.out.println(table(r.report().methods(), r.report().ks()));
    String headline = headline(r.report().headline());
    if (!headline.isEmpty()) {
      System.out.println(headline);
    }
    System.out.printf(Locale.ROOT,
        "evaluate: %d users scored (%d skipped: nothing after the largest K), %.0f adaptations/s, "
            + "%.1f s -> %s%n",
        r.users(), r.skipped(), r.adaptationsPerSecond(), r.wallSeconds(), r.reportDir());
  }

  /** A console table: one row per method and K, the main metrics. */
  static String table(List<MethodResult> methods, List<Integer> ks) {
    StringBuilder sb = new StringBuilder();
    List<String> metrics = methods.get(0).byK().get(ks.get(0)).keySet().stream()
        .filter(m -> !m.endsWith("_all")).toList();
    sb.append(String.format(Locale.ROOT, "%-20s %4s", "method", "K"));
    for (String m : metrics) {
      sb.append(String.format(Locale.ROOT, " %14s", m));
    }
    sb.append('\n');
    for (int k : ks) {
      for (MethodResult mr : methods) {
        sb.append(String.format(Locale.ROOT, "%-20s %4d", mr.name(), k));
        for (String m : metrics) {
          MetricValue v = mr.byK().get(k).get(m);
          sb.append(String.format(Locale.ROOT, " %7.4f±%.4f", v.mean(), v.ci95()));
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  /** The report's headline, one line per K and metric ("" when the run has none). */
  static String headline(List<io.metarec.report.HeadlineRow> rows) {
    StringBuilder sb = new StringBuilder();
    for (io.metarec.report.HeadlineRow h : rows) {
      String verdict = !h.significant() ? "tie" : h.better() ? "better" : "worse";
      sb.append(String.format(Locale.ROOT,
          "headline: K=%-3d %-15s %s %.4f vs %s %.4f: %+.4f, paired 95%% [%+.4f, %+.4f] %s%n",
          h.k(), h.metric(), h.method(), h.methodMean(), h.baseline(), h.baselineMean(), h.diff(),
          h.diff() - h.ci95(), h.diff() + h.ci95(), verdict));
    }
    return sb.toString();
  }

  @Override
  String name() {
    return "evaluate";
  }
}
