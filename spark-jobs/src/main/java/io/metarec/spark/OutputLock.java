package io.metarec.spark;

import io.metarec.config.OutputConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lock file that lets one run at a time write an output: {@code <out>._lock} beside the output
 * folder, on the output's own file system, holding its owner (host, pid, run id, what it writes,
 * start time) and a heartbeat the owner rewrites every {@code heartbeatEvery} while it runs.
 *
 * <p>Taking it is an exclusive create: a hard link of a complete file on the local file system,
 * {@code create(overwrite = false)} elsewhere (exclusive on HDFS; on object stores without
 * conditional writes, such as S3A in Hadoop 3.3, a check then a write, made safer by reading the
 * lock back). A second run finds the file and is refused with its owner. A lock is <em>stale</em>
 * when its last heartbeat (the later of the recorded one and the file's modification time) is older
 * than {@code staleAfter}, or when its owner is a process of this host (same host name and PID
 * namespace) that no longer exists; a stale lock is taken over, under a short-lived
 * {@code ._lock.breaking} file so that two runs cannot both take it over.
 *
 * <p>The lock is released by {@link #close()}, and by a shutdown hook (ahead of Hadoop's own,
 * which closes the file systems) when the JVM exits without it. A holder that finds its lock taken
 * over (it stalled past {@code staleAfter}) marks it lost; {@link #checkHeld()} then fails, so its
 * output is never committed over the new owner's.
 */
public final class OutputLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
  /** Suffix of the lock file beside the folder it guards. */
  public static final String SUFFIX = "._lock";
  private static final String BREAKING = ".breaking";
  private static final int ATTEMPTS = 8;

  /**
   * Who holds a lock.
   *
   * @param host the host name of the holder
   * @param pid its process id
   * @param pidNamespace its PID namespace ({@code /proc/self/ns/pid}; empty where unknown), so
   *     that processes of containers sharing a host name are not mistaken for each other
   * @param processStart when its process started (null where unknown), so a reused pid is noticed
   * @param runId the run's random id
   * @param key what it writes, e.g. {@code train.model}
   * @param startedAt when it took the lock
   * @param heartbeatAt its last heartbeat
   */
  public record Owner(String host, long pid, String pidNamespace, Instant processStart,
      String runId, String key, Instant startedAt, Instant heartbeatAt) {
    /** This process, taking a lock for {@code key} now. */
    static Owner mine(String key) {
      Instant now = Instant.now();
      return new Owner(Local.HOST, Local.PID, Local.PID_NAMESPACE, Local.START,
          UUID.randomUUID().toString(), key, now, now);
    }

    Owner withHeartbeat(Instant at) {
      return new Owner(host, pid, pidNamespace, processStart, runId, key, startedAt, at);
    }

    byte[] toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("host", host);
      m.put("pid", pid);
      m.put("pidNamespace", pidNamespace);
      m.put("processStart", processStart == null ? null : processStart.toString());
      m.put("runId", runId);
      m.put("key", key);
      m.put("startedAt", startedAt.toString());
      m.put("heartbeatAt", heartbeatAt.toString());
      return Json.write(m).getBytes(StandardCharsets.UTF_8);
    }

    static Owner fromJson(Map<String, Object> m) {
      Object ps = m.get("processStart");
      return new Owner((String) m.get("host"), ((Number) m.get("pid")).longValue(),
          String.valueOf(m.getOrDefault("pidNamespace", "")),
          ps == null ? null : Instant.parse((String) ps), (String) m.get("runId"),
          String.valueOf(m.get("key")), Instant.parse((String) m.get("startedAt")),
          Instant.parse((String) m.get("heartbeatAt")));
    }

    /** "run R (train.model) on host H, pid P, started T". */
    String describe() {
      return "run " + runId + " (" + key + ") on host " + host + ", pid " + pid + ", started "
          + startedAt;
    }
  }

  /** What a lock file said when read: its owner (null while unreadable) and modification time. */
  record Seen(Owner owner, long modified) {
    long lastBeatMillis() {
      return owner == null ? modified : Math.max(modified, owner.heartbeatAt().toEpochMilli());
    }

    boolean sameAs(Seen o) {
      return modified == o.modified && (owner == null ? o.owner == null
          : o.owner != null && owner.runId().equals(o.owner.runId())
              && owner.heartbeatAt().equals(o.owner.heartbeatAt()));
    }
  }

  /** This process, once. */
  private static final class Local {
    static final String HOST = hostName();
    static final long PID = ProcessHandle.current().pid();
    static final String PID_NAMESPACE = pidNamespace();
    static final Instant START = ProcessHandle.current().info().startInstant().orElse(null);

    private static String hostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown");
      }
    }

    private static String pidNamespace() {
      try {
        return Files.readSymbolicLink(Paths.get("/proc/self/ns/pid")).toString();
      } catch (IOException | UnsupportedOperationException | SecurityException e) {
        return "";
      }
    }
  }

  private final FileSystem fs;
  private final Path file;
  private final String what;
  private final ScheduledExecutorService heartbeat;
  private final Runnable atExit;
  private volatile Owner owner;
  private volatile String lostBecause;
  private boolean released;

  private OutputLock(FileSystem fs, Path file, String what, Owner owner, Duration heartbeatEvery) {
    this.fs = fs;
    this.file = file;
    this.what = what;
    this.owner = owner;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "metarec-lock-heartbeat " + file.getName());
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, heartbeatEvery.toMillis());
    heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
    this.atExit = this::close;
    ShutdownHookManager.get().addShutdownHook(atExit, FileSystem.SHUTDOWN_HOOK_PRIORITY + 1);
  }

  /** The lock file guarding {@code folder}: {@code <folder>._lock} beside it. */
  public static Path fileFor(Path folder) {
    return new Path(folder.getParent(), folder.getName() + SUFFIX);
  }

  /** The staleness {@code output.lockStaleSeconds} sets. */
  public static Duration staleAfter(OutputConfig settings) {
    return Duration.ofSeconds(settings.lockStaleSeconds());
  }

  /** The heartbeat period for {@code output.lockStaleSeconds}: a tenth of it. */
  public static Duration heartbeatEvery(OutputConfig settings) {
    return staleAfter(settings).dividedBy(10);
  }

  /**
   * Locks a folder that a run writes into rather than replaces (a pipeline's run folder, a
   * nightly registry), for the run's whole duration.
   *
   * @param key the config key naming the folder, for messages
   */
  public static OutputLock ofFolder(Configuration conf, OutputConfig settings, String key,
      String folder) {
    try {
      Path p = new Path(folder);
      FileSystem fs = p.getFileSystem(conf);
      p = fs.makeQualified(p);
      if (p.getParent() == null) {
        throw new JobFailedException(key + " " + folder + " must not be a file system root");
      }
      fs.mkdirs(p.getParent());
      return acquire(fs, fileFor(p), key, key + " " + p, staleAfter(settings),
          heartbeatEvery(settings));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + folder, e);
    }
  }

  /**
   * Takes the lock {@code file}, taking over a stale one, or fails with a
   * {@link JobFailedException} that names who holds it.
   *
   * @param key what the run writes, recorded in the lock (e.g. {@code train.model})
   * @param what the output in words, for messages (e.g. {@code "train.model file:/x/model"})
   * @param staleAfter age of the last heartbeat after which a lock is taken over
   * @param heartbeatEvery how often the holder rewrites the lock; well below {@code staleAfter}
   */
  public static OutputLock acquire(FileSystem fs, Path file, String key, String what,
      Duration staleAfter, Duration heartbeatEvery) {
    if (heartbeatEvery.compareTo(staleAfter) >= 0) {
      throw new IllegalArgumentException("heartbeatEvery " + heartbeatEvery
          + " must be shorter than staleAfter " + staleAfter);
    }
    Owner me = Owner.mine(key);
    try {
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (createExclusive(fs, file, me.toJson())) {
          Seen back = read(fs, file);
          if (back != null && back.owner() != null && back.owner().runId().equals(me.runId())) {
            LOG.info("{}: locked ({}, stale after {} s without a heartbeat)", what, file,
                staleAfter.toSeconds());
            return new OutputLock(fs, file, what, me, heartbeatEvery);
          }
          continue; // another run's write won on a store without exclusive create
        }
        Seen held = read(fs, file);
        if (held == null) {
          continue; // released in the meantime
        }
        String staleness = staleness(held, staleAfter);
        if (staleness == null) {
          throw new JobFailedException(refusal(what, file, held, staleAfter));
        }
        breakStale(fs, file, held, staleness, staleAfter, me, what);
        Thread.sleep(20L * (attempt + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot take the lock " + file, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobFailedException("interrupted while taking the lock " + file, e);
    }
    throw new JobFailedException(what + ": could not take the lock " + file + " in " + ATTEMPTS
        + " attempts: other runs keep taking it");
  }

  /** Why a lock seen is stale, or null when it is live. */
  static String staleness(Seen s, Duration staleAfter) {
    long age = System.currentTimeMillis() - s.lastBeatMillis();
    if (age > staleAfter.toMillis()) {
      return "no heartbeat for " + seconds(age) + " (stale after " + seconds(staleAfter.toMillis())
          + ")";
    }
    Owner o = s.owner();
    if (o != null && o.host().equals(Local.HOST) && o.pidNamespace().equals(Local.PID_NAMESPACE)) {
      Optional<ProcessHandle> p = ProcessHandle.of(o.pid());
      if (p.isEmpty() || !p.get().isAlive()) {
        return "its process " + o.pid() + " on this host has ended";
      }
      Instant started = p.get().info().startInstant().orElse(null);
      if (o.processStart() != null && started != null
          && Math.abs(Duration.between(started, o.processStart()).toMillis()) > 1000) {
        return "its process " + o.pid() + " on this host has ended (the pid is another's now)";
      }
    }
    return null;
  }

  /** "12 s", or "0.6 s" below ten seconds. */
  private static String seconds(long millis) {
    return millis < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0)
        : millis / 1000 + " s";
  }

  private static String refusal(String what, Path file, Seen held, Duration staleAfter) {
    String ago = seconds(Math.max(0, System.currentTimeMillis() - held.lastBeatMillis()));
    String who = held.owner() == null
        ? "another run (its lock is being written)"
        : held.owner().describe();
    return what + " is being written by " + who + ", last heartbeat " + ago + " ago (lock "
        + file + "). Two runs must not write one output: wait for it to end. A lock whose "
        + "heartbeat is older than output.lockStaleSeconds (" + seconds(staleAfter.toMillis())
        + ") was left by a run that died and is taken over";
  }

  /**
   * Removes the stale lock {@code seen}, unless another run is doing so ({@code ._lock.breaking})
   * or the lock changed since it was seen.
   */
  private static void breakStale(FileSystem fs, Path file, Seen seen, String staleness,
      Duration staleAfter, Owner me, String what) throws IOException {
    Path breaking = new Path(file.getParent(), file.getName() + BREAKING);
    if (!createExclusive(fs, breaking, me.toJson())) {
      Seen b = read(fs, breaking);
      if (b != null && System.currentTimeMillis() - b.modified() > staleAfter.toMillis()) {
        fs.delete(breaking, false); // left by a run that died while taking over
      }
      return;
    }
    try {
      Seen now = read(fs, file);
      if (now != null && now.sameAs(seen)) {
        fs.delete(file, false);
        LOG.warn("{}: taking over the stale lock {} of {}: {}", what, file,
            seen.owner() == null ? "an unknown run" : seen.owner().describe(), staleness);
      }
    } finally {
      fs.delete(breaking, false);
    }
  }

  /** The run id recorded in the lock. */
  public String runId() {
    return owner.runId();
  }

  /** The lock file. */
  public Path file() {
    return file;
  }

  /**
   * Fails with a {@link JobFailedException} unless the lock file still names this run (it may
   * have been taken over after this run stalled past the staleness timeout, or removed by hand).
   */
  public void checkHeld() {
    if (lostBecause == null) {
      try {
        Seen s = read(fs, file);
        if (s == null || s.owner() == null || !s.owner().runId().equals(owner.runId())) {
          lostBecause = lostReason(s);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the lock " + file, e);
      }
    }
    if (lostBecause != null) {
      throw new JobFailedException(what + ": this run lost its lock " + file + " (" + lostBecause
          + "); its output is not committed");
    }
  }

  private static String lostReason(Seen s) {
    return s == null ? "the lock file was removed"
        : s.owner() == null ? "another run is taking it"
        : "it is held by " + s.owner().describe();
  }

  /**
   * One heartbeat: rewrites the lock with the time, if it is still this run's. Synchronized with
   * {@link #close()}, so that no beat rewrites a lock file that close has removed.
   */
  private synchronized void beat() {
    if (released) {
      return;
    }
    try {
      Seen s = read(fs, file);
      if (s != null && s.owner() == null) {
        return; // being rewritten by a run taking it over: the next beat tells
      }
      if (s == null || !s.owner().runId().equals(owner.runId())) {
        lostBecause = lostReason(s);
        LOG.error("{}: this run lost its lock {} ({}); its output will not be committed", what,
            file, lostBecause);
        heartbeat.shutdown();
        return;
      }
      Owner next = owner.withHeartbeat(Instant.now());
      overwrite(fs, file, next.toJson());
      owner = next;
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: heartbeat of the lock {} failed: {}", what, file, e.toString());
    }
  }

  /** Stops the heartbeat and removes the lock file if it is still this run's. Idempotent. */
  @Override
  public synchronized void close() {
    if (released) {
      return;
    }
    released = true;
    heartbeat.shutdown();
    try {
      ShutdownHookManager.get().removeShutdownHook(atExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook
    }
    try {
      Seen s = read(fs, file);
      if (s != null && s.owner() != null && s.owner().runId().equals(owner.runId())) {
        fs.delete(file, false);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: could not remove the lock {}: {}", what, file, e.toString());
    }
  }

  // ------------------------------------------------------------------------------ file access

  /** The lock file as read now, or null when there is none. */
  static Seen read(FileSystem fs, Path file) throws IOException {
    FileStatus st;
    byte[] bytes;
    try {
      st = fs.getFileStatus(file);
      try (InputStream in = fs.open(file)) {
        bytes = in.readAllBytes();
      }
    } catch (FileNotFoundException e) {
      return null;
    }
    Owner o = null;
    try {
      o = Owner.fromJson(Json.readObject(new String(bytes, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      // empty or partly written: the owner is still writing it
    }
    return new Seen(o, st.getModificationTime());
  }

  private static boolean isLocal(FileSystem fs) {
    return fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
  }

  private static java.nio.file.Path local(FileSystem fs, Path file) {
    return Paths.get(fs.makeQualified(file).toUri());
  }

  /** Creates {@code file} holding {@code content} unless it exists; true when this call made it. */
  static boolean createExclusive(FileSystem fs, Path file, byte[] content) throws IOException {
    if (isLocal(fs)) {
      java.nio.file.Path f = local(fs, file);
      java.nio.file.Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp-" + UUID.randomUUID());
      Files.write(tmp, content);
      try {
        Files.createLink(f, tmp); // link(2): atomic, fails when f exists, content complete
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException | IOException noLinks) {
        try (OutputStream os = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
          os.write(content); // O_EXCL: exclusive too; readers may see it empty for a moment
          return true;
        } catch (FileAlreadyExistsException e) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    try (OutputStream os = fs.create(file, false)) {
      os.write(content);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(file)) {
        return false; // e.g. HDFS's AlreadyBeingCreatedException
      }
      throw e;
    }
  }

  /** Replaces the content of {@code file} (atomically on the local file system). */
  private static void overwrite(FileSystem fs, Path file, byte[] content) throws IOException {
    if (isLocal(fs)) {
      java.nio.file.Path f = local(fs, file);
      java.nio.file.Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp-" + UUID.randomUUID());
      Files.write(tmp, content);
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (OutputStream os = fs.create(file, true)) {
      os.write(content);
    }
  }
}
