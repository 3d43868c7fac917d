package io.metarec.config;

import java.io.Serializable;
import java.util.List;

/**
 * How build-tasks (and recommend) read an interaction log and its optional feature tables.
 *
 * @param path the interaction log: a file or folder ({@code input.path})
 * @param format {@code parquet|csv|json|movielens} ({@code input.format}); {@code json} is JSON
 *     lines, {@code movielens} detects the ml-100k, ml-1m and ml-latest layouts in a folder
 * @param feedback {@code explicit} (the label column holds ratings) or {@code implicit} (every row
 *     is a positive; no label column is read) ({@code input.feedback})
 * @param userColumn column of the user id ({@code input.columns.user})
 * @param itemColumn column of the item id ({@code input.columns.item})
 * @param labelColumn column of the rating ({@code input.columns.label}; explicit feedback only)
 * @param timestampColumn column of the event time ({@code input.columns.timestamp}): numbers in
 *     {@code timestampUnit}, ISO-8601 text or a timestamp type; "" for a log without event times
 *     (allowed with {@code tasks.ordering = random}, which also reads a log that lacks the column)
 * @param weightColumn column of an implicit event's count ({@code input.columns.weight}, e.g. play
 *     counts; "" = none, every event alike): a positive number per row, summed over a (user,
 *     item)'s duplicate rows, whose confidence {@code log2(1 + count)} weights the event in the
 *     training losses and the exact user solve (Hu, Koren and Volinsky 2008); implicit feedback
 *     only
 * @param timestampUnit unit of numeric timestamps, {@code seconds|millis}
 *     ({@code input.timestampUnit})
 * @param labelMin smallest valid rating ({@code input.labelMin})
 * @param labelMax largest valid rating ({@code input.labelMax})
 * @param csvDelimiter field delimiter of CSV input ({@code input.csv.delimiter}): one or more
 *     characters, no quote or line break; {@code tab} and {@code \t} (backslash, t) mean a tab
 * @param maxRejectFraction the job fails, writing no tasks, when a larger fraction of rows is
 *     rejected ({@code input.maxRejectFraction}, [0, 1], default 0.01)
 * @param duplicates which of several events of the same (user, item) is kept,
 *     {@code latest|earliest} ({@code input.duplicates})
 * @param userFeatures the optional user feature table ({@code input.userFeatures.*})
 * @param itemFeatures the optional item feature table ({@code input.itemFeatures.*})
 */
public record InputConfig(
    String path,
    String format,
    String feedback,
    String userColumn,
    String itemColumn,
    String labelColumn,
    String timestampColumn,
    String weightColumn,
    String timestampUnit,
    double labelMin,
    double labelMax,
    String csvDelimiter,
    double maxRejectFraction,
    String duplicates,
    String until,
    FeatureTableConfig userFeatures,
    FeatureTableConfig itemFeatures)
    implements Serializable {

  /** The input formats build-tasks reads. */
  public static final List<String> FORMATS = List.of("parquet", "csv", "json", "movielens");

  /** Validates the values and the cross-field rules. */
  public InputConfig {
    format = Checks.oneOf("input.format", format, FORMATS);
    feedback = Checks.oneOf("input.feedback", feedback, List.of("explicit", "implicit"));
    Checks.nonBlank("input.columns.user", userColumn);
    Checks.nonBlank("input.columns.item", itemColumn);
    // input.columns.timestamp may be "": a log without event times (tasks.ordering = random).
    if (feedback.equals("explicit")) {
      Checks.nonBlank("input.columns.label", labelColumn);
    }
    weightColumn = weightColumn == null ? "" : weightColumn.trim();
    if (!weightColumn.isEmpty() && feedback.equals("explicit")) {
      throw new ConfigValidationException("input.columns.weight = \"" + weightColumn + "\" "
          + "weights implicit events by a count; explicit feedback reads ratings "
          + "(input.columns.label): set input.feedback = implicit, or input.columns.weight = \"\"");
    }
    timestampUnit = Checks.oneOf("input.timestampUnit", timestampUnit, List.of("seconds", "millis"));
    if (!Double.isFinite(labelMin) || !Double.isFinite(labelMax) || labelMin >= labelMax) {
      throw new ConfigValidationException(
          "input.labelMin must be < input.labelMax (both finite), got " + labelMin + " and "
              + labelMax);
    }
    csvDelimiter = delimiter(csvDelimiter);
    Checks.doubleIn("input.maxRejectFraction", maxRejectFraction, 0.0, 1.0);
    duplicates = Checks.oneOf("input.duplicates", duplicates, List.of("latest", "earliest"));
    until = until == null ? "" : until.trim();
    endOfWindow(until);
  }

  /**
   * The first epoch second after the input window: events at or after it are left out (not
   * rejected). {@code input.until} is a date (UTC; the whole day is in) or an ISO-8601 instant (in);
   * empty means no end ({@link Long#MAX_VALUE}).
   */
  public long untilEpochSeconds() {
    return endOfWindow(until);
  }

  private static long endOfWindow(String until) {
    if (until.isEmpty()) {
      return Long.MAX_VALUE;
    }
    try {
      return java.time.LocalDate.parse(until).plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC)
          .toEpochSecond();
    } catch (java.time.format.DateTimeParseException notADate) {
      try {
        return java.time.Instant.parse(until).getEpochSecond() + 1;
      } catch (java.time.format.DateTimeParseException e) {
        throw new ConfigValidationException("input.until must be a date (2026-11-27) or an "
            + "ISO-8601 instant (2026-11-27T23:00:00Z), got \"" + until + "\"");
      }
    }
  }

  /**
   * The CSV delimiter a value stands for: {@code tab} (any case) and the two characters
   * {@code \t} mean a tab, anything else itself. A quote or a line break cannot delimit RFC 4180
   * fields.
   */
  static String delimiter(String value) {
    if (value == null || value.isEmpty()) {
      throw new ConfigValidationException("input.csv.delimiter must not be empty; for a tab set "
          + "input.csv.delimiter=tab");
    }
    String d = value.equalsIgnoreCase("tab") || value.equals("\\t") ? "\t" : value;
    if (d.contains("\"") || d.contains("\n") || d.contains("\r")) {
      throw new ConfigValidationException("input.csv.delimiter must not contain a quote or a line "
          + "break, got '" + value.replace("\n", "\\n").replace("\r", "\\r") + "'");
    }
    return d;
  }

  /** True for implicit feedback (every row a positive). */
  public boolean implicit() {
    return feedback.equals("implicit");
  }

  /** True when implicit events are weighted by a count column ({@code input.columns.weight}). */
  public boolean weighted() {
    return !weightColumn.isEmpty();
  }

  static InputConfig from(ConfigReader r) {
    return new InputConfig(
        r.getString("input.path"),
        r.getString("input.format"),
        r.getString("input.feedback"),
        r.getString("input.columns.user"),
        r.getString("input.columns.item"),
        r.getString("input.columns.label"),
        r.getString("input.columns.timestamp"),
        r.getString("input.columns.weight"),
        r.getString("input.timestampUnit"),
        r.getDouble("input.labelMin"),
        r.getDouble("input.labelMax"),
        r.getString("input.csv.delimiter"),
        r.getDouble("input.maxRejectFraction"),
        r.getString("input.duplicates"),
        r.getString("input.until"),
        FeatureTableConfig.from(r, "input.userFeatures"),
        FeatureTableConfig.from(r, "input.itemFeatures"));
  }
}
