package io.metarec.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/** Small file-system helpers over Hadoop {@link FileSystem}, so every URI scheme works. */
public final class HadoopFiles {
  private HadoopFiles() {}

  /** True when {@code path} exists. */
  public static boolean exists(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /** Reads a small text file. */
  public static String readText(Configuration conf, String path) {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /**
   * A fingerprint of the files under {@code paths}: SHA-256 over each visible file's path, length
   * and modification time (not the contents, which would mean reading everything).
   */
  public static String fingerprint(Configuration conf, List<String> paths) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String path : paths) {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        List<String> lines = new ArrayList<>();
        if (!fs.exists(p)) {
          lines.add(path + " missing");
        } else {
          RemoteIterator<LocatedFileStatus> it = fs.listFiles(p, true);
          while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String name = s.getPath().getName();
            if (name.startsWith("_") || name.startsWith(".")) {
              continue;
            }
            lines.add(s.getPath().toUri().getPath() + " " + s.getLen() + " "
                + s.getModificationTime());
          }
        }
        lines.sort(null);
        for (String line : lines) {
          md.update(line.getBytes(StandardCharsets.UTF_8));
          md.update((byte) '\n');
        }
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fingerprint " + paths, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes a small text file atomically: a temporary sibling, then a rename that replaces {@code path}
   * (atomic on HDFS and local file systems), so readers see the old or the new text, never a part.
   */
  public static void writeTextAtomically(Configuration conf, String path, String text) {
    Path p = new Path(path);
    Path tmp = new Path(p.getParent(), "." + p.getName() + ".tmp-" + java.util.UUID.randomUUID());
    try {
      FileSystem fs = p.getFileSystem(conf);
      fs.mkdirs(p.getParent());
      try (java.io.OutputStream out = fs.create(tmp, true)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
      org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), conf).rename(tmp, p,
          org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  /** Copies a file or folder tree (possibly across file systems); {@code to} must not exist. */
  public static void copy(Configuration conf, String from, String to) throws IOException {
    Path src = new Path(from);
    Path dst = new Path(to);
    if (!FileUtil.copy(src.getFileSystem(conf), src, dst.getFileSystem(conf), dst, false, conf)) {
      throw new IOException("cannot copy " + src + " to " + dst);
    }
  }

  /** Deletes a file or folder tree if it exists; returns whether something was deleted. */
  public static boolean delete(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      return fs.exists(p) && fs.delete(p, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** The names of the entries of a folder, sorted; empty when it does not exist. */
  public static List<String> list(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(p)) {
        names.add(s.getPath().getName());
      }
      names.sort(null);
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path, e);
    }
  }
}
