package io.metarec.jobs.tasks;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Counts per split and the distribution of interactions per task, from a written task set. */
public final class TaskStats {
  private static final double[] QUANTILES = {0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1};

  private TaskStats() {}

  /** {@code splits} (users, support and query interactions per split) and {@code interactionsPerTask}. */
  public static Map<String, Object> of(Dataset<Row> tasks) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> splits = new LinkedHashMap<>();
    for (String s : List.of("train", "validation", "test")) {
      splits.put(s, Map.of("tasks", 0L, "supportInteractions", 0L, "queryInteractions", 0L));
    }
    long totalTasks = 0;
    for (Row r : tasks.groupBy("split")
        .agg(count("*"), sum(size(col("support_items"))), sum(size(col("query_items"))))
        .collectAsList()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tasks", r.getLong(1));
      m.put("supportInteractions", r.getLong(2));
      m.put("queryInteractions", r.getLong(3));
      splits.put(r.getString(0), m);
      totalTasks += r.getLong(1);
    }
    out.put("splits", splits);
    out.put("tasks", totalTasks);
    Map<String, Object> q = new LinkedHashMap<>();
    if (totalTasks > 0) {
      StringBuilder arr = new StringBuilder();
      for (double d : QUANTILES) {
        arr.append(arr.length() == 0 ? "" : ",").append(d);
      }
      Row r = tasks.select(expr("size(support_items) + size(query_items)").as("n"))
          .agg(expr("percentile(n, array(" + arr + "))"), avg(col("n"))).first();
      List<Object> vals = r.getList(0);
      for (int i = 0; i < QUANTILES.length; i++) {
        String name = QUANTILES[i] == 0 ? "min" : QUANTILES[i] == 1 ? "max"
            : "p" + Math.round(QUANTILES[i] * 100);
        q.put(name, ((Number) vals.get(i)).doubleValue());
      }
      q.put("mean", r.getDouble(1));
    }
    out.put("interactionsPerTask", q);
    return out;
  }
}
