package io.metarec.spark;

import io.metarec.config.MetaRecConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;

/** Creates the SparkSession of a run that the command line starts itself. */
public final class SparkSessions {
  private SparkSessions() {}

  /**
   * Spark's broadcast block size for runs that do not set it. Spark's 4 MiB default makes every θ
   * broadcast (one per training iteration) allocate a 4 MiB buffer whatever θ's size: a humongous
   * object for G1 at heaps up to 8 GiB, and on MovieLens-100K (385 KB θ, local[2]) a young
   * collection every 8 iterations that stops the executor threads too. At 1 MiB: no humongous
   * allocations, 3.1 ms per broadcast instead of 5.2 (BENCHMARKS.md, "Meta-training").
   */
  static final String BROADCAST_BLOCK_SIZE = "1m";

  /**
   * The Spark properties a run started by the command line sets on top of spark-submit's:
   * Kryo with MetaRec's registrator, UTC, the broadcast block size unless {@code sys} (the system
   * properties, where spark-submit puts {@code --conf}) sets one, and for local masters the UI
   * switch, no console progress bar and adaptive query execution.
   */
  static Map<String, String> options(MetaRecConfig cfg, String master, Properties sys) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    o.put("spark.kryo.registrator", MetaRecKryoRegistrator.class.getName());
    o.put("spark.sql.session.timeZone", "UTC");
    if (sys.getProperty("spark.broadcast.blockSize") == null) {
      o.put("spark.broadcast.blockSize", BROADCAST_BLOCK_SIZE);
    }
    if (master.startsWith("local")) {
      o.put("spark.ui.enabled", Boolean.toString(cfg.spark().uiEnabled()));
      o.put("spark.ui.showConsoleProgress", "false");
      // Local runs keep shuffles in memory-sized partitions; AQE coalesces the small ones.
      o.put("spark.sql.adaptive.enabled", "true");
    }
    return o;
  }

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
    options(cfg, master, System.getProperties()).forEach(b::config);
    SparkSession spark = b.getOrCreate();
    int shuffle = cfg.spark().shufflePartitions();
    if (shuffle == 0) {
      shuffle = 4 * spark.sparkContext().defaultParallelism();
    }
    spark.conf().set("spark.sql.shuffle.partitions", shuffle);
    return spark;
  }
}
