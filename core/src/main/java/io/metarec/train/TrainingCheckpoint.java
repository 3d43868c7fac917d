package io.metarec.train;

import io.metarec.model.Params;

/**
 * Everything a run resumes from: the state, θ, the best θ so far and the outer optimizer's state.
 * The {@link MetaTrainer} hands one to its {@link CheckpointSink} and starts from one.
 *
 * @param state the training state
 * @param theta the current parameters
 * @param bestTheta the parameters of {@code state.best()}, null before the first validation
 * @param optimizerState the outer optimizer's exported state, null for a fresh optimizer or where
 *     {@code optimizer} is given
 * @param optimizer the live optimizer whose state this is (the trainer's, handed to its {@link
 *     CheckpointSink}: its state is streamed from its moments, never copied into one array), or null
 */
public record TrainingCheckpoint(TrainingState state, Params theta, Params bestTheta,
    float[] optimizerState, io.metarec.meta.OuterOptimizer optimizer) {

  /** A checkpoint with an exported optimizer state (read from a file, or made by a test). */
  public TrainingCheckpoint(TrainingState state, Params theta, Params bestTheta,
      float[] optimizerState) {
    this(state, theta, bestTheta, optimizerState, null);
  }

  /** @return the optimizer's exported state: the one given, else the live optimizer's now, else null */
  @Override
  public float[] optimizerState() {
    return optimizerState != null ? optimizerState : optimizer == null ? null
        : optimizer.exportState();
  }

  /** A fresh start from {@code theta}. */
  public static TrainingCheckpoint fresh(Params theta) {
    return new TrainingCheckpoint(TrainingState.start(), theta, null, null);
  }
}
