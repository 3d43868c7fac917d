package io.metarec.train;

/** Where the {@link MetaTrainer} writes its checkpoints (a model folder's checkpoint store). */
@FunctionalInterface
public interface CheckpointSink {
  /** Writes nothing: a run that cannot be resumed. */
  CheckpointSink NONE = c -> { };

  /** Writes {@code c}; θ, the best θ and the live optimizer must be written before this returns. */
  void write(TrainingCheckpoint c);
}
