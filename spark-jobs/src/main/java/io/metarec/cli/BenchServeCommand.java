package io.metarec.cli;

import io.metarec.bench.ServeBench;
import io.metarec.config.MetaRecConfig;
import io.metarec.io.ModelFolderException;
import io.metarec.serve.History;
import io.metarec.serve.MetaRecModel;
import io.metarec.spark.JobFailedException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code metarec bench-serve}: latency of the serving API in process, and over HTTP (no Spark). */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
    description = "Time one serving request (adapt a new user to --history interactions, then the "
        + "top --n over the whole catalog) in process on one thread and on all cores, exact and "
        + "two-stage (with recall@n against exact), and with --http-seconds a bounded HTTP load on "
        + "loopback. The JSON's top-level p50_us/p99_us are one thread at the first --rerank.")
final class BenchServeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR", required = true, description = "Model folder.")
  File model;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON.")
  File json;

  @Option(names = "--rerank", paramLabel = "C,...", split = ",",
      description = "Two-stage candidate counts to time, 0 = exact; the first is the headline "
          + "(default: serve.rerank, then 0, 50, 100, 500).")
  List<Integer> rerank;

  @Option(names = "--history", paramLabel = "K", description = "Interactions per request (default 20).")
  int history = 20;

  @Option(names = "--n", paramLabel = "N", description = "List length (default 10).")
  int n = 10;

  @Option(names = "--users", paramLabel = "U", description = "Distinct histories (default 500).")
  int users = 500;

  @Option(names = "--histories", paramLabel = "FILE",
      description = "Real histories: user, item, rating[, timestamp] per line (comma or tab, e.g. "
          + "ml-100k's u.data); each user's first --history interactions. Default: drawn from the "
          + "model (items by popularity, ratings uniform).")
  File histories;

  @Option(names = "--seconds", paramLabel = "S", description = "Timed seconds per configuration (default 5).")
  double seconds = 5;

  @Option(names = "--threads", paramLabel = "T",
      description = "Threads of the all-cores configuration (default: the machine's cores).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--recall-users", paramLabel = "U",
      description = "Users the two-stage recall is measured on (default 200).")
  int recallUsers = 200;

  @Option(names = "--items", paramLabel = "N",
      description = "Scale the catalog to N items by copying the model's item rows with 1% noise "
          + "(timing larger catalogs than the model has; default: the model's).")
  int items;

  @Option(names = "--http-seconds", paramLabel = "S",
      description = "Seconds of an HTTP load run on loopback after the in-process runs (default 0: none).")
  double httpSeconds;

  @Option(names = "--http-clients", paramLabel = "C",
      description = "Keep-alive connections of the HTTP load run (default 4).")
  int httpClients = 4;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (serve.rerank).")
  List<String> sets = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (history < 1 || n < 1 || users < 1 || seconds <= 0 || threads < 1 || httpClients < 1
        || httpSeconds < 0 || recallUsers < 1 || items < 0) {
      throw new ParameterException(spec.commandLine(), "--history, --n, --users, --seconds, "
          + "--threads, --recall-users, --http-clients must be positive, --http-seconds and "
          + "--items non-negative");
    }
    MetaRecConfig cfg = MetaRecConfig.load(null, sets, Map.of());
    List<Integer> counts = rerank != null ? rerank
        : List.of(cfg.serve().rerank(), 0, 50, 100, 500);
    MetaRecModel m;
    try {
      m = MetaRecModel.load(model.toPath());
    } catch (ModelFolderException e) {
      throw new JobFailedException(e.getMessage(), e);
    }
    if (items > 0 && items != m.itemCount() + 1) {
      m = ServeBench.scaled(m, items, 42);
    }
    List<History> hs = histories != null
        ? ServeBench.readHistories(histories.toPath(), m, history, users)
        : ServeBench.drawHistories(m, history, users, 42);
    String source = histories != null ? histories + " (first " + history + " per user, "
        + hs.size() + " users)" : "drawn from the model (" + hs.size() + " users)";
    Map<String, Object> out = ServeBench.run(m, hs, new ServeBench.Plan(counts, history, n,
        users, seconds, threads, recallUsers, httpSeconds, httpClients), source);
    String text = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
        .writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n";
    System.out.print(text);
    if (json != null) {
      Files.writeString(json.toPath(), text, StandardCharsets.UTF_8);
    }
    return 0;
  }
}
