package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.OuterOptimizer;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.Task;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What keeps the executors' copies of θ equal to the driver's while only the changed rows travel:
 * {@link ThetaDelta}, {@link ThetaUpdates} and {@link ThetaReplica} (jobs), {@link ThetaPull} and
 * {@link ThetaRowCache} (rounds).
 */
class ThetaSyncTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true,
      Activation.RELU);

  private static TrainSettings settings() {
    TrainSettings d = TrainSettings.defaults();
    InnerLoopConfig in = TestFixtures.inner(2, UserSolver.SGD,
        Set.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING));
    return new TrainSettings(in, d.meta().withAlgorithm(Algorithm.FOMAML).withSeed(5));
  }

  /** One iteration's accumulator over {@code tasks} from {@code theta}. */
  private static MetaGradientAccumulator sum(List<Task> tasks, Params theta, long iteration) {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
    new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems()))
        .accumulate(tasks.iterator(), theta, settings(), iteration, acc);
    return acc;
  }

  /** Tasks that read only the items given, each item once per task row. */
  private static Task taskOver(long id, int... items) {
    float[] labels = new float[items.length];
    java.util.Arrays.fill(labels, 3f);
    return new Task(id, items, labels, items.length / 2, new int[][] {{2}, {1}});
  }

  @Test
  void theDeltaOfAnIterationCarriesExactlyTheRowsThePreviousIterationsTasksRead() {
    Params theta = TestFixtures.randomParams(SPEC, 1);
    ThetaUpdates updates = new ThetaUpdates();
    assertNull(updates.deltaFor(0, theta), "the first iteration goes out in full");
    List<Task> batch = List.of(taskOver(1, 2, 5, 7, 5), taskOver(2, 9, 2, 11, 3));
    MetaGradientAccumulator acc = sum(batch, theta, 0);
    updates.summed(0, theta, acc);
    OuterOptimizer.create(settings().meta(), theta.layout()).stepInPlace(theta, acc);
    ThetaDelta d = updates.deltaFor(1, theta);
    ParamLayout l = theta.layout();
    assertArrayEquals(new int[] {2, 3, 5, 7, 9, 11}, d.rowsOf(l.itemEmb),
        "the item rows the two tasks read, ascending, and no other");
    assertArrayEquals(new int[] {2, 3, 5, 7, 9, 11}, d.rowsOf(l.itemBias));
    assertEquals(0, d.from());
    assertEquals(1, d.to());
    assertNull(updates.deltaFor(3, theta), "a gap in the iterations: full θ");
    assertNull(updates.deltaFor(1, theta.copy()), "another θ: full θ");
  }

  @Test
  void aCopyPatchedByEveryStepsDeltaEqualsTheDriversThetaBitForBit() throws IOException {
    Params theta = TestFixtures.randomParams(SPEC, 2);
    Params copy = new Params(theta.layout());
    ThetaUpdates updates = new ThetaUpdates();
    OuterOptimizer adam = OuterOptimizer.create(settings().meta(), theta.layout());
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 12);
    for (long it = 0; it < 6; it++) {
      ThetaDelta d = updates.deltaFor(it, theta);
      if (d == null) {
        d = ThetaDelta.full(theta, it);
      }
      roundTrip(d, theta.layout()).applyTo(copy);
      assertTrue(copy.bitEquals(theta), "iteration " + it);
      List<Task> batch = tasks.subList((int) (it * 2 % 10), (int) (it * 2 % 10) + 2);
      MetaGradientAccumulator acc = sum(batch, copy, it);
      updates.summed(it, theta, acc);
      adam.stepInPlace(theta, acc);
    }
  }

  private static ThetaDelta roundTrip(ThetaDelta d, ParamLayout layout) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    d.write(new DataOutputStream(b), layout);
    return ThetaDelta.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())), layout);
  }

  @Test
  void aTableLargerThanOneChunkTravelsInChunksAndArrivesWhole() throws IOException {
    // 300,000 items x 16 columns: 4.8M floats, more than one 4M-float chunk.
    ModelSpec big = new ModelSpec(300_000, List.of(new FieldSpec("age", 5, false)), List.of(),
        16, List.of(8), Activation.RELU, 4, Feedback.EXPLICIT, false, false);
    Params theta = io.metarec.model.ParamInitializer.initialize(big, 3, 0.4f, 0.7f);
    Segment emb = theta.layout().segment(theta.layout().itemEmb);
    assertTrue(emb.size() > ThetaDelta.CHUNK_FLOATS);
    ThetaDelta full = ThetaDelta.full(theta, 7);
    Params copy = new Params(theta.layout());
    roundTrip(full, theta.layout()).applyTo(copy);
    assertTrue(copy.bitEquals(theta));
    assertEquals(7, full.to());
    assertTrue(full.appliesTo(ThetaReplica.UNKNOWN));
  }

  @Test
  void readingRefusesRowsTheModelDoesNotHave() throws IOException {
    Params theta = TestFixtures.randomParams(SPEC, 4);
    MetaGradientAccumulator acc = sum(List.of(taskOver(1, 2, 5, 7, 5)), theta, 0);
    ThetaDelta d = ThetaDelta.changedRows(theta, acc, 0, 1);
    ModelSpec smaller = new ModelSpec(6, SPEC.userFields(), SPEC.itemFields(), SPEC.embeddingDim(),
        List.of(5, 4), Activation.RELU, SPEC.userDim(), Feedback.EXPLICIT, true, true);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    d.write(new DataOutputStream(b), theta.layout());
    IOException e = assertThrows(IOException.class, () -> ThetaDelta.read(
        new DataInputStream(new ByteArrayInputStream(b.toByteArray())), new ParamLayout(smaller)));
    assertTrue(e.getMessage().contains("out of range") || e.getMessage().contains("rows of"),
        e.getMessage());
    byte[] junk = new byte[64];
    assertThrows(IOException.class, () -> ThetaDelta.read(
        new DataInputStream(new ByteArrayInputStream(junk)), theta.layout()));
  }

  @Test
  void aReplicaCatchesUpFromItsBaseAndTheDeltasAfterIt() {
    Params theta = TestFixtures.randomParams(SPEC, 5);
    ParamLayout l = theta.layout();
    ThetaUpdates updates = new ThetaUpdates();
    OuterOptimizer adam = OuterOptimizer.create(settings().meta(), l);
    List<ThetaDelta> chain = new java.util.ArrayList<>();
    ThetaDelta base = ThetaDelta.full(theta, 0);
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 8);
    for (long it = 0; it < 4; it++) {
      if (it > 0) {
        chain.add(updates.deltaFor(it, theta));
      }
      MetaGradientAccumulator acc = sum(tasks.subList((int) it * 2, (int) it * 2 + 2), theta, it);
      updates.summed(it, theta, acc);
      adam.stepInPlace(theta, acc);
    }
    chain.add(updates.deltaFor(4, theta));
    ThetaReplica.Source source = new ThetaReplica.Source() {
      @Override
      public ThetaDelta base() {
        return base;
      }

      @Override
      public long baseVersion() {
        return 0;
      }

      @Override
      public ThetaDelta delta(long version) {
        return chain.get((int) version - 1);
      }
    };
    long run = 1L << 50;
    ThetaReplica fresh = ThetaReplica.of(run, l);
    assertSame(fresh, ThetaReplica.of(run, l), "one copy per run in a JVM");
    Params at4 = fresh.advance(4, source);
    assertTrue(at4.bitEquals(theta), "base and four deltas");
    assertEquals(4, fresh.version());
    ThetaReplica.release(run);
    ThetaReplica other = ThetaReplica.of(run + 1, l);
    other.advance(2, source);
    assertFalse(other.theta().bitEquals(theta));
    assertTrue(other.advance(4, source).bitEquals(theta), "from version 2 by the last two deltas");
    ThetaReplica.release(run + 1);
  }

  /** Every row of every table segment of {@code l}'s model, in a set. */
  private static io.metarec.model.RowSet rowsOf(ParamLayout l, List<Task> tasks, long iteration) {
    io.metarec.model.RowSet s = new io.metarec.model.RowSet(l);
    MetaBatch.addRowsOfShare(tasks, settings(), iteration, 1.0,
        new JvmAdaptationEngine(SPEC, TestFixtures.tinyItems(SPEC.numItems())), s);
    return s;
  }

  private static ThetaPull.News roundTrip(ThetaPull.News n, ParamLayout l) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    n.write(new DataOutputStream(b), l);
    return ThetaPull.News.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())), l);
  }

  private static ThetaPull.Rows pull(Params theta, long version, int[][] request)
      throws IOException {
    ByteArrayOutputStream q = new ByteArrayOutputStream();
    ThetaPull.writeRequest(new DataOutputStream(q), theta.layout(), request);
    int[][] asked = ThetaPull.readRequest(new DataInputStream(
        new ByteArrayInputStream(q.toByteArray())), theta.layout());
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    long bytes = ThetaPull.writeRows(new DataOutputStream(b), theta, version, asked);
    assertEquals(b.size(), bytes);
    return ThetaPull.Rows.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())),
        theta.layout());
  }

  @Test
  void aRowCacheThatPullsWhatItsTasksReadAdaptsToTheSameBitsAsTheDriversTheta() throws IOException {
    Params theta = TestFixtures.randomParams(SPEC, 2);
    ParamLayout l = theta.layout();
    long run = 1L << 50;
    ThetaRowCache cache = ThetaRowCache.of(run, l);
    ThetaUpdates updates = new ThetaUpdates();
    OuterOptimizer adam = OuterOptimizer.create(settings().meta(), l);
    List<Task> tasks = TestFixtures.tinyTasks(Feedback.EXPLICIT, 12);
    long pulled = 0;
    for (long it = 0; it < 6; it++) {
      ThetaPull.News news = roundTrip(updates.newsFor(it, theta), l);
      assertEquals(it == 0, news.isReset(), "only the first iteration resets");
      cache.advance(news);
      List<Task> batch = tasks.subList((int) (it * 2 % 10), (int) (it * 2 % 10) + 2);
      io.metarec.model.RowSet needed = rowsOf(l, batch, it);
      int[][] missing = cache.missing(it, needed);
      for (Segment s : l.segments()) {
        if (s.table()) {
          for (int k : missing[s.id()]) {
            assertTrue(needed.contains(s.id(), k), "only rows the share reads are pulled");
          }
        }
      }
      pulled += ThetaPull.count(missing);
      Params copy = cache.fill(pull(theta, it, missing));
      for (Segment s : l.segments()) {
        for (int r = 0; r < s.rows(); r++) {
          if (!s.table() || needed.contains(s.id(), r)) {
            assertArrayEquals(theta.segment(s.id())[r], copy.segment(s.id())[r],
                s.name() + " row " + r + ", iteration " + it);
          }
        }
      }
      MetaGradientAccumulator fromCopy = sum(batch, copy, it);
      MetaGradientAccumulator fromTheta = sum(batch, theta, it);
      assertArrayEquals(fromTheta.toFlat(), fromCopy.toFlat(), "iteration " + it);
      updates.summed(it, theta, fromCopy);
      adam.stepInPlace(theta, fromCopy);
      // What the step did not change stays current: asked again, nothing is missing but the
      // rows the news will mark stale.
    }
    assertTrue(pulled > 0);
    assertTrue(pulled < 6L * rowsOf(l, tasks, 0).size(), "rows once pulled and unchanged stay");
    ThetaRowCache.release(run);
  }

  @Test
  void newsBringTheChangedRowsAndAResetLeavesNothingCurrent() throws Exception {
    Params theta = TestFixtures.randomParams(SPEC, 6);
    ParamLayout l = theta.layout();
    long run = (1L << 50) + 1;
    ThetaRowCache cache = ThetaRowCache.of(run, l);
    io.metarec.model.RowSet all = new io.metarec.model.RowSet(l);
    all.addEverything();
    cache.advance(ThetaPull.News.reset(theta, 3));
    assertEquals(all.size(), ThetaPull.count(cache.missing(3, all)), "nothing is current yet");
    cache.fill(pull(theta, 3, cache.missing(3, all)));
    assertEquals(0, ThetaPull.count(cache.missing(3, all)));
    assertTrue(cache.theta().bitEquals(theta), "every row pulled: θ itself");
    MetaGradientAccumulator acc = sum(List.of(taskOver(1, 2, 5, 7, 5)), theta, 3);
    OuterOptimizer.create(settings().meta(), l).stepInPlace(theta, acc);
    ThetaPull.News news = ThetaPull.News.changed(theta, acc, 3, 4);
    assertArrayEquals(new int[] {2, 5, 7}, news.changed(l.itemEmb), "the rows the step changed");
    cache.advance(roundTrip(news, l));
    assertEquals(0, ThetaPull.count(cache.missing(4, all)), "the news bring the changed rows");
    assertTrue(cache.theta().bitEquals(theta));
    cache.advance(news);
    assertEquals(0, ThetaPull.count(cache.missing(4, all)),
        "the news of the version it has (a retried iteration) change nothing");
    int[][] none = cache.missing(4, all);
    assertThrows(IllegalStateException.class, () -> cache.fill(pull(theta, 3, none)),
        "rows of another version (a task of an abandoned round) are refused");
    assertThrows(IllegalStateException.class, () -> cache.missing(5, all));
    ThetaPull.News gap = ThetaPull.News.changed(theta, acc, 6, 7);
    long carried = 0;
    for (Segment s : l.segments()) {
      carried += s.table() ? gap.changed(s.id()).length : 0;
    }
    cache.advance(gap);
    int[][] stale = cache.missing(7, all);
    assertEquals(all.size() - carried, ThetaPull.count(stale),
        "news that do not follow the copy's version leave only their own rows current");
    assertArrayEquals(new int[0], java.util.Arrays.stream(stale[l.itemEmb])
        .filter(k -> k == 2 || k == 5 || k == 7).toArray());
    cache.advance(ThetaPull.News.reset(theta, 8));
    assertEquals(all.size(), ThetaPull.count(cache.missing(8, all)), "a reset: nothing current");
    // A follower waits for its carrier's news; it gives up when its liveness check throws.
    Thread carrier = new Thread(() -> cache.advance(ThetaPull.News.reset(theta, 9)));
    carrier.start();
    cache.awaitVersion(9, 10, () -> { });
    assertEquals(9, cache.version());
    assertThrows(IllegalStateException.class, () -> cache.awaitVersion(10, 10, () -> {
      throw new IllegalStateException("killed");
    }));
    ThetaRowCache.release(run);
  }

  @Test
  void pullMessagesRefuseRowsTheModelDoesNotHave() throws IOException {
    Params theta = TestFixtures.randomParams(SPEC, 4);
    ModelSpec smaller = new ModelSpec(6, SPEC.userFields(), SPEC.itemFields(), SPEC.embeddingDim(),
        List.of(5, 4), Activation.RELU, SPEC.userDim(), Feedback.EXPLICIT, true, true);
    ParamLayout small = new ParamLayout(smaller);
    io.metarec.model.RowSet rows = new io.metarec.model.RowSet(theta.layout());
    rows.addEverything();
    int[][] keys = new int[theta.layout().numSegments()][];
    for (Segment s : theta.layout().segments()) {
      keys[s.id()] = rows.keys(s.id());
    }
    ByteArrayOutputStream q = new ByteArrayOutputStream();
    ThetaPull.writeRequest(new DataOutputStream(q), theta.layout(), keys);
    assertThrows(IOException.class, () -> ThetaPull.readRequest(
        new DataInputStream(new ByteArrayInputStream(q.toByteArray())), small));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ThetaPull.writeRows(new DataOutputStream(b), theta, 1, keys);
    assertThrows(IOException.class, () -> ThetaPull.Rows.read(
        new DataInputStream(new ByteArrayInputStream(b.toByteArray())), small));
    ByteArrayOutputStream n = new ByteArrayOutputStream();
    ThetaPull.News.changed(theta, sum(List.of(taskOver(1, 2, 5, 7, 9)), theta, 1), 1, 2)
        .write(new DataOutputStream(n), theta.layout());
    assertThrows(IOException.class, () -> ThetaPull.News.read(
        new DataInputStream(new ByteArrayInputStream(n.toByteArray())), small));
    byte[] junk = new byte[64];
    assertThrows(IOException.class, () -> ThetaPull.Rows.read(
        new DataInputStream(new ByteArrayInputStream(junk)), theta.layout()));
    assertThrows(IOException.class, () -> ThetaPull.readRequest(
        new DataInputStream(new ByteArrayInputStream(junk)), theta.layout()));
  }

  @Test
  void theJvmKeepsTheReplicasOfAFewRunsOnly() {
    ParamLayout l = new ParamLayout(SPEC);
    Set<Long> runs = new TreeSet<>();
    for (long k = 0; k < ThetaReplica.KEPT + 3; k++) {
      runs.add((1L << 52) + k);
      ThetaReplica.of((1L << 52) + k, l);
    }
    assertTrue(ThetaReplica.heldRuns() <= ThetaReplica.KEPT);
    runs.forEach(ThetaReplica::release);
  }
}
