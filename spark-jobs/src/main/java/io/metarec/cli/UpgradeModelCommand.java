package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.store.ModelFiles;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metarec upgrade-model}: adds to a model folder written by an older build what this
 * build's folders have: {@code vocab/text/}, the vocabularies the serving API reads without Spark.
 */
@Command(name = "upgrade-model", mixinStandardHelpOptions = true,
    description = "Add vocab/text/ (the model's vocabularies and item table as JSON lines, read by "
        + "serve and the Java serving API without Spark) to a model folder written before it "
        + "existed; the folder is checked first and nothing else in it changes.")
final class UpgradeModelCommand extends JobCommand {
  @Option(names = "--model", paramLabel = "DIR", required = true, description = "Model folder.")
  String model;

  @Override
  Map<String, Object> options() {
    return Map.of();
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    boolean wrote = ModelFiles.upgrade(spark, model);
    System.out.println(wrote ? "upgrade-model: wrote " + model + "/vocab/text"
        : "upgrade-model: " + model + " is up to date (it has vocab/text)");
  }

  @Override
  String name() {
    return "upgrade-model";
  }
}
