package io.metarec.ml;

import static org.apache.spark.sql.functions.col;

import com.typesafe.config.ConfigFactory;
import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.tasks.BuildTasksJob;
import io.metarec.jobs.train.TrainJob;
import io.metarec.spark.HadoopFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * MetaRec as a Spark ML {@link Estimator}: {@code fit} meta-trains a cold-start recommender on an
 * interaction log with the project's jobs ({@code build-tasks}, then {@code train}) and returns a
 * {@link MetaRecModel}, which adapts each user to their history and predicts or recommends.
 *
 * <pre>{@code
 * MetaRec metaRec = new MetaRec().setUserCol("user").setItemCol("item_idx")
 *     .setRatingCol("rating").setTimestampCol("ts").setSupportSize(10)
 *     .setConfig(new String[] {"meta.iterations=300"});
 * PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {itemIndexer, metaRec}).fit(train);
 * ((MetaRecModel) pm.stages()[1]).setHistory(pm.stages()[0].transform(histories));
 * Dataset<Row> predictions = pm.transform(queries);       // + "prediction"
 * }</pre>
 *
 * <p>Params: the columns ({@code userCol}, {@code itemCol}, {@code ratingCol}, {@code
 * timestampCol}: ids of any type are read as text, ratings as numbers, times as in {@code
 * build-tasks}; an empty {@code timestampCol} orders each user's events at random, seeded), {@code
 * supportSize} ({@code tasks.supportSize}), {@code feedback} ({@code explicit} or {@code implicit},
 * where the rating column is not read), {@code weightCol} (implicit feedback: a numeric column of
 * event counts, {@code input.columns.weight}; empty by default), and for everything else a {@code
 * configFile} and {@code config} entries {@code key=value} with the keys of {@code
 * conf/metarec.conf} (the entries win over the file). {@code split.test} defaults to 0 here (every
 * user trains or validates) unless the file or the entries set it.
 *
 * <p>{@code fit} writes the log, the task set and the model under {@code workDir} (a temporary
 * folder of the driver by default, which on a cluster must be a folder every executor reads:
 * set it to one on HDFS or S3). The warm start of a previous model ({@code train.initFrom}) is a
 * config entry like any other.
 */
public final class MetaRec extends Estimator<MetaRecModel> implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private Param<String> userCol;
  private Param<String> itemCol;
  private Param<String> ratingCol;
  private Param<String> timestampCol;
  private Param<String> weightCol;
  private IntParam supportSize;
  private Param<String> feedback;
  private Param<String> configFile;
  private StringArrayParam config;
  private Param<String> workDir;

  /** An estimator with a random uid. */
  public MetaRec() {
    this(Identifiable$.MODULE$.randomUID("metarec"));
  }

  /** An estimator with {@code uid} (as {@code DefaultParamsReader} makes it). */
  public MetaRec(String uid) {
    this.uid = uid;
    userCol = new Param<>(this, "userCol", "user id column (any type, read as text)");
    itemCol = new Param<>(this, "itemCol", "item id column (any type, read as text)");
    ratingCol = new Param<>(this, "ratingCol", "rating column (numeric; not read for implicit "
        + "feedback)");
    timestampCol = new Param<>(this, "timestampCol", "event time column (epoch seconds, "
        + "ISO-8601 text or timestamps); empty: each user's events in a seeded random order");
    weightCol = new Param<>(this, "weightCol", "implicit feedback: a numeric column of event "
        + "counts (input.columns.weight), each event weighted log2(1 + count); empty: every "
        + "event alike");
    supportSize = new IntParam(this, "supportSize", "interactions of a task's support "
        + "(tasks.supportSize)", ParamValidators.gtEq(1));
    feedback = new Param<>(this, "feedback", "explicit (ratings) or implicit (every row an "
        + "event)", ParamValidators.inArray(new String[] {"explicit", "implicit"}));
    configFile = new Param<>(this, "configFile", "a MetaRec config file (HOCON, JSON or "
        + ".properties); empty for none");
    config = new StringArrayParam(this, "config", "MetaRec config entries key=value, winning "
        + "over configFile");
    workDir = new Param<>(this, "workDir", "folder for fit's log copy, tasks and model (on a "
        + "cluster, one the executors read); empty: a temporary folder of the driver");
    setDefault(userCol, "user_id");
    setDefault(itemCol, "item_id");
    setDefault(ratingCol, "rating");
    setDefault(timestampCol, "timestamp");
    setDefault(weightCol, "");
    setDefault(supportSize, 10);
    setDefault(feedback, "explicit");
    setDefault(configFile, "");
    setDefault(config, new String[0]);
    setDefault(workDir, "");
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the user id column param */
  public Param<String> userCol() {
    return userCol;
  }

  /** @return the item id column param */
  public Param<String> itemCol() {
    return itemCol;
  }

  /** @return the rating column param */
  public Param<String> ratingCol() {
    return ratingCol;
  }

  /** @return the event time column param */
  public Param<String> timestampCol() {
    return timestampCol;
  }

  /** @return the event count column param (implicit feedback) */
  public Param<String> weightCol() {
    return weightCol;
  }

  /** @return the support size param */
  public IntParam supportSize() {
    return supportSize;
  }

  /** @return the feedback param */
  public Param<String> feedback() {
    return feedback;
  }

  /** @return the config file param */
  public Param<String> configFile() {
    return configFile;
  }

  /** @return the config entries param */
  public StringArrayParam config() {
    return config;
  }

  /** @return the work folder param */
  public Param<String> workDir() {
    return workDir;
  }

  public MetaRec setUserCol(String v) {
    set(userCol, v);
    return this;
  }

  public MetaRec setItemCol(String v) {
    set(itemCol, v);
    return this;
  }

  public MetaRec setRatingCol(String v) {
    set(ratingCol, v);
    return this;
  }

  public MetaRec setTimestampCol(String v) {
    set(timestampCol, v);
    return this;
  }

  public MetaRec setWeightCol(String v) {
    set(weightCol, v);
    return this;
  }

  public MetaRec setSupportSize(int v) {
    set(supportSize, v);
    return this;
  }

  public MetaRec setFeedback(String v) {
    set(feedback, v);
    return this;
  }

  public MetaRec setConfigFile(String v) {
    set(configFile, v);
    return this;
  }

  /** Config entries {@code key=value} (any key of conf/metarec.conf). */
  public MetaRec setConfig(String[] v) {
    set(config, v);
    return this;
  }

  /** Config entries from a map. */
  public MetaRec setConfig(Map<String, ?> v) {
    List<String> sets = new ArrayList<>();
    v.forEach((k, x) -> sets.add(k + "=" + x));
    return setConfig(sets.toArray(new String[0]));
  }

  public MetaRec setWorkDir(String v) {
    set(workDir, v);
    return this;
  }

  public String getUserCol() {
    return getOrDefault(userCol);
  }

  public String getItemCol() {
    return getOrDefault(itemCol);
  }

  public String getRatingCol() {
    return getOrDefault(ratingCol);
  }

  public String getTimestampCol() {
    return getOrDefault(timestampCol);
  }

  public String getWeightCol() {
    return getOrDefault(weightCol);
  }

  public int getSupportSize() {
    return (Integer) getOrDefault(supportSize);
  }

  public String getFeedback() {
    return getOrDefault(feedback);
  }

  public String getConfigFile() {
    return getOrDefault(configFile);
  }

  public String[] getConfig() {
    return getOrDefault(config);
  }

  public String getWorkDir() {
    return getOrDefault(workDir);
  }

  boolean implicit() {
    return getFeedback().equals("implicit");
  }

  @Override
  public StructType transformSchema(StructType schema) {
    field(schema, "userCol", getUserCol());
    field(schema, "itemCol", getItemCol());
    if (!implicit()) {
      StructField r = field(schema, "ratingCol", getRatingCol());
      if (!(r.dataType() instanceof NumericType)) {
        throw new IllegalArgumentException("ratingCol " + getRatingCol() + " must be numeric, "
            + "it is " + r.dataType().simpleString());
      }
    }
    if (!getWeightCol().isEmpty()) {
      checkWeightCol(schema, implicit(), getWeightCol());
    }
    if (!getTimestampCol().isEmpty()) {
      StructField t = field(schema, "timestampCol", getTimestampCol());
      DataType d = t.dataType();
      if (!(d instanceof NumericType) && !d.equals(DataTypes.StringType)
          && !d.equals(DataTypes.TimestampType) && !d.equals(DataTypes.DateType)) {
        throw new IllegalArgumentException("timestampCol " + getTimestampCol() + " must be "
            + "numeric, text, timestamp or date, it is " + d.simpleString());
      }
    }
    return schema;
  }

  /** Checks a {@code weightCol}: implicit feedback only, a numeric column of {@code schema}. */
  static void checkWeightCol(StructType schema, boolean implicit, String name) {
    if (!implicit) {
      throw new IllegalArgumentException("weightCol \"" + name + "\" weighs the events of "
          + "implicit feedback by a count; explicit feedback reads ratings (ratingCol): set "
          + "feedback to implicit, or weightCol to \"\"");
    }
    StructField w = field(schema, "weightCol", name);
    if (!(w.dataType() instanceof NumericType)) {
      throw new IllegalArgumentException("weightCol " + name + " must be numeric, it is "
          + w.dataType().simpleString());
    }
  }

  /** The column {@code name} of {@code schema}, named with its param when missing. */
  static StructField field(StructType schema, String param, String name) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException(param + " \"" + name + "\" is not a column of the data "
          + "set; its columns: " + Arrays.toString(schema.fieldNames()));
    }
    return schema.apply(name);
  }

  @Override
  public MetaRecModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    String work = getWorkDir().isEmpty() ? tempDir() : getWorkDir().replaceAll("/+$", "");
    String input = work + "/input";
    String tasks = work + "/tasks";
    String model = work + "/model";
    boolean withTimes = !getTimestampCol().isEmpty();
    List<Column> cols = new ArrayList<>(List.of(col(getUserCol()).cast("string").as("user_id"),
        col(getItemCol()).cast("string").as("item_id")));
    if (!implicit()) {
      cols.add(col(getRatingCol()).cast("double").as("rating"));
    }
    if (!getWeightCol().isEmpty()) {
      cols.add(col(getWeightCol()).cast("double").as("weight"));
    }
    if (withTimes) {
      cols.add(col(getTimestampCol()).as("timestamp"));
    }
    dataset.select(cols.toArray(new Column[0])).write().mode("overwrite").parquet(input);
    MetaRecConfig cfg = config(input, tasks, model, withTimes);
    BuildTasksJob.run(spark, cfg);
    TrainJob.run(spark, cfg);
    HadoopFiles.delete(spark.sparkContext().hadoopConfiguration(), input);
    MetaRecModel m = new MetaRecModel(uid, model);
    copyValues(m, ParamMap.empty());
    m.setParent(this);
    return m;
  }

  /** The run's configuration: defaults, our split default, the file, the entries, the wiring. */
  MetaRecConfig config(String input, String tasks, String model, boolean withTimes) {
    List<String> sets = new ArrayList<>();
    boolean userSplit = Arrays.stream(getConfig()).anyMatch(s -> s.trim().startsWith("split.test"));
    File file = getConfigFile().isEmpty() ? null : new File(getConfigFile());
    if (file != null && file.isFile()) {
      userSplit |= ConfigFactory.parseFile(file).hasPath("split.test");
    }
    if (!userSplit) {
      sets.add("split.test=0");
    }
    sets.addAll(Arrays.asList(getConfig()));
    Map<String, Object> wiring = new LinkedHashMap<>();
    wiring.put("input.path", input);
    wiring.put("input.format", "parquet");
    wiring.put("input.feedback", getFeedback());
    wiring.put("input.columns.user", "user_id");
    wiring.put("input.columns.item", "item_id");
    wiring.put("input.columns.label", "rating");
    wiring.put("input.columns.timestamp", withTimes ? "timestamp" : "");
    wiring.put("input.columns.weight", getWeightCol().isEmpty() ? "" : "weight");
    if (!withTimes) {
      wiring.put("tasks.ordering", "random");
    }
    wiring.put("tasks.supportSize", getSupportSize());
    wiring.put("buildTasks.out", tasks);
    wiring.put("train.tasks", tasks);
    wiring.put("train.model", model);
    return MetaRecConfig.load(file, sets, wiring);
  }

  private static String tempDir() {
    try {
      java.nio.file.Path d = Files.createTempDirectory("metarec-fit-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d.toFile())));
      return d.toUri().toString().replaceAll("/+$", "");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a temporary folder for fit", e);
    }
  }

  private static void deleteTree(File f) {
    File[] children = f.listFiles();
    if (children != null) {
      for (File c : children) {
        deleteTree(c);
      }
    }
    f.delete();
  }

  @Override
  public MetaRec copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reads an estimator saved with {@code write().save(path)}. */
  public static MLReader<MetaRec> read() {
    return new DefaultParamsReadable<MetaRec>() {}.read();
  }

  /** Loads an estimator saved with {@code write().save(path)}. */
  public static MetaRec load(String path) {
    return read().load(path);
  }
}
