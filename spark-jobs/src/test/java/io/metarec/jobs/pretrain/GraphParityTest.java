package io.metarec.jobs.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J graph of {@link Dl4jModel} computes the MetaRec model: after mapping parameters either
 * way, the kernel with 0 inner steps (SGD user solver, which does not adapt at 0 steps; the ridge
 * solver would) and the graph's {@code score} vertex give the same predictions on the same query
 * rows, on random parameters and after DL4J trained the graph, for explicit and implicit feedback,
 * with user and item feature fields (one of each multi-valued, with duplicates and empty lists).
 */
class GraphParityTest {
  private static final int ITEMS = 40;

  @BeforeAll
  @SuppressWarnings("deprecation") // the only switch DL4J M2 offers; its default checks every op
  static void quietNd4j() {
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
  }

  private static ModelSpec spec(Feedback fb, Activation act, boolean implicitTerm,
      boolean userInMlp) {
    return new ModelSpec(ITEMS,
        List.of(new FieldSpec("age", 5, false), new FieldSpec("tags", 7, true)),
        List.of(new FieldSpec("genres", 6, true), new FieldSpec("decade", 4, false)),
        5, List.of(8, 6), act, 4, fb, implicitTerm, userInMlp);
  }

  /** Items with 0..3 genres (an empty list is unknown; duplicates allowed) and one decade. */
  private static ItemFeatureTable itemTable(SplittableRandom rng) {
    int[][][] f = new int[ITEMS][][];
    for (int i = 0; i < ITEMS; i++) {
      int[] genres = new int[rng.nextInt(4)];
      for (int k = 0; k < genres.length; k++) {
        genres[k] = 1 + rng.nextInt(5);
      }
      f[i] = new int[][] {genres, {rng.nextInt(4)}};
    }
    return ItemFeatureTable.fromNested(2, f);
  }

  /** Tasks with repeated items, 0..6 support rows and some query rows. */
  private static List<Task> tasks(SplittableRandom rng, Feedback fb, int count) {
    List<Task> out = new ArrayList<>();
    for (int t = 0; t < count; t++) {
      int support = t == 0 ? 0 : rng.nextInt(7);
      int n = support + 1 + rng.nextInt(6);
      int[] items = new int[n];
      float[] labels = new float[n];
      for (int r = 0; r < n; r++) {
        items[r] = rng.nextInt(ITEMS);
        labels[r] = fb == Feedback.EXPLICIT ? 1 + rng.nextInt(5) : rng.nextInt(2);
      }
      int[] tags = new int[t % 3 == 0 ? 0 : 1 + rng.nextInt(3)];
      for (int k = 0; k < tags.length; k++) {
        tags[k] = 1 + rng.nextInt(6);
      }
      out.add(new Task(t, items, labels, support, new int[][] {{rng.nextInt(5)}, tags}));
    }
    return out;
  }

  private static Params randomParams(ModelSpec spec, SplittableRandom rng) {
    ParamLayout l = new ParamLayout(spec);
    Params p = new Params(l);
    for (Segment s : l.segments()) {
      for (float[] row : p.segment(s.id())) {
        for (int c = 0; c < row.length; c++) {
          row[c] = (float) (rng.nextDouble() - 0.5);
        }
      }
    }
    p.segment(l.mu)[0][0] = 3f;
    p.segment(l.logLambda)[0][0] = 0f;
    return p;
  }

  private static InnerLoopConfig noAdaptation() {
    // The ridge solver (the default) would adapt at 0 steps: the SGD solver does not.
    InnerLoopConfig in = TrainSettings.defaults().inner().withSteps(0)
        .withUserSolver(UserSolver.SGD);
    assertEquals(0, in.steps());
    return in;
  }

  /** Worst relative difference of kernel and graph predictions over the query rows of tasks. */
  private static double worstDifference(ModelSpec spec, ItemFeatureTable items, Params theta,
      ComputationGraph net, List<Task> tasks) {
    JvmAdaptationEngine engine = new JvmAdaptationEngine(spec, items);
    Examples ex = new Examples(spec, items);
    InnerLoopConfig in = noAdaptation();
    double worst = 0;
    int rows = 0;
    for (Task t : tasks) {
      if (t.querySize() == 0) {
        continue;
      }
      float[] ours = engine.adaptAndPredict(theta, in, t);
      List<Examples.Row> q = new ArrayList<>();
      for (int r = t.supportSize(); r < t.size(); r++) {
        q.add(new Examples.Row(t, r));
      }
      MultiDataSet mds = ex.of(q);
      INDArray score = net.feedForward(mds.getFeatures(), false).get(Dl4jModel.SCORE);
      for (int r = 0; r < ours.length; r++) {
        double theirs = score.getDouble(r, 0);
        worst = Math.max(worst, Math.abs(ours[r] - theirs) / Math.max(1.0, Math.abs(theirs)));
        rows++;
      }
    }
    assertTrue(rows > 20, "too few query rows compared: " + rows);
    return worst;
  }

  @ParameterizedTest
  @CsvSource({
      "EXPLICIT, RELU, true, true",
      "EXPLICIT, TANH, true, false",
      "EXPLICIT, RELU, false, true",
      "IMPLICIT, RELU, true, true",
      "IMPLICIT, TANH, false, false"})
  void randomParametersScoreTheSameInBothDirections(Feedback fb, Activation act,
      boolean implicitTerm, boolean userInMlp) {
    SplittableRandom rng = new SplittableRandom(11);
    ModelSpec spec = spec(fb, act, implicitTerm, userInMlp);
    ItemFeatureTable items = itemTable(rng);
    List<Task> tasks = tasks(rng, fb, 12);
    Params theta = randomParams(spec, rng);

    // MetaRec → DL4J.
    ComputationGraph net = Dl4jModel.create(Dl4jModel.configuration(spec, 0.01, 1), theta);
    double toGraph = worstDifference(spec, items, theta, net, tasks);
    assertTrue(toGraph < 1e-4, "MetaRec params in the graph: worst relative difference " + toGraph);

    // DL4J → MetaRec: the graph's own (Xavier) initialization mapped back.
    ComputationGraph xavier = new ComputationGraph(Dl4jModel.configuration(spec, 0.01, 7));
    xavier.init();
    xavier.getLayer("dot").getParam("W").assign(1);
    Params back = Dl4jModel.toParams(xavier, theta.layout(), 2f);
    assertEquals((float) Math.log(2), back.segment(back.layout().logLambda)[0][0], 1e-7);
    assertEquals(0f, back.segment(back.layout().userBias)[0][0]);
    double fromGraph = worstDifference(spec, items, back, xavier, tasks);
    assertTrue(fromGraph < 1e-4, "graph params mapped back: worst relative difference " + fromGraph);
  }

  @ParameterizedTest
  @CsvSource({"EXPLICIT, true", "IMPLICIT, true", "EXPLICIT, false"})
  void aTrainedGraphMapsBackToTheSamePredictions(Feedback fb, boolean implicitTerm) {
    SplittableRandom rng = new SplittableRandom(23);
    ModelSpec spec = spec(fb, Activation.RELU, implicitTerm, true);
    ItemFeatureTable items = itemTable(rng);
    List<Task> tasks = tasks(rng, fb, 30);
    Params init = randomParams(spec, rng);
    ComputationGraph net = Dl4jModel.create(Dl4jModel.configuration(spec, 0.02, 3), init);
    Examples ex = new Examples(spec, items);
    List<Examples.Row> all = new ArrayList<>();
    for (Task t : tasks) {
      for (int r = 0; r < t.size(); r++) {
        all.add(new Examples.Row(t, r));
      }
    }
    MultiDataSet data = ex.of(all);
    double before = net.score(data);
    for (int step = 0; step < 60; step++) {
      net.fit(data);
    }
    double after = net.score(data);
    assertTrue(after < 0.8 * before, "training did not lower the loss: " + before + " -> " + after);
    assertEquals(1.0, net.getLayer("dot").getParam("W").minNumber().doubleValue(), 0.0,
        "the all-ones projection must stay frozen");
    assertEquals(1.0, net.getLayer("dot").getParam("W").maxNumber().doubleValue(), 0.0);

    Params trained = Dl4jModel.toParams(net, init.layout(), 1f);
    double worst = worstDifference(spec, items, trained, net, tasks);
    assertTrue(worst < 1e-4, "trained graph mapped back: worst relative difference " + worst);
  }
}
