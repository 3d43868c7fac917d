package io.metarec.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What an output folder holds, as its marker ({@link OutputMarker}) records it. Folders written by
 * builds from before the marker are recognised by the files each kind always had
 * ({@link #looksLikeLegacy}), so that reruns into them keep working.
 */
public enum OutputKind {
  /** {@code generate}: {@code interactions/}, {@code users/}, {@code items/}, generate.json. */
  DATA("data", "a generated data set"),
  /** {@code build-tasks}: tasks, vocabularies, features.json, stats.json. */
  TASKS("tasks", "a task set"),
  /** {@code train} and {@code pretrain}: model.json, params.bin, vocab/, metrics.csv. */
  MODEL("model", "a model"),
  /** {@code evaluate}: metrics.json, report.md, report.html, charts. */
  REPORT("report", "an evaluation report"),
  /** {@code recommend}: recommendations/, summary.json. */
  RECOMMENDATIONS("recommendations", "recommendation lists"),
  /** A {@code nightly} version folder: model/, report/, nightly.json. */
  VERSION("version", "a nightly version");

  private final String id;
  private final String description;

  OutputKind(String id, String description) {
    this.id = id;
    this.description = description;
  }

  /** The name recorded in the marker, e.g. {@code "model"}. */
  public String id() {
    return id;
  }

  /** What the kind is, in words: "a task set". */
  public String description() {
    return description;
  }

  /** The kind recorded as {@code id}, or null for a name this build does not know. */
  public static OutputKind fromId(String id) {
    for (OutputKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    return null;
  }

  /**
   * True when {@code dir} (a folder without a marker) has what every output of this kind written
   * by an earlier build has:
   *
   * <ul>
   *   <li>data: {@code generate.json} and {@code interactions/};
   *   <li>tasks: {@code features.json} and {@code stats.json};
   *   <li>model: {@code model.json} whose {@code "kind"} is {@code "metarec-model"};
   *   <li>report: {@code metrics.json} and {@code report.html};
   *   <li>recommendations: {@code summary.json} and {@code recommendations/};
   *   <li>version: {@code nightly.json} and {@code model/}.
   * </ul>
   */
  public boolean looksLikeLegacy(FileSystem fs, Path dir) throws IOException {
    return switch (this) {
      case DATA -> isFile(fs, dir, "generate.json") && isDir(fs, dir, "interactions");
      case TASKS -> isFile(fs, dir, "features.json") && isFile(fs, dir, "stats.json");
      case MODEL -> isFile(fs, dir, "model.json") && "metarec-model".equals(modelJsonKind(fs, dir));
      case REPORT -> isFile(fs, dir, "metrics.json") && isFile(fs, dir, "report.html");
      case RECOMMENDATIONS -> isFile(fs, dir, "summary.json") && isDir(fs, dir, "recommendations");
      case VERSION -> isFile(fs, dir, "nightly.json") && isDir(fs, dir, "model");
    };
  }

  private static boolean isFile(FileSystem fs, Path dir, String name) throws IOException {
    Path p = new Path(dir, name);
    return fs.exists(p) && fs.getFileStatus(p).isFile();
  }

  private static boolean isDir(FileSystem fs, Path dir, String name) throws IOException {
    Path p = new Path(dir, name);
    return fs.exists(p) && fs.getFileStatus(p).isDirectory();
  }

  /** The "kind" of a model.json, or null when it has none or does not parse. */
  private static String modelJsonKind(FileSystem fs, Path dir) throws IOException {
    FileStatus s = fs.getFileStatus(new Path(dir, "model.json"));
    if (s.getLen() > 16L << 20) {
      return null; // not a model.json of ours (they are a few kilobytes)
    }
    try (InputStream in = fs.open(s.getPath())) {
      Object kind = Json.readObject(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .get("kind");
      return kind instanceof String k ? k : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
