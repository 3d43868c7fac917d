package io.metarec.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
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
 * is rejected for: {@code malformed_csv} or {@code malformed_json} (the record could not be split
 * into fields), {@code missing_user}, {@code missing_item}, {@code missing_label},
 * {@code unparseable_label}, {@code non_finite_label}, {@code label_out_of_range},
 * {@code missing_weight}, {@code unparseable_weight}, {@code weight_not_positive} (implicit
 * feedback with a count column), {@code missing_timestamp}, {@code unparseable_timestamp},
 * {@code negative_timestamp} (before 1970), {@code timestamp_out_of_range} (after 9999-12-31, or
 * too large for a number).
 */
public final class RowValidation {
  /** The last epoch second accepted: 9999-12-31T23:59:59Z, the end of Spark's timestamp range. */
  public static final long MAX_EPOCH_SECONDS = 253402300799L;

  private RowValidation() {}

  /**
   * The weight of an implicit event whose summed count is {@code count}: {@code log2(1 + count)}
   * as a float, what {@code Losses.confidenceOfCount} gives the serving API for the same count
   * (Spark's log2 is {@code StrictMath.log(x) / StrictMath.log(2)}, as there).
   */
  public static Column confidenceOfCount(Column count) {
    return org.apache.spark.sql.functions.log2(lit(1.0).plus(count)).cast("float");
  }

  /**
   * The events with parsed columns {@code user, item} (trimmed text), {@code label} (float; 1 for
   * implicit feedback), {@code ts} (epoch seconds), {@code reason} (null for valid rows), the raw
   * text of each input column ({@code raw_user, raw_item, raw_label, raw_timestamp}), the raw text
   * of a malformed record ({@code record}), the value of a numeric timestamp as read, in the
   * input's unit ({@code ts_number}, null for text and timestamp columns), and {@code source_file}.
   */
  public static Dataset<Row> check(RawInput in, boolean implicit) {
    return check(in, implicit, false);
  }

  /**
   * As {@link #check(RawInput, boolean)}; with {@code weighted} (implicit feedback with {@code
   * input.columns.weight}) the label column holds each event's count, which must be a finite
   * number {@code > 0} ({@code missing_weight}, {@code unparseable_weight}, {@code
   * weight_not_positive}: infinite and NaN are unparseable), and {@code label} is that count.
   */
  public static Dataset<Row> check(RawInput in, boolean implicit, boolean weighted) {
    Dataset<Row> e = in.events();
    boolean hasRecords = Arrays.asList(e.columns()).contains("record");
    Column malformed = hasRecords ? col("malformed") : lit(null).cast("string");
    Column record = hasRecords ? col("record") : lit(null).cast("string");
    Column user = trim(col("user").cast("string"));
    Column item = trim(col("item").cast("string"));
    Column labelText = col("label").cast("string");
    Column label = parseDouble(col("label"), e.schema().apply("label").dataType());
    Column tsText = col("timestamp").cast("string");
    DataType tsType = e.schema().apply("timestamp").dataType();
    Column seconds = epochSeconds(col("timestamp"), tsType, in.timestampMillis());
    Column reason = when(malformed.isNotNull(), malformed)
        .when(user.isNull().or(user.equalTo("")), lit("missing_user"))
        .when(item.isNull().or(item.equalTo("")), lit("missing_item"));
    if (!implicit) {
      reason = reason
          .when(labelText.isNull().or(trim(labelText).equalTo("")), lit("missing_label"))
          .when(label.isNull(), lit("unparseable_label"))
          .when(isnan(label).or(label.equalTo(Double.POSITIVE_INFINITY))
              .or(label.equalTo(Double.NEGATIVE_INFINITY)), lit("non_finite_label"))
          .when(label.lt(in.labelMin()).or(label.gt(in.labelMax())), lit("label_out_of_range"));
    } else if (weighted) {
      reason = reason
          .when(labelText.isNull().or(trim(labelText).equalTo("")), lit("missing_weight"))
          .when(label.isNull().or(isnan(label)).or(label.equalTo(Double.POSITIVE_INFINITY))
              .or(label.equalTo(Double.NEGATIVE_INFINITY)), lit("unparseable_weight"))
          .when(label.leq(0), lit("weight_not_positive"));
    }
    reason = reason
        .when(tsText.isNull().or(trim(tsText).equalTo("")), lit("missing_timestamp"))
        .when(seconds.isNull().or(isnan(seconds)), lit("unparseable_timestamp"))
        .when(seconds.lt(0), lit("negative_timestamp"))
        .when(seconds.geq(MAX_EPOCH_SECONDS + 1), lit("timestamp_out_of_range"));
    Column inRange = seconds.geq(0).and(seconds.lt(MAX_EPOCH_SECONDS + 1));
    return e.select(
        user.as("user"),
        item.as("item"),
        (implicit && !weighted ? lit(1.0f) : label.cast("float")).as("label"),
        when(inRange, floor(seconds)).as("ts"),
        reason.as("reason"),
        col("user").cast("string").as("raw_user"),
        col("item").cast("string").as("raw_item"),
        labelText.as("raw_label"),
        tsText.as("raw_timestamp"),
        record.as("record"),
        numericValue(col("timestamp"), tsType).as("ts_number"),
        col("source_file"));
  }

  /**
   * The rejected rows of a {@link #check} result as they are kept next to an output: the raw
   * {@code user, item, label, timestamp} text, the {@code reason}, the {@code source_file} and,
   * for a malformed record, its raw text ({@code record}; null for the other reasons).
   */
  public static Dataset<Row> rejects(Dataset<Row> checked) {
    return checked.filter(col("reason").isNotNull())
        .select(col("raw_user").as("user"), col("raw_item").as("item"),
            col("raw_label").as("label"), col("raw_timestamp").as("timestamp"),
            col("reason"), col("source_file"), col("record"));
  }

  private static Column parseDouble(Column c, DataType type) {
    return type instanceof StringType ? trim(c).cast("double") : c.cast("double");
  }

  /** Text that is a plain decimal number (a numeric timestamp written as text). */
  private static final String NUMBER = "^-?[0-9]+(\\.[0-9]+)?$";

  /**
   * Epoch seconds as a double, not yet rounded down, so that a value too large for a long is seen
   * as such (Spark's {@code floor} and casts to long saturate at {@link Long#MAX_VALUE}): numbers
   * in seconds (or millis), ISO-8601 text, timestamps and dates; null when unparseable.
   */
  static Column epochSeconds(Column c, DataType type, boolean millis) {
    double div = millis ? 1000.0 : 1.0;
    if (type instanceof NumericType) {
      return c.cast("double").divide(div);
    }
    if (type instanceof TimestampType) {
      return c.cast("double");
    }
    if (type instanceof DateType) {
      return c.cast("timestamp").cast("long").cast("double");
    }
    Column t = trim(c.cast("string"));
    Column numeric = t.cast("double").divide(div);
    return when(t.rlike(NUMBER), numeric)
        .otherwise(t.cast(DataTypes.TimestampType).cast("long").cast("double"));
  }

  /** A numeric timestamp's value as read (before the unit is applied); null for the others. */
  static Column numericValue(Column c, DataType type) {
    if (type instanceof NumericType) {
      return c.cast("double");
    }
    if (type instanceof StringType) {
      Column t = trim(c);
      return when(t.rlike(NUMBER), t.cast("double"));
    }
    return lit(null).cast("double");
  }
}
