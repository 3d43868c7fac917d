package io.metarec.cli;

import io.metarec.bench.KernelBench;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec bench-kernel}: inner-loop throughput of the JVM kernel beside DL4J (no Spark). */
@Command(name = "bench-kernel", mixinStandardHelpOptions = true,
    description = "Time the inner-loop kernel on the reference shape (4 fields x 32, hidden "
        + "64-64, support 20, 5 inner steps) and DL4J MultiLayerNetwork.fit on the same "
        + "shape, in the same run.")
final class BenchKernelCommand implements Callable<Integer> {
  @Option(names = "--threads", paramLabel = "N", description = "Engine threads (default 1).")
  int threads = 1;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
  File json;

  @Override
  public Integer call() throws Exception {
    KernelBench.Result r = KernelBench.run(threads);
    String out = String.format(Locale.ROOT,
        "{\"threads\": %d, \"us_per_task_step\": %.3f, \"gflops\": %.3f, "
            + "\"dl4j_us_per_task_step\": %.3f, \"speedup_vs_dl4j\": %.2f, "
            + "\"flops_per_step\": %.0f, \"shape\": \"%s\"}%n",
        r.threads(), r.usPerTaskStep(), r.gflops(), r.dl4jUsPerTaskStep(), r.speedup(),
        r.flopsPerStep(), r.shape());
    System.out.print(out);
    if (json != null) {
      Files.writeString(json.toPath(), out, StandardCharsets.UTF_8);
    }
    return 0;
  }
}
