package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.TestFixtures;
import io.metarec.config.TrainSettings;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SharedBatchTest {
  private final ModelSpec spec = TestFixtures.tinySpec(Feedback.EXPLICIT, true,
      io.metarec.model.Activation.RELU);
  private final ParamLayout layout = new ParamLayout(spec);
  private final ItemFeatureTable items = TestFixtures.tinyItems(12);
  private final Params theta = TestFixtures.randomParams(spec, 5);
  private final TrainSettings settings = TrainSettings.defaults();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  /** One engine per thread, as ExecutorCache keeps them; records which thread adapted which task. */
  private final Map<Thread, JvmAdaptationEngine> engines = new ConcurrentHashMap<>();
  private final Map<Long, String> adaptedBy = new ConcurrentHashMap<>();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private long adapt(List<Task> chunk, MetaGradientAccumulator into) {
    JvmAdaptationEngine e = engines.computeIfAbsent(Thread.currentThread(),
        t -> new JvmAdaptationEngine(spec, items));
    chunk.forEach(t -> adaptedBy.put(t.taskId(), Thread.currentThread().getName()));
    e.accumulate(chunk.iterator(), theta, settings, 3, into);
    return 1;
  }

  /**
   * Starts {@link SharedBatch#run} of {@code tasks} on a pool thread named "owner" and returns once
   * the owner is on its first chunk. Helpers run the owner's chunk work: on the owner's thread every
   * chunk waits for {@code release}, on any other thread the chunk goes to {@code onHelper}.
   */
  private Future<MetaGradientAccumulator> startOwner(Object key, List<Task> tasks, int chunks,
      CountDownLatch release, SharedBatch.ChunkWork onHelper, long[] nanos) throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    Future<MetaGradientAccumulator> owner = pool.submit(() -> {
      Thread.currentThread().setName("owner");
      return SharedBatch.run(key, tasks, chunks, layout, (chunk, into) -> {
        if (!Thread.currentThread().getName().equals("owner")) {
          return onHelper.adapt(chunk, into);
        }
        started.countDown();
        await(release);
        return adapt(chunk, into);
      }, nanos);
    });
    assertTrue(started.await(30, TimeUnit.SECONDS));
    return owner;
  }

  /** Runs an empty share of {@code key} on a pool thread named {@code name}: it only helps. */
  private Future<MetaGradientAccumulator> startIdle(String name, Object key, int chunks) {
    return pool.submit(() -> {
      Thread.currentThread().setName(name);
      return SharedBatch.run(key, List.of(), chunks, layout, this::adapt, new long[1]);
    });
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, TimeUnit.SECONDS), "latch not released");
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Ragged tasks: sizes 9 to 9 + 3 * 29 rows. */
  private static List<Task> ragged(int count) {
    List<Task> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      Task base = TestFixtures.tinyTask(Feedback.EXPLICIT, 100 + k);
      int n = base.size() * (1 + k % 4);
      int[] it = new int[n];
      float[] lab = new float[n];
      for (int r = 0; r < n; r++) {
        it[r] = base.items()[r % base.size()];
        lab[r] = base.labels()[r % base.size()];
      }
      out.add(new Task(base.taskId(), it, lab, base.supportSize(), base.userFeatures()));
    }
    return out;
  }

  /** The chunk sums merged in order on one thread: what any schedule must give, bit for bit. */
  private float[] sequential(List<Task> tasks, int chunks) {
    MetaGradientAccumulator total = null;
    for (List<Task> c : SharedBatch.chunks(tasks, chunks)) {
      MetaGradientAccumulator a = new MetaGradientAccumulator(layout);
      adapt(c, a);
      total = total == null ? a : total.mergeInPlace(a);
    }
    return total.toFlat();
  }

  @Test
  void chunksKeepTheOrderCoverEveryTaskAndBalanceTheirInteractions() {
    List<Task> tasks = ragged(40);
    List<List<Task>> chunks = SharedBatch.chunks(tasks, 8);
    assertEquals(8, chunks.size());
    List<Task> joined = new ArrayList<>();
    chunks.forEach(joined::addAll);
    assertEquals(tasks, joined);
    long total = tasks.stream().mapToLong(Task::size).sum();
    long largestTask = tasks.stream().mapToLong(Task::size).max().orElseThrow();
    for (List<Task> c : chunks) {
      long cost = c.stream().mapToLong(Task::size).sum();
      assertTrue(cost <= total / 8 + largestTask, "chunk of " + cost + " interactions");
    }
    assertEquals(3, SharedBatch.chunks(tasks.subList(0, 3), 16).size(), "no more chunks than tasks");
    assertEquals(1, SharedBatch.chunks(tasks, 1).size());
    assertEquals(0, SharedBatch.chunks(List.of(), 16).size());
  }

  @Test
  void anIdleThreadAdaptsChunksOfABusyPartitionAndNotABitChanges() throws Exception {
    List<Task> tasks = ragged(40);
    float[] expected = sequential(tasks, 8);
    adaptedBy.clear();
    CountDownLatch helperTookOne = new CountDownLatch(1);
    Object key = new MetaBatch.ShareKey(7, 3);
    long[] ownerNanos = new long[1];
    // The owner stays on its first chunk until the idle thread has adapted one of its chunks.
    Future<MetaGradientAccumulator> owner = startOwner(key, tasks, 8, helperTookOne, (chunk, into) -> {
      long ns = adapt(chunk, into);
      helperTookOne.countDown();
      return ns;
    }, ownerNanos);
    Future<MetaGradientAccumulator> idle = startIdle("idle", key, 8);
    assertEquals(0, idle.get(30, TimeUnit.SECONDS).taskCount());
    MetaGradientAccumulator got = owner.get(30, TimeUnit.SECONDS);
    assertEquals(40, got.taskCount());
    assertTrue(adaptedBy.containsValue("idle") && adaptedBy.containsValue("owner"), adaptedBy.toString());
    assertArrayEquals(expected, got.toFlat());
    assertEquals(8, ownerNanos[0], "every chunk's kernel time is the owner's");
    assertEquals(0, SharedBatch.openShares());
  }

  @Test
  void aChunkAHelperFailsOnIsAdaptedByItsOwner() throws Exception {
    List<Task> tasks = ragged(24);
    float[] expected = sequential(tasks, 6);
    CountDownLatch helperFailed = new CountDownLatch(1);
    Object key = new MetaBatch.ShareKey(8, 1);
    AtomicBoolean failed = new AtomicBoolean();
    Future<MetaGradientAccumulator> owner = startOwner(key, tasks, 6, helperFailed, (chunk, into) -> {
      adapt(chunk.subList(0, 1), into); // half done, then the helper's task dies
      failed.set(true);
      helperFailed.countDown();
      throw new IllegalStateException("injected helper failure");
    }, new long[1]);
    Future<MetaGradientAccumulator> helper = startIdle("helper", key, 6);
    ExecutionException e = assertThrows(ExecutionException.class, () -> helper.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("injected helper failure"));
    assertTrue(failed.get());
    MetaGradientAccumulator got = owner.get(30, TimeUnit.SECONDS);
    assertEquals(24, got.taskCount());
    assertArrayEquals(expected, got.toFlat());
  }

  @Test
  void threadsOfAnotherIterationDoNotHelp() throws Exception {
    List<Task> tasks = ragged(16);
    CountDownLatch release = new CountDownLatch(1);
    Future<MetaGradientAccumulator> owner = startOwner(new MetaBatch.ShareKey(9, 1), tasks, 4, release,
        this::adapt, new long[1]);
    adaptedBy.clear();
    Future<MetaGradientAccumulator> other = startIdle("other", new MetaBatch.ShareKey(9, 2), 4);
    other.get(30, TimeUnit.SECONDS);
    release.countDown();
    assertEquals(16, owner.get(30, TimeUnit.SECONDS).taskCount());
    assertTrue(!adaptedBy.containsValue("other"), adaptedBy.toString());
  }
}
