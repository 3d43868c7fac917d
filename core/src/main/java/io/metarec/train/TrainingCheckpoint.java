package io.metarec.train;

import io.metarec.model.Params;

/**
 * Everything a run resumes from: the state, θ, the best θ so far and the outer optimizer's state.
 * The {@link MetaTrainer} hands one to its {@link CheckpointSink} and starts from one.
 *
 * @param state the training state
 * @param theta the current parameters
 * @param bestTheta the parameters of {@code state.best()}, null before the first validation
 * @param optimizerState the outer optimizer's exported state, null for a fresh optimizer
 */
public record TrainingCheckpoint(TrainingState state, Params theta, Params bestTheta,
    float[] optimizerState) {

  /** A fresh start from {@code theta}. */
  public static TrainingCheckpoint fresh(Params theta) {
    return new TrainingCheckpoint(TrainingState.start(), theta, null, null);
  }
}
