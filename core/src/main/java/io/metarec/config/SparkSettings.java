package io.metarec.config;

import java.io.Serializable;

/**
 * Spark settings for runs the CLI starts itself.
 *
 * @param master the master of local runs ({@code spark.master}, default {@code local[*]}); a
 *     master given by spark-submit or {@code --master} wins
 * @param shufflePartitions {@code spark.sql.shuffle.partitions} for the data jobs; 0 picks 4 × the
 *     default parallelism ({@code spark.shufflePartitions}, >= 0)
 * @param uiEnabled whether local runs start the Spark web UI ({@code spark.ui})
 */
public record SparkSettings(String master, int shufflePartitions, boolean uiEnabled)
    implements Serializable {

  /** Validates the settings. */
  public SparkSettings {
    Checks.nonBlank("spark.master", master);
    Checks.intAtLeast("spark.shufflePartitions", shufflePartitions, 0);
  }

  static SparkSettings from(ConfigReader r) {
    return new SparkSettings(
        r.getString("spark.master"), r.getInt("spark.shufflePartitions"), r.getBoolean("spark.ui"));
  }
}
