package io.metarec.jobs.tasks;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Row validation of an interaction log. Every row gets either parsed values or the first reason it
 * is rejected for: {@code missing_user}, {@code missing_item}, {@code missing_label},
 * {@code unparseable_label}, {@code non_finite_label}, {@code label_out_of_range},
 * {@code missing_timestamp}, {@code unparseable_timestamp}.
 */
public final class Validation {
  private Validation() {}

  /**
   * The events with parsed columns {@code user, item} (trimmed text), {@code label} (float; 1 for
   * implicit feedback), {@code ts} (epoch seconds), {@code reason} (null for valid rows) and the raw
   * text of each input column ({@code raw_user, raw_item, raw_label, raw_timestamp}) plus
   * {@code source_file}, for the rejects.
   */
  public static Dataset<Row> check(RawInput in, boolean implicit) {
    Dataset<Row> e = in.events();
    Column user = trim(col("user").cast("string"));
    Column item = trim(col("item").cast("string"));
    Column labelText = col("label").cast("string");
    Column label = parseDouble(col("label"), e.schema().apply("label").dataType());
    Column tsText = col("timestamp").cast("string");
    Column ts = parseEpochSeconds(
        col("timestamp"), e.schema().apply("timestamp").dataType(), in.timestampMillis());
    Column reason = when(user.isNull().or(user.equalTo("")), lit("missing_user"))
        .when(item.isNull().or(item.equalTo("")), lit("missing_item"));
    if (!implicit) {
      reason = reason
          .when(labelText.isNull().or(trim(labelText).equalTo("")), lit("missing_label"))
          .when(label.isNull(), lit("unparseable_label"))
          .when(isnan(label).or(label.equalTo(Double.POSITIVE_INFINITY))
              .or(label.equalTo(Double.NEGATIVE_INFINITY)), lit("non_finite_label"))
          .when(label.lt(in.labelMin()).or(label.gt(in.labelMax())), lit("label_out_of_range"));
    }
    reason = reason
        .when(tsText.isNull().or(trim(tsText).equalTo("")), lit("missing_timestamp"))
        .when(ts.isNull(), lit("unparseable_timestamp"));
    return e.select(
        user.as("user"),
        item.as("item"),
        (implicit ? lit(1.0f) : label.cast("float")).as("label"),
        ts.as("ts"),
        reason.as("reason"),
        col("user").cast("string").as("raw_user"),
        col("item").cast("string").as("raw_item"),
        labelText.as("raw_label"),
        tsText.as("raw_timestamp"),
        col("source_file"));
  }

  /**
   * The rejected rows of a {@link #check} result as they are kept next to an output: the raw
   * {@code user, item, label, timestamp} text, the {@code reason} and the {@code source_file}.
   */
  public static Dataset<Row> rejects(Dataset<Row> checked) {
    return checked.filter(col("reason").isNotNull())
        .select(col("raw_user").as("user"), col("raw_item").as("item"),
            col("raw_label").as("label"), col("raw_timestamp").as("timestamp"),
            col("reason"), col("source_file"));
  }

  private static Column parseDouble(Column c, DataType type) {
    return type instanceof StringType ? trim(c).cast("double") : c.cast("double");
  }

  /** Numbers in seconds (or millis), ISO-8601 text, timestamps and dates → epoch seconds. */
  static Column parseEpochSeconds(Column c, DataType type, boolean millis) {
    double div = millis ? 1000.0 : 1.0;
    if (type instanceof NumericType) {
      return floor(c.cast("double").divide(div)).cast("long");
    }
    if (type instanceof TimestampType) {
      return c.cast("long");
    }
    if (type instanceof DateType) {
      return c.cast("timestamp").cast("long");
    }
    Column t = trim(c.cast("string"));
    Column numeric = floor(t.cast("double").divide(div)).cast("long");
    return when(t.rlike("^-?[0-9]+(\\.[0-9]+)?$"), numeric)
        .otherwise(t.cast(DataTypes.TimestampType).cast("long"));
  }
}
