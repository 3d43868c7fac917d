package io.metarec.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output folder committed atomically: a job writes everything under a staging sibling
 * ({@code <out>._staging-<run id>}) and {@link #commit()} swaps it in by renames on the same file
 * system (any Hadoop {@link FileSystem}: {@code file://}, {@code hdfs://}, {@code s3a://}). A run that
 * fails before the commit leaves an earlier {@code <out>} untouched; {@link #close()} removes the
 * staging folder. A crash between the two renames of a commit leaves {@code <out>._old-<uuid>},
 * which the next run's {@link OutputClaim} puts back.
 *
 * <p>It writes under an {@link OutputClaim} the job took when it started: the commit checks that
 * the run still holds the output's lock and that {@code <out>} may still be replaced, writes the
 * {@link OutputMarker} into the folder, and after the swap removes {@code <out>.failed}, which an
 * earlier failed run left.
 */
public final class StagedOutput implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StagedOutput.class);

  private final OutputClaim claim;
  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private boolean done;

  private StagedOutput(OutputClaim claim, Path staging) {
    this.claim = claim;
    this.fs = claim.fileSystem();
    this.target = claim.target();
    this.staging = staging;
  }

  /** Starts staging the output {@code claim} holds (once per claim; the claim stays the job's). */
  public static StagedOutput begin(OutputClaim claim) {
    claim.stage();
    Path staging = claim.stagingFolder();
    try {
      if (!claim.fileSystem().mkdirs(staging)) {
        throw new JobFailedException("cannot create staging folder " + staging);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage output " + claim.target(), e);
    }
    return new StagedOutput(claim, staging);
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

  /**
   * Swaps the staging folder in as {@code <out>}, replacing an earlier output of the same kind;
   * fails, leaving {@code <out>} as it was, when the run lost its lock or {@code <out>} became
   * something it may not replace.
   */
  public void commit() {
    claim.checkHeld();
    try {
      OutputMarker.checkReplaceable(fs, target, claim.kind(), claim.key());
      OutputMarker.write(fs, staging, claim.kind(), claim.runId());
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
      Path failed = failedFolder();
      if (fs.exists(failed) && fs.delete(failed, true)) {
        LOG.info("{} {}: removed {}, left by an earlier run that failed", claim.key(), target,
            failed.getName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("commit of " + target + " failed", e);
    }
  }

  private Path failedFolder() {
    return new Path(target.getParent(), target.getName() + ".failed");
  }

  /**
   * Keeps the staging folder of a failed run as {@code <out>.failed} (replacing an earlier one) so
   * that what it wrote (e.g. rejected rows) is not lost; {@code <out>} stays untouched.
   *
   * @return where it was kept
   */
  public String keepFailed() {
    Path failed = failedFolder();
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
}
