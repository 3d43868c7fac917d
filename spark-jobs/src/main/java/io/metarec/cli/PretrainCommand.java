package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.pretrain.PretrainJob;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec pretrain}: the conventional DL4J-on-Spark baseline on a build-tasks output. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
    description = "Train the same model conventionally, without meta-learning, on every "
        + "interaction of the training tasks with Deeplearning4j on Spark (parameter averaging, "
        + "Adam; see pretrain.* in conf/metarec.conf); writes a model folder in MetaRec's "
        + "format, for fine-tuning and evaluation like a meta-trained model.")
final class PretrainCommand extends JobCommand {
  @Option(names = "--tasks", paramLabel = "DIR", required = true,
      description = "Output folder of build-tasks (pretrain.tasks).")
  String tasks;

  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "Model folder to write (pretrain.model).")
  String model;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Passes over the training interactions (pretrain.epochs).")
  Integer epochs;

  @Override
  Map<String, Object> options() {
    return opts("pretrain.tasks", tasks, "pretrain.model", model, "pretrain.epochs", epochs);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    PretrainJob.Result r = PretrainJob.run(spark, cfg);
    System.out.printf(Locale.ROOT,
        "pretrain: %d epochs run, epoch %d kept (best validation), over %d interactions, train "
            + "loss %.4f, validation without adaptation %s, %.1f s -> %s%n",
        r.epochScores().length, r.epochs(), r.interactions(), r.trainLoss(),
        r.validation() == null ? "-" : r.validation(), r.wallSeconds(), r.model());
  }

  @Override
  String name() {
    return "pretrain";
  }
}
