package io.metarec.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Load balancing between the partitions of one training iteration that run in the same executor
 * JVM, without giving up determinism.
 *
 * <p>Users have from a handful to hundreds of interactions, so the partitions' shares of a meta-batch
 * take unequal time and the executor threads that finish first sit idle until the slowest partition
 * is done (on MovieLens-100K with two partitions, 22 ms of a 165 ms iteration). Here a partition's
 * share is cut into {@code chunks} runs of consecutive tasks of about equal cost (interactions), each
 * summed into its own accumulator; the owner adapts its chunks front to back, and a thread whose own
 * partition is done takes unclaimed chunks of other partitions of the same iteration before it
 * returns. The owner then merges its chunk sums in chunk order. Which thread adapted a chunk does
 * not change a single bit: the chunk boundaries are a function of the share alone, each chunk's sum
 * is over the same tasks in the same order, and the merge order is fixed.
 *
 * <p>A helper that fails on a chunk hands the chunk back; the owner adapts it itself. An owner that
 * fails takes its share out of the registry; whatever a helper still computes for it is dropped.
 */
public final class SharedBatch {
  /** Adapts a chunk's tasks into an accumulator on the calling thread; returns kernel nanoseconds. */
  public interface ChunkWork {
    long adapt(List<Task> tasks, MetaGradientAccumulator into);
  }

  /** The shares of this JVM's running partitions, offered to idle threads. */
  private static final Set<Share> OPEN = ConcurrentHashMap.newKeySet();

  private SharedBatch() {}

  /**
   * Cuts {@code tasks} into at most {@code chunks} runs of consecutive tasks, each closed once it
   * holds at least its fair part of the remaining interactions (a pure function of the list).
   */
  public static List<List<Task>> chunks(List<Task> tasks, int chunks) {
    List<List<Task>> out = new ArrayList<>();
    long remaining = 0;
    for (Task t : tasks) {
      remaining += Math.max(1, t.size());
    }
    int i = 0;
    while (i < tasks.size()) {
      int left = chunks - out.size();
      long target = left <= 1 ? Long.MAX_VALUE : (remaining + left - 1) / left;
      List<Task> chunk = new ArrayList<>();
      long cost = 0;
      while (i < tasks.size() && (chunk.isEmpty() || cost < target)) {
        Task t = tasks.get(i++);
        chunk.add(t);
        cost += Math.max(1, t.size());
      }
      remaining -= cost;
      out.add(chunk);
    }
    return out;
  }

  /**
   * Adapts one partition's share with the help of idle threads of this JVM that work on the same
   * {@code key} (the iteration), then helps the others before returning.
   *
   * @param key what partitions may share work: the same θ, iteration and settings
   * @param tasks this partition's share of the meta-batch, in partition order
   * @param chunks how many chunks to cut it into (at least 1)
   * @param layout the parameter layout of the accumulators
   * @param work adapts a chunk on the calling thread, with that thread's engine
   * @param kernelNanos receives, in element 0, the kernel time of every chunk of this share, whoever
   *     adapted it (time spent on other partitions' chunks is counted by their owners)
   * @return the sum of the share's meta-gradient contributions, merged in chunk order
   */
  public static MetaGradientAccumulator run(Object key, List<Task> tasks, int chunks, ParamLayout layout,
      ChunkWork work, long[] kernelNanos) {
    Share own = new Share(key, chunks(tasks, Math.max(1, chunks)), layout, work);
    OPEN.add(own);
    try {
      int c;
      while ((c = own.claim()) >= 0) {
        own.adapt(c);
      }
      OPEN.remove(own); // nothing left to claim: idle threads look elsewhere
      own.awaitAll();
    } finally {
      OPEN.remove(own);
    }
    MetaGradientAccumulator total = own.sums[0];
    for (int k = 1; k < own.sums.length; k++) {
      total.mergeInPlace(own.sums[k]);
    }
    long ns = 0;
    for (long n : own.nanos) {
      ns += n;
    }
    kernelNanos[0] = ns;
    helpOthers(key);
    return total;
  }

  /** Adapts unclaimed chunks of other shares of {@code key} until there are none. */
  static void helpOthers(Object key) {
    for (Share s : OPEN) {
      if (!s.key.equals(key)) {
        continue;
      }
      int c;
      while ((c = s.claim()) >= 0) {
        try {
          s.adapt(c);
        } catch (RuntimeException | Error e) {
          s.handBack(c);
          throw e;
        }
      }
    }
  }

  /** @return how many shares are open for help (for tests) */
  public static int openShares() {
    return OPEN.size();
  }

  /** One partition's share: its chunks, their sums, and who has claimed and finished which. */
  private static final class Share {
    private final Object key;
    private final List<List<Task>> chunks;
    private final MetaGradientAccumulator[] sums;
    private final long[] nanos;
    private final ChunkWork work;
    private final AtomicInteger next = new AtomicInteger();
    private final ConcurrentLinkedQueue<Integer> handedBack = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private int done;

    Share(Object key, List<List<Task>> chunks, ParamLayout layout, ChunkWork work) {
      this.key = key;
      this.chunks = chunks;
      this.sums = new MetaGradientAccumulator[Math.max(1, chunks.size())];
      for (int k = 0; k < sums.length; k++) {
        sums[k] = new MetaGradientAccumulator(layout);
      }
      this.nanos = new long[sums.length];
      this.work = work;
    }

    /** @return the next unclaimed chunk, or -1 */
    int claim() {
      int c = next.getAndIncrement();
      return c < chunks.size() ? c : -1;
    }

    void adapt(int c) {
      long ns = work.adapt(chunks.get(c), sums[c]);
      lock.lock();
      try {
        nanos[c] = ns;
        done++;
        progress.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /** A helper could not finish chunk {@code c}: its sum is reset and the owner adapts it. */
    void handBack(int c) {
      lock.lock();
      try {
        sums[c] = new MetaGradientAccumulator(sums[c].layout());
        handedBack.add(c);
        progress.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /** Waits until every chunk is adapted, adapting chunks helpers handed back. */
    void awaitAll() {
      while (true) {
        Integer back = handedBack.poll();
        if (back != null) {
          adapt(back);
          continue;
        }
        lock.lock();
        try {
          if (done == chunks.size()) {
            return;
          }
          if (handedBack.isEmpty()) {
            progress.await(100, TimeUnit.MILLISECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while helpers adapt this partition's tasks", e);
        } finally {
          lock.unlock();
        }
      }
    }
  }
}
