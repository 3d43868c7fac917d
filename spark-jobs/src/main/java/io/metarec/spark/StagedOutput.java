package io.metarec.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output folder committed atomically: a job writes everything under a staging sibling
 * ({@code <out>._staging-<uuid>}) and {@link #commit()} swaps it in by renames on the same file
 * system (any Hadoop {@link FileSystem}: {@code file://}, {@code hdfs://}, {@code s3a://}). A run that
 * fails before the commit leaves an earlier {@code <out>} untouched; {@link #close()} removes the
 * staging folder. A crash between the two renames of a commit leaves {@code <out>._old-<uuid>},
 * which the next {@link #begin} puts back.
 */
public final class StagedOutput implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StagedOutput.class);
  private static final long STALE_STAGING_MS = 24L * 3600 * 1000;

  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private boolean done;

  private StagedOutput(FileSystem fs, Path target, Path staging) {
    this.fs = fs;
    this.target = target;
    this.staging = staging;
  }

  /** Starts a staged output for the folder {@code out}. */
  public static StagedOutput begin(Configuration conf, String out) {
    try {
      Path t = new Path(out);
      FileSystem fs = t.getFileSystem(conf);
      t = fs.makeQualified(t);
      if (t.getParent() == null) {
        throw new JobFailedException("output " + out + " must not be a file system root");
      }
      recover(fs, t);
      Path staging = new Path(t.getParent(), t.getName() + "._staging-" + UUID.randomUUID());
      if (!fs.mkdirs(staging)) {
        throw new JobFailedException("cannot create staging folder " + staging);
      }
      return new StagedOutput(fs, t, staging);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage output " + out, e);
    }
  }

  /** The final location, fully qualified. */
  public String target() {
    return target.toString();
  }

  /** A path under the staging folder, for the job to write to. */
  public String path(String child) {
    return new Path(staging, child).toString();
  }

  /** The file system of the output. */
  public FileSystem fileSystem() {
    return fs;
  }

  /** Writes a small text file under the staging folder. */
  public void writeText(String child, String text) {
    try (OutputStream os = fs.create(new Path(staging, child), true)) {
      os.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path(child), e);
    }
  }

  /** Swaps the staging folder in as {@code <out>}, replacing an earlier output. */
  public void commit() {
    try {
      Path old = null;
      if (fs.exists(target)) {
        old = new Path(target.getParent(), target.getName() + "._old-" + UUID.randomUUID());
        if (!fs.rename(target, old)) {
          throw new IOException("cannot move the earlier " + target + " aside");
        }
      }
      if (!fs.rename(staging, target)) {
        if (old != null) {
          fs.rename(old, target);
        }
        throw new IOException("cannot rename " + staging + " to " + target);
      }
      done = true;
      if (old != null) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("commit of " + target + " failed", e);
    }
  }

  /**
   * Keeps the staging folder of a failed run as {@code <out>.failed} (replacing an earlier one) so
   * that what it wrote (e.g. rejected rows) is not lost; {@code <out>} stays untouched.
   *
   * @return where it was kept
   */
  public String keepFailed() {
    Path failed = new Path(target.getParent(), target.getName() + ".failed");
    try {
      if (fs.exists(failed)) {
        fs.delete(failed, true);
      }
      if (!fs.rename(staging, failed)) {
        throw new IOException("cannot rename " + staging + " to " + failed);
      }
      done = true;
      return failed.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the failed output at " + failed, e);
    }
  }

  /** Removes the staging folder unless committed or kept. */
  @Override
  public void close() {
    if (done) {
      return;
    }
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      LOG.warn("could not remove staging folder {}: {}", staging, e.toString());
    }
  }

  /** Puts back an output moved aside by an interrupted commit; removes stale staging folders. */
  private static void recover(FileSystem fs, Path target) throws IOException {
    if (!fs.exists(target.getParent())) {
      fs.mkdirs(target.getParent());
      return;
    }
    FileStatus[] siblings = fs.listStatus(target.getParent(),
        p -> p.getName().startsWith(target.getName() + "._old-")
            || p.getName().startsWith(target.getName() + "._staging-"));
    if (siblings == null) {
      return;
    }
    if (!fs.exists(target)) {
      FileStatus newestOld = Arrays.stream(siblings)
          .filter(s -> s.getPath().getName().startsWith(target.getName() + "._old-"))
          .max(Comparator.comparingLong(FileStatus::getModificationTime))
          .orElse(null);
      if (newestOld != null && fs.rename(newestOld.getPath(), target)) {
        LOG.warn("restored {} from an interrupted commit ({})", target, newestOld.getPath());
      }
    }
    long now = System.currentTimeMillis();
    for (FileStatus s : siblings) {
      if (s.getPath().getName().contains("._staging-")
          && now - s.getModificationTime() > STALE_STAGING_MS) {
        fs.delete(s.getPath(), true);
      }
    }
  }
}
