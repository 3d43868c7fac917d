package io.metarec.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A stable value → index table. Index 0 is reserved for unknown or missing values and is not
 * listed; known values have 1..size-1. Extending a vocabulary never renumbers an existing value:
 * new values get the next indices, ordered by count (descending) then value, so the result does
 * not depend on the order rows arrive in.
 */
public final class Vocabulary {
  /** Schema of a stored vocabulary: value, index, count in the run that wrote it. */
  public static final StructType SCHEMA = new StructType()
      .add("value", DataTypes.StringType, false)
      .add("index", DataTypes.IntegerType, false)
      .add("count", DataTypes.LongType, false);

  private final Map<String, Integer> index;
  private final Map<String, Long> counts;
  private final int added;

  private Vocabulary(Map<String, Integer> index, Map<String, Long> counts, int added) {
    this.index = index;
    this.counts = counts;
    this.added = added;
  }

  /** An empty vocabulary (only the reserved index 0). */
  public static Vocabulary empty() {
    return new Vocabulary(new LinkedHashMap<>(), new HashMap<>(), 0);
  }

  /** Reads a stored vocabulary; checks that indices are unique and positive. */
  public static Vocabulary read(SparkSession spark, String path) {
    Map<String, Integer> idx = new LinkedHashMap<>();
    boolean[] seen = null;
    List<Row> rows = spark.read().schema(SCHEMA).parquet(path).collectAsList();
    int max = 0;
    for (Row r : rows) {
      max = Math.max(max, r.getInt(1));
    }
    seen = new boolean[max + 1];
    for (Row r : rows) {
      int i = r.getInt(1);
      if (i <= 0 || seen[i] || idx.containsKey(r.getString(0))) {
        throw new IllegalStateException("vocabulary " + path + " is corrupt: value '"
            + r.getString(0) + "' has index " + i + " (indices must be unique and >= 1)");
      }
      seen[i] = true;
      idx.put(r.getString(0), i);
    }
    return new Vocabulary(idx, new HashMap<>(), 0);
  }

  /**
   * This vocabulary extended by the values of {@code newCounts} it lacks; every count is recorded
   * for the run's table.
   */
  public Vocabulary extend(Map<String, Long> newCounts) {
    Map<String, Integer> idx = new LinkedHashMap<>(index);
    int next = size();
    List<Map.Entry<String, Long>> fresh = new ArrayList<>();
    for (Map.Entry<String, Long> e : newCounts.entrySet()) {
      if (e.getKey() != null && !idx.containsKey(e.getKey())) {
        fresh.add(e);
      }
    }
    fresh.sort(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).reversed()
        .thenComparing(Map.Entry::getKey));
    for (Map.Entry<String, Long> e : fresh) {
      idx.put(e.getKey(), next++);
    }
    return new Vocabulary(idx, new HashMap<>(newCounts), fresh.size());
  }

  /** Number of indices including the reserved 0 (the size of an embedding table over it). */
  public int size() {
    int max = 0;
    for (int i : index.values()) {
      max = Math.max(max, i);
    }
    return max + 1;
  }

  /** Values added by the last {@link #extend}. */
  public int added() {
    return added;
  }

  /** The index of {@code value}, or 0 when unknown. */
  public int indexOf(String value) {
    Integer i = index.get(value);
    return i == null ? 0 : i;
  }

  /** The values and their indices, in index order. */
  public Map<String, Integer> entries() {
    return index;
  }

  /** The vocabulary as a DataFrame (value, index, count). */
  public Dataset<Row> toDataFrame(SparkSession spark) {
    List<Row> rows = new ArrayList<>(index.size());
    for (Map.Entry<String, Integer> e : index.entrySet()) {
      rows.add(RowFactory.create(e.getKey(), e.getValue(), counts.getOrDefault(e.getKey(), 0L)));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }
}
