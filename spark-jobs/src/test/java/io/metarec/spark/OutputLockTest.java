package io.metarec.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output lock on the local Hadoop file system, without Spark: one holder at a time among
 * concurrent takers, a stale lock taken over (and its old holder told), heartbeats that keep a
 * live lock fresh. Every test stops by itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutputLockTest {
  private static final Duration LONG = Duration.ofMinutes(10);
  private static final Duration BEAT = Duration.ofSeconds(30);
  @TempDir java.nio.file.Path dir;
  private FileSystem fs;
  private Path lockFile;

  @BeforeEach
  void localFileSystem() throws Exception {
    fs = FileSystem.getLocal(new Configuration());
    lockFile = new Path(dir.toUri().toString(), "model" + OutputLock.SUFFIX);
  }

  private OutputLock take(Duration staleAfter, Duration heartbeatEvery) {
    return OutputLock.acquire(fs, lockFile, "train.model", "train.model " + dir, staleAfter,
        heartbeatEvery);
  }

  @Test
  void aSecondHolderIsRefusedWithTheOwnerUntilTheFirstReleases() throws Exception {
    OutputLock first = take(LONG, BEAT);
    JobFailedException e = assertThrows(JobFailedException.class, () -> take(LONG, BEAT));
    String m = e.getMessage();
    assertTrue(m.contains("is being written by run " + first.runId()), m);
    assertTrue(m.contains("pid " + ProcessHandle.current().pid()), m);
    assertTrue(m.contains(lockFile.getName()) && m.contains("output.lockStaleSeconds (600 s)"), m);
    first.checkHeld();
    first.close();
    assertFalse(Files.exists(dir.resolve("model" + OutputLock.SUFFIX)), "released");
    try (OutputLock second = take(LONG, BEAT)) {
      second.checkHeld();
    }
  }

  @Test
  void ofManyConcurrentTakersExactlyOneHoldsTheLock() throws Exception {
    int takers = 8;
    CyclicBarrier start = new CyclicBarrier(takers);
    ExecutorService pool = Executors.newFixedThreadPool(takers);
    try {
      List<Future<OutputLock>> tries = new ArrayList<>();
      for (int i = 0; i < takers; i++) {
        tries.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          try {
            return take(LONG, BEAT);
          } catch (JobFailedException refused) {
            assertTrue(refused.getMessage().contains("is being written by"),
                refused.getMessage());
            return null;
          }
        }));
      }
      List<OutputLock> held = new ArrayList<>();
      for (Future<OutputLock> f : tries) {
        OutputLock l = f.get(30, TimeUnit.SECONDS);
        if (l != null) {
          held.add(l);
        }
      }
      assertEquals(1, held.size(), "holders");
      held.get(0).checkHeld();
      held.get(0).close();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStaleLockIsTakenOverAndItsOldHolderCannotCommit() throws Exception {
    // The first holder stalls: its heartbeat comes far later than the second run's staleness.
    OutputLock stalled = take(Duration.ofHours(2), Duration.ofHours(1));
    Thread.sleep(600);
    OutputLock next = take(Duration.ofMillis(300), Duration.ofMillis(100));
    next.checkHeld();
    JobFailedException lost = assertThrows(JobFailedException.class, stalled::checkHeld);
    assertTrue(lost.getMessage().contains("lost its lock")
        && lost.getMessage().contains(next.runId()), lost.getMessage());
    stalled.close(); // must not remove the new holder's lock
    next.checkHeld();
    assertFalse(fs.exists(new Path(lockFile.getParent(), lockFile.getName() + ".breaking")));
    next.close();
    assertFalse(fs.exists(lockFile));
  }

  @Test
  void heartbeatsKeepALiveLockFresh() throws Exception {
    try (OutputLock live = take(Duration.ofMillis(800), Duration.ofMillis(100))) {
      Instant first = OutputLock.read(fs, lockFile).owner().heartbeatAt();
      Thread.sleep(1500); // longer than the staleness: only the heartbeats keep it fresh
      assertTrue(OutputLock.read(fs, lockFile).owner().heartbeatAt().isAfter(first));
      JobFailedException e = assertThrows(JobFailedException.class,
          () -> take(Duration.ofMillis(800), Duration.ofMillis(100)));
      assertTrue(e.getMessage().contains(live.runId()), e.getMessage());
      live.checkHeld();
    }
  }

  @Test
  void aLockOfAnotherHostIsTakenOverOnlyOnceStale() throws Exception {
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
    OutputLock.Owner elsewhere = new OutputLock.Owner("elsewhere.invalid", 4242, "", null,
        "run-elsewhere", "train.model", hourAgo, Instant.now());
    assertTrue(OutputLock.createExclusive(fs, lockFile, elsewhere.toJson()));
    JobFailedException e = assertThrows(JobFailedException.class, () -> take(LONG, BEAT));
    assertTrue(e.getMessage().contains("host elsewhere.invalid, pid 4242"), e.getMessage());

    fs.delete(lockFile, false);
    OutputLock.Owner silent = new OutputLock.Owner("elsewhere.invalid", 4242, "", null,
        "run-elsewhere", "train.model", hourAgo, hourAgo);
    assertTrue(OutputLock.createExclusive(fs, lockFile, silent.toJson()));
    fs.setTimes(lockFile, hourAgo.toEpochMilli(), -1); // its last heartbeat: an hour ago
    try (OutputLock taken = take(LONG, BEAT)) {
      assertEquals(taken.runId(), OutputLock.read(fs, lockFile).owner().runId());
    }
  }

  @Test
  void aLockOfAProcessOfThisHostThatEndedIsStaleAtOnce() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    OutputLock.Owner me = OutputLock.Owner.mine("train.model");
    OutputLock.Owner dead = new OutputLock.Owner(me.host(), p.pid(), me.pidNamespace(), null,
        "run-dead", "train.model", Instant.now(), Instant.now());
    assertTrue(OutputLock.createExclusive(fs, lockFile, dead.toJson()));
    assertNotNull(OutputLock.staleness(OutputLock.read(fs, lockFile), LONG));
    try (OutputLock taken = take(LONG, BEAT)) {
      taken.checkHeld();
    }
  }

  @Test
  void aLockFileRemovedByHandIsNoticedBeforeCommitting() throws Exception {
    try (OutputLock held = take(LONG, BEAT)) {
      fs.delete(lockFile, false);
      JobFailedException e = assertThrows(JobFailedException.class, held::checkHeld);
      assertTrue(e.getMessage().contains("the lock file was removed"), e.getMessage());
    }
  }
}
