package io.metarec.meta;
import io.metarec.config.TrainSettings;

import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Single-process meta-training loop: the reference the distributed job is compared with, and the
 * driver of the tests. Each iteration samples {@code tasksPerIteration} tasks (with replacement,
 * from the stream of (seed, iteration)), accumulates their contributions with one engine and applies
 * one outer step: the shape of one Reptile / MAML iteration (Nichol et al. 2018; Finn et al. 2017).
 */
public final class LocalMetaTrainer {
  /** Purpose constant for {@link TaskRandom#stream}: sampling the tasks of an iteration. */
  public static final long PURPOSE_SAMPLE = 2L;

  private LocalMetaTrainer() {
  }

  /**
   * Runs iterations {@code [fromIteration, fromIteration + iterations)}, updating {@code theta} and the
   * optimizer's state in place.
   *
   * @return the mean task loss of every iteration
   */
  public static double[] trainInPlace(Params theta, List<Task> tasks, AdaptationEngine engine, TrainSettings settings,
      OuterOptimizer optimizer, long fromIteration, int iterations) {
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("tasks must be non-empty");
    }
    double[] losses = new double[iterations];
    int perIteration = settings.meta().tasksPerIteration();
    List<Task> batch = new ArrayList<>(perIteration);
    for (int k = 0; k < iterations; k++) {
      long it = fromIteration + k;
      SplittableRandom rng = TaskRandom.stream(settings.meta().seed(), it, -1L, PURPOSE_SAMPLE);
      batch.clear();
      for (int j = 0; j < perIteration; j++) {
        batch.add(tasks.get(rng.nextInt(tasks.size())));
      }
      MetaGradientAccumulator acc = new MetaGradientAccumulator(theta.layout());
      engine.accumulate(batch.iterator(), theta, settings, it, acc);
      optimizer.stepInPlace(theta, acc);
      losses[k] = acc.meanLoss();
    }
    return losses;
  }
}
