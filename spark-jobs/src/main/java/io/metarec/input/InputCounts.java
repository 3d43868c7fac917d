package io.metarec.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.metarec.config.InputConfig;
import io.metarec.spark.JobFailedException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What one pass over validated rows ({@link RowValidation#check}) finds, and the reasons build-tasks
 * and recommend refuse an input on it: too many rejected rows, a CSV quote that is never closed,
 * numeric timestamps in the other unit than {@code input.timestampUnit} says.
 *
 * @param rows rows read
 * @param rejected rows rejected
 * @param byReason rejected rows per reason
 * @param afterUntil valid rows at or after the end of {@code input.until} (left out, not rejected)
 * @param labelLow smallest finite label of any row, NaN when there is none
 * @param labelHigh largest finite label of any row, NaN when there is none
 * @param tsNumberLow smallest numeric timestamp as read (in the input's unit), NaN when none
 * @param tsNumberHigh largest numeric timestamp as read, NaN when none
 * @param multiLineMalformed malformed records spanning several lines (a quote left open)
 * @param multiLineExample the file and first line of the first of them, or null
 */
public record InputCounts(
    long rows,
    long rejected,
    Map<String, Long> byReason,
    long afterUntil,
    double labelLow,
    double labelHigh,
    double tsNumberLow,
    double tsNumberHigh,
    long multiLineMalformed,
    String multiLineExample) {

  /** Above this, a numeric timestamp in seconds would be after the year 5138: it is millis. */
  static final double MILLIS_THRESHOLD = 1e11;

  /** Counts {@code checked} in one pass; {@code untilEpochSeconds} is input.until's end. */
  public static InputCounts of(Dataset<Row> checked, long untilEpochSeconds) {
    Column label = col("label");
    Column finiteLabel = when(label.isNotNull().and(not(isnan(label)))
        .and(label.notEqual(Float.POSITIVE_INFINITY)).and(label.notEqual(Float.NEGATIVE_INFINITY)),
        label);
    Column multiLine = col("record").contains("\n");
    List<Row> groups = checked.groupBy("reason").agg(
            count(lit(1)),
            sum(when(col("reason").isNull().and(col("ts").geq(untilEpochSeconds)), 1)
                .otherwise(0)),
            min(finiteLabel), max(finiteLabel),
            min(col("ts_number")), max(col("ts_number")),
            sum(when(multiLine, 1).otherwise(0)),
            min(when(multiLine, concat(col("source_file"), lit("\n"), col("record")))))
        .collectAsList();
    long rows = 0;
    long rejected = 0;
    long afterUntil = 0;
    long multi = 0;
    String example = null;
    double labelLow = Double.NaN;
    double labelHigh = Double.NaN;
    double tsLow = Double.NaN;
    double tsHigh = Double.NaN;
    Map<String, Long> byReason = new LinkedHashMap<>();
    for (Row r : groups) {
      long c = r.getLong(1);
      rows += c;
      if (!r.isNullAt(0)) {
        byReason.put(r.getString(0), c);
        rejected += c;
      }
      afterUntil += r.getLong(2);
      labelLow = lower(labelLow, r.isNullAt(3) ? Double.NaN : decimal(r.getFloat(3)));
      labelHigh = higher(labelHigh, r.isNullAt(4) ? Double.NaN : decimal(r.getFloat(4)));
      tsLow = lower(tsLow, r.isNullAt(5) ? Double.NaN : r.getDouble(5));
      tsHigh = higher(tsHigh, r.isNullAt(6) ? Double.NaN : r.getDouble(6));
      multi += r.getLong(7);
      if (!r.isNullAt(8) && (example == null || r.getString(8).compareTo(example) < 0)) {
        example = r.getString(8);
      }
    }
    return new InputCounts(rows, rejected, byReason, afterUntil, labelLow, labelHigh, tsLow,
        tsHigh, multi, example);
  }

  /**
   * Refuses numeric timestamps that are plainly in the other unit: all above 10^11 read as seconds
   * (after the year 5138: milliseconds), or all below 10^11 read as milliseconds (before
   * 1973-03-03: seconds). The outputs record the resolved config, so the unit is set, not guessed.
   */
  public void checkTimestampUnit(String description, boolean millis) {
    if (Double.isNaN(tsNumberLow)) {
      return;
    }
    if (!millis && tsNumberLow > MILLIS_THRESHOLD) {
      throw new JobFailedException(String.format(Locale.ROOT, "%s: every numeric timestamp is "
          + "above 10^11 (they range from %.0f to %.0f), which in seconds is after the year 5138: "
          + "they look like milliseconds. Set --set input.timestampUnit=millis",
          description, tsNumberLow, tsNumberHigh));
    }
    if (millis && tsNumberHigh < MILLIS_THRESHOLD) {
      throw new JobFailedException(String.format(Locale.ROOT, "%s: every numeric timestamp is "
          + "below 10^11 (they range from %.0f to %.0f), which in milliseconds is before "
          + "1973-03-03: they look like seconds. Set --set input.timestampUnit=seconds "
          + "(the default)", description, tsNumberLow, tsNumberHigh));
    }
  }

  /**
   * Why the input is refused, or null when it is usable: a malformed CSV record spanning several
   * lines (an unclosed quote swallows the records after it, so counting it as one rejected row
   * would hide them), or more than {@code input.maxRejectFraction} of the rows rejected. The message
   * names the input, the top reasons and, for label and timestamp reasons, the observed range and
   * the keys that set the valid one.
   */
  public String problem(RawInput raw, InputConfig in) {
    if (multiLineMalformed > 0) {
      String[] fileAndRecord = multiLineExample.split("\n", 3);
      return String.format(Locale.ROOT, "%s: %d malformed CSV record(s) span several lines, the "
          + "first in %s starting \"%s…\": a quoted field is probably never closed, so the lines "
          + "after it were read into it. Close the quote (a quote inside a quoted field is "
          + "written twice: \"\")", raw.description(), multiLineMalformed, fileAndRecord[0],
          fileAndRecord.length > 1 ? fileAndRecord[1] : "");
    }
    double fraction = rows == 0 ? 0 : (double) rejected / rows;
    if (fraction <= in.maxRejectFraction()) {
      return null;
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%s: %d of %d rows rejected (%.2f%%, above input.maxRejectFraction = %.2f%%); top "
            + "reasons: %s", raw.description(), rejected, rows, 100 * fraction,
        100 * in.maxRejectFraction(), topReasons()));
    boolean movielens = in.format().equals("movielens");
    if (byReason.containsKey("label_out_of_range") && !Double.isNaN(labelLow)) {
      sb.append("; the labels range from ").append(num(labelLow)).append(" to ")
          .append(num(labelHigh)).append(", the valid range is ").append(num(raw.labelMin()))
          .append(" to ").append(num(raw.labelMax()));
      List<String> sets = new ArrayList<>();
      if (labelLow < raw.labelMin()) {
        sets.add("--set input.labelMin=" + num(labelLow));
      }
      if (labelHigh > raw.labelMax()) {
        sets.add("--set input.labelMax=" + num(labelHigh));
      }
      if (!movielens && !sets.isEmpty()) {
        sb.append(" (input.labelMin, input.labelMax): if these are valid ratings, ")
            .append(String.join(" ", sets));
      }
    }
    if ((byReason.containsKey("negative_timestamp")
        || byReason.containsKey("timestamp_out_of_range")) && !Double.isNaN(tsNumberLow)) {
      sb.append(String.format(Locale.ROOT, "; the numeric timestamps range from %.0f to %.0f, "
          + "read as %s (input.timestampUnit); valid times are 1970-01-01 to 9999-12-31",
          tsNumberLow, tsNumberHigh, raw.timestampMillis() ? "milliseconds" : "seconds"));
    }
    if (byReason.containsKey("malformed_csv")) {
      sb.append("; a malformed_csv record has more or fewer fields than the header: check "
          + "input.csv.delimiter ('").append(in.csvDelimiter().replace("\t", "\\t"))
          .append("') and the quoting");
    }
    if (byReason.containsKey("malformed_json")) {
      sb.append("; a malformed_json line is not exactly one JSON object");
    }
    return sb.toString();
  }

  /** The three most frequent reasons with their counts, e.g. "missing_user 12, missing_item 3". */
  public String topReasons() {
    List<Map.Entry<String, Long>> list = new ArrayList<>(byReason.entrySet());
    list.sort(Map.Entry.<String, Long>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey()));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(3, list.size()); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(list.get(i).getKey()).append(' ').append(list.get(i).getValue());
    }
    return sb.toString();
  }

  /** A float label as the decimal it was written as (4.1f → 4.1, not 4.099999904632568). */
  private static double decimal(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  private static String num(double d) {
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  private static double lower(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
  }

  private static double higher(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
  }
}
