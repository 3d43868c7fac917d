package io.metarec.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file {@value #FILE} that the commit of every output folder writes into it, recording what
 * the folder is: {@code {"writtenBy": "metarec", "kind": "model", "markerVersion": 1, "runId",
 * "committedAt", "codeVersion"}}. Its name starts with an underscore, so Spark, Hadoop and the
 * input fingerprints skip it like {@code _SUCCESS}.
 *
 * <p>{@link #checkReplaceable} is the one rule for what an output may replace: nothing, an empty
 * folder, a folder whose marker names the same kind, or a folder of that kind written by a build
 * from before the marker ({@link OutputKind#looksLikeLegacy}). Anything else is refused.
 */
public final class OutputMarker {
  private static final Logger LOG = LoggerFactory.getLogger(OutputMarker.class);
  /** The marker's file name inside an output folder. */
  public static final String FILE = "_metarec-output.json";
  /** Version of the marker's fields. */
  public static final int VERSION = 1;
  private static final int LISTED = 5;

  private OutputMarker() {}

  /** Writes the marker of an output of {@code kind} into {@code dir} (a staging folder). */
  static void write(FileSystem fs, Path dir, OutputKind kind, String runId) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("writtenBy", "metarec");
    m.put("kind", kind.id());
    m.put("markerVersion", VERSION);
    m.put("runId", runId);
    m.put("committedAt", Instant.now().toString());
    m.put("codeVersion", CodeVersion.get());
    try (OutputStream os = fs.create(new Path(dir, FILE), true)) {
      os.write(Json.write(m).getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The kind recorded in {@code dir}'s marker: null when it has no marker, {@code ""} when the
   * marker does not parse or names no kind.
   */
  public static String kindOf(FileSystem fs, Path dir) throws IOException {
    Path p = new Path(dir, FILE);
    if (!fs.exists(p)) {
      return null;
    }
    try (InputStream in = fs.open(p)) {
      Map<String, Object> m = Json.readObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      return "metarec".equals(m.get("writtenBy")) && m.get("kind") instanceof String k ? k : "";
    } catch (RuntimeException e) {
      return "";
    }
  }

  /**
   * Refuses, with a {@link JobFailedException} naming {@code key}, the path and what is there, to
   * let an output of {@code kind} replace {@code target} unless it does not exist, is an empty
   * folder, carries a marker of the same kind, or is an output of that kind from an earlier build.
   */
  public static void checkReplaceable(FileSystem fs, Path target, OutputKind kind, String key)
      throws IOException {
    if (!fs.exists(target)) {
      return;
    }
    FileStatus st = fs.getFileStatus(target);
    if (!st.isDirectory()) {
      throw refuse(key, target, kind, "is a file (" + st.getLen() + " bytes), not an output folder");
    }
    FileStatus[] entries = fs.listStatus(target);
    if (entries.length == 0) {
      return;
    }
    String recorded = kindOf(fs, target);
    if (recorded != null) {
      if (recorded.equals(kind.id())) {
        return;
      }
      if (recorded.isEmpty()) {
        throw refuse(key, target, kind, "holds an unreadable " + FILE);
      }
      OutputKind other = OutputKind.fromId(recorded);
      throw refuse(key, target, kind, "holds " + (other == null
          ? "a MetaRec output of kind \"" + recorded + "\"" : other.description()) + ", not "
          + kind.description());
    }
    if (kind.looksLikeLegacy(fs, target)) {
      LOG.info("{} {}: {} written by an earlier build (no {}); it will be replaced", key, target,
          kind.description(), FILE);
      return;
    }
    for (OutputKind other : OutputKind.values()) {
      if (other != kind && other.looksLikeLegacy(fs, target)) {
        throw refuse(key, target, kind, "holds " + other.description() + " written by an "
            + "earlier build, not " + kind.description());
      }
    }
    String[] names = Arrays.stream(entries).map(e -> e.getPath().getName()).sorted()
        .toArray(String[]::new);
    String listed = String.join(", ", Arrays.copyOf(names, Math.min(LISTED, names.length)))
        + (names.length > LISTED ? " and " + (names.length - LISTED) + " more" : "");
    throw refuse(key, target, kind, "is not empty and was not written by MetaRec (it has no "
        + FILE + " and is not " + kind.description() + " of an earlier build): it holds "
        + listed);
  }

  private static JobFailedException refuse(String key, Path target, OutputKind kind, String what) {
    return new JobFailedException(key + " " + target + " " + what + "; refusing to replace it with "
        + kind.description() + ". Choose another folder, or remove it yourself if it may go");
  }
}
