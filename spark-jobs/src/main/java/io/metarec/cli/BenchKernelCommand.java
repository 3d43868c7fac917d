package io.metarec.cli;

import io.metarec.bench.KernelBench;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code metarec bench-kernel}: inner-loop throughput of the JVM kernel beside DL4J (no Spark). */
@Command(name = "bench-kernel", mixinStandardHelpOptions = true,
    description = "Time the inner-loop kernel on the reference shape (4 fields x 32, hidden "
        + "64-64, support 20, 5 inner steps) and DL4J MultiLayerNetwork.fit on the same "
        + "shape, in the same run.")
final class BenchKernelCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--threads", paramLabel = "N", description = "Engine threads (default 1).")
  int threads = 1;

  @Option(names = "--repeat", paramLabel = "R", description = "Timed repetitions of the JVM kernel; the "
      + "figures are their median, with the fastest and slowest beside it (default 5).")
  int repeat = 5;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
  File json;

  @Option(names = "--no-dl4j", description = "Do not time DL4J (its figures are then null); for runs that "
      + "only compare the kernel, e.g. scripts/bench-peer.sh.")
  boolean noDl4j;

  @Override
  public Integer call() throws Exception {
    if (repeat < 1) {
      throw new ParameterException(spec.commandLine(), "--repeat must be >= 1, got " + repeat);
    }
    KernelBench.Result r = KernelBench.run(threads, repeat, !noDl4j);
    String out = String.format(Locale.ROOT,
        "{\"threads\": %d, \"us_per_task_step\": %.3f, \"gflops\": %.3f, "
            + "\"dl4j_us_per_task_step\": %s, \"speedup_vs_dl4j\": %s, "
            + "\"flops_per_step\": %.0f, \"shape\": \"%s\", \"repeats\": %d, "
            + "\"us_per_task_step_min\": %.3f, \"us_per_task_step_max\": %.3f, \"kernel\": \"%s\"}%n",
        r.threads(), r.usPerTaskStep(), r.gflops(), KernelBench.jsonNumber(r.dl4jUsPerTaskStep(), 3),
        KernelBench.jsonNumber(r.speedup(), 2), r.flopsPerStep(), r.shape(), r.repeats(), r.usPerTaskStepMin(),
        r.usPerTaskStepMax(), r.kernel());
    System.out.print(out);
    if (json != null) {
      Files.writeString(json.toPath(), out, StandardCharsets.UTF_8);
    }
    return 0;
  }
}
