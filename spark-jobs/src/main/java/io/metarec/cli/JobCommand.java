package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.spark.SparkSessions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;

/**
 * A command that runs one Spark job: parse options, validate the whole config (no Spark yet), start
 * a session, run the job, stop the session.
 */
abstract class JobCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  /** The command's own options as config keys (null values are ignored). */
  abstract Map<String, Object> options();

  /** Checks that need the resolved config but no Spark (required keys, existing inputs). */
  void check(MetaRecConfig cfg) {}

  /** Runs the job. */
  abstract void run(SparkSession spark, MetaRecConfig cfg);

  /** Builds an options map skipping nulls. */
  static Map<String, Object> opts(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        m.put((String) keyValues[i], keyValues[i + 1]);
      }
    }
    return m;
  }

  @Override
  public Integer call() {
    MetaRecConfig cfg = MetaRecConfig.load(common.conf, common.sets, options());
    check(cfg);
    SparkSession spark = SparkSessions.start(cfg, common.master, "metarec " + name());
    try {
      run(spark, cfg);
    } finally {
      spark.stop();
    }
    return 0;
  }

  /** The command's name, for the application name. */
  abstract String name();
}
