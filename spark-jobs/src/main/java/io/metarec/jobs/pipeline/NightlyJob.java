package io.metarec.jobs.pipeline;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.MetaRecConfig;
import io.metarec.config.NightlyConfig;
import io.metarec.report.EvalReport;
import io.metarec.report.MethodResult;
import io.metarec.report.MetricValue;
import io.metarec.spark.CodeVersion;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.OutputKind;
import io.metarec.spark.OutputLock;
import io.metarec.spark.StagedOutput;
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
 * {@code metarec nightly}: one night of scheduled retraining against a model registry folder
 * ({@code nightly.root}):
 * <pre>
 *   latest.json               the promoted version: {version, model, tasks}
 *   versions/&lt;date&gt;/         model/, report/, nightly.json (decision and metrics), per night
 *   runs/&lt;date&gt;/             the night's pipeline run (tasks/, model/, report/, pipeline.json)
 * </pre>
 * The night builds tasks from the logs up to its date ({@code input.until}) on the latest version's
 * vocabulary ({@code tasks.vocabFrom}), trains warm-started from the latest model
 * ({@code train.initFrom}), and evaluates the candidate and the current model on the night's test
 * users in one pass. The candidate is promoted (latest.json replaced atomically) unless its
 * {@code nightly.metric} at {@code nightly.k} is worse than the current model's by more than
 * {@code nightly.tolerance}; the first night always promotes. A failed night leaves latest.json and
 * versions/ untouched and its rerun resumes the pipeline where it stopped; a night with a
 * {@code versions/<date>} folder is done, and running it again only reports its decision. The
 * newest {@code nightly.keep} version folders (and their runs) are kept, always including latest.
 */
public final class NightlyJob {
  private static final Logger LOG = LoggerFactory.getLogger(NightlyJob.class);

  private NightlyJob() {}

  /**
   * A night's outcome.
   *
   * @param date the night
   * @param status {@code promoted} or {@code rejected}
   * @param alreadyDone true when the night had run before and was only reported
   * @param metric the gate's metric, e.g. {@code mae@10}
   * @param candidate the candidate's value
   * @param current the current model's value (NaN on the first night)
   * @param version the version folder of the night
   * @param latest the version latest.json names after the night
   */
  public record Result(String date, String status, boolean alreadyDone, String metric,
      double candidate, double current, String version, String latest) {
    public boolean promoted() {
      return status.equals("promoted");
    }
  }

  /** The registry's promoted version. */
  public record Latest(String version, String model, String tasks) {}

  /**
   * Checks, before any Spark work, the settings that could otherwise only fail once the night has
   * run: the gate's metric must be one the evaluation reports (for either kind of feedback, since
   * the data is not read yet) and its support size one of {@code evaluate.ks} (or 0, the largest).
   *
   * @throws ConfigValidationException naming the key, the value and what is allowed
   */
  public static void check(MetaRecConfig cfg) {
    NightlyConfig nc = cfg.nightly();
    int rankK = cfg.evaluate().rankK();
    List<String> metrics = io.metarec.metrics.MetricNames.any(rankK, cfg.evaluate().recallK());
    if (!metrics.contains(nc.metric())) {
      throw new ConfigValidationException("nightly.metric must be one of "
          + String.join("|", metrics) + " (what evaluate reports at evaluate.rankK = " + rankK
          + "), got '" + nc.metric() + "'");
    }
    if (nc.k() != 0 && !cfg.evaluate().ks().contains(nc.k())) {
      throw new ConfigValidationException("nightly.k = " + nc.k() + " is not one of evaluate.ks "
          + cfg.evaluate().ks() + " (0 = the largest)");
    }
  }

  /**
   * Runs the night {@code nightly.date} against {@code nightly.root}, holding the registry's lock
   * for the whole night: one night at a time writes latest.json and prunes versions.
   */
  public static Result run(SparkSession spark, MetaRecConfig cfg) {
    check(cfg);
    NightlyConfig nc = cfg.nightly();
    if (nc.root().isBlank() || nc.date().isBlank()) {
      throw new JobFailedException("nightly needs --root DIR (nightly.root) and --date yyyy-MM-dd "
          + "(nightly.date)");
    }
    try (OutputLock registry = OutputLock.ofFolder(spark.sparkContext().hadoopConfiguration(),
        cfg.output(), "nightly.root", nc.root())) {
      return night(spark, cfg);
    }
  }

  private static Result night(SparkSession spark, MetaRecConfig cfg) {
    NightlyConfig nc = cfg.nightly();
    if (cfg.input().path().isBlank()) {
      throw new JobFailedException("nightly needs the interaction log: --input PATH (input.path)");
    }
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    String root = nc.root().replaceAll("/+$", "");
    String date = nc.date();
    String version = root + "/versions/" + date;
    if (HadoopFiles.exists(hconf, version + "/nightly.json")) {
      Result done = recorded(hconf, version, latest(hconf, root));
      LOG.info("night {} already ran: {}", date, done.status());
      return done;
    }
    Latest current = latest(hconf, root);
    String run = root + "/runs/" + date;
    MetaRecConfig c = cfg.with("pipeline.run", run)
        .with("pipeline.stages", List.of("build-tasks", "train", "evaluate"))
        .with("input.until", date)
        .with("evaluate.ensemble", false)
        .with("evaluate.name", "nightly " + date);
    if (current != null) {
      List<String> models = new ArrayList<>(cfg.evaluate().models());
      models.add("current=" + current.model());
      c = c.with("tasks.vocabFrom", current.tasks()).with("train.initFrom", current.model())
          .with("evaluate.models", models);
      LOG.info("night {}: warm start from version {}", date, current.version());
    }
    PipelineJob.Result p = PipelineJob.run(spark, c);
    EvalReport report = p.report();
    int k = nc.k() == 0 ? report.ks().get(report.ks().size() - 1) : nc.k();
    double cand = metric(report, "meta", k, nc.metric());
    double cur = current == null ? Double.NaN : metric(report, "current", k, nc.metric());
    boolean promote = current == null
        || (nc.lowerIsBetter() ? cand <= cur + nc.tolerance() : cand >= cur - nc.tolerance());
    String status = promote ? "promoted" : "rejected";

    // The version folder: model, report and the decision, published atomically.
    PipelineJob.Layout dirs = new PipelineJob.Layout(run);
    Map<String, Object> decision = new LinkedHashMap<>();
    decision.put("date", date);
    decision.put("status", status);
    decision.put("metric", nc.metric() + "@" + k);
    decision.put("candidate", cand);
    decision.put("current", Double.isNaN(cur) ? null : cur);
    decision.put("currentVersion", current == null ? null : current.version());
    decision.put("tolerance", nc.tolerance());
    decision.put("lowerIsBetter", nc.lowerIsBetter());
    decision.put("tasks", dirs.tasks());
    decision.put("run", run);
    decision.put("codeVersion", CodeVersion.get());
    decision.put("createdAt", Instant.now().toString());
    try (OutputClaim claim = OutputClaim.acquire(hconf, cfg.output(), OutputKind.VERSION,
            "nightly version", version);
        StagedOutput out = StagedOutput.begin(claim)) {
      copy(hconf, dirs.model(), out.path("model"));
      copy(hconf, dirs.report(), out.path("report"));
      out.writeText("nightly.json", Json.write(decision));
      out.commit();
    }
    String latestVersion = current == null ? null : current.version();
    if (promote) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("version", date);
      l.put("model", version + "/model");
      l.put("tasks", dirs.tasks());
      l.put("promotedAt", Instant.now().toString());
      HadoopFiles.writeTextAtomically(hconf, root + "/latest.json", Json.write(l));
      latestVersion = date;
    }
    LOG.info("night {}: candidate {}@{} = {} vs current {} (tolerance {}): {}", date, nc.metric(), k,
        cand, cur, nc.tolerance(), status);
    prune(hconf, root, nc.keep(), latestVersion);
    return new Result(date, status, false, nc.metric() + "@" + k, cand, cur, version, latestVersion);
  }

  /** The promoted version of a registry, or null before the first night. */
  public static Latest latest(Configuration hconf, String root) {
    String path = root + "/latest.json";
    if (!HadoopFiles.exists(hconf, path)) {
      return null;
    }
    Map<String, Object> j = Json.readObject(HadoopFiles.readText(hconf, path));
    for (String key : List.of("version", "model", "tasks")) {
      if (!(j.get(key) instanceof String)) {
        throw new JobFailedException(path + ": \"" + key + "\" is missing; the registry is damaged "
            + "(restore latest.json from a versions/<date>/nightly.json)");
      }
    }
    return new Latest((String) j.get("version"), (String) j.get("model"), (String) j.get("tasks"));
  }

  private static Result recorded(Configuration hconf, String version, Latest latest) {
    Map<String, Object> j = Json.readObject(HadoopFiles.readText(hconf, version + "/nightly.json"));
    Object cur = j.get("current");
    return new Result((String) j.get("date"), (String) j.get("status"), true,
        (String) j.get("metric"), ((Number) j.get("candidate")).doubleValue(),
        cur == null ? Double.NaN : ((Number) cur).doubleValue(), version,
        latest == null ? null : latest.version());
  }

  private static double metric(EvalReport report, String method, int k, String metric) {
    MethodResult m = report.methods().stream().filter(r -> r.name().equals(method)).findFirst()
        .orElseThrow(() -> new JobFailedException("the night's report has no method " + method));
    Map<String, MetricValue> byK = m.byK().get(k);
    if (byK == null || !byK.containsKey(metric)) {
      throw new JobFailedException("nightly gate: the report has no " + metric + " at K = " + k
          + " (evaluate.ks " + report.ks() + ", metrics " + (byK == null ? "none" : byK.keySet())
          + "); set nightly.metric and nightly.k to ones it has");
    }
    return byK.get(metric).mean();
  }

  private static void copy(Configuration hconf, String from, String to) {
    try {
      HadoopFiles.copy(hconf, from, to);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** Deletes all but the newest {@code keep} versions (never {@code latest}) and their runs. */
  private static void prune(Configuration hconf, String root, int keep, String latest) {
    List<String> versions = HadoopFiles.list(hconf, root + "/versions").stream()
        .filter(v -> v.matches("\\d{4}-\\d{2}-\\d{2}")).toList();
    int excess = versions.size() - keep;
    for (String v : versions) {
      if (excess <= 0) {
        break;
      }
      if (v.equals(latest)) {
        continue;
      }
      HadoopFiles.delete(hconf, root + "/versions/" + v);
      HadoopFiles.delete(hconf, root + "/runs/" + v);
      LOG.info("removed version {} (nightly.keep = {})", v, keep);
      excess--;
    }
  }

  /** A one-line summary for the console. */
  public static String describe(Result r) {
    return String.format(Locale.ROOT, "nightly %s: %s%s (%s candidate %.4f, current %s); latest = %s",
        r.date(), r.status(), r.alreadyDone() ? " earlier (nothing to do)" : "", r.metric(),
        r.candidate(), Double.isNaN(r.current()) ? "none" : String.format(Locale.ROOT, "%.4f",
            r.current()), r.latest());
  }
}
