package io.metarec.spark;

import io.metarec.config.MetaRecConfig;
import org.apache.spark.sql.SparkSession;

/** Creates the SparkSession of a run that the command line starts itself. */
public final class SparkSessions {
  private SparkSessions() {}

  /**
   * Starts (or joins) a session. The master is {@code masterOption} when given, else the one
   * spark-submit set (system property {@code spark.master}), else {@code spark.master} of the
   * config ({@code local[*]} by default).
   */
  public static SparkSession start(MetaRecConfig cfg, String masterOption, String appName) {
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    String submitted = System.getProperty("spark.master");
    String master = masterOption != null ? masterOption
        : submitted != null ? submitted : cfg.spark().master();
    b.master(master);
    b.config("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    b.config("spark.kryo.registrator", MetaRecKryoRegistrator.class.getName());
    b.config("spark.sql.session.timeZone", "UTC");
    if (master.startsWith("local")) {
      b.config("spark.ui.enabled", cfg.spark().uiEnabled());
      b.config("spark.ui.showConsoleProgress", false);
      // Local runs keep shuffles in memory-sized partitions; AQE coalesces the small ones.
      b.config("spark.sql.adaptive.enabled", true);
    }
    SparkSession spark = b.getOrCreate();
    int shuffle = cfg.spark().shufflePartitions();
    if (shuffle == 0) {
      shuffle = 4 * spark.sparkContext().defaultParallelism();
    }
    spark.conf().set("spark.sql.shuffle.partitions", shuffle);
    return spark;
  }
}
