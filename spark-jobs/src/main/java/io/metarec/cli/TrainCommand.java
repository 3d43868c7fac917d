package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.train.TrainJob;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec train}: distributed meta-training on a build-tasks output. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Meta-train the shared initialization on the tasks of build-tasks (Reptile, "
        + "first-order MAML or multi-task; see meta.* in conf/metarec.conf), "
        + "validating, checkpointing and stopping early; writes the model folder "
        + "atomically.")
final class TrainCommand extends JobCommand {
  @Option(names = "--tasks", paramLabel = "DIR", required = true,
      description = "Output folder of build-tasks (train.tasks).")
  String tasks;

  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "Model folder to write (train.model); checkpoints go to DIR.checkpoints.")
  String model;

  @Option(names = "--resume", description = "Continue from the last complete checkpoint (train.resume).")
  Boolean resume;

  @Option(names = "--init-from", paramLabel = "MODEL",
      description = "Warm-start from an earlier model (train.initFrom).")
  String initFrom;

  @Option(names = "--iterations", paramLabel = "N", description = "Outer iterations (meta.iterations).")
  Integer iterations;

  @Override
  Map<String, Object> options() {
    return opts("train.tasks", tasks, "train.model", model, "train.resume", resume,
        "train.initFrom", initFrom, "meta.iterations", iterations);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    TrainJob.Result r = TrainJob.run(spark, cfg);
    System.out.printf(Locale.ROOT,
        "train: %d iterations, best at %d (%s)%s, %.0f task adaptations/s, %.1f s -> %s%n",
        r.iterations(), r.bestIteration(), r.best() == null ? "not validated" : r.best(),
        r.stoppedEarly() ? ", stopped early" : "", r.adaptationsPerSecond(), r.wallSeconds(),
        r.model());
  }

  @Override
  String name() {
    return "train";
  }
}
