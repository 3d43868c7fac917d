package io.metarec.jobs.pipeline;

import io.metarec.config.MetaRecConfig;
import io.metarec.config.PipelineConfig;
import io.metarec.jobs.GenerateJob;
import io.metarec.jobs.evaluate.EvaluateJob;
import io.metarec.jobs.pretrain.PretrainJob;
import io.metarec.jobs.recommend.RecommendJob;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.report.EvalReport;
import io.metarec.report.ReportWriter;
import io.metarec.spark.CodeVersion;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metarec pipeline}: generate (when there is no input log) → build-tasks → train →
 * pretrain → evaluate → recommend, each stage's output under one run folder:
 * {@code data/, tasks/, model/, pretrain/, report/, recommendations/}.
 *
 * <p>Each stage has a fingerprint: a hash of the config sections it reads, of its input files
 * (path, length and modification time) and of the fingerprints of the stages it consumes.
 * {@code <run>/pipeline.json} records it when the stage starts and when it finishes. A stage whose
 * output is complete and whose recorded fingerprint equals the current one is skipped; a changed
 * upstream stage changes every fingerprint downstream. Every job publishes its output atomically,
 * so an output folder is complete or absent; a training stage that started with the same
 * fingerprint and did not finish resumes from its last checkpoint.
 */
public final class PipelineJob {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private PipelineJob() {}

  /**
   * What happened to one stage.
   *
   * @param stage the stage
   * @param status {@code ran} or {@code skipped} (unchanged)
   * @param seconds wall seconds of the stage in this run (0 when skipped)
   * @param output its output folder
   * @param fingerprint its fingerprint
   */
  public record StageOutcome(String stage, String status, double seconds, String output,
      String fingerprint) {}

  /**
   * @param run the run folder
   * @param stages every stage of this run, in order
   * @param report the evaluation report (run now or read back), null without an evaluate stage
   * @param wallSeconds the whole run
   */
  public record Result(String run, List<StageOutcome> stages, EvalReport report,
      double wallSeconds) {
    /** The outcome of a stage, or null when it was not part of the run. */
    public StageOutcome stage(String name) {
      return stages.stream().filter(s -> s.stage().equals(name)).findFirst().orElse(null);
    }
  }

  /** The folders of a run. */
  public record Layout(String run) {
    public String data() {
      return run + "/data";
    }

    public String tasks() {
      return run + "/tasks";
    }

    public String model() {
      return run + "/model";
    }

    public String pretrain() {
      return run + "/pretrain";
    }

    public String report() {
      return run + "/report";
    }

    public String recommendations() {
      return run + "/recommendations";
    }

    public String state() {
      return run + "/pipeline.json";
    }
  }

  /**
   * Runs the stages of {@code pipeline.stages} under {@code pipeline.run}, holding the run folder's
   * lock throughout (a second pipeline into the same run would rewrite pipeline.json and remove
   * the first one's checkpoints).
   */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    PipelineConfig pc = cfg.pipeline();
    if (pc.run().isBlank()) {
      throw new JobFailedException("pipeline needs a run folder: --run DIR (pipeline.run)");
    }
    try (OutputLock lock = OutputLock.ofFolder(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), "pipeline.run", pc.run())) {
      return stages(spark, cfg);
    }
  }

  private static Result stages(SparkSession spark, MetaRecConfig cfg) {
    PipelineConfig pc = cfg.pipeline();
    long start = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    Layout dirs = new Layout(pc.run().replaceAll("/+$", ""));
    List<String> stages = pc.stages();
    boolean generated = cfg.input().path().isBlank();
    if (!generated) {
      stages = stages.stream().filter(s -> !s.equals("generate")).toList();
    } else if (!stages.contains("generate") && !HadoopFiles.exists(hconf, dirs.data())) {
      throw new JobFailedException("pipeline: no input (input.path is empty) and no generated data "
          + "in " + dirs.data() + "; set input.path (--input) or add generate to pipeline.stages");
    }
    MetaRecConfig c = generated ? onGeneratedData(cfg, dirs) : cfg;
    RunState state = RunState.read(hconf, dirs.state());
    List<StageOutcome> outcomes = new ArrayList<>();
    EvalReport report = null;
    for (String stage : stages) {
      String output = output(dirs, stage);
      String fp = fingerprint(hconf, c, dirs, stage, stages, state);
      boolean complete = HadoopFiles.exists(hconf, output + "/" + marker(stage));
      RunState.Entry before = state.get(stage);
      if (!pc.force() && complete && before != null && before.done() && fp.equals(before.fingerprint())) {
        LOG.info("pipeline: {} unchanged (fingerprint {}), skipped", stage, fp);
        System.out.printf(Locale.ROOT, "== %s: unchanged, skipped (%s)%n", stage, output);
        outcomes.add(new StageOutcome(stage, "skipped", 0, output, fp));
        continue;
      }
      boolean resume = before != null && !before.done() && fp.equals(before.fingerprint());
      System.out.printf(Locale.ROOT, "== %s -> %s%s%n", stage, output, resume ? " (resuming)" : "");
      state.started(stage, fp);
      state.write(hconf, dirs.state());
      long t0 = System.nanoTime();
      EvalReport r = runStage(spark, c, dirs, stage, resume);
      if (r != null) {
        report = r;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      state.finished(stage, fp, seconds);
      state.write(hconf, dirs.state());
      outcomes.add(new StageOutcome(stage, "ran", seconds, output, fp));
    }
    if (report == null && stages.contains("evaluate")) {
      report = readReport(hconf, dirs.report());
    }
    return new Result(dirs.run(), outcomes, report, (System.nanoTime() - start) / 1e9);
  }

  /** The input keys pointing at the generated data set of the run. */
  private static MetaRecConfig onGeneratedData(MetaRecConfig cfg, Layout dirs) {
    return cfg.with("input.path", dirs.data() + "/interactions")
        .with("input.format", "parquet")
        .with("input.userFeatures.path", dirs.data() + "/users")
        .with("input.userFeatures.format", "parquet")
        .with("input.itemFeatures.path", dirs.data() + "/items")
        .with("input.itemFeatures.format", "parquet");
  }

  static String output(Layout dirs, String stage) {
    return switch (stage) {
      case "generate" -> dirs.data();
      case "build-tasks" -> dirs.tasks();
      case "train" -> dirs.model();
      case "pretrain" -> dirs.pretrain();
      case "evaluate" -> dirs.report();
      case "recommend" -> dirs.recommendations();
      default -> throw new IllegalArgumentException("unknown stage " + stage);
    };
  }

  /** A file every complete output of the stage has (outputs are published atomically). */
  private static String marker(String stage) {
    return switch (stage) {
      case "generate" -> "interactions";
      case "build-tasks" -> "features.json";
      case "train", "pretrain" -> "model.json";
      case "evaluate" -> "metrics.json";
      case "recommend" -> "summary.json";
      default -> throw new IllegalArgumentException("unknown stage " + stage);
    };
  }

  /** The config sections a stage reads (its paths are set by the pipeline from the run folder). */
  private static String[] sections(String stage) {
    return switch (stage) {
      case "generate" -> new String[] {"seed", "generate"};
      case "build-tasks" -> new String[] {"seed", "input", "split", "tasks"};
      case "train" -> new String[] {"seed", "model", "inner", "meta", "train"};
      case "pretrain" -> new String[] {"seed", "model", "pretrain"};
      case "evaluate" -> new String[] {"seed", "inner", "evaluate"};
      case "recommend" -> new String[] {"seed", "input", "recommend"};
      default -> throw new IllegalArgumentException("unknown stage " + stage);
    };
  }

  /** The stages whose outputs a stage reads. */
  private static List<String> upstream(String stage, List<String> stages) {
    return switch (stage) {
      case "generate" -> List.of();
      case "build-tasks" -> List.of();
      case "train", "pretrain" -> List.of("build-tasks");
      case "evaluate" -> stages.contains("pretrain") ? List.of("build-tasks", "train", "pretrain")
          : List.of("build-tasks", "train");
      case "recommend" -> List.of("train");
      default -> throw new IllegalArgumentException("unknown stage " + stage);
    };
  }

  private static String fingerprint(Configuration hconf, MetaRecConfig c, Layout dirs, String stage,
      List<String> stages, RunState state) {
    StringBuilder sb = new StringBuilder(stage).append('\n');
    sb.append(c.hash(sections(stage))).append('\n');
    if (stage.equals("build-tasks") || stage.equals("recommend")) {
      sb.append(HadoopFiles.fingerprint(hconf, inputPaths(c))).append('\n');
    }
    if (stage.equals("evaluate")) {
      // Further models to compare with (evaluate.models), by their files.
      sb.append(HadoopFiles.fingerprint(hconf, c.evaluate().models().stream()
          .map(EvaluateJob::modelDir).toList())).append('\n');
    }
    for (String up : upstream(stage, stages)) {
      RunState.Entry e = state.get(up);
      // A stage of this run records its new fingerprint before its consumers are fingerprinted.
      sb.append(up).append('=').append(e != null && e.done() ? e.fingerprint()
          : HadoopFiles.fingerprint(hconf, List.of(output(dirs, up)))).append('\n');
    }
    return MetaRecConfig.sha256(sb.toString()).substring(0, 16);
  }

  private static List<String> inputPaths(MetaRecConfig c) {
    List<String> paths = new ArrayList<>();
    paths.add(c.input().path());
    if (!c.input().userFeatures().path().isBlank()) {
      paths.add(c.input().userFeatures().path());
    }
    if (!c.input().itemFeatures().path().isBlank()) {
      paths.add(c.input().itemFeatures().path());
    }
    return paths;
  }

  private static EvalReport runStage(SparkSession spark, MetaRecConfig c, Layout dirs, String stage,
      boolean resume) {
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    switch (stage) {
      case "generate" -> GenerateJob.run(spark, c.with("generate.out", dirs.data()));
      case "build-tasks" -> BuildTasksJob.run(spark, c.with("buildTasks.out", dirs.tasks()));
      case "train" -> {
        // A train run that does not resume removes earlier checkpoints itself.
        TrainJob.Result r = TrainJob.run(spark, c.with("train.tasks", dirs.tasks())
            .with("train.model", dirs.model()).with("train.resume", resume));
        System.out.printf(Locale.ROOT, "   %d iterations, best at %d (%s), %.0f adaptations/s%n",
            r.iterations(), r.bestIteration(), r.best() == null ? "not validated" : r.best(),
            r.adaptationsPerSecond());
      }
      case "pretrain" -> PretrainJob.run(spark, c.with("pretrain.tasks", dirs.tasks())
          .with("pretrain.model", dirs.pretrain()));
      case "evaluate" -> {
        List<String> models = new ArrayList<>();
        models.add(dirs.model());
        if (HadoopFiles.exists(hconf, dirs.pretrain() + "/model.json")
            && c.pipeline().stages().contains("pretrain")) {
          models.add(dirs.pretrain());
        }
        models.addAll(c.evaluate().models());
        String name = c.evaluate().name().isBlank()
            ? dirs.run().substring(dirs.run().lastIndexOf('/') + 1) : c.evaluate().name();
        return EvaluateJob.run(spark, c.with("evaluate.tasks", dirs.tasks())
            .with("evaluate.models", models).with("evaluate.report", dirs.report())
            .with("evaluate.name", name)).report();
      }
      case "recommend" -> {
        RecommendJob.Result r = RecommendJob.run(spark, c.with("recommend.model", dirs.model())
            .with("recommend.out", dirs.recommendations()));
        System.out.printf(Locale.ROOT, "   top-%d lists for %d users%n", c.recommend().top(),
            r.users());
      }
      default -> throw new IllegalArgumentException("unknown stage " + stage);
    }
    return null;
  }

  /** The report of an earlier evaluate stage (any file system). */
  public static EvalReport readReport(Configuration hconf, String reportDir) {
    String path = reportDir + "/metrics.json";
    if (!HadoopFiles.exists(hconf, path)) {
      return null;
    }
    try {
      return ReportWriter.parse(HadoopFiles.readText(hconf, path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /** {@code <run>/pipeline.json}: each stage's fingerprint and whether it finished. */
  static final class RunState {
    record Entry(String fingerprint, boolean done, String startedAt, String finishedAt,
        double seconds) {}

    private final Map<String, Entry> stages = new LinkedHashMap<>();

    Entry get(String stage) {
      return stages.get(stage);
    }

    void started(String stage, String fp) {
      stages.put(stage, new Entry(fp, false, Instant.now().toString(), "", 0));
    }

    void finished(String stage, String fp, double seconds) {
      Entry s = stages.get(stage);
      stages.put(stage, new Entry(fp, true, s.startedAt(), Instant.now().toString(), seconds));
    }

    @SuppressWarnings("unchecked")
    static RunState read(Configuration hconf, String path) {
      RunState s = new RunState();
      if (!HadoopFiles.exists(hconf, path)) {
        return s;
      }
      Map<String, Object> j;
      try {
        j = Json.readObject(HadoopFiles.readText(hconf, path));
      } catch (RuntimeException e) {
        LOG.warn("{} is unreadable ({}); every stage runs again", path, e.toString());
        return s;
      }
      for (Map.Entry<String, Object> e : ((Map<String, Object>) j.getOrDefault("stages", Map.of()))
          .entrySet()) {
        Map<String, Object> v = (Map<String, Object>) e.getValue();
        s.stages.put(e.getKey(), new Entry(String.valueOf(v.get("fingerprint")),
            Boolean.TRUE.equals(v.get("done")), String.valueOf(v.get("startedAt")),
            String.valueOf(v.get("finishedAt")), ((Number) v.getOrDefault("seconds", 0)).doubleValue()));
      }
      return s;
    }

    void write(Configuration hconf, String path) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("codeVersion", CodeVersion.get());
      Map<String, Object> st = new LinkedHashMap<>();
      for (Map.Entry<String, Entry> e : stages.entrySet()) {
        Entry v = e.getValue();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fingerprint", v.fingerprint());
        m.put("done", v.done());
        m.put("startedAt", v.startedAt());
        m.put("finishedAt", v.finishedAt());
        m.put("seconds", v.seconds());
        st.put(e.getKey(), m);
      }
      j.put("stages", st);
      HadoopFiles.writeTextAtomically(hconf, path, Json.write(j));
    }
  }
}
