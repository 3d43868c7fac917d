package io.metarec.cli;

import io.metarec.bench.EngineBench;
import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.config.Algorithm;
import io.metarec.config.TrainSettings;
import io.metarec.model.Params;
import io.metarec.task.Task;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec bench-engine}: training-engine throughput, ND4J batched engine beside the JVM kernel (no Spark). */
@Command(name = "bench-engine", mixinStandardHelpOptions = true,
    description = "Task adaptations per second of the batched ND4J engine at each block size and of the "
        + "JVM kernel on N threads, on the same generated tasks (the default model and inner loop, "
        + "first-order MAML, resplit support 5-20), in one run.")
final class BenchEngineCommand implements Callable<Integer> {
  @Option(names = "--engine", paramLabel = "jvm|nd4j|both", description = "Engines to time (default both).")
  String engine = "both";

  @Option(names = "--block", split = ",", paramLabel = "T",
      description = "ND4J block sizes, comma-separated (default 256,1024).")
  List<Integer> blocks = List.of(256, 1024);

  @Option(names = "--threads", paramLabel = "N",
      description = "JVM kernel threads (default: all available processors).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--feeders", paramLabel = "N",
      description = "Threads feeding the one ND4J engine, each building its own blocks (default 1).")
  int feeders = 1;

  @Option(names = "--tasks", paramLabel = "N", description = "Generated tasks (default 4 x the largest block).")
  int tasks;

  @Option(names = "--seconds", paramLabel = "S", description = "Timed seconds per measurement (default 10).")
  double seconds = 10;

  @Option(names = "--algorithm", paramLabel = "fomaml|reptile", description = "Meta-gradient (default fomaml).")
  String algorithm = "fomaml";

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON lines.")
  File json;

  @Override
  public Integer call() throws Exception {
    int max = blocks.stream().mapToInt(Integer::intValue).max().orElse(1024);
    int n = tasks > 0 ? tasks : 4 * max;
    TrainSettings s = EngineBench.settings(io.metarec.config.Checks.enumValue("--algorithm", algorithm, Algorithm.class));
    Params theta = EngineBench.theta(EngineBench.spec());
    List<Task> ts = EngineBench.tasks(n, 42L);
    List<String> lines = new ArrayList<>();
    System.out.printf(Locale.ROOT, "# %d tasks, %d parameters, ND4J backend %s, %d processors%n", n,
        theta.layout().flatSize(), Nd4jBatchedEngine.backendName(), Runtime.getRuntime().availableProcessors());
    EngineBench.Result jvm = null;
    if (!engine.equals("nd4j")) {
      jvm = EngineBench.jvm(ts, theta, s, threads, seconds);
      lines.add(jvm.toJson());
      System.out.println(jvm.toJson());
    }
    if (!engine.equals("jvm")) {
      for (int b : blocks) {
        EngineBench.Result r = EngineBench.nd4j(ts, theta, s, b, feeders, seconds);
        String line = jvm == null ? r.toJson() : r.toJson().replace("}", String.format(Locale.ROOT,
            ",\"vs_jvm\":%.3f}", r.tasksPerSecond() / jvm.tasksPerSecond()));
        lines.add(line);
        System.out.println(line);
      }
    }
    if (json != null) {
      Files.writeString(json.toPath(), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }
    return 0;
  }
}
