package io.metarec.input;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Says in one line why a Parquet input cannot be read: the first data file that is empty, not
 * Parquet at all (text, random bytes), truncated, or (when asked to read footers) has an unreadable
 * footer. Spark reports these as stack traces with the file named somewhere inside, logged by
 * every failed task before the job fails.
 *
 * <p>A Parquet file is {@code PAR1}, the column chunks, the footer, the footer's length (4 bytes,
 * little-endian) and {@code PAR1} again. Checking the magic bytes and the footer length takes two
 * small reads per file, done on the driver by a few threads before Spark opens the input; reading
 * and parsing every footer costs more and is left to Spark, and done here only to explain a
 * failure.
 */
final class ParquetCheck {
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
  private static final int MIN_LENGTH = 2 * MAGIC.length + 4;
  private static final int THREADS = 16;

  private ParquetCheck() {}

  /**
   * What is wrong with the Parquet data under {@code path} (a file or a folder), naming the file,
   * or null when every data file looks sound. Files whose names start with {@code _} or {@code .}
   * are skipped, as Spark skips them, and so are empty files next to non-empty ones (Spark reads
   * them as holding no rows). {@code readFooters} also parses each footer.
   */
  static String problem(Configuration conf, String path, boolean readFooters) {
    List<FileStatus> files = new ArrayList<>();
    FileSystem fs;
    Path root = new Path(path);
    try {
      fs = root.getFileSystem(conf);
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        String name = s.getPath().getName();
        if (!name.startsWith("_") && !name.startsWith(".")) {
          files.add(s);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path, e);
    }
    if (files.isEmpty()) {
      return "holds no data files";
    }
    files.sort(Comparator.comparing(s -> s.getPath().toString()));
    if (files.stream().anyMatch(f -> f.getLen() > 0)) {
      files.removeIf(f -> f.getLen() == 0);
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, files.size()));
    try {
      List<Future<String>> checks = new ArrayList<>();
      for (FileStatus f : files) {
        checks.add(pool.submit(() -> fileProblem(conf, fs, f, readFooters)));
      }
      for (int i = 0; i < files.size(); i++) {
        String why = checks.get(i).get();
        if (why != null) {
          Path p = files.get(i).getPath();
          boolean isRoot = p.toUri().getPath().equals(root.toUri().getPath());
          return (isRoot ? "" : "file " + p.toUri().getPath() + " ") + why;
        }
      }
      return null;
    } catch (ExecutionException e) {
      throw new UncheckedIOException("cannot check the Parquet files of " + path,
          e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking " + path, e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** What is wrong with one file, or null. */
  static String fileProblem(Configuration conf, FileSystem fs, FileStatus f, boolean readFooter)
      throws IOException {
    long n = f.getLen();
    if (n == 0) {
      return "is empty (0 bytes), not a Parquet file";
    }
    byte[] head = new byte[(int) Math.min(n, 48)];
    byte[] tail = new byte[(int) Math.min(n, 8)];
    try (FSDataInputStream in = fs.open(f.getPath())) {
      in.readFully(0, head);
      in.readFully(n - tail.length, tail);
    }
    if (!startsWith(head, MAGIC, 0)) {
      return "is not a Parquet file: " + describe(head, n > head.length);
    }
    if (n < MIN_LENGTH || !startsWith(tail, MAGIC, tail.length - MAGIC.length)) {
      return "is truncated or corrupt: it starts as Parquet but has no Parquet footer at its end ("
          + n + " bytes)";
    }
    long footer = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()
        & 0xffffffffL;
    if (footer == 0 || footer > n - MIN_LENGTH) {
      return "is corrupt: its footer length (" + footer + " bytes) does not fit the file (" + n
          + " bytes)";
    }
    if (readFooter) {
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
        r.getFooter();
      } catch (IOException | RuntimeException e) {
        return "has an unreadable Parquet footer (" + oneLine(e.getMessage()) + ")";
      }
    }
    return null;
  }

  /** What the first bytes of a non-Parquet file look like, with a hint when they are text. */
  private static String describe(byte[] head, boolean more) {
    String text = new String(head, StandardCharsets.UTF_8);
    boolean printable = !text.isEmpty() && text.chars()
        .allMatch(c -> c == '\n' || c == '\r' || c == '\t' || (c >= ' ' && c != 0x7f && c != 0xfffd));
    if (!printable) {
      return "it does not start with the Parquet magic bytes PAR1";
    }
    boolean cut = more && text.indexOf('\n') < 0;
    String first = text.lines().findFirst().orElse("");
    String hint = first.startsWith("{") ? " (JSON lines? use --format json)"
        : first.contains(",") || first.contains("\t") || first.contains(";")
            ? " (CSV? use --format csv)" : "";
    return "it is text, starting \"" + oneLine(first) + (cut ? "…" : "")
        + "\"" + hint;
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix, int at) {
    if (at < 0 || bytes.length - at < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }
}
