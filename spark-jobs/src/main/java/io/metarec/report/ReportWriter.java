package io.metarec.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes an {@link EvalReport} as a folder: {@code metrics.json} (every number), {@code report.md},
 * a self-contained {@code report.html} (charts embedded) and PNG charts drawn with XChart:
 * {@code adaptation-<metric>.png} (metric against K, one line per method, 95% intervals as error
 * bars), {@code difference-<metric>.png} (the headline: the model minus the best baseline against
 * K, with the paired 95% intervals), {@code steps-<metric>.png} and {@code training-<model>.png}.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  /** Longest map or list shown on its list line; longer ones are pretty-printed, collapsed. */
  private static final int INLINE_CHARS = 80;

  private ReportWriter() {}

  /**
   * Writes the report into the local folder {@code dir} (created if needed).
   *
   * @return the files written
   */
  public static List<Path> write(EvalReport report, Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    Path json = dir.resolve("metrics.json");
    Files.writeString(json, JSON.writeValueAsString(toJson(report)));
    files.add(json);

    Map<String, Path> adaptation = new LinkedHashMap<>();
    for (String metric : metricNames(report)) {
      Path png = dir.resolve("adaptation-" + slug(metric) + ".png");
      save(adaptationChart(report, metric), png);
      adaptation.put(metric, png);
      files.add(png);
    }
    // The headline's differences to the best baseline against K, with their paired intervals: the
    // adaptation charts put every method on one axis, where scratch and pretrain squeeze the
    // methods that matter into a sliver.
    Map<String, Path> difference = new LinkedHashMap<>();
    for (String metric : report.headline().stream().map(HeadlineRow::metric).distinct().toList()) {
      Path png = dir.resolve("difference-" + slug(metric) + ".png");
      save(differenceChart(report, metric), png);
      difference.put(metric, png);
      files.add(png);
    }
    Map<String, Path> steps = new LinkedHashMap<>();
    if (report.steps() != null) {
      for (String metric : report.steps().byMetric().keySet()) {
        Path png = dir.resolve("steps-" + slug(metric) + ".png");
        save(stepsChart(report.steps(), metric), png);
        steps.put(metric, png);
        files.add(png);
      }
    }
    Map<String, Path> training = new LinkedHashMap<>();
    for (TrainingCurve t : report.training()) {
      XYChart chart = trainingChart(t);
      if (chart != null) {
        Path png = dir.resolve("training-" + slug(t.model()) + ".png");
        save(chart, png);
        training.put(t.model(), png);
        files.add(png);
      }
    }
    Path md = dir.resolve("report.md");
    Files.writeString(md, markdown(report, difference, adaptation, steps, training));
    files.add(md);
    Path html = dir.resolve("report.html");
    Files.writeString(html, html(report, difference, adaptation, steps, training));
    files.add(html);
    return files;
  }

  /** Reads a metrics.json written by {@link #write} back into a report. */
  @SuppressWarnings("unchecked")
  public static EvalReport read(Path metricsJson) throws IOException {
    return parse(java.nio.file.Files.readString(metricsJson));
  }

  /** Parses the text of a metrics.json written by {@link #write} (e.g. read from any file system). */
  @SuppressWarnings("unchecked")
  public static EvalReport parse(String metricsJson) throws IOException {
    Map<String, Object> j = JSON.readValue(metricsJson, LinkedHashMap.class);
    List<Integer> ks = ((List<Number>) j.get("ks")).stream().map(Number::intValue).toList();
    List<MethodResult> methods = new ArrayList<>();
    for (Map.Entry<String, Object> e : ((Map<String, Object>) j.get("methods")).entrySet()) {
      Map<String, Object> m = (Map<String, Object>) e.getValue();
      TreeMap<Integer, Map<String, MetricValue>> byK = new TreeMap<>();
      for (Map.Entry<String, Object> k : ((Map<String, Object>) m.get("byK")).entrySet()) {
        Map<String, MetricValue> values = new LinkedHashMap<>();
        for (Map.Entry<String, Object> v : ((Map<String, Object>) k.getValue()).entrySet()) {
          values.put(v.getKey(), value((Map<String, Object>) v.getValue()));
        }
        byK.put(Integer.parseInt(k.getKey()), values);
      }
      methods.add(new MethodResult(e.getKey(), (String) m.get("description"), byK));
    }
    StepCurve steps = null;
    if (j.get("steps") instanceof Map<?, ?> s) {
      Map<String, Object> sm = (Map<String, Object>) s;
      Map<String, List<MetricValue>> byMetric = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : ((Map<String, Object>) sm.get("byMetric")).entrySet()) {
        byMetric.put(e.getKey(), ((List<Map<String, Object>>) e.getValue()).stream()
            .map(ReportWriter::value).toList());
      }
      steps = new StepCurve((String) sm.get("method"), ((Number) sm.get("k")).intValue(),
          ((List<Number>) sm.get("steps")).stream().map(Number::intValue).toList(), byMetric);
    }
    List<TrainingCurve> training = new ArrayList<>();
    for (Map<String, Object> t : (List<Map<String, Object>>) j.get("training")) {
      List<double[]> rows = new ArrayList<>();
      for (List<Object> r : (List<List<Object>>) t.get("rows")) {
        rows.add(r.stream().mapToDouble(ReportWriter::num).toArray());
      }
      training.add(new TrainingCurve((String) t.get("model"), (List<String>) t.get("columns"),
          rows));
    }
    List<HeadlineRow> headline = new ArrayList<>();
    if (j.get("headline") instanceof List<?> rows) {
      for (Map<String, Object> h : (List<Map<String, Object>>) rows) {
        headline.add(new HeadlineRow(((Number) h.get("k")).intValue(), (String) h.get("metric"),
            (String) h.get("method"), (String) h.get("baseline"), num(h.get("methodMean")),
            num(h.get("baselineMean")), num(h.get("diff")), num(h.get("ci95")),
            ((Number) h.get("users")).longValue()));
      }
    }
    return new EvalReport((String) j.get("name"), (String) j.get("createdAt"),
        (String) j.get("codeVersion"), (Map<String, Object>) j.get("dataset"),
        (Map<String, Object>) j.get("config"), ks, methods, steps, training,
        (Map<String, Object>) j.get("run"), headline);
  }

  // ------------------------------------------------------------------------------ JSON

  private static Map<String, Object> toJson(EvalReport r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("name", r.name());
    j.put("createdAt", r.createdAt());
    j.put("codeVersion", r.codeVersion());
    j.put("dataset", r.dataset());
    j.put("config", r.config());
    j.put("ks", r.ks());
    List<Object> headline = new ArrayList<>();
    for (HeadlineRow h : r.headline()) {
      Map<String, Object> hm = new LinkedHashMap<>();
      hm.put("k", h.k());
      hm.put("metric", h.metric());
      hm.put("method", h.method());
      hm.put("baseline", h.baseline());
      hm.put("methodMean", finite(h.methodMean()));
      hm.put("baselineMean", finite(h.baselineMean()));
      hm.put("diff", finite(h.diff()));
      hm.put("ci95", finite(h.ci95()));
      hm.put("users", h.users());
      hm.put("better", h.better());
      hm.put("significant", h.significant());
      headline.add(hm);
    }
    j.put("headline", headline);
    Map<String, Object> methods = new LinkedHashMap<>();
    for (MethodResult m : r.methods()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("description", m.description());
      Map<String, Object> byK = new LinkedHashMap<>();
      m.byK().forEach((k, values) -> {
        Map<String, Object> vs = new LinkedHashMap<>();
        values.forEach((name, v) -> vs.put(name, json(v)));
        byK.put(Integer.toString(k), vs);
      });
      mm.put("byK", byK);
      methods.put(m.name(), mm);
    }
    j.put("methods", methods);
    if (r.steps() == null) {
      j.put("steps", null);
    } else {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("method", r.steps().method());
      s.put("k", r.steps().k());
      s.put("steps", r.steps().steps());
      Map<String, Object> byMetric = new LinkedHashMap<>();
      r.steps().byMetric().forEach((name, vs) ->
          byMetric.put(name, vs.stream().map(ReportWriter::json).toList()));
      s.put("byMetric", byMetric);
      j.put("steps", s);
    }
    List<Object> training = new ArrayList<>();
    for (TrainingCurve t : r.training()) {
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("model", t.model());
      tm.put("columns", t.columns());
      List<Object> rows = new ArrayList<>();
      for (double[] row : t.rows()) {
        List<Object> cells = new ArrayList<>();
        for (double d : row) {
          cells.add(finite(d));
        }
        rows.add(cells);
      }
      tm.put("rows", rows);
      training.add(tm);
    }
    j.put("training", training);
    j.put("run", r.run());
    return j;
  }

  private static Map<String, Object> json(MetricValue v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mean", finite(v.mean()));
    m.put("ci95", finite(v.ci95()));
    m.put("users", v.users());
    return m;
  }

  private static MetricValue value(Map<String, Object> m) {
    return new MetricValue(num(m.get("mean")), num(m.get("ci95")),
        ((Number) m.get("users")).longValue());
  }

  private static Object finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  private static double num(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  // ------------------------------------------------------------------------------ charts

  /** The metric names of the report, in first-seen order. */
  static List<String> metricNames(EvalReport r) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (MethodResult m : r.methods()) {
      m.byK().values().forEach(v -> names.addAll(v.keySet()));
    }
    return new ArrayList<>(names);
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x)
        .yAxisTitle(y).build();
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setPlotBackgroundColor(Color.WHITE);
    c.getStyler().setErrorBarsColorSeriesColor(true);
    c.getStyler().setDecimalPattern("#0.###");
    return c;
  }

  private static XYChart adaptationChart(EvalReport r, String metric) {
    // The _all metrics are pooled over every query interaction: one number, no interval.
    String title = metric + " against support size K"
        + (metric.endsWith("_all") ? " (pooled, no interval)" : " (95% intervals)");
    XYChart c = chart(title, "support size K", metric);
    for (MethodResult m : r.methods()) {
      List<double[]> pts = new ArrayList<>();
      for (Map.Entry<Integer, Map<String, MetricValue>> e : m.byK().entrySet()) {
        MetricValue v = e.getValue().get(metric);
        if (v != null && Double.isFinite(v.mean())) {
          pts.add(new double[] {e.getKey(), v.mean(), Double.isFinite(v.ci95()) ? v.ci95() : 0});
        }
      }
      addSeries(c, m.name(), pts);
    }
    return c;
  }

  /**
   * The headline's difference (model - best baseline at each K) of one metric against K, with its
   * paired 95% interval as error bars and the zero line; the best baseline of each K is named in the
   * series' label.
   */
  private static XYChart differenceChart(EvalReport r, String metric) {
    List<HeadlineRow> rows = r.headline().stream().filter(h -> h.metric().equals(metric)).toList();
    String method = rows.get(0).method();
    XYChart c = chart(method + " - best baseline: " + metric + " (paired 95% intervals; "
        + (EvalReport.lowerIsBetter(metric) ? "below" : "above") + " 0 is better)",
        "support size K", "difference in " + metric);
    List<double[]> pts = new ArrayList<>();
    StringBuilder names = new StringBuilder();
    for (HeadlineRow h : rows) {
      if (Double.isFinite(h.diff())) {
        pts.add(new double[] {h.k(), h.diff(), Double.isFinite(h.ci95()) ? h.ci95() : 0});
        names.append(names.length() == 0 ? "" : ", ").append("K=").append(h.k()).append(' ')
            .append(h.baseline());
      }
    }
    addSeries(c, method + " - best baseline (" + names + ")", pts);
    if (!pts.isEmpty()) {
      double lo = pts.get(0)[0];
      double hi = pts.get(pts.size() - 1)[0];
      XYSeries zero = c.addSeries("0", new double[] {lo, hi}, new double[] {0, 0});
      zero.setMarker(SeriesMarkers.NONE);
      zero.setLineColor(Color.GRAY);
    }
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    return c;
  }

  private static XYChart stepsChart(StepCurve s, String metric) {
    XYChart c = chart(metric + " of " + s.method() + " against inner steps, K = " + s.k(),
        "inner steps", metric);
    List<double[]> pts = new ArrayList<>();
    List<MetricValue> vs = s.byMetric().get(metric);
    for (int i = 0; i < s.steps().size(); i++) {
      MetricValue v = vs.get(i);
      if (Double.isFinite(v.mean())) {
        pts.add(new double[] {s.steps().get(i), v.mean(), Double.isFinite(v.ci95()) ? v.ci95() : 0});
      }
    }
    addSeries(c, s.method(), pts);
    return c;
  }

  /** Training loss and the validation columns against the iteration; null if nothing to plot. */
  private static XYChart trainingChart(TrainingCurve t) {
    double[] it = t.column("iteration");
    if (it == null) {
      return null;
    }
    XYChart c = chart("training of " + t.model(), "iteration", "value");
    int series = 0;
    for (String col : t.columns()) {
      if (col.equals("train_loss") || col.startsWith("val_")) {
        double[] y = t.column(col);
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
          if (Double.isFinite(y[i]) && Double.isFinite(it[i])) {
            pts.add(new double[] {it[i], y[i], 0});
          }
        }
        if (!pts.isEmpty()) {
          addSeries(c, col, pts);
          series++;
        }
      }
    }
    return series == 0 ? null : c;
  }

  private static void addSeries(XYChart c, String name, List<double[]> pts) {
    if (pts.isEmpty()) {
      return;
    }
    double[] x = pts.stream().mapToDouble(p -> p[0]).toArray();
    double[] y = pts.stream().mapToDouble(p -> p[1]).toArray();
    double[] err = pts.stream().mapToDouble(p -> p[2]).toArray();
    XYSeries s = c.addSeries(name, x, y, err);
    // Markers show the measured points of short curves; on long training curves they are clutter.
    s.setMarker(pts.size() <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
  }

  private static void save(XYChart chart, Path png) throws IOException {
    byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    Files.write(png, bytes);
  }

  private static String slug(String s) {
    return s.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "").toLowerCase(Locale.ROOT);
  }

  // ------------------------------------------------------------------------------ documents

  /** The metrics of the tables: the per-user ones, then the pooled ones. */
  private static List<String> tableMetrics(EvalReport r) {
    return metricNames(r);
  }

  /** For each K and metric, the best mean among methods. */
  private static double best(EvalReport r, int k, String metric) {
    double best = Double.NaN;
    boolean lower = EvalReport.lowerIsBetter(metric);
    for (MethodResult m : r.methods()) {
      MetricValue v = m.byK().get(k).get(metric);
      if (v != null && Double.isFinite(v.mean())
          && (Double.isNaN(best) || (lower ? v.mean() < best : v.mean() > best))) {
        best = v.mean();
      }
    }
    return best;
  }

  private static String headlineIntro(EvalReport r) {
    return r.headline().get(0).method() + " against the best baseline at each support size K and "
        + "metric (best mean among every baseline of the run, the pretrained models included). "
        + "Difference = " + r.headline().get(0).method() + " - baseline, per user on the same query "
        + "items, averaged; its paired 95% interval is Student's t over those users. \"better\" or "
        + "\"worse\" when the interval excludes 0, \"tie\" when it does not (lower is better for "
        + "MAE and RMSE, higher for the rest).";
  }

  private static String num4(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : "–";
  }

  private static String signed(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%+.4f", d) : "–";
  }

  private static String interval(HeadlineRow h) {
    if (!Double.isFinite(h.diff()) || !Double.isFinite(h.ci95())) {
      return "–";
    }
    return String.format(Locale.ROOT, "[%+.4f, %+.4f]", h.diff() - h.ci95(), h.diff() + h.ci95());
  }

  private static String verdict(HeadlineRow h) {
    if (!h.significant()) {
      return "tie";
    }
    return h.better() ? "better" : "worse";
  }

  private static String cell(MetricValue v) {
    if (v == null || !Double.isFinite(v.mean())) {
      return "–";
    }
    return Double.isFinite(v.ci95())
        ? String.format(Locale.ROOT, "%.4f ± %.4f", v.mean(), v.ci95())
        : String.format(Locale.ROOT, "%.4f", v.mean());
  }

  private static String markdown(EvalReport r, Map<String, Path> difference,
      Map<String, Path> adaptation, Map<String, Path> steps, Map<String, Path> training)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# MetaRec cold-start evaluation: ").append(r.name()).append("\n\n");
    sb.append("Created ").append(r.createdAt()).append(" by MetaRec ").append(r.codeVersion())
        .append(". Every number here is also in `metrics.json`.\n\n");
    if (!r.headline().isEmpty()) {
      sb.append("## Headline\n\n").append(headlineIntro(r)).append("\n\n")
          .append("| K | metric | ").append(r.headline().get(0).method())
          .append(" | best baseline | baseline | difference | paired 95% interval | |\n")
          .append("|---|---|---|---|---|---|---|---|\n");
      for (HeadlineRow h : r.headline()) {
        sb.append("| ").append(h.k()).append(" | ").append(h.metric()).append(" | ")
            .append(num4(h.methodMean())).append(" | ").append(h.baseline()).append(" | ")
            .append(num4(h.baselineMean())).append(" | ").append(signed(h.diff())).append(" | ")
            .append(interval(h)).append(" | ").append(verdict(h)).append(" |\n");
      }
      sb.append('\n');
      difference.forEach((metric, p) -> sb.append("![").append(metric)
          .append(": difference to the best baseline against K](").append(p.getFileName())
          .append(")\n\n"));
    }
    sb.append("## Data set and protocol\n\n");
    Map<String, Object> blocks = new LinkedHashMap<>();
    r.dataset().forEach((k, v) -> {
      if (isBlock(v)) {
        blocks.put(k, v);
      } else {
        sb.append("- **").append(k).append("**: ").append(inline(v)).append('\n');
      }
    });
    for (Map.Entry<String, Object> b : blocks.entrySet()) {
      sb.append("\n**").append(b.getKey()).append("** (").append(size(b.getValue()))
          .append("):\n\n```json\n").append(JSON.writeValueAsString(b.getValue()))
          .append("\n```\n");
    }
    sb.append("\n## Methods\n\n");
    for (MethodResult m : r.methods()) {
      sb.append("- **").append(m.name()).append("**: ").append(m.description()).append('\n');
    }
    sb.append("\n## Results\n\nPer-user means with 95% confidence intervals (\"_all\": pooled over "
        + "every query interaction, as most papers report). Best per column in bold.\n");
    List<String> metrics = tableMetrics(r);
    for (int k : r.ks()) {
      sb.append("\n### ").append(kTitle(r, k)).append("\n\n| method |");
      metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
      sb.append("\n|---|");
      metrics.forEach(m -> sb.append("---|"));
      sb.append('\n');
      for (MethodResult m : r.methods()) {
        sb.append("| ").append(m.name()).append(" |");
        for (String metric : metrics) {
          MetricValue v = m.byK().get(k).get(metric);
          boolean isBest = v != null && v.mean() == best(r, k, metric);
          sb.append(' ').append(isBest ? "**" + cell(v) + "**" : cell(v)).append(" |");
        }
        sb.append('\n');
      }
    }
    sb.append("\n## Adaptation curves\n\n");
    adaptation.forEach((metric, p) -> sb.append("![").append(metric).append(" against K](")
        .append(p.getFileName()).append(")\n\n"));
    if (!steps.isEmpty()) {
      sb.append("## Inner steps\n\n");
      steps.forEach((metric, p) -> sb.append("![").append(metric).append(" against inner steps](")
          .append(p.getFileName()).append(")\n\n"));
    }
    if (!training.isEmpty()) {
      sb.append("## Training\n\n");
      training.forEach((model, p) -> sb.append("![training of ").append(model).append("](")
          .append(p.getFileName()).append(")\n\n"));
    }
    sb.append("## Run\n\n");
    r.run().forEach((k, v) -> sb.append("- **").append(k).append("**: ").append(inline(v))
        .append('\n'));
    sb.append("\n## Configuration\n\n```json\n")
        .append(JSON.writeValueAsString(r.config())).append("\n```\n");
    return sb.toString();
  }

  private static String html(EvalReport r, Map<String, Path> difference,
      Map<String, Path> adaptation, Map<String, Path> steps, Map<String, Path> training)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MetaRec "
        + "evaluation: ").append(esc(r.name())).append("</title><style>body{font-family:sans-serif;"
        + "max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;"
        + "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        + "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
        + "pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>\n");
    sb.append("<h1>MetaRec cold-start evaluation: ").append(esc(r.name())).append("</h1>\n<p>Created ")
        .append(esc(r.createdAt())).append(" by MetaRec ").append(esc(r.codeVersion()))
        .append(".</p>\n");
    if (!r.headline().isEmpty()) {
      sb.append("<h2>Headline</h2>\n<p>").append(esc(headlineIntro(r)))
          .append("</p>\n<table><tr><th>K</th><th>metric</th><th>")
          .append(esc(r.headline().get(0).method())).append("</th><th>best baseline</th>"
              + "<th>baseline</th><th>difference</th><th>paired 95% interval</th><th></th></tr>\n");
      for (HeadlineRow h : r.headline()) {
        sb.append("<tr><td>").append(h.k()).append("</td><td>").append(esc(h.metric()))
            .append("</td><td>").append(num4(h.methodMean())).append("</td><td>")
            .append(esc(h.baseline())).append("</td><td>").append(num4(h.baselineMean()))
            .append("</td><td>").append(signed(h.diff())).append("</td><td>")
            .append(esc(interval(h))).append("</td><td>").append(esc(verdict(h)))
            .append("</td></tr>\n");
      }
      sb.append("</table>\n");
      for (Map.Entry<String, Path> e : difference.entrySet()) {
        sb.append(img(e.getValue(), e.getKey() + ": difference to the best baseline against K"));
      }
    }
    sb.append("<h2>Data set and protocol</h2>\n<ul>\n");
    for (Map.Entry<String, Object> e : r.dataset().entrySet()) {
      if (isBlock(e.getValue())) {
        sb.append("<li><details><summary><b>").append(esc(e.getKey())).append("</b> (")
            .append(esc(size(e.getValue()))).append(")</summary><pre>")
            .append(esc(JSON.writeValueAsString(e.getValue()))).append("</pre></details></li>\n");
      } else {
        sb.append("<li><b>").append(esc(e.getKey())).append("</b>: ")
            .append(esc(inline(e.getValue()))).append("</li>\n");
      }
    }
    sb.append("</ul>\n<h2>Methods</h2>\n<ul>\n");
    for (MethodResult m : r.methods()) {
      sb.append("<li><b>").append(esc(m.name())).append("</b>: ").append(esc(m.description()))
          .append("</li>\n");
    }
    sb.append("</ul>\n<h2>Results</h2>\n<p>Per-user means with 95% confidence intervals "
        + "(&quot;_all&quot;: pooled over every query interaction). Best per column in bold.</p>\n");
    List<String> metrics = tableMetrics(r);
    for (int k : r.ks()) {
      sb.append("<h3>").append(esc(kTitle(r, k))).append("</h3>\n<table><tr><th>method</th>");
      metrics.forEach(m -> sb.append("<th>").append(esc(m)).append("</th>"));
      sb.append("</tr>\n");
      for (MethodResult m : r.methods()) {
        sb.append("<tr><td>").append(esc(m.name())).append("</td>");
        for (String metric : metrics) {
          MetricValue v = m.byK().get(k).get(metric);
          boolean isBest = v != null && v.mean() == best(r, k, metric);
          sb.append("<td>").append(isBest ? "<b>" + esc(cell(v)) + "</b>" : esc(cell(v)))
              .append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</table>\n");
    }
    sb.append("<h2>Adaptation curves</h2>\n");
    for (Map.Entry<String, Path> e : adaptation.entrySet()) {
      sb.append(img(e.getValue(), e.getKey() + " against K"));
    }
    if (!steps.isEmpty()) {
      sb.append("<h2>Inner steps</h2>\n");
      for (Map.Entry<String, Path> e : steps.entrySet()) {
        sb.append(img(e.getValue(), e.getKey() + " against inner steps"));
      }
    }
    if (!training.isEmpty()) {
      sb.append("<h2>Training</h2>\n");
      for (Map.Entry<String, Path> e : training.entrySet()) {
        sb.append(img(e.getValue(), "training of " + e.getKey()));
      }
    }
    sb.append("<h2>Run</h2>\n<ul>\n");
    r.run().forEach((k, v) -> sb.append("<li><b>").append(esc(k)).append("</b>: ")
        .append(esc(inline(v))).append("</li>\n"));
    sb.append("</ul>\n<h2>Configuration</h2>\n<pre>")
        .append(esc(JSON.writeValueAsString(r.config()))).append("</pre>\n</body></html>\n");
    return sb.toString();
  }

  /** "K = 5", or what K = 0 stands for under the task-split protocol. */
  private static String kTitle(EvalReport r, int k) {
    Object protocol = r.dataset().get("protocol");
    return k == 0 && protocol instanceof String p && p.startsWith("task-split")
        ? "each task's own support and query (task-split protocol)" : "K = " + k;
  }

  private static String img(Path png, String alt) throws IOException {
    return "<p><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(Files.readAllBytes(png)) + "\"></p>\n";
  }

  /** A map or list too long for one line of the report (a task set's config, say). */
  private static boolean isBlock(Object v) {
    return (v instanceof Map<?, ?> || v instanceof List<?>) && inline(v).length() > INLINE_CHARS;
  }

  /** "12 keys" or "3 entries". */
  private static String size(Object v) {
    return v instanceof Map<?, ?> m ? m.size() + (m.size() == 1 ? " key" : " keys")
        : ((List<?>) v).size() + (((List<?>) v).size() == 1 ? " entry" : " entries");
  }

  private static String inline(Object v) {
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      try {
        return new ObjectMapper().writeValueAsString(v);
      } catch (IOException e) {
        return String.valueOf(v);
      }
    }
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.4g", d);
    }
    return String.valueOf(v);
  }

  private static String esc(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)
        .replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
