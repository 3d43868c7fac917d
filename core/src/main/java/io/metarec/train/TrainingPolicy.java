package io.metarec.train;

import io.metarec.config.Checks;
import io.metarec.config.MetaConfig;
import io.metarec.config.TrainConfig;

/**
 * The outer loop's policy: how many iterations, the step size of each, what a divergence does, when
 * to validate, when to stop and when to checkpoint.
 *
 * @param iterations outer iterations in all, counting those before a resume ({@code
 *     meta.iterations})
 * @param outerLr the outer step size ({@code meta.outerLr}); iteration t steps with {@code outerLr
 *     × lrScale × lrDecay^t}, where lrScale halves at every divergence
 * @param lrDecay per-iteration decay of the step size ({@code train.lrDecay}), in (0, 1]
 * @param maxDivergences non-finite aggregated updates in a row before training fails ({@code
 *     train.maxDivergences})
 * @param validateEvery iterations between validations, and after the last ({@code
 *     train.validateEvery})
 * @param patience validations without improvement before stopping early, 0 = never ({@code
 *     train.patience})
 * @param checkpointEvery iterations between checkpoints, plus one at the end ({@code
 *     train.checkpointEvery})
 */
public record TrainingPolicy(int iterations, float outerLr, double lrDecay, int maxDivergences,
    int validateEvery, int patience, int checkpointEvery) {

  public TrainingPolicy {
    Checks.intAtLeast("meta.iterations", iterations, 1);
    Checks.doubleAbove("meta.outerLr", outerLr, 0);
    if (!(lrDecay > 0 && lrDecay <= 1)) {
      throw new IllegalArgumentException("train.lrDecay must be in (0, 1], got " + lrDecay);
    }
    Checks.intAtLeast("train.maxDivergences", maxDivergences, 1);
    Checks.intAtLeast("train.validateEvery", validateEvery, 1);
    Checks.intAtLeast("train.patience", patience, 0);
    Checks.intAtLeast("train.checkpointEvery", checkpointEvery, 1);
  }

  /** The policy a run's {@code meta.*} and {@code train.*} settings give. */
  public static TrainingPolicy of(MetaConfig meta, TrainConfig train) {
    return new TrainingPolicy(meta.iterations(), meta.outerLr(), train.lrDecay(),
        train.maxDivergences(), train.validateEvery(), train.patience(), train.checkpointEvery());
  }

  /** The step size of iteration {@code iteration} at step-size scale {@code lrScale}. */
  public float learningRate(long iteration, double lrScale) {
    return (float) (outerLr * lrScale * Math.pow(lrDecay, iteration));
  }

  /** Whether the iteration count {@code done} (after an iteration) is a validation point. */
  public boolean validatesAfter(long done) {
    return done % validateEvery == 0 || done == iterations;
  }

  /** Whether a checkpoint is written after iteration count {@code done}. */
  public boolean checkpointsAfter(long done, boolean stopping) {
    return done % checkpointEvery == 0 || stopping || done == iterations;
  }
}
