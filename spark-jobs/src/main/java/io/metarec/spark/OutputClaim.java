package io.metarec.spark;

import io.metarec.config.OutputConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's claim on the output folder it will write, taken when the job starts and held until it
 * ends (try-with-resources): the checks that the output may be written at all, the lock, and the
 * cleanup of what earlier runs of the same output left behind.
 *
 * <p>{@link #acquire} in order:
 *
 * <ol>
 *   <li>refuses an output that is, contains or lies inside one of the job's inputs, naming both,
 *       and one that may not replace what is at its path ({@link OutputMarker#checkReplaceable});
 *   <li>takes the output's {@link OutputLock} (refused while another run holds it);
 *   <li>puts back an earlier output that an interrupted commit had moved aside, and removes, with
 *       a log line each, the leftovers of earlier runs of this output that are older than this
 *       run: staging folders ({@code <out>._staging-*}), outputs moved aside by a commit
 *       ({@code <out>._old-*}) and pretraining export folders ({@code <out>.export-*}). The lock
 *       says that no other run of this output is alive, so none of them is in use;
 *   <li>checks again, under the lock, that {@code <out>} may be replaced.
 * </ol>
 *
 * <p>The job then writes through {@link StagedOutput#begin(OutputClaim)}, whose commit checks the
 * lock again and writes the {@link OutputMarker}.
 */
public final class OutputClaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputClaim.class);
  private static final String STAGING = "._staging-";
  private static final String OLD = "._old-";
  private static final String EXPORT = ".export-";

  /**
   * A path the job reads.
   *
   * @param key the config key naming it, for messages
   * @param path the path (blank: none); a glob is compared by its fixed leading folders
   * @param mayBeOutput whether the output may be this very folder (it is read in full before the
   *     commit replaces it, as build-tasks reads its own earlier vocabulary); containment is
   *     refused all the same
   */
  public record Input(String key, String path, boolean mayBeOutput) {
    public Input {
      Objects.requireNonNull(key, "key");
    }
  }

  /** An input that the output must be disjoint from. */
  public static Input input(String key, String path) {
    return new Input(key, path, false);
  }

  /** An input that the output may replace (but neither contain nor lie inside). */
  public static Input inputMayBeOutput(String key, String path) {
    return new Input(key, path, true);
  }

  private final FileSystem fs;
  private final Path target;
  private final OutputKind kind;
  private final String key;
  private final OutputLock lock;
  private boolean staged;

  private OutputClaim(FileSystem fs, Path target, OutputKind kind, String key, OutputLock lock) {
    this.fs = fs;
    this.target = target;
    this.kind = kind;
    this.key = key;
    this.lock = lock;
  }

  /**
   * Claims {@code out} for an output of {@code kind}; see the class comment for what it checks.
   *
   * @param key the config key naming the output, e.g. {@code train.model}, for messages
   * @throws JobFailedException when the output may not be written, naming the key, the path and
   *     what is there (or who holds the lock)
   */
  public static OutputClaim acquire(Configuration conf, OutputConfig settings, OutputKind kind,
      String key, String out, Input... inputs) {
    long startMillis = System.currentTimeMillis();
    try {
      Path t = new Path(out);
      FileSystem fs = t.getFileSystem(conf);
      t = fs.makeQualified(t);
      if (t.getParent() == null) {
        throw new JobFailedException(key + " " + out + " must not be a file system root");
      }
      checkDisjoint(conf, key, t, inputs);
      OutputMarker.checkReplaceable(fs, t, kind, key); // early, and again under the lock
      fs.mkdirs(t.getParent());
      OutputLock lock = OutputLock.acquire(fs, OutputLock.fileFor(t), key, key + " " + t,
          OutputLock.staleAfter(settings), OutputLock.heartbeatEvery(settings));
      try {
        recoverAndClean(fs, t, key, lock.runId(), startMillis);
        OutputMarker.checkReplaceable(fs, t, kind, key);
        return new OutputClaim(fs, t, kind, key, lock);
      } catch (IOException | RuntimeException e) {
        lock.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim the output " + out, e);
    }
  }

  /** The output folder, fully qualified. */
  public Path target() {
    return target;
  }

  /** Its file system. */
  public FileSystem fileSystem() {
    return fs;
  }

  /** What the output is. */
  public OutputKind kind() {
    return kind;
  }

  /** The config key naming the output. */
  public String key() {
    return key;
  }

  /** This run's id (as the lock records it). */
  public String runId() {
    return lock.runId();
  }

  /** The staging folder of this run: {@code <out>._staging-<run id>}. */
  Path stagingFolder() {
    return new Path(target.getParent(), target.getName() + STAGING + lock.runId());
  }

  /** Marks the claim as staged once: one staged output per claim. */
  synchronized void stage() {
    if (staged) {
      throw new IllegalStateException(key + " " + target + " is already being staged");
    }
    staged = true;
  }

  /** Fails unless this run still holds the output's lock (see {@link OutputLock#checkHeld()}). */
  public void checkHeld() {
    lock.checkHeld();
  }

  /** Releases the lock. */
  @Override
  public void close() {
    lock.close();
  }

  // ------------------------------------------------------------------------------ inputs

  /** Refuses an output that equals, contains or lies inside an input. */
  static void checkDisjoint(Configuration conf, String key, Path target, Input... inputs)
      throws IOException {
    URI out = canonical(conf, target);
    for (Input in : inputs) {
      if (in.path() == null || in.path().isBlank()) {
        continue;
      }
      URI i = canonical(conf, new Path(fixedPrefix(in.path())));
      String how;
      if (under(out, i) && under(i, out)) {
        if (in.mayBeOutput()) {
          continue;
        }
        how = "is the input " + in.key() + " " + in.path();
      } else if (under(out, i)) {
        how = "lies inside the input " + in.key() + " " + in.path();
      } else if (under(i, out)) {
        how = "contains the input " + in.key() + " " + in.path();
      } else {
        continue;
      }
      throw new JobFailedException(key + " " + target + " " + how + ": writing it would replace "
          + "what the job reads. Choose an output folder apart from the inputs");
    }
  }

  /** The path up to its first segment with a glob character. */
  private static String fixedPrefix(String path) {
    int glob = -1;
    for (char c : new char[] {'*', '?', '[', '{'}) {
      int at = path.indexOf(c);
      if (at >= 0 && (glob < 0 || at < glob)) {
        glob = at;
      }
    }
    if (glob < 0) {
      return path;
    }
    int slash = path.lastIndexOf('/', glob);
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  /**
   * The qualified path with symbolic links resolved on the local file system (as far as it exists),
   * without a trailing slash.
   */
  private static URI canonical(Configuration conf, Path p) throws IOException {
    FileSystem fs = p.getFileSystem(conf);
    Path q = fs.makeQualified(p);
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      java.nio.file.Path local = Paths.get(q.toUri()).normalize();
      java.nio.file.Path existing = local;
      while (existing != null && !Files.exists(existing)) {
        existing = existing.getParent();
      }
      if (existing != null) {
        local = existing.toRealPath().resolve(existing.relativize(local));
      }
      return local.toUri().normalize();
    }
    return q.toUri().normalize();
  }

  /** True when {@code a} is {@code b} or lies inside it. */
  private static boolean under(URI a, URI b) {
    if (!Objects.equals(a.getScheme(), b.getScheme())
        || !Objects.equals(a.getAuthority(), b.getAuthority())) {
      return false;
    }
    String pa = strip(a.getPath());
    String pb = strip(b.getPath());
    return pa.equals(pb) || pb.isEmpty() || pa.startsWith(pb + "/");
  }

  private static String strip(String path) {
    String p = path == null ? "" : path;
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  // ------------------------------------------------------------------------------ leftovers

  /**
   * Puts back an output an interrupted commit moved aside, then removes the leftovers of earlier
   * runs of this output older than this run (never this run's own staging folder).
   */
  private static void recoverAndClean(FileSystem fs, Path target, String key, String runId,
      long startMillis) throws IOException {
    String name = target.getName();
    FileStatus[] found = fs.listStatus(target.getParent(), p -> p.getName().startsWith(name + OLD)
        || p.getName().startsWith(name + STAGING) || p.getName().startsWith(name + EXPORT));
    List<FileStatus> leftovers = new ArrayList<>(Arrays.asList(found == null ? new FileStatus[0]
        : found));
    if (!fs.exists(target)) {
      FileStatus newestOld = leftovers.stream()
          .filter(s -> s.getPath().getName().startsWith(name + OLD))
          .max(Comparator.comparingLong(FileStatus::getModificationTime))
          .orElse(null);
      if (newestOld != null && fs.rename(newestOld.getPath(), target)) {
        LOG.warn("{} {}: restored from {}, where an interrupted commit had moved it", key, target,
            newestOld.getPath().getName());
        leftovers.remove(newestOld);
      }
    }
    String own = name + STAGING + runId;
    for (FileStatus s : leftovers) {
      if (s.getPath().getName().equals(own) || s.getModificationTime() >= startMillis) {
        continue;
      }
      if (fs.delete(s.getPath(), true)) {
        LOG.info("{} {}: removed {}, left by an earlier run of this output that did not finish "
            + "(last modified {})", key, target, s.getPath().getName(),
            Instant.ofEpochMilli(s.getModificationTime()));
      }
    }
  }
}
