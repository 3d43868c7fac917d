package io.metarec.config;

import java.io.Serializable;

/**
 * The HTTP endpoint of {@code metarec serve} ({@code serve.*}; see {@code conf/metarec.conf}).
 *
 * @param model model folder to serve ({@code serve.model}); empty with a registry
 * @param registry model registry of {@code metarec nightly} ({@code serve.registry}): serve the
 *     model its {@code latest.json} names and reload when that changes; empty for none
 * @param host address to listen on ({@code serve.host})
 * @param port port to listen on, 0 for any free one, in [0, 65535] ({@code serve.port})
 * @param threads request threads, 0 for the machine's cores, in [0, 1024] ({@code serve.threads})
 * @param rerank lists over the catalog: 0 exact, C &gt; 0 two-stage with C rescored candidates
 *     of the linear part, {@code >= 0} ({@code serve.rerank})
 * @param defaultN list length when a request gives none, in [1, maxN] ({@code serve.defaultN})
 * @param maxN the longest list, and the most items one {@code /score} request scores, {@code >= 1}
 *     ({@code serve.maxN})
 * @param maxHistory the longest history a request may carry, {@code >= 1} ({@code serve.maxHistory})
 * @param maxBodyBytes the largest request body, in [1024, 2^30] ({@code serve.maxBodyBytes})
 * @param pollSeconds seconds between two reads of the registry's {@code latest.json}, in
 *     [0.05, 86400] ({@code serve.pollSeconds})
 * @param shutdownSeconds seconds a shutdown waits for requests in flight, in [0, 3600]
 *     ({@code serve.shutdownSeconds})
 */
public record ServeConfig(String model, String registry, String host, int port, int threads,
    int rerank, int defaultN, int maxN, int maxHistory, int maxBodyBytes, double pollSeconds,
    int shutdownSeconds) implements Serializable {

  public ServeConfig {
    Checks.intIn("serve.port", port, 0, 65_535);
    Checks.intIn("serve.threads", threads, 0, 1024);
    Checks.intAtLeast("serve.rerank", rerank, 0);
    Checks.intAtLeast("serve.maxN", maxN, 1);
    // Cross-field rule: the default list must be one a request could ask for.
    Checks.intIn("serve.defaultN", defaultN, 1, maxN);
    Checks.intAtLeast("serve.maxHistory", maxHistory, 1);
    Checks.intIn("serve.maxBodyBytes", maxBodyBytes, 1024, 1 << 30);
    Checks.doubleIn("serve.pollSeconds", pollSeconds, 0.05, 86_400);
    Checks.intIn("serve.shutdownSeconds", shutdownSeconds, 0, 3600);
    Checks.nonBlank("serve.host", host);
  }

  /** The request threads: {@link #threads}, or the machine's cores when 0. */
  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }

  static ServeConfig from(ConfigReader r) {
    return new ServeConfig(r.getString("serve.model"), r.getString("serve.registry"),
        r.getString("serve.host"), r.getInt("serve.port"), r.getInt("serve.threads"),
        r.getInt("serve.rerank"), r.getInt("serve.defaultN"), r.getInt("serve.maxN"),
        r.getInt("serve.maxHistory"), r.getInt("serve.maxBodyBytes"),
        r.getDouble("serve.pollSeconds"), r.getInt("serve.shutdownSeconds"));
  }
}
