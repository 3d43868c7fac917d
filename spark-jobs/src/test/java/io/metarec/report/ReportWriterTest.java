package io.metarec.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report folder: charts are real PNGs, referenced and embedded; metrics.json round-trips. */
class ReportWriterTest {
  private static MethodResult method(String name, double base) {
    TreeMap<Integer, Map<String, MetricValue>> byK = new TreeMap<>();
    for (int k : List.of(1, 5, 10)) {
      Map<String, MetricValue> v = new LinkedHashMap<>();
      v.put("mae", new MetricValue(base - 0.01 * k, 0.02, 100));
      v.put("ndcg@10", new MetricValue(0.7 + 0.001 * k, Double.NaN, 100));
      byK.put(k, v);
    }
    return new MethodResult(name, name + " method", byK);
  }

  private static EvalReport report() {
    StepCurve steps = new StepCurve("meta", 5, List.of(0, 1, 5),
        Map.of("mae", List.of(new MetricValue(0.9, 0.01, 50), new MetricValue(0.85, 0.01, 50),
            new MetricValue(0.8, 0.01, 50))));
    TrainingCurve curve = TrainingCurve.parseCsv("model",
        "iteration,elapsed_s,train_loss,val_mae\n1,0.5,1.2,\n2,1.0,1.1,0.9\n3,1.5,1.0,\n");
    Map<String, Object> dataset = new LinkedHashMap<>();
    dataset.put("tasks", "/data/tasks");
    dataset.put("usersScored", 100);
    return new EvalReport("unit", "2026-11-28T00:00:00Z", "0.1.0", dataset,
        Map.of("seed", 42), List.of(1, 5, 10),
        List.of(method("meta", 0.9), method("bias", 0.95), method("global", 1.0)), steps,
        List.of(curve), Map.of("wallSeconds", 1.5));
  }

  @Test
  void writesChartsReferencedAndEmbedded(@TempDir Path dir) throws Exception {
    List<Path> files = ReportWriter.write(report(), dir);
    String md = Files.readString(dir.resolve("report.md"));
    String html = Files.readString(dir.resolve("report.html"));
    List<Path> pngs = files.stream().filter(p -> p.toString().endsWith(".png")).toList();
    // adaptation-mae, adaptation-ndcg-10, steps-mae, training-model
    assertEquals(4, pngs.size(), pngs.toString());
    for (Path p : pngs) {
      BufferedImage img = ImageIO.read(p.toFile());
      assertTrue(img != null && img.getWidth() > 0, p + " is a PNG");
      assertTrue(md.contains("(" + p.getFileName() + ")"), p + " referenced in report.md");
      String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(p));
      assertTrue(html.contains(b64), p + " embedded in report.html");
    }
    // Values with their intervals; the best MAE at K = 10 (meta, 0.8) in bold.
    assertTrue(md.contains("**0.8000 ± 0.0200**"), md);
    assertTrue(md.contains("| bias | 0.9400 ± 0.0200 |"), md);
    assertTrue(md.contains("/data/tasks"));
  }

  @Test
  void metricsJsonRoundTrips(@TempDir Path dir) throws Exception {
    EvalReport r = report();
    ReportWriter.write(r, dir);
    EvalReport back = ReportWriter.read(dir.resolve("metrics.json"));
    assertEquals(r.methods(), back.methods());
    assertEquals(r.steps(), back.steps());
    assertEquals(r.training(), back.training());
    assertEquals(r.ks(), back.ks());
    assertTrue(Double.isNaN(back.methods().get(0).byK().get(1).get("ndcg@10").ci95()));
    assertTrue(Files.readString(dir.resolve("metrics.json")).contains("\"ci95\" : null"));
  }

  @Test
  void aLongConfigInTheDataSetIsPrettyPrintedAndCollapsed(@TempDir Path dir) throws Exception {
    Map<String, Object> config = new LinkedHashMap<>();
    for (String section : List.of("input", "split", "tasks", "train", "evaluate")) {
      config.put(section, Map.of("path", "/data/" + section + "/with/a/long/path", "seed", 42));
    }
    EvalReport base = report();
    Map<String, Object> dataset = new LinkedHashMap<>(base.dataset());
    dataset.put("taskSet.config", config);
    dataset.put("taskSet.splits", Map.of("train", 80));
    EvalReport r = new EvalReport(base.name(), base.createdAt(), base.codeVersion(), dataset,
        base.config(), base.ks(), base.methods(), base.steps(), base.training(), base.run());
    ReportWriter.write(r, dir);
    String md = Files.readString(dir.resolve("report.md"));
    String section = md.substring(md.indexOf("## Data set and protocol"), md.indexOf("## Methods"));
    for (String line : section.split("\n")) {
      assertTrue(line.length() <= 100, "a line of the data set section runs off the page: " + line);
    }
    assertTrue(section.contains("**taskSet.config** (5 keys):\n\n```json\n{\n  \"input\" : {"),
        section);
    assertTrue(section.contains("- **taskSet.splits**: {\"train\":80}"), section);
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.contains("<li><details><summary><b>taskSet.config</b> (5 keys)</summary><pre>{\n"
        + "  &quot;input&quot; : {"), html);
    assertTrue(html.contains("<li><b>taskSet.splits</b>: {&quot;train&quot;:80}</li>"), html);
  }

  @Test
  void theHeadlineOpensTheReportAndRoundTrips(@TempDir Path dir) throws Exception {
    EvalReport base = report();
    List<HeadlineRow> headline = List.of(
        new HeadlineRow(5, "mae", "meta", "bias", 0.85, 0.90, -0.05, 0.01, 100),
        new HeadlineRow(5, "ndcg@10", "meta", "bias", 0.705, 0.705, 0.0004, 0.002, 100),
        new HeadlineRow(10, "mae", "meta", "bias", 0.82, 0.80, 0.02, 0.015, 100));
    EvalReport r = new EvalReport(base.name(), base.createdAt(), base.codeVersion(),
        base.dataset(), base.config(), base.ks(), base.methods(), base.steps(), base.training(),
        base.run(), headline);
    ReportWriter.write(r, dir);
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.indexOf("## Headline") > 0 && md.indexOf("## Headline") < md.indexOf("## Data set"),
        md);
    assertTrue(md.contains("| 5 | mae | 0.8500 | bias | 0.9000 | -0.0500 | [-0.0600, -0.0400] | better |"),
        md);
    assertTrue(md.contains("| 5 | ndcg@10 | 0.7050 | bias | 0.7050 | +0.0004 | [-0.0016, +0.0024] | tie |"),
        md);
    assertTrue(md.contains("| 10 | mae | 0.8200 | bias | 0.8000 | +0.0200 | [+0.0050, +0.0350] | worse |"),
        md);
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.indexOf("<h2>Headline</h2>") < html.indexOf("<h2>Data set"), html);
    assertTrue(html.contains("<td>[-0.0600, -0.0400]</td><td>better</td>"), html);
    // A chart of the differences per headline metric, in both renderings.
    for (String metric : List.of("mae", "ndcg-10")) {
      Path png = dir.resolve("difference-" + metric + ".png");
      assertTrue(Files.size(png) > 1000, png.toString());
      assertTrue(md.contains("](difference-" + metric + ".png)"), md);
    }
    assertTrue(md.indexOf("](difference-mae.png)") < md.indexOf("## Data set"), md);
    assertTrue(html.indexOf("difference to the best baseline") < html.indexOf("<h2>Data set"), html);
    assertEquals(headline, ReportWriter.read(dir.resolve("metrics.json")).headline());
    // A report without one (older metrics.json files too) has none.
    ReportWriter.write(base, dir.resolve("plain"));
    assertFalse(Files.readString(dir.resolve("plain/report.md")).contains("## Headline"));
    assertFalse(Files.exists(dir.resolve("plain/difference-mae.png")));
    assertTrue(ReportWriter.read(dir.resolve("plain/metrics.json")).headline().isEmpty());
  }

  @Test
  void csvEmptyCellsAreNaN() {
    TrainingCurve t = TrainingCurve.parseCsv("m", "iteration,val_mae\n1,\n2,0.5\n");
    assertTrue(Double.isNaN(t.column("val_mae")[0]));
    assertEquals(0.5, t.column("val_mae")[1]);
  }
}
