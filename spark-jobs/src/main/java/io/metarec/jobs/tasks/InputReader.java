package io.metarec.jobs.tasks;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.when;

import io.metarec.config.FeatureTableConfig;
import io.metarec.config.InputConfig;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads an interaction log in any supported layout into a {@link RawInput}: Parquet, CSV with a
 * header, JSON lines (with the column mapping of {@code input.columns}), or a MovieLens folder
 * (ml-100k, ml-1m, ml-latest), whose user and item files become feature tables.
 */
public final class InputReader {
  private InputReader() {}

  /** Reads the input described by {@code in}. */
  public static RawInput read(SparkSession spark, InputConfig in) {
    if (in.path().isBlank()) {
      throw new JobFailedException("build-tasks needs an input: --input PATH (input.path)");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (!HadoopFiles.exists(conf, in.path())) {
      throw new JobFailedException("input " + in.path() + " does not exist");
    }
    if (in.format().equals("movielens")) {
      return MovieLens.read(spark, in);
    }
    Dataset<Row> df = table(spark, in.format(), in.csvDelimiter(), in.path());
    List<String> names = Arrays.asList(df.columns());
    Column user = column(df, names, in.userColumn(), "input.columns.user", in.path());
    Column item = column(df, names, in.itemColumn(), "input.columns.item", in.path());
    Column ts = column(df, names, in.timestampColumn(), "input.columns.timestamp", in.path());
    Column label = in.implicit() ? lit(1.0)
        : column(df, names, in.labelColumn(), "input.columns.label", in.path());
    Dataset<Row> events = df.select(
        user.as("user"), item.as("item"), label.as("label"), ts.as("timestamp"),
        input_file_name().as("source_file"));
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

  /** A normalized feature table: {@code key} plus one array&lt;string&gt; column per field. */
  record FeatureTable(Dataset<Row> table, List<String> fields, List<String> multiValued) {}

  /** Reads a table in {@code format}; CSV has a header and is read as text. */
  static Dataset<Row> table(SparkSession spark, String format, String delimiter, String path) {
    DataFrameReader r = spark.read();
    return switch (format) {
      case "parquet" -> r.parquet(path);
      case "json" -> r.json(path);
      case "csv" -> r.option("header", true).option("delimiter", delimiter)
          .option("inferSchema", false).option("mode", "PERMISSIVE").csv(path);
      default -> throw new IllegalArgumentException("not a table format: " + format);
    };
  }

  private static Column column(
      Dataset<Row> df, List<String> names, String name, String key, String path) {
    if (!names.contains(name)) {
      throw new JobFailedException("input " + path + " has no column '" + name + "' (" + key
          + "); its columns are " + names + ". Map the columns with --set " + key + "=NAME");
    }
    return df.col("`" + name + "`");
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
    Dataset<Row> df = table(spark, fc.format(), in.csvDelimiter(), fc.path());
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
