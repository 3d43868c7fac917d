package io.metarec.train;

import io.metarec.config.MetaConfig;
import io.metarec.config.TrainSettings;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamInitializer;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.ItemStats;
import io.metarec.task.Task;
import java.util.List;

/**
 * Meta-training of tasks held in memory, with no Spark: the {@link MetaTrainer} over an {@link
 * InProcessSummer} and an {@link InProcessValidator}. With the same tasks, settings, initial θ and
 * partition count it ends with the θ of {@code metarec train}, bit for bit (the Spark tests check
 * it), so it is also the reference the distributed job is compared with.
 */
public final class InProcessTraining {
  private InProcessTraining() {}

  /**
   * The initial θ of a fresh run: seeded initialization ({@code seed}, {@code meta.init.*}), μ and
   * the item biases from the training labels, shrunk ({@code meta.init.itemBiasShrinkage}); with
   * implicit feedback, μ and the item biases are the logits of popularity against the negatives
   * {@code inner.implicit} draws ({@link ParamInitializer#initPopularityBiasesInPlace}); with the
   * sampling correction, against uniform ones, which the corrected loss sees as the same logits.
   */
  public static Params initialTheta(ModelSpec spec, long seed, TrainSettings settings,
      ItemStats train) {
    MetaConfig meta = settings.meta();
    Params theta = meta.initialParams(spec, seed);
    if (spec.feedback() == Feedback.IMPLICIT) {
      io.metarec.config.ImplicitConfig ic = settings.inner().implicit();
      double[] sampling = ic.distribution() == io.metarec.config.ImplicitConfig.Distribution.UNIFORM
          || ic.samplingCorrection() ? null : io.metarec.task.NegativeSampler.popularity(train.counts(), ic.exponent())
              .probabilities();
      ParamInitializer.initPopularityBiasesInPlace(theta, train.counts(), ic.negatives(),
          sampling);
      return theta;
    }
    ParamInitializer.initBiasesFromStatsInPlace(theta, train.sums(), train.counts(),
        meta.itemBiasShrinkage());
    return theta;
  }

  /**
   * Trains from {@code start} on {@code train}, validating on {@code validation}.
   *
   * @param partitions partitions the tasks are placed in (the sums' order, as on Spark)
   * @param threads threads that adapt them
   */
  public static MetaTrainer.Outcome run(List<Task> train, List<Task> validation, ModelSpec spec,
      ItemFeatureTable items, TrainSettings settings, TrainingPolicy policy,
      TrainingCheckpoint start, int partitions, int threads, CheckpointSink checkpoints,
      TrainingListener listener) {
    return run(train, validation, spec, items, settings, policy, start, partitions, threads,
        checkpoints, listener, new int[0]);
  }

  /**
   * As {@link #run(List, List, ModelSpec, ItemFeatureTable, TrainSettings, TrainingPolicy,
   * TrainingCheckpoint, int, int, CheckpointSink, TrainingListener)}, validating at the support
   * sizes {@code validationSupports} ({@code train.validationSupports}; empty = the tasks' own
   * split), less the largest ones that too few validation tasks reach, as {@code metarec train}
   * does ({@link ValidationAccumulator#supportsCovering(int[], List)}).
   */
  public static MetaTrainer.Outcome run(List<Task> train, List<Task> validation, ModelSpec spec,
      ItemFeatureTable items, TrainSettings settings, TrainingPolicy policy,
      TrainingCheckpoint start, int partitions, int threads, CheckpointSink checkpoints,
      TrainingListener listener, int[] validationSupports) {
    ValidationMetrics.Direction direction = ValidationMetrics.Direction.of(spec.feedback());
    try (InProcessSummer summer = new InProcessSummer(train, spec, items, settings, partitions,
        threads)) {
      InProcessValidator validator = new InProcessValidator(validation, spec, items,
          settings.inner(), settings.meta().seed(),
          ValidationAccumulator.supportsCovering(validationSupports, validation));
      return new MetaTrainer(settings, policy, direction, summer, validator, checkpoints, listener)
          .train(start);
    }
  }
}
