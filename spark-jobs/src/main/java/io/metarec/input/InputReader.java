package io.metarec.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.metarec.config.FeatureTableConfig;
import io.metarec.config.InputConfig;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads an interaction log in any supported layout into a {@link RawInput}: Parquet, CSV with a
 * header (RFC 4180), JSON lines (with the column mapping of {@code input.columns}), or a MovieLens
 * folder (ml-100k, ml-1m, ml-latest), whose user and item files become feature tables. A CSV
 * record with the wrong number of fields and a line that is not one JSON object are kept as raw
 * text for the rejects ({@code malformed_csv}, {@code malformed_json}).
 */
public final class InputReader {
  /**
   * Name of the column Spark's CSV and JSON readers put the raw text of a malformed record in (a
   * name no real log uses).
   */
  static final String MALFORMED = "_metarec_malformed_record";

  private static final UserDefinedFunction ONE_JSON_OBJECT =
      udf((UDF1<String, Boolean>) JsonLines::isOneObject, DataTypes.BooleanType);

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InputReader.class);

  private InputReader() {}

  /** Reads the input described by {@code in}; its event times are required. */
  public static RawInput read(SparkSession spark, InputConfig in) {
    return read(spark, in, false);
  }

  /**
   * Reads the input described by {@code in}. With {@code timeOptional} (tasks ordered at random,
   * {@code tasks.ordering = random}) a log without the timestamp column, or with {@code
   * input.columns.timestamp = ""}, is read with every event at time 0; otherwise a missing column
   * is refused naming the keys to set.
   */
  public static RawInput read(SparkSession spark, InputConfig in, boolean timeOptional) {
    if (in.path().isBlank()) {
      throw new JobFailedException("build-tasks needs an input: --input PATH (input.path)");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (!HadoopFiles.exists(conf, in.path())) {
      throw new JobFailedException("input " + in.path() + " does not exist");
    }
    if (in.format().equals("movielens")) {
      if (in.weighted() && !in.weightColumn().equals("rating")) {
        throw new JobFailedException("movielens input " + in.path() + ": input.columns.weight = '"
            + in.weightColumn() + "', but a MovieLens log's only number is its rating: set "
            + "input.columns.weight = rating to weight each event by it, or \"\" for none");
      }
      return MovieLens.read(spark, in);
    }
    Dataset<Row> df = switch (in.format()) {
      case "csv" -> csvWithMalformed(spark, in.csvDelimiter(), in.path());
      case "json" -> jsonLines(spark, in.path());
      default -> table(spark, in.format(), in.csvDelimiter(), in.path(), "input.path");
    };
    List<String> names = new ArrayList<>(Arrays.asList(df.columns()));
    boolean checksRecords = names.remove(MALFORMED);
    boolean timeless = in.timestampColumn().isBlank()
        || (timeOptional && !names.contains(in.timestampColumn()));
    if (in.timestampColumn().isBlank() && !timeOptional) {
      throw new JobFailedException(in.format() + " input " + in.path() + ": input.columns.timestamp"
          + " is empty, and tasks.ordering = time orders each user's events by their time; set "
          + "--set tasks.ordering=random for a log without times, or name its time column");
    }
    if (timeless && !in.timestampColumn().isBlank()) {
      LOG.info("{} input {} has no column '{}' (input.columns.timestamp): read without event "
          + "times, as tasks.ordering = random allows", in.format(), in.path(),
          in.timestampColumn());
    }
    requireColumns(in, names, timeless);
    Column user = df.col("`" + in.userColumn() + "`");
    Column item = df.col("`" + in.itemColumn() + "`");
    Column ts = timeless ? lit(0L) : df.col("`" + in.timestampColumn() + "`");
    // Implicit events carry their count (input.columns.weight) in the label column, or 1.
    Column label = in.implicit()
        ? (in.weighted() ? df.col("`" + in.weightColumn() + "`") : lit(1.0))
        : df.col("`" + in.labelColumn() + "`");
    Column record = checksRecords ? df.col(MALFORMED) : lit(null).cast("string");
    Dataset<Row> events = df.select(
        user.as("user"), item.as("item"), label.as("label"), ts.as("timestamp"),
        input_file_name().as("source_file"),
        when(record.isNotNull(), lit("malformed_" + in.format())).as("malformed"),
        record.as("record"));
    List<String> paths = new ArrayList<>(List.of(in.path()));
    FeatureTable users = featureTable(spark, in.userFeatures(), "input.userFeatures", in);
    FeatureTable items = featureTable(spark, in.itemFeatures(), "input.itemFeatures", in);
    if (users != null) {
      paths.add(in.userFeatures().path());
    }
    if (items != null) {
      paths.add(in.itemFeatures().path());
    }
    return new RawInput(events,
        users == null ? null : users.table, users == null ? List.of() : users.fields,
        users == null ? List.of() : users.multiValued,
        items == null ? null : items.table, items == null ? List.of() : items.fields,
        items == null ? List.of() : items.multiValued,
        in.labelMin(), in.labelMax(), in.timestampUnit().equals("millis"),
        in.format() + " input " + in.path(), paths);
  }

  /**
   * Runs an action that reads the input (the first pass over it), turning a failure to read a
   * Parquet file of the log or of a feature table into one line that names the file and what is
   * wrong with it (a corrupt footer or page, which {@link #table}'s check before reading does not
   * see). Other failures pass through unchanged.
   */
  public static <T> T reading(SparkSession spark, InputConfig in, Supplier<T> action) {
    try {
      return action.get();
    } catch (JobFailedException e) {
      throw e;
    } catch (Exception e) {
      // Spark throws SparkException (checked in Java) from actions: caught as Exception, rethrown
      // as is (precise rethrow) when no input file is to blame.
      JobFailedException named = null;
      try {
        named = parquetProblem(spark, in, e);
      } catch (RuntimeException diagnosis) {
        e.addSuppressed(diagnosis);
      }
      if (named != null) {
        throw named;
      }
      throw e;
    }
  }

  /** The first Parquet input (log, user or item features) with a file Spark cannot read, or null. */
  private static JobFailedException parquetProblem(
      SparkSession spark, InputConfig in, Exception cause) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String[]> inputs = new ArrayList<>();
    if (in.format().equals("parquet")) {
      inputs.add(new String[] {"input.path", in.path()});
    }
    if (in.userFeatures().present() && in.userFeatures().format().equals("parquet")) {
      inputs.add(new String[] {"input.userFeatures.path", in.userFeatures().path()});
    }
    if (in.itemFeatures().present() && in.itemFeatures().format().equals("parquet")) {
      inputs.add(new String[] {"input.itemFeatures.path", in.itemFeatures().path()});
    }
    for (String[] input : inputs) {
      String why = ParquetCheck.problem(conf, input[1], true);
      if (why != null) {
        return unreadableParquet(input[0], input[1], why, cause);
      }
    }
    return null;
  }

  private static JobFailedException unreadableParquet(
      String key, String path, String why, Exception cause) {
    return new JobFailedException(
        "Parquet input " + path + " (" + key + ") cannot be read: " + why, cause);
  }

  /** Fails naming every configured column the log lacks, and the columns it has. */
  private static void requireColumns(InputConfig in, List<String> names, boolean timeless) {
    List<String[]> wanted = new ArrayList<>();
    wanted.add(new String[] {"input.columns.user", in.userColumn()});
    wanted.add(new String[] {"input.columns.item", in.itemColumn()});
    if (!in.implicit()) {
      wanted.add(new String[] {"input.columns.label", in.labelColumn()});
    } else if (in.weighted()) {
      wanted.add(new String[] {"input.columns.weight", in.weightColumn()});
    }
    if (!timeless) {
      wanted.add(new String[] {"input.columns.timestamp", in.timestampColumn()});
    }
    List<String> missing = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    for (String[] w : wanted) {
      if (!names.contains(w[1])) {
        missing.add("no column '" + w[1] + "' (" + w[0] + ")");
        sets.add("--set " + w[0] + "=NAME");
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String hint = "";
    if (names.isEmpty()) {
      hint = " (it is empty: not even a header line or one JSON object)";
    } else if (in.format().equals("csv") && names.size() == 1) {
      // One column: the header was not split, so the delimiter is probably another one.
      for (String[] d : new String[][] {{"\t", "tab"}, {";", ";"}, {"|", "|"}, {",", ","}}) {
        if (!d[0].equals(in.csvDelimiter()) && names.get(0).contains(d[0])) {
          hint = " (one column: is the file separated by '" + d[1] + "'? then set --set "
              + "input.csv.delimiter=" + d[1] + ")";
          break;
        }
      }
    }
    if (missing.stream().anyMatch(m -> m.contains("input.columns.timestamp"))) {
      hint += "; a log without event times can be read with --set tasks.ordering=random (each "
          + "user's events then in a seeded random order)";
    }
    throw new JobFailedException(in.format() + " input " + in.path() + " has "
        + String.join(", ", missing) + "; its columns are " + names + hint
        + ". Map the columns with " + String.join(" ", sets));
  }

  /** A normalized feature table: {@code key} plus one array&lt;string&gt; column per field. */
  record FeatureTable(Dataset<Row> table, List<String> fields, List<String> multiValued) {}

  /**
   * Reads a table in {@code format}: Parquet, JSON lines, or CSV with a header, read as text and
   * parsed as RFC 4180 ({@link #csv}). A Parquet input Spark cannot read fails in one line naming
   * the file ({@code key} is the config key of {@code path}).
   */
  static Dataset<Row> table(
      SparkSession spark, String format, String delimiter, String path, String key) {
    return switch (format) {
      case "parquet" -> {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        // Before Spark opens the files: a bad one then fails in one line, not in failed tasks.
        String bad = ParquetCheck.problem(conf, path, false);
        if (bad != null) {
          throw unreadableParquet(key, path, bad, null);
        }
        try {
          yield spark.read().parquet(path);
        } catch (Exception e) {
          String why = ParquetCheck.problem(conf, path, true);
          throw unreadableParquet(key, path, why != null ? why
              : String.valueOf(e.getMessage()).replaceAll("\\s+", " "), e);
        }
      }
      case "json" -> spark.read().json(path);
      case "csv" -> csv(spark, delimiter).csv(path);
      default -> throw new IllegalArgumentException("not a table format: " + format);
    };
  }

  /**
   * A CSV reader for RFC 4180 files with a header line: a field in double quotes may hold the
   * delimiter, line breaks and doubled quotes ({@code "say ""hi"""}). Line breaks in fields need
   * Spark's {@code multiLine} mode, in which one task parses a whole file (files are not split).
   */
  static DataFrameReader csv(SparkSession spark, String delimiter) {
    return spark.read().option("header", true).option("delimiter", delimiter)
        .option("quote", "\"").option("escape", "\"").option("multiLine", true)
        .option("inferSchema", false).option("mode", "PERMISSIVE");
  }

  /**
   * A CSV log with the header's columns as text plus {@link #MALFORMED}: the raw text of a record
   * with more or fewer fields than the header, null for the others.
   */
  static Dataset<Row> csvWithMalformed(SparkSession spark, String delimiter, String path) {
    StructType header = csv(spark, delimiter).csv(path).schema();
    return csv(spark, delimiter).schema(header.add(MALFORMED, DataTypes.StringType, true))
        .option("columnNameOfCorruptRecord", MALFORMED)
        // Parse every field of every record, so that a wrong field count is seen whichever
        // columns a query reads.
        .option("columnPruning", false)
        .csv(path);
  }

  /**
   * A JSON-lines log: the columns Spark infers plus {@link #MALFORMED}, the raw line when it is
   * not exactly one JSON object (unparseable, cut short, followed by more text, an array or a
   * scalar), null otherwise. Blank lines are skipped, as Spark's JSON reader skips them.
   */
  static Dataset<Row> jsonLines(SparkSession spark, String path) {
    StructType inferred =
        spark.read().option("columnNameOfCorruptRecord", MALFORMED).json(path).schema();
    StructType fields = new StructType();
    for (StructField f : inferred.fields()) {
      if (!f.name().equals(MALFORMED)) {
        fields = fields.add(f);
      }
    }
    Dataset<Row> lines = spark.read().text(path)
        .filter(org.apache.spark.sql.functions.trim(col("value"), " \t\r").notEqual(""));
    Column parsed = from_json(col("value"), fields.add(MALFORMED, DataTypes.StringType, true),
        Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", MALFORMED));
    List<Column> cols = new ArrayList<>();
    for (StructField f : fields.fields()) {
      cols.add(col("j.`" + f.name() + "`").as(f.name()));
    }
    cols.add(when(col("j.`" + MALFORMED + "`").isNotNull()
            .or(not(ONE_JSON_OBJECT.apply(col("value")))), col("value"))
        .as(MALFORMED));
    return lines.select(parsed.as("j"), col("value")).select(cols.toArray(new Column[0]));
  }

  /** Reads and normalizes a configured feature table, or returns null when none is configured. */
  static FeatureTable featureTable(
      SparkSession spark, FeatureTableConfig fc, String prefix, InputConfig in) {
    if (!fc.present()) {
      return null;
    }
    if (!HadoopFiles.exists(spark.sparkContext().hadoopConfiguration(), fc.path())) {
      throw new JobFailedException(prefix + ".path " + fc.path() + " does not exist");
    }
    Dataset<Row> df = table(spark, fc.format(), in.csvDelimiter(), fc.path(), prefix + ".path");
    List<String> names = Arrays.asList(df.columns());
    if (!names.contains(fc.key())) {
      throw new JobFailedException("feature table " + fc.path() + " has no key column '"
          + fc.key() + "' (" + prefix + ".key); its columns are " + names);
    }
    List<String> fields = new ArrayList<>();
    if (fc.columns().isEmpty()) {
      for (String n : names) {
        if (!n.equals(fc.key())) {
          fields.add(n);
        }
      }
    } else {
      for (String n : fc.columns()) {
        if (!names.contains(n)) {
          throw new JobFailedException("feature table " + fc.path() + " has no column '" + n
              + "' (" + prefix + ".columns); its columns are " + names);
        }
        fields.add(n);
      }
    }
    for (String m : fc.multiValued()) {
      if (!fields.contains(m)) {
        throw new JobFailedException(prefix + ".multiValued names '" + m
            + "', which is not one of the feature columns " + fields);
      }
    }
    List<Column> cols = new ArrayList<>();
    List<String> multiValued = new ArrayList<>();
    cols.add(df.col("`" + fc.key() + "`").cast("string").as("key"));
    for (String f : fields) {
      StructField sf = df.schema().apply(f);
      boolean multi = fc.multiValued().contains(f) || sf.dataType() instanceof ArrayType;
      if (multi) {
        multiValued.add(f);
      }
      cols.add(asValues(df.col("`" + f + "`"), sf, multi, fc.separator()).as(f));
    }
    return new FeatureTable(df.select(cols.toArray(new Column[0])), fields, multiValued);
  }

  /** A feature column as array&lt;string&gt;: arrays as they are, multi-valued text split. */
  static Column asValues(Column c, StructField field, boolean multi, String separator) {
    if (field.dataType() instanceof ArrayType) {
      return expr("transform(`" + field.name() + "`, x -> cast(x as string))");
    }
    Column text = c.cast("string");
    Column nonEmpty = text.isNotNull().and(org.apache.spark.sql.functions.trim(text).notEqual(""));
    if (multi) {
      return when(nonEmpty, org.apache.spark.sql.functions.split(text, Pattern.quote(separator)))
          .otherwise(org.apache.spark.sql.functions.array());
    }
    return when(nonEmpty, org.apache.spark.sql.functions.array(
        org.apache.spark.sql.functions.trim(text)))
        .otherwise(org.apache.spark.sql.functions.array());
  }

  /** Readers of the MovieLens layouts. */
  static final class MovieLens {
    private MovieLens() {}

    static RawInput read(SparkSession spark, InputConfig in) {
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      String dir = in.path().endsWith("/") ? in.path() : in.path() + "/";
      if (HadoopFiles.exists(conf, dir + "u.data")) {
        return ml100k(spark, dir);
      }
      if (HadoopFiles.exists(conf, dir + "ratings.dat")) {
        return ml1m(spark, dir);
      }
      if (HadoopFiles.exists(conf, dir + "ratings.csv")) {
        return mlLatest(spark, dir);
      }
      throw new JobFailedException("input " + in.path() + " is not a MovieLens folder: expected "
          + "u.data (ml-100k), ratings.dat (ml-1m) or ratings.csv (ml-latest)");
    }

    private static DataFrameReader text(SparkSession spark, String sep, StructType schema) {
      return spark.read().schema(schema).option("sep", sep).option("header", false)
          .option("encoding", "ISO-8859-1").option("mode", "PERMISSIVE");
    }

    private static StructType strings(String... names) {
      StructType s = new StructType();
      for (String n : names) {
        s = s.add(n, DataTypes.StringType, true);
      }
      return s;
    }

    /** Age in years → the age bands of ml-1m. */
    private static Column ageBand(Column age) {
      Column a = age.cast("int");
      return when(a.isNull(), lit(null))
          .when(a.lt(18), lit("<18")).when(a.lt(25), lit("18-24")).when(a.lt(35), lit("25-34"))
          .when(a.lt(45), lit("35-44")).when(a.lt(50), lit("45-49")).when(a.lt(56), lit("50-55"))
          .otherwise(lit("56+"));
    }

    private static Column single(Column c) {
      return when(c.isNull().or(org.apache.spark.sql.functions.trim(c).equalTo("")),
          org.apache.spark.sql.functions.array())
          .otherwise(org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.trim(c)));
    }

    /** Decade of a 4-digit year in text, e.g. "Toy Story (1995)" → "1990s". */
    private static Column decadeOf(Column text) {
      Column year = regexp_extract(text, "(\\d{4})\\)?\\s*$", 1);
      return single(when(year.equalTo(""), lit(null))
          .otherwise(concat(substring(year, 1, 3), lit("0s"))));
    }

    private static Column genresFromPipes(Column genres) {
      Column g = org.apache.spark.sql.functions.split(genres, "\\|");
      return when(genres.isNull().or(genres.equalTo("(no genres listed)")),
          org.apache.spark.sql.functions.array()).otherwise(g);
    }

    private static RawInput ml100k(SparkSession spark, String dir) {
      Dataset<Row> ratings = text(spark, "\t", strings("user", "item", "label", "timestamp"))
          .csv(dir + "u.data")
          .withColumn("source_file", input_file_name());
      Dataset<Row> users = text(spark, "|",
          strings("key", "age", "gender", "occupation", "zip")).csv(dir + "u.user");
      users = users.select(col("key"),
          single(ageBand(col("age"))).as("age_band"),
          single(col("gender")).as("gender"),
          single(col("occupation")).as("occupation"),
          single(substring(col("zip"), 1, 1)).as("region"));
      String[] genreNames = {
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
        "Sci-Fi", "Thriller", "War", "Western"
      };
      List<String> itemCols = new ArrayList<>(List.of("key", "title", "release", "video", "url"));
      for (int g = 0; g < genreNames.length; g++) {
        itemCols.add("g" + g);
      }
      Dataset<Row> items = text(spark, "|", strings(itemCols.toArray(new String[0])))
          .csv(dir + "u.item");
      items = items.select(col("key"),
          expr("filter(array(" + String.join(",", genreFlagExprs(genreNames)) + "), x -> x is not null)")
              .as("genres"),
          decadeOf(col("release")).as("decade"));
      return new RawInput(ratings, users, List.of("age_band", "gender", "occupation", "region"),
          List.of(), items, List.of("genres", "decade"), List.of("genres"), 1.0, 5.0, false,
          "movielens ml-100k at " + dir,
          List.of(dir + "u.data", dir + "u.user", dir + "u.item"));
    }

    private static List<String> genreFlagExprs(String[] names) {
      List<String> out = new ArrayList<>();
      for (int g = 0; g < names.length; g++) {
        out.add("if(g" + g + " = '1', '" + names[g].replace("'", "\\'") + "', null)");
      }
      return out;
    }

    private static RawInput ml1m(SparkSession spark, String dir) {
      Dataset<Row> ratings = text(spark, "::", strings("user", "item", "label", "timestamp"))
          .csv(dir + "ratings.dat").withColumn("source_file", input_file_name());
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      Dataset<Row> users = null;
      List<String> userFields = List.of();
      List<String> paths = new ArrayList<>(List.of(dir + "ratings.dat"));
      if (HadoopFiles.exists(conf, dir + "users.dat")) {
        users = text(spark, "::", strings("key", "gender", "age", "occupation", "zip"))
            .csv(dir + "users.dat");
        Column band = when(col("age").equalTo("1"), lit("<18"))
            .when(col("age").equalTo("18"), lit("18-24")).when(col("age").equalTo("25"), lit("25-34"))
            .when(col("age").equalTo("35"), lit("35-44")).when(col("age").equalTo("45"), lit("45-49"))
            .when(col("age").equalTo("50"), lit("50-55")).when(col("age").equalTo("56"), lit("56+"))
            .otherwise(col("age"));
        users = users.select(col("key"), single(band).as("age_band"),
            single(col("gender")).as("gender"), single(col("occupation")).as("occupation"),
            single(substring(col("zip"), 1, 1)).as("region"));
        userFields = List.of("age_band", "gender", "occupation", "region");
        paths.add(dir + "users.dat");
      }
      Dataset<Row> items = null;
      List<String> itemFields = List.of();
      if (HadoopFiles.exists(conf, dir + "movies.dat")) {
        items = text(spark, "::", strings("key", "title", "genres")).csv(dir + "movies.dat")
            .select(col("key"), genresFromPipes(col("genres")).as("genres"),
                decadeOf(col("title")).as("decade"));
        itemFields = List.of("genres", "decade");
        paths.add(dir + "movies.dat");
      }
      return new RawInput(ratings, users, userFields, List.of(), items, itemFields,
          itemFields.isEmpty() ? List.of() : List.of("genres"), 1.0, 5.0, false,
          "movielens ml-1m at " + dir, paths);
    }

    private static RawInput mlLatest(SparkSession spark, String dir) {
      Dataset<Row> ratings = spark.read().option("header", true).csv(dir + "ratings.csv")
          .select(col("userId").as("user"), col("movieId").as("item"), col("rating").as("label"),
              col("timestamp"), input_file_name().as("source_file"));
      Dataset<Row> items = null;
      List<String> itemFields = List.of();
      List<String> paths = new ArrayList<>(List.of(dir + "ratings.csv"));
      if (HadoopFiles.exists(spark.sparkContext().hadoopConfiguration(), dir + "movies.csv")) {
        items = spark.read().option("header", true).option("quote", "\"").option("escape", "\"")
            .csv(dir + "movies.csv")
            .select(col("movieId").as("key"), genresFromPipes(col("genres")).as("genres"),
                decadeOf(col("title")).as("decade"));
        itemFields = List.of("genres", "decade");
        paths.add(dir + "movies.csv");
      }
      // ml-latest ratings are half stars from 0.5 to 5.0.
      return new RawInput(ratings, null, List.of(), List.of(), items, itemFields,
          itemFields.isEmpty() ? List.of() : List.of("genres"), 0.5, 5.0, false,
          "movielens ml-latest at " + dir, paths);
    }
  }
}
