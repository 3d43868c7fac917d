package io.metarec.cli;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every job command takes: configuration and Spark master. */
public final class CommonOptions {
  @Option(names = "--conf", paramLabel = "FILE",
      description = "Config file (HOCON .conf, JSON or .properties) with the keys to change; "
          + "defaults and every key: conf/metarec.conf.")
  File conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one config key, e.g. --set split.test=0.2 (repeatable; wins over --conf).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master, e.g. local[2], spark://host:7077, yarn. Default: the one "
          + "spark-submit set, else spark.master (local[*]).")
  String master;
}
