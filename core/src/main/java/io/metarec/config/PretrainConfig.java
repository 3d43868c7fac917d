package io.metarec.config;

import java.io.Serializable;

/**
 * The conventional baseline ({@code pretrain.*}): the same model trained on every training
 * interaction with Deeplearning4j on Spark (parameter averaging, Adam), no meta-learning.
 *
 * @param tasks the build-tasks output to train on ({@code pretrain.tasks})
 * @param model the model folder to write ({@code pretrain.model})
 * @param epochs passes over the training interactions (>= 1)
 * @param batchSize minibatch size of each worker (>= 1)
 * @param averagingFrequency minibatches each worker fits between two parameter averagings (>= 1)
 * @param learningRate Adam step size, in (0, 1]
 * @param workers parallel workers of the training master; 0 = the default parallelism
 * @param patience epochs without a better validation MAE (without adaptation) after which training
 *     stops; the best epoch's parameters are the model; 0 = run every epoch, keep the last
 */
public record PretrainConfig(
    String tasks,
    String model,
    int epochs,
    int batchSize,
    int averagingFrequency,
    double learningRate,
    int workers,
    int patience)
    implements Serializable {

  /** The settings without early stopping. */
  public PretrainConfig(String tasks, String model, int epochs, int batchSize,
      int averagingFrequency, double learningRate, int workers) {
    this(tasks, model, epochs, batchSize, averagingFrequency, learningRate, workers, 0);
  }

  /** Validates the ranges. */
  public PretrainConfig {
    Checks.intAtLeast("pretrain.epochs", epochs, 1);
    Checks.intAtLeast("pretrain.batchSize", batchSize, 1);
    Checks.intAtLeast("pretrain.averagingFrequency", averagingFrequency, 1);
    if (!(learningRate > 0 && learningRate <= 1)) {
      throw new ConfigValidationException("pretrain.learningRate must be in (0, 1], got " + learningRate);
    }
    Checks.intAtLeast("pretrain.workers", workers, 0);
    Checks.intAtLeast("pretrain.patience", patience, 0);
  }

  static PretrainConfig from(ConfigReader r) {
    return new PretrainConfig(
        r.getString("pretrain.tasks"),
        r.getString("pretrain.model"),
        r.getInt("pretrain.epochs"),
        r.getInt("pretrain.batchSize"),
        r.getInt("pretrain.averagingFrequency"),
        r.getDouble("pretrain.learningRate"),
        r.getInt("pretrain.workers"),
        r.getInt("pretrain.patience"));
  }
}
