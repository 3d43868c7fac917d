package io.metarec.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.ImplicitConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.UserSolver;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.serve.History.Interaction;
import io.metarec.task.ItemFeatureTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The serving API against the engine it stands on: same scores, same lists, thread-safe. */
class MetaRecModelTest {
  /** A model with every feature of the scorer over more items than one MLP batch. */
  private static ModelSpec spec(Feedback fb, boolean userInMlp) {
    return new ModelSpec(300,
        List.of(new FieldSpec("age", 5, false), new FieldSpec("genres", 6, true)),
        List.of(new FieldSpec("category", 4, true)),
        3, List.of(5, 4), Activation.RELU, 3, fb, true, userInMlp);
  }

  private static ItemFeatureTable items(int n) {
    return TestFixtures.tinyItems(n);
  }

  /** The settings every test loops over: solvers, adapted groups, support negatives. */
  private static List<InnerLoopConfig> settings(Feedback fb) {
    List<InnerLoopConfig> out = new ArrayList<>();
    for (UserSolver solver : UserSolver.values()) {
      for (Set<ParamGroup> g : List.of(Set.of(ParamGroup.DECISION, ParamGroup.USER),
          Set.of(ParamGroup.USER), Set.of(ParamGroup.DECISION, ParamGroup.USER,
              ParamGroup.EMBEDDING), Set.<ParamGroup>of())) {
        InnerLoopConfig in = TestFixtures.inner(3, solver, g);
        if (fb == Feedback.IMPLICIT) {
          in = in.withImplicit(new ImplicitConfig(2, 0, 2, ImplicitConfig.Distribution.POPULARITY,
              0.75f, ImplicitConfig.Loss.BCE, 1f, true,
              ImplicitConfig.TaskWeight.POSITIVES));
        }
        out.add(in);
      }
    }
    return out;
  }

  private static History history(SplittableRandom rng, int n, boolean withFeatures) {
    List<Interaction> l = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      l.add(Interaction.rating(ServingFixtures.id(1 + rng.nextInt(299)), 1 + rng.nextInt(5)));
    }
    History h = History.of(l);
    return withFeatures ? h.withUserFeature("age", "age-2").withUserFeature("genres", "genres-1",
        "genres-4", "genres-4", "no-such-genre") : h;
  }

  private static int[][] features(boolean withFeatures) {
    return withFeatures ? new int[][] {{2}, {1, 4, 4, 0}} : new int[][] {{}, {}};
  }

  private static int[] indices(History h) {
    return h.interactions().stream().mapToInt(i -> Integer.parseInt(i.item().substring(5)))
        .toArray();
  }

  private static float[] labels(History h, Feedback fb) {
    float[] y = new float[h.interactions().size()];
    for (int k = 0; k < y.length; k++) {
      y[k] = fb == Feedback.IMPLICIT ? 1f : h.interactions().get(k).label();
    }
    return y;
  }

  @Test
  void scoresAreTheEnginesBitForBitForEverySetting() {
    for (Feedback fb : Feedback.values()) {
      for (boolean userInMlp : new boolean[] {true, false}) {
        ModelSpec spec = spec(fb, userInMlp);
        Params theta = TestFixtures.randomParams(spec, 7);
        MetaRecModel.Parts parts = ServingFixtures.parts(spec, theta, items(spec.numItems()));
        JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, parts.items());
        int[] all = IntStream.range(1, spec.numItems()).toArray();
        SplittableRandom rng = new SplittableRandom(11);
        for (InnerLoopConfig in : settings(fb)) {
          MetaRecModel model = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS.withInner(in));
          for (int size : new int[] {0, 1, 7}) {
            boolean withFeatures = size != 1;
            History h = history(rng, size, withFeatures);
            float[] expected = engine.adaptAndScore(theta, in, indices(h), labels(h, fb),
                features(withFeatures), all);
            float[] got = model.rawScores(model.adapt(h), all);
            assertArrayEquals(expected, got, fb + " " + in + " support " + size);
          }
        }
      }
    }
  }

  @Test
  void listsAreTheExactTopNWithoutSeenItemsTiesByIndex() {
    ModelSpec spec = spec(Feedback.EXPLICIT, true);
    Params theta = TestFixtures.randomParams(spec, 3);
    // Equal scores for a run of items: copies of one item's rows.
    for (int i = 41; i <= 45; i++) {
      for (int s : new int[] {theta.layout().itemEmb, theta.layout().itemFactor,
          theta.layout().itemBias}) {
        theta.segment(s)[i] = theta.segment(s)[40].clone();
      }
    }
    ItemFeatureTable t = ItemFeatureTable.fromNested(1, IntStream.range(0, spec.numItems())
        .mapToObj(i -> new int[][] {{1}}).toArray(int[][][]::new));
    MetaRecModel model = MetaRecModel.of(ServingFixtures.parts(spec, theta, t),
        MetaRecModel.Options.DEFAULTS);
    History h = History.of(Interaction.rating("item-3", 5), Interaction.rating("item-9", 1),
        Interaction.rating("no-such-item", 4));
    UserState u = model.adapt(h);
    assertEquals(2, u.knownItems());
    assertEquals(1, u.unknownItems());
    int[] all = IntStream.range(1, spec.numItems()).toArray();
    float[] raw = model.rawScores(u, all);
    List<Integer> order = new ArrayList<>();
    for (int i : all) {
      if (i != 3 && i != 9) {
        order.add(i);
      }
    }
    order.sort(Comparator.<Integer>comparingDouble(i -> -raw[i - 1]).thenComparing(i -> i));
    Recommendations r = model.recommend(u, 300);
    assertEquals(297, r.items().size());
    for (int k = 0; k < r.items().size(); k++) {
      assertEquals(ServingFixtures.id(order.get(k)), r.items().get(k).item(), "rank " + k);
      float clipped = (float) Math.min(5, Math.max(1, raw[order.get(k) - 1]));
      assertEquals(clipped, r.items().get(k).score(), "rank " + k);
    }
    int at40 = r.items().indexOf(r.items().stream().filter(s -> s.item().equals("item-40"))
        .findFirst().orElseThrow());
    for (int k = 1; k <= 5; k++) {
      assertEquals("item-" + (40 + k), r.items().get(at40 + k).item(), "ties by index");
    }
    assertEquals(1, r.unknownItems());
    // The one-call form gives the same list; candidates and exclusions are honoured.
    assertEquals(r.items().subList(0, 10), model.recommend(h, 10).items());
    Recommendations some = model.recommend(u, 3, false, List.of("item-5"),
        List.of("item-3", "item-5", "item-7", "item-7", "item-8", "unknown"));
    List<String> expected = new ArrayList<>(List.of("item-3", "item-7", "item-8"));
    expected.sort(Comparator.<String>comparingDouble(i -> -raw[Integer.parseInt(i.substring(5))
        - 1]).thenComparing(i -> Integer.parseInt(i.substring(5))));
    assertEquals(expected, some.items().stream().map(ItemScore::item).toList());
  }

  @Test
  void anImplicitHistorysEventsOnAnItemAddUpToOneEventWeightedByItsCount() {
    ModelSpec spec = spec(Feedback.IMPLICIT, true);
    Params theta = TestFixtures.randomParams(spec, 11);
    MetaRecModel.Parts parts = ServingFixtures.parts(spec, theta, items(spec.numItems()));
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, parts.items());
    int[] all = IntStream.range(1, spec.numItems()).toArray();
    // item-5 twice (counts 2 and 1: 3, weight log2(4) = 2) at its last occurrence; item-9 once
    // (weight 1); a rating's label is not read; an unknown item is counted.
    History h = History.of(List.of(Interaction.event("item-5", 2), Interaction.event("item-9"),
        Interaction.rating("item-5", 4), Interaction.event("nope", 3)));
    for (InnerLoopConfig in : settings(Feedback.IMPLICIT)) {
      MetaRecModel model = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS.withInner(in));
      float[] expected = engine.adaptAndScore(theta, in, new int[] {9, 5}, new float[] {1f, 2f},
          features(false), all);
      UserState u = model.adapt(h);
      assertArrayEquals(expected, model.rawScores(u, all), in.toString());
      assertEquals(1, u.unknownItems());
    }
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300}) {
      assertThrows(IllegalArgumentException.class, () -> Interaction.event("item-1", bad),
          "count " + bad);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Interaction("item-1", 1f, 0f));
    assertTrue(e.getMessage().contains("item-1") && e.getMessage().contains("count"),
        e.getMessage());
  }

  @Test
  void twoStageListsRescoreTheBestOfTheLinearPart() {
    ModelSpec spec = spec(Feedback.IMPLICIT, true);
    Params theta = TestFixtures.randomParams(spec, 5);
    MetaRecModel.Parts parts = ServingFixtures.parts(spec, theta, items(spec.numItems()));
    MetaRecModel exact = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS);
    History h = History.events("item-4", "item-8", "item-15");
    for (int c : new int[] {10, 40}) {
      MetaRecModel twoStage = exact.withOptions(MetaRecModel.Options.DEFAULTS.withRerank(c));
      UserState u = twoStage.adapt(h);
      // The c best unseen items by b_i + <u_lin, q_i>, then the best 10 of them by the model.
      List<Integer> pool = new ArrayList<>();
      for (int i = 1; i < spec.numItems(); i++) {
        if (i != 4 && i != 8 && i != 15) {
          pool.add(i);
        }
      }
      float[] lin = new float[spec.numItems()];
      for (int i : pool) {
        float s = theta.segment(theta.layout().itemBias)[i][0];
        for (int k = 0; k < spec.userDim(); k++) {
          s += u.linearUser[k] * theta.segment(theta.layout().itemFactor)[i][k];
        }
        lin[i] = s;
      }
      pool.sort(Comparator.<Integer>comparingDouble(i -> -lin[i]).thenComparing(i -> i));
      int[] cand = pool.subList(0, c).stream().mapToInt(Integer::intValue).toArray();
      float[] raw = twoStage.rawScores(u, cand);
      List<Integer> byModel = new ArrayList<>();
      for (int k = 0; k < cand.length; k++) {
        byModel.add(k);
      }
      byModel.sort(Comparator.<Integer>comparingDouble(k -> -raw[k]).thenComparing(k -> cand[k]));
      List<String> expected = byModel.subList(0, 10).stream()
          .map(k -> ServingFixtures.id(cand[k])).toList();
      assertEquals(expected, twoStage.recommend(u, 10).items().stream().map(ItemScore::item)
          .toList(), "rerank " + c);
    }
    MetaRecModel whole = exact.withOptions(MetaRecModel.Options.DEFAULTS.withRerank(5000));
    assertEquals(exact.recommend(h, 10), whole.recommend(h, 10), "a rerank over the catalog is exact");
  }

  /** Random neighbourhoods: each item up to 8 random neighbours with similarities in (0, 1]. */
  static io.metarec.model.ItemNeighbours randomNeighbours(int numItems, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[][] nb = new int[numItems][];
    float[][] sim = new float[numItems][];
    for (int i = 0; i < numItems; i++) {
      int n = i == 0 ? 0 : rng.nextInt(9);
      nb[i] = new int[n];
      sim[i] = new float[n];
      for (int k = 0; k < n; k++) {
        nb[i][k] = 1 + rng.nextInt(numItems - 1);
        sim[i][k] = (float) (1 - rng.nextDouble());
      }
    }
    return io.metarec.model.ItemNeighbours.of(nb, sim);
  }

  @Test
  void theNeighbourhoodTermIsScoredAsTheEngineDoesAndItsItemsReachTwoStageLists() {
    ModelSpec spec = spec(Feedback.IMPLICIT, true);
    Params theta = TestFixtures.randomParams(spec, 9);
    MetaRecModel.Parts parts = ServingFixtures.parts(spec, theta,
        items(spec.numItems()).withNeighbours(randomNeighbours(spec.numItems(), 3)));
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, parts.items());
    int[] all = IntStream.range(1, spec.numItems()).toArray();
    SplittableRandom rng = new SplittableRandom(17);
    for (InnerLoopConfig base : settings(Feedback.IMPLICIT)) {
      InnerLoopConfig in = base.withNeighbourWeight(2.5f);
      MetaRecModel model = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS.withInner(in));
      for (int size : new int[] {0, 1, 7}) {
        History h = history(rng, size, size != 1);
        float[] expected = engine.adaptAndScore(theta, in, indices(h), labels(h, Feedback.IMPLICIT),
            features(size != 1), all);
        UserState u = model.adapt(h);
        assertArrayEquals(expected, model.rawScores(u, all), in + " support " + size);
        if (size == 7) {
          assertNotEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(
              engine.adaptAndScore(theta, base, indices(h), labels(h, Feedback.IMPLICIT),
                  features(true), all)), "the term changes the scores");
        }
      }
    }
    // A weight that makes the neighbourhood dominate: a two-stage list over 20 candidates finds
    // the exact list, because the linear stage carries the term too.
    InnerLoopConfig in = TestFixtures.inner(0, UserSolver.RIDGE, Set.of(ParamGroup.USER))
        .withNeighbourWeight(1000f);
    MetaRecModel exact = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS.withInner(in));
    MetaRecModel twoStage = exact.withOptions(MetaRecModel.Options.DEFAULTS.withInner(in)
        .withRerank(20));
    History h = History.events("item-4", "item-8", "item-15", "item-16");
    assertEquals(exact.recommend(h, 5).items(), twoStage.recommend(h, 5).items());
  }

  @Test
  void unknownItemsAndEmptyHistoriesGiveTheMetaInitialization() {
    ModelSpec spec = spec(Feedback.EXPLICIT, false);
    MetaRecModel model = MetaRecModel.of(ServingFixtures.parts(spec,
        TestFixtures.randomParams(spec, 9), items(spec.numItems())), MetaRecModel.Options.DEFAULTS);
    Recommendations cold = model.recommend(History.empty(), 10);
    Recommendations unknown = model.recommend(History.of(Interaction.rating("x", 5),
        Interaction.rating("y", 1)), 10);
    assertEquals(cold.items(), unknown.items());
    assertEquals(0, cold.unknownItems());
    assertEquals(2, unknown.unknownItems());
    Recommendations warm = model.recommend(History.of(Interaction.rating("item-2", 5),
        Interaction.rating("item-7", 1)), 10);
    assertNotEquals(cold.items(), warm.items());
    Scores s = model.score(History.empty(), List.of("item-1", "nope", "item-2"));
    assertEquals(List.of("item-1", "item-2"), s.items().stream().map(ItemScore::item).toList());
    assertEquals(List.of("nope"), s.unscored());
    assertTrue(model.version().endsWith("@2026-12-01T00:00:00Z"), model.version());
  }

  @Test
  void badHistoriesAndForeignStatesAreRefusedNamingTheValue() {
    ModelSpec spec = spec(Feedback.EXPLICIT, true);
    MetaRecModel.Parts parts = ServingFixtures.parts(spec, TestFixtures.randomParams(spec, 1),
        items(spec.numItems()));
    MetaRecModel model = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS);
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> model.adapt(History.of(Interaction.rating("item-1", 9))));
    assertTrue(range.getMessage().contains("item-1") && range.getMessage().contains("9.0"),
        range.getMessage());
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> model.adapt(History.of(Interaction.rating("item-1", Double.NaN))));
    assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
    IllegalArgumentException field = assertThrows(IllegalArgumentException.class,
        () -> model.adapt(History.empty().withUserFeature("shoeSize", "42")));
    assertTrue(field.getMessage().contains("shoeSize") && field.getMessage().contains("[age, genres]"),
        field.getMessage());
    MetaRecModel other = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS.withVersion("v2"));
    UserState u = model.adapt(History.empty());
    IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
        () -> other.recommend(u, 5));
    assertTrue(foreign.getMessage().contains("v2"), foreign.getMessage());
    assertThrows(IllegalArgumentException.class, () -> model.recommend(u, 0));
  }

  @Test
  void concurrentCallsGiveTheListsOfOneThread() throws Exception {
    ModelSpec spec = spec(Feedback.EXPLICIT, true);
    MetaRecModel model = MetaRecModel.of(ServingFixtures.parts(spec,
        TestFixtures.randomParams(spec, 4), items(spec.numItems())),
        MetaRecModel.Options.DEFAULTS.withRerank(30));
    SplittableRandom rng = new SplittableRandom(5);
    List<History> users = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      users.add(history(rng, 1 + k % 9, k % 2 == 0));
    }
    List<Recommendations> alone = users.stream().map(h -> model.recommend(h, 10)).toList();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Recommendations>> futures = new ArrayList<>();
      for (int rep = 0; rep < 5; rep++) {
        boolean oneCall = rep % 2 == 0;
        for (History h : users) {
          futures.add(pool.submit(() -> oneCall ? model.recommend(h, 10)
              : model.recommend(model.adapt(h), 10)));
        }
      }
      for (int k = 0; k < futures.size(); k++) {
        assertEquals(alone.get(k % users.size()), futures.get(k).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aRequestAllocatesLittleMoreThanItsResult() {
    ModelSpec spec = spec(Feedback.EXPLICIT, true);
    MetaRecModel model = MetaRecModel.of(ServingFixtures.parts(spec,
        TestFixtures.randomParams(spec, 4), items(spec.numItems())),
        MetaRecModel.Options.DEFAULTS.withRerank(50));
    History h = history(new SplittableRandom(3), 20, true);
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    // Until C2 has compiled the scoring and the kernel (the Vector API path allocates every vector
    // before that) calls allocate more; measure rounds of calls until one is lean, within a generous
    // bound on the warm-up, so the figure does not depend on the JIT's timing or the test order.
    long id = Thread.currentThread().getId();
    int calls = 2000;
    long perCall;
    long deadline = System.nanoTime() + 60_000_000_000L;
    do {
      long before = mx.getThreadAllocatedBytes(id);
      for (int k = 0; k < calls; k++) {
        model.recommend(h, 10);
      }
      perCall = (mx.getThreadAllocatedBytes(id) - before) / calls;
    } while (perCall >= 2048 && System.nanoTime() < deadline);
    // The result: a list of 10 scored items and the record around it (~700 bytes), the user's
    // feature index arrays; no buffer of the catalog's or the MLP's size.
    assertTrue(perCall < 2048, perCall + " bytes per call");
  }
}
