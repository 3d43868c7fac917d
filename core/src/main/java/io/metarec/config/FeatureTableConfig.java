package io.metarec.config;

import java.io.Serializable;
import java.util.List;

/**
 * An optional table of categorical features keyed by user or item id.
 *
 * @param path file or folder; empty = no table ({@code <prefix>.path})
 * @param format {@code parquet|csv|json} ({@code <prefix>.format})
 * @param key the id column ({@code <prefix>.key})
 * @param columns the feature columns; empty = every column but the key ({@code <prefix>.columns})
 * @param multiValued columns holding several values: arrays, or text split on {@code separator}
 *     (array columns are always multi-valued) ({@code <prefix>.multiValued})
 * @param separator separator of multi-valued text columns ({@code <prefix>.separator})
 */
public record FeatureTableConfig(
    String path,
    String format,
    String key,
    List<String> columns,
    List<String> multiValued,
    String separator)
    implements Serializable {

  /** Validates the values; {@code prefix} names the keys in messages. */
  public FeatureTableConfig {
    columns = List.copyOf(columns);
    multiValued = List.copyOf(multiValued);
  }

  /** True when a table is configured. */
  public boolean present() {
    return path != null && !path.isBlank();
  }

  /** A copy reading {@code newPath} instead. */
  public FeatureTableConfig withPath(String newPath) {
    return new FeatureTableConfig(newPath, format, key, columns, multiValued, separator);
  }

  static FeatureTableConfig from(ConfigReader r, String prefix) {
    String format = Checks.oneOf(prefix + ".format", r.getString(prefix + ".format"),
        List.of("parquet", "csv", "json"));
    String key = Checks.nonBlank(prefix + ".key", r.getString(prefix + ".key"));
    String sep = r.getString(prefix + ".separator");
    if (sep.isEmpty()) {
      throw new ConfigValidationException(prefix + ".separator must not be empty");
    }
    return new FeatureTableConfig(
        r.getString(prefix + ".path"), format, key,
        r.getStringList(prefix + ".columns"), r.getStringList(prefix + ".multiValued"), sep);
  }
}
