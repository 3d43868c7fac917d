package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.config.ServeConfig;
import io.metarec.io.ModelFolderException;
import io.metarec.serve.MetaRecModel;
import io.metarec.serve.http.ServeServer;
import io.metarec.spark.JobFailedException;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metarec serve}: the HTTP JSON endpoint over the serving API (no Spark is started). Runs
 * until SIGTERM or Ctrl-C, then stops gracefully ({@link ServeServer#stop}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve a model over HTTP (JDK server, no Spark): POST /recommend and /score adapt "
        + "a new user to the history in the request and rank or score items; GET /health, GET "
        + "/model. With --registry, serve the nightly registry's latest version and reload it when "
        + "latest.json changes. Stops gracefully on SIGTERM. Settings: serve.* in "
        + "conf/metarec.conf.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "DIR", description = "Model folder (serve.model).")
  String model;

  @Option(names = "--registry", paramLabel = "DIR",
      description = "Model registry of metarec nightly (serve.registry).")
  String registry;

  @Option(names = "--port", paramLabel = "PORT", description = "Port (serve.port, default 8080; 0 = any free one).")
  Integer port;

  @Option(names = "--host", paramLabel = "ADDRESS",
      description = "Address to listen on (serve.host, default 127.0.0.1).")
  String host;

  @Option(names = "--threads", paramLabel = "N",
      description = "Request threads (serve.threads, default 0 = the machine's cores).")
  Integer threads;

  @Option(names = "--conf", paramLabel = "FILE", description = "Config file with the keys to change.")
  File conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable).")
  List<String> sets = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    MetaRecConfig cfg = MetaRecConfig.load(conf, sets, JobCommand.opts("serve.model", model,
        "serve.registry", registry, "serve.port", port, "serve.host", host, "serve.threads",
        threads));
    ServeConfig sc = cfg.serve();
    if (sc.model().isBlank() == sc.registry().isBlank()) {
      throw new JobFailedException("serve needs exactly one of --model DIR (serve.model) and "
          + "--registry DIR (serve.registry)");
    }
    ServeServer server;
    try {
      server = ServeServer.start(sc, MetaRecModel.Options.DEFAULTS.withRerank(sc.rerank()));
    } catch (ModelFolderException e) {
      throw new JobFailedException(e.getMessage(), e);
    } catch (java.net.BindException e) {
      throw new JobFailedException("cannot listen on " + sc.host() + ":" + sc.port() + ": "
          + e.getMessage() + " (another server there? --port 0 takes any free port)", e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      System.out.println("serve: stopped");
      System.out.flush();
    }, "metarec-serve-stop"));
    MetaRecModel m = server.model();
    System.out.printf(Locale.ROOT, "serve: %s (%d items) on http://%s:%d with %d threads%n",
        m.version(), m.itemCount(), sc.host(), server.port(), sc.resolvedThreads());
    System.out.flush();
    server.awaitStopped();
    return 0;
  }
}
