package io.metarec.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import io.metarec.serve.History;
import io.metarec.serve.ItemScore;
import io.metarec.serve.Scores;
import io.metarec.spark.HadoopFiles;
import io.metarec.store.ModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A model fitted by {@link MetaRec}: the meta-learned initialization and the vocabularies of its
 * model folder, adapting each user to a history before it predicts.
 *
 * <ul>
 *   <li>{@link #transform}: a {@code prediction} column (float: the rating clipped to the label
 *       range, or the logit for implicit feedback) for each (user, item) row; each user is adapted
 *       once to their rows of the history set with {@link #setHistory} (oldest first by
 *       {@code timestampCol}), a user without history is scored by the meta-initialization, and an
 *       item the model does not know gets NaN ({@code coldStartStrategy = nan}) or its row is
 *       dropped ({@code drop}), as ALS does.
 *   <li>{@link #recommendForUserSubset}: the top n over the catalog for each user of a history
 *       set, without the items of their history: {@code (userCol, recommendations:
 *       array<struct<itemCol: string, score: float>>)}.
 * </ul>
 *
 * <p>Both run the serving API ({@link io.metarec.serve.MetaRecModel}) on the executors, from the
 * model's parts broadcast once, so their numbers are those of {@code metarec serve} and {@code
 * recommend}. {@code write().save(path)} stores the params and a copy of the model folder under
 * {@code path/model} (the project's format); {@link #load} reads it back. The history set is not
 * saved: set it again after loading.
 */
public final class MetaRecModel extends Model<MetaRecModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final String modelDir;
  private Param<String> userCol;
  private Param<String> itemCol;
  private Param<String> ratingCol;
  private Param<String> timestampCol;
  private Param<String> weightCol;
  private Param<String> feedback;
  private Param<String> predictionCol;
  private Param<String> coldStartStrategy;
  private transient Dataset<?> history;
  private transient io.metarec.serve.MetaRecModel.Parts parts;

  /**
   * A model of the folder {@code modelDir} (as {@link MetaRec#fit} and {@link #load} make it).
   *
   * @param uid the estimator's uid
   * @param modelDir the model folder, on any Hadoop file system
   */
  public MetaRecModel(String uid, String modelDir) {
    this.uid = uid;
    this.modelDir = modelDir;
    userCol = new Param<>(this, "userCol", "user id column");
    itemCol = new Param<>(this, "itemCol", "item id column");
    ratingCol = new Param<>(this, "ratingCol", "rating column of the history set");
    timestampCol = new Param<>(this, "timestampCol", "event time column of the history set; "
        + "empty: the set's order");
    weightCol = new Param<>(this, "weightCol", "implicit feedback: the event count column of the "
        + "history set; empty: every event counts 1");
    feedback = new Param<>(this, "feedback", "explicit or implicit",
        ParamValidators.inArray(new String[] {"explicit", "implicit"}));
    predictionCol = new Param<>(this, "predictionCol", "prediction column");
    coldStartStrategy = new Param<>(this, "coldStartStrategy", "rows of items the model does "
        + "not know: nan (prediction NaN) or drop", ParamValidators.inArray(
            new String[] {"nan", "drop"}));
    setDefault(userCol, "user_id");
    setDefault(itemCol, "item_id");
    setDefault(ratingCol, "rating");
    setDefault(timestampCol, "timestamp");
    setDefault(weightCol, "");
    setDefault(feedback, "explicit");
    setDefault(predictionCol, "prediction");
    setDefault(coldStartStrategy, "nan");
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the model folder */
  public String modelDir() {
    return modelDir;
  }

  public Param<String> userCol() {
    return userCol;
  }

  public Param<String> itemCol() {
    return itemCol;
  }

  public Param<String> ratingCol() {
    return ratingCol;
  }

  public Param<String> timestampCol() {
    return timestampCol;
  }

  public Param<String> feedback() {
    return feedback;
  }

  public Param<String> weightCol() {
    return weightCol;
  }

  public MetaRecModel setWeightCol(String v) {
    set(weightCol, v);
    return this;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> coldStartStrategy() {
    return coldStartStrategy;
  }

  public MetaRecModel setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  public MetaRecModel setColdStartStrategy(String v) {
    set(coldStartStrategy, v);
    return this;
  }

  public MetaRecModel setUserCol(String v) {
    set(userCol, v);
    return this;
  }

  public MetaRecModel setItemCol(String v) {
    set(itemCol, v);
    return this;
  }

  public MetaRecModel setTimestampCol(String v) {
    set(timestampCol, v);
    return this;
  }

  /**
   * The interactions each user is adapted to before {@link #transform} predicts for them: rows of
   * {@code userCol}, {@code itemCol}, {@code ratingCol} (explicit feedback) and {@code
   * timestampCol} (when set), in the same column space as the rows to predict (after the same
   * indexers of a pipeline).
   */
  public MetaRecModel setHistory(Dataset<?> h) {
    this.history = h;
    return this;
  }

  /** @return the history set, or null */
  public Dataset<?> getHistory() {
    return history;
  }

  private String str(Param<String> p) {
    return getOrDefault(p);
  }

  private boolean implicit() {
    return str(feedback).equals("implicit");
  }

  /** The parts of the serving model, read once on the driver. */
  private synchronized io.metarec.serve.MetaRecModel.Parts parts(SparkSession spark) {
    if (parts == null) {
      parts = ModelFiles.servingParts(spark, modelDir);
    }
    return parts;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    MetaRec.field(schema, "userCol", str(userCol));
    MetaRec.field(schema, "itemCol", str(itemCol));
    if (java.util.Arrays.asList(schema.fieldNames()).contains(str(predictionCol))) {
      throw new IllegalArgumentException("predictionCol \"" + str(predictionCol) + "\" is "
          + "already a column of the data set");
    }
    return schema.add(str(predictionCol), DataTypes.FloatType, true);
  }

  /** Each user's history as {@code (u, events: array<struct<ts, item, label>>)}, time order. */
  private Dataset<Row> histories(Dataset<?> h) {
    MetaRec.field(h.schema(), "userCol", str(userCol));
    MetaRec.field(h.schema(), "itemCol", str(itemCol));
    boolean times = !str(timestampCol).isEmpty()
        && java.util.Arrays.asList(h.schema().fieldNames()).contains(str(timestampCol));
    Column ts = times ? col(str(timestampCol)).cast("long") : lit(0L);
    // Implicit feedback: the label column carries the event's count (1 without weightCol).
    Column label;
    if (implicit() && str(weightCol).isEmpty()) {
      label = lit(1f);
    } else if (implicit()) {
      MetaRec.checkWeightCol(h.schema(), true, str(weightCol));
      label = col(str(weightCol)).cast("float");
    } else {
      label = col(MetaRec.field(h.schema(), "ratingCol", str(ratingCol)).name()).cast("float");
    }
    return h.select(col(str(userCol)).cast("string").as("u"),
        struct(ts.as("ts"), col(str(itemCol)).cast("string").as("item"), label.as("label"))
            .as("e"))
        .groupBy("u").agg(sort_array(collect_list(col("e"))).as("events"));
  }

  private static History historyOf(Row r, int eventsField, boolean implicit) {
    if (r.isNullAt(eventsField)) {
      return History.empty();
    }
    List<Row> events = r.getList(eventsField);
    List<History.Interaction> in = new ArrayList<>(events.size());
    for (Row e : events) {
      if (e.isNullAt(2)) {
        throw new IllegalArgumentException("the history's event on item " + e.getString(1)
            + " has no " + (implicit ? "count (weightCol)" : "rating (ratingCol)"));
      }
      // An implicit event's count (History adds up an item's events and weighs them).
      in.add(implicit ? new History.Interaction(e.getString(1), 1f, e.getFloat(2))
          : new History.Interaction(e.getString(1), e.getFloat(2)));
    }
    return History.of(in);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<io.metarec.serve.MetaRecModel.Parts> b = jsc.broadcast(parts(spark));
    Dataset<Row> pairs = dataset.select(col(str(userCol)).cast("string").as("u"),
        col(str(itemCol)).cast("string").as("i")).distinct()
        .groupBy("u").agg(collect_list(col("i")).as("items"));
    Dataset<Row> users = history == null ? pairs.withColumn("events", lit(null)
        .cast("array<struct<ts:bigint,item:string,label:float>>"))
        : pairs.join(histories(history), new String[] {"u"}, "left");
    boolean implicit = implicit();
    StructType out = new StructType().add("__u", DataTypes.StringType)
        .add("__i", DataTypes.StringType).add(str(predictionCol), DataTypes.FloatType);
    JavaRDD<Row> scored = users.select("u", "items", "events").javaRDD().mapPartitions(it -> {
      io.metarec.serve.MetaRecModel m = io.metarec.serve.MetaRecModel.of(b.value(),
          io.metarec.serve.MetaRecModel.Options.DEFAULTS);
      List<Row> rows = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        List<String> items = r.getList(1);
        Scores s = m.score(historyOf(r, 2, implicit), items);
        Map<String, Float> byItem = new HashMap<>();
        for (ItemScore x : s.items()) {
          byItem.put(x.item(), x.score());
        }
        for (String i : items) {
          rows.add(RowFactory.create(r.getString(0), i, byItem.getOrDefault(i, Float.NaN)));
        }
      }
      return rows.iterator();
    });
    Dataset<Row> predictions = spark.createDataFrame(scored, out);
    Dataset<Row> keyed = dataset.toDF().withColumn("__u", col(str(userCol)).cast("string"))
        .withColumn("__i", col(str(itemCol)).cast("string"));
    Dataset<Row> joined = keyed.join(predictions, new String[] {"__u", "__i"}, "left")
        .drop("__u", "__i");
    if (str(coldStartStrategy).equals("drop")) {
      joined = joined.filter(col(str(predictionCol)).isNotNull()
          .and(org.apache.spark.sql.functions.not(col(str(predictionCol)).isNaN())));
    }
    return joined;
  }

  /**
   * The top {@code n} items over the catalog for each user of {@code histories} (rows of
   * {@code userCol}, {@code itemCol}, {@code ratingCol}, {@code timestampCol}), adapted to their
   * rows and leaving those items out: {@code (userCol, recommendations)} with
   * {@code recommendations} an array of {@code (itemCol, score)} structs, best first.
   */
  public Dataset<Row> recommendForUserSubset(Dataset<?> histories, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    SparkSession spark = histories.sparkSession();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<io.metarec.serve.MetaRecModel.Parts> b = jsc.broadcast(parts(spark));
    boolean implicit = implicit();
    StructType rec = new StructType().add(str(itemCol), DataTypes.StringType)
        .add("score", DataTypes.FloatType);
    StructType out = new StructType().add(str(userCol), DataTypes.StringType)
        .add("recommendations", DataTypes.createArrayType(rec));
    JavaRDD<Row> rows = histories(histories).javaRDD().mapPartitions(it -> {
      io.metarec.serve.MetaRecModel m = io.metarec.serve.MetaRecModel.of(b.value(),
          io.metarec.serve.MetaRecModel.Options.DEFAULTS);
      List<Row> res = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        List<Row> list = new ArrayList<>();
        for (ItemScore s : m.recommend(historyOf(r, 1, implicit), n).items()) {
          list.add(RowFactory.create(s.item(), s.score()));
        }
        res.add(RowFactory.create(r.getString(0),
            scala.collection.JavaConverters.asScalaBuffer(list).toSeq()));
      }
      return res.iterator();
    });
    return spark.createDataFrame(rows, out);
  }

  @Override
  public MetaRecModel copy(ParamMap extra) {
    MetaRecModel m = new MetaRecModel(uid, modelDir);
    copyValues(m, extra);
    m.history = history;
    m.parts = parts;
    return m.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** Reads a model saved with {@code write().save(path)}. */
  public static MLReader<MetaRecModel> read() {
    return new Reader();
  }

  /** Loads a model saved with {@code write().save(path)}. */
  public static MetaRecModel load(String path) {
    return read().load(path);
  }

  /** Params as Spark ML's metadata, the model folder under {@code model/}. */
  private static final class Writer extends MLWriter {
    private final MetaRecModel instance;

    Writer(MetaRecModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(instance, path, sc(), Option.empty(), Option.empty());
      try {
        HadoopFiles.copy(sc().hadoopConfiguration(), instance.modelDir, path + "/model");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot save the model folder " + instance.modelDir
            + " to " + path + "/model", e);
      }
    }
  }

  private static final class Reader extends MLReader<MetaRecModel> {
    @Override
    public MetaRecModel load(String path) {
      DefaultParamsReader.Metadata meta = DefaultParamsReader.loadMetadata(path, sc(),
          MetaRecModel.class.getName());
      MetaRecModel m = new MetaRecModel(meta.uid(), path.replaceAll("/+$", "") + "/model");
      meta.getAndSetParams(m, Option.empty());
      return m;
    }
  }
}
