package io.metarec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.UserSolver;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.Params;
import io.metarec.config.MetaConfig;
import io.metarec.config.Algorithm;
import io.metarec.config.OuterOptimizerKind;
import io.metarec.config.TrainSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The outer loop's selection of the best θ. */
class MetaTrainerTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true,
      Activation.RELU);

  /** A summer whose every meta-batch is empty (θ does not move) and a scripted validator. */
  private static MetaTrainer.Outcome run(TrainingCheckpoint start, double[] maes,
      List<Params> validated) {
    TrainSettings settings = new TrainSettings(
        TestFixtures.inner(1, UserSolver.SGD, Set.of(ParamGroup.USER)),
        new MetaConfig(Algorithm.FOMAML, OuterOptimizerKind.ADAM, 0.01f, 0.9f, 0.999f, 1e-8f, 3,
            100, 8, true, 5, 5, 0.1f, 1f, 0f, 0f));
    BatchSummer empty = new BatchSummer() {
      @Override
      public MetaGradientAccumulator sum(long iteration, Params theta) {
        return new MetaGradientAccumulator(theta.layout());
      }

      @Override
      public void close() {
      }
    };
    int[] call = {0};
    Validator scripted = theta -> {
      validated.add(theta.copy());
      double mae = maes[call[0]++];
      return new ValidationMetrics(4, 20, mae * mae, mae, mae, Double.NaN, Double.NaN);
    };
    // 100 iterations, validated every 25, patience 2.
    TrainingPolicy policy = new TrainingPolicy(100, 0.01f, 1.0, 5, 25, 2, 1_000);
    return new MetaTrainer(settings, policy, ValidationMetrics.Direction.LOWER, empty, scripted,
        CheckpointSink.NONE, TrainingListener.NONE).train(start);
  }

  @Test
  void aFreshRunValidatesItsStartingThetaAndKeepsItWhenNoStepBeatsIt() {
    Params theta0 = TestFixtures.randomParams(SPEC, 11);
    List<Params> validated = new ArrayList<>();
    MetaTrainer.Outcome out = run(TrainingCheckpoint.fresh(theta0.copy()),
        new double[] {0.70, 0.80, 0.75, 0.90}, validated);
    assertEquals(0, out.bestIteration());
    assertEquals(0.70, out.state().best().mae(), 1e-12);
    assertArrayEquals(theta0.flatten(), out.bestTheta().flatten());
    // θ0, then iterations 25 and 50; patience 2 stops after 50.
    assertEquals(3, validated.size());
    assertEquals(50, out.state().iteration());
    assertEquals(true, out.stoppedEarly());
  }

  @Test
  void aStepThatBeatsTheStartIsKeptAndAResumedRunDoesNotRevalidateTheStart() {
    List<Params> validated = new ArrayList<>();
    MetaTrainer.Outcome out = run(TrainingCheckpoint.fresh(TestFixtures.randomParams(SPEC, 12)),
        new double[] {0.70, 0.60, 0.65, 0.66}, validated);
    assertEquals(25, out.bestIteration());
    assertEquals(4, validated.size());

    // A run resumed after iteration 25 (a checkpoint with its best) validates at 50, 75 only.
    TrainingCheckpoint mid = new TrainingCheckpoint(
        new TrainingState(25, 1.0, 0, out.state().best(), 25, 0, TrainingState.History.EMPTY),
        out.theta().copy(), out.bestTheta().copy(), null);
    List<Params> resumed = new ArrayList<>();
    MetaTrainer.Outcome again = run(mid, new double[] {0.65, 0.66}, resumed);
    assertEquals(2, resumed.size());
    assertEquals(25, again.bestIteration());
  }

  @Test
  void theBestThetaIsWrittenIntoTheEarlierBestsArraysNotAllocatedAgain() {
    Params theta = TestFixtures.randomParams(SPEC, 13);
    Params first = MetaTrainer.keep(theta, null);
    assertArrayEquals(theta.flatten(), first.flatten());
    assertTrue(first != theta && first.segment(0) != theta.segment(0), "a copy, not θ");
    float[] row = first.segment(0)[0];
    Params later = TestFixtures.randomParams(SPEC, 14);
    theta.copyFromInPlace(later);
    Params second = MetaTrainer.keep(theta, first);
    assertSame(first, second);
    assertSame(row, second.segment(0)[0], "the same row arrays");
    assertArrayEquals(later.flatten(), second.flatten());
    // θ moves on; the kept best does not move with it.
    theta.copyFromInPlace(TestFixtures.randomParams(SPEC, 15));
    assertArrayEquals(later.flatten(), second.flatten());
    // θ itself is never its own best.
    Params own = MetaTrainer.keep(theta, theta);
    assertTrue(own != theta);
    assertArrayEquals(theta.flatten(), own.flatten());
  }
}
