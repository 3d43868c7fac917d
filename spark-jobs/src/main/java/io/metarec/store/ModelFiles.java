package io.metarec.store;

import io.metarec.config.MetaRecConfig;
import io.metarec.io.FolderReader;
import io.metarec.io.ModelFolder;
import io.metarec.io.ModelFolderException;
import io.metarec.io.ModelManifest;
import io.metarec.io.NeighbourFile;
import io.metarec.io.ParamFile;
import io.metarec.io.ParamSegment;
import io.metarec.io.VocabText;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.spark.HadoopFiles;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.spark.OutputClaim;
import io.metarec.spark.StagedOutput;
import io.metarec.train.ValidationMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model folders on any Hadoop file system, read and written here and nowhere else.
 *
 * <p>A model folder holds {@code model.json} ({@link ModelManifest}: format version,
 * architecture, segment shapes, label range, training config and its hash, the task set's
 * fingerprint, metrics, run statistics, creation time), {@code params.bin} (see {@link
 * ParamFile}: header, little-endian float32, CRC32), {@code metrics.csv} and {@code vocab/} (the
 * task set's {@code features.json}, {@code items/} and vocabularies under {@code values/}, {@link
 * TaskSetLayout#ofModel}). It is written whole under a staging folder and renamed into place by the
 * run's {@link OutputClaim}, so a failed run never leaves a half-written model.
 */
public final class ModelFiles {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFiles.class);
  /** The parts of a task set a model folder carries in {@code vocab/}. */
  private static final List<String> VOCAB_PARTS = List.of(TaskSetLayout.FEATURES,
      TaskSetLayout.ITEMS, TaskSetLayout.VOCAB);

  private ModelFiles() {}

  /**
   * A loaded model.
   *
   * @param dir the model folder
   * @param manifest its model.json
   * @param spec the architecture (on a grown vocabulary after {@link #ontoTaskSet})
   * @param theta the parameters
   * @param neighbours the item neighbourhoods of the neighbourhood term ({@code neighbours.bin}),
   *     or null
   */
  public record Model(String dir, ModelManifest manifest, ModelSpec spec, Params theta,
      io.metarec.model.ItemNeighbours neighbours) {
    /** The model's item table: {@code items} with the model's neighbourhoods. */
    public io.metarec.task.ItemFeatureTable itemTable(io.metarec.task.ItemFeatureTable items) {
      return neighbours == null ? items : items.withNeighbours(neighbours);
    }

    /** Smallest label of the training data. */
    public double labelMin() {
      return manifest.labelMin();
    }

    /** Largest label of the training data. */
    public double labelMax() {
      return manifest.labelMax();
    }

    /** Whether {@code metarec pretrain} made it. */
    public boolean pretrained() {
      return manifest.pretrained();
    }

    /** The folder's name, for method names and charts. */
    public String name() {
      String d = dir.replaceAll("/+$", "");
      return d.substring(d.lastIndexOf('/') + 1);
    }
  }

  /**
   * What a model folder holds besides the task set's vocabularies.
   *
   * @param theta the parameters to write
   * @param tasksDir the build-tasks output trained on (its vocabularies are copied)
   * @param data the task set's spec (label range, fingerprint)
   * @param trainedBy who made the model (for example "pretrain/dl4j-spark"); null for the
   *     meta-training job
   * @param training the resolved config sections that made the model, by section name
   * @param configHash hash of the settings that made the model
   * @param trainTasks number of training tasks
   * @param metrics final metrics
   * @param run run statistics
   * @param metricsCsv the per-iteration or per-epoch history
   * @param adaptation the chosen adaptation settings, or null
   * @param neighbours the item neighbourhoods of the neighbourhood term (written to {@code
   *     neighbours.bin}), or null
   */
  public record Publication(Params theta, String tasksDir, TaskSet.Spec data, String trainedBy,
      Map<String, Object> training, String configHash, long trainTasks,
      ModelManifest.Metrics metrics, ModelManifest.RunStats run, String metricsCsv,
      Map<String, Object> adaptation, io.metarec.model.ItemNeighbours neighbours) {

    /** A publication without item neighbourhoods. */
    public Publication(Params theta, String tasksDir, TaskSet.Spec data, String trainedBy,
        Map<String, Object> training, String configHash, long trainTasks,
        ModelManifest.Metrics metrics, ModelManifest.RunStats run, String metricsCsv,
        Map<String, Object> adaptation) {
      this(theta, tasksDir, data, trainedBy, training, configHash, trainTasks, metrics, run,
          metricsCsv, adaptation, null);
    }

    /** A publication without chosen adaptation settings (the model adapts as it was trained). */
    public Publication(Params theta, String tasksDir, TaskSet.Spec data, String trainedBy,
        Map<String, Object> training, String configHash, long trainTasks,
        ModelManifest.Metrics metrics, ModelManifest.RunStats run, String metricsCsv) {
      this(theta, tasksDir, data, trainedBy, training, configHash, trainTasks, metrics, run,
          metricsCsv, null, null);
    }
  }

  /** The resolved values of config sections (or single keys) as JSON-ready maps, by name. */
  public static Map<String, Object> configSections(MetaRecConfig cfg, String... sections) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String section : sections) {
      out.put(section, Json.readObject(Json.write(Map.of("v",
          cfg.raw().getValue(section).unwrapped()))).get("v"));
    }
    return out;
  }

  /** A validation's numbers as model.json holds them (NaN absent). */
  public static ModelManifest.Validation validationOf(ValidationMetrics m) {
    return ModelManifest.Validation.of(m.tasks(), m.interactions(), m.loss(), m.mae(), m.rmse(),
        m.auc(), m.ndcg());
  }

  /** The metrics of a validation as model.json holds them. */
  public static ValidationMetrics metricsOf(ModelManifest.Validation v) {
    return new ValidationMetrics(v.tasks(), v.interactions(),
        ModelManifest.Validation.value(v.loss()), ModelManifest.Validation.value(v.mae()),
        ModelManifest.Validation.value(v.rmse()), ModelManifest.Validation.value(v.auc()),
        ModelManifest.Validation.value(v.ndcg()));
  }

  /**
   * Writes the model folder under {@code claim} (the run's claim on it), atomically: {@code
   * params.bin}, {@code neighbours.bin} (when the publication has neighbourhoods), {@code vocab/} (the task set's Parquet tables and their JSON-lines form {@code
   * vocab/text/}, {@link VocabText}, which the serving API reads without Spark), {@code
   * metrics.csv} and {@code model.json}.
   */
  public static void publish(SparkSession spark, OutputClaim claim, Publication p) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String modelDir = claim.target().toString();
    ParamLayout layout = p.theta().layout();
    ModelSpec spec = layout.spec();
    try (StagedOutput out = StagedOutput.begin(claim)) {
      FileSystem fs = out.fileSystem();
      try (OutputStream os = fs.create(new Path(out.path("params.bin")), true)) {
        ParamFile.write(os, modelDir + "/params.bin", ParamSegment.list(layout), p.theta().flatten());
      }
      if (p.neighbours() != null) {
        try (OutputStream os = fs.create(new Path(out.path(NeighbourFile.NAME)), true)) {
          NeighbourFile.write(os, p.neighbours());
        }
      }
      TaskSetLayout from = TaskSetLayout.of(p.tasksDir());
      Path vocab = new Path(out.path(TaskSetLayout.VOCAB));
      fs.mkdirs(vocab);
      for (String part : VOCAB_PARTS) {
        Path dst = part.equals(TaskSetLayout.VOCAB) ? new Path(vocab, TaskSetLayout.MODEL_VALUES)
            : new Path(vocab, part);
        HadoopFiles.copy(conf, from.dir() + "/" + part, dst.toString());
      }
      writeVocabText(spark, from, spec, out.path(TaskSetLayout.VOCAB + "/" + VocabText.FOLDER));
      out.writeText("metrics.csv", p.metricsCsv());
      ModelManifest m = new ModelManifest(ModelManifest.FORMAT_VERSION, ModelManifest.KIND,
          p.trainedBy(), Instant.now().toString(), io.metarec.spark.CodeVersion.get(),
          ModelManifest.Architecture.of(spec), p.data().labelMin(), p.data().labelMax(),
          ModelManifest.segmentsOf(layout), ModelManifest.tree(p.training()), p.configHash(),
          new ModelManifest.DataInfo(p.tasksDir(), p.data().fingerprint(), p.trainTasks()),
          p.metrics(), p.run(), null);
      if (p.adaptation() != null) {
        m = m.withAdaptation(p.adaptation());
      }
      out.writeText("model.json", m.toJson());
      out.commit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + modelDir, e);
    }
  }

  /** Loads and checks a model folder; every problem names the file and what is wrong. */
  public static Model load(Configuration conf, String dir) {
    String d = dir.replaceAll("/+$", "");
    TaskSetLayout vocab = TaskSetLayout.ofModel(d);
    List<String> parts = new ArrayList<>();
    for (String part : List.of(vocab.features(), vocab.items(), vocab.vocab("item"))) {
      parts.add(part.substring(d.length() + 1));
    }
    try {
      ModelFolder.Contents c = ModelFolder.read(folder(conf, d), d, parts);
      return new Model(d, c.manifest(), c.spec(), c.theta(), c.neighbours());
    } catch (ModelFolderException e) {
      throw new JobFailedException(e.getMessage(), e);
    }
  }

  /** The folder {@code dir} on its Hadoop file system, for core's readers. */
  public static FolderReader folder(Configuration conf, String dir) {
    String d = dir.replaceAll("/+$", "");
    return new FolderReader() {
      @Override
      public boolean exists(String name) throws IOException {
        Path p = new Path(label(name));
        return p.getFileSystem(conf).exists(p);
      }

      @Override
      public InputStream open(String name) throws IOException {
        Path p = new Path(label(name));
        return p.getFileSystem(conf).open(p);
      }

      @Override
      public String label(String name) {
        return name.isEmpty() ? d : d + "/" + name;
      }
    };
  }

  /**
   * Writes {@link VocabText} (the JSON-lines vocabularies and item table) of the task set or
   * model vocabulary {@code vocab} into the folder {@code textDir}, which must not exist.
   */
  static void writeVocabText(SparkSession spark, TaskSetLayout vocab, ModelSpec spec,
      String textDir) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path root = new Path(textDir);
    FileSystem fs = root.getFileSystem(conf);
    VocabText.Writer w = new VocabText.Writer(name -> fs.create(new Path(root, name), false),
        spec.numItems());
    int fields = spec.itemFields().size();
    Iterator<Row> items = spark.read().parquet(vocab.items())
        .select("item_idx", "item_id", "count", "features").orderBy("item_idx").toLocalIterator();
    w.items(new Iterator<>() {
      @Override
      public boolean hasNext() {
        return items.hasNext();
      }

      @Override
      public VocabText.ItemRow next() {
        Row r = items.next();
        List<Object> f = r.isNullAt(3) ? List.of() : r.getList(3);
        int[][] features = new int[fields][];
        for (int k = 0; k < fields; k++) {
          features[k] = k < f.size() ? TaskSet.ints(f.get(k)) : new int[] {0};
        }
        return new VocabText.ItemRow(r.getInt(0), r.getString(1), r.isNullAt(2) ? 0 : r.getLong(2),
            features);
      }
    });
    List<String> names = new ArrayList<>();
    spec.userFields().forEach(f -> names.add("user." + f.name()));
    spec.itemFields().forEach(f -> names.add("item." + f.name()));
    for (String name : names) {
      Iterator<Row> values = spark.read().schema(Vocabulary.SCHEMA).parquet(vocab.vocab(name))
          .orderBy("index").toLocalIterator();
      w.values(name, new Iterator<>() {
        @Override
        public boolean hasNext() {
          return values.hasNext();
        }

        @Override
        public VocabText.ValueRow next() {
          Row r = values.next();
          return new VocabText.ValueRow(r.getString(0), r.getInt(1), r.getLong(2));
        }
      });
    }
    w.finish();
  }

  /**
   * Adds {@code vocab/text/} to a model folder written before it existed, atomically (written
   * under a temporary name, then renamed); returns false when the folder already has it.
   */
  public static boolean upgrade(SparkSession spark, String dir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Model m = load(conf, dir);
    TaskSetLayout vocab = TaskSetLayout.ofModel(m.dir());
    String text = vocab.dir() + "/" + VocabText.FOLDER;
    if (HadoopFiles.exists(conf, text + "/" + VocabText.MANIFEST)) {
      return false;
    }
    String tmp = vocab.dir() + "/." + VocabText.FOLDER + ".tmp-" + java.util.UUID.randomUUID();
    try {
      writeVocabText(spark, vocab, m.spec(), tmp);
      Path dst = new Path(text);
      FileSystem fs = dst.getFileSystem(conf);
      if (fs.exists(dst)) {
        fs.delete(dst, true); // an earlier upgrade that died before its manifest
      }
      if (!fs.rename(new Path(tmp), dst)) {
        throw new IOException("cannot rename " + tmp + " to " + text);
      }
    } catch (IOException e) {
      HadoopFiles.delete(conf, tmp);
      throw new UncheckedIOException("cannot add " + text, e);
    }
    LOG.info("model {}: wrote {} (the vocabularies read without Spark)", m.dir(), text);
    return true;
  }

  /**
   * The parts of the serving API's model of the folder {@code dir} on any Hadoop file system:
   * {@code vocab/text/} when the folder has it, else its Parquet tables.
   */
  public static io.metarec.serve.MetaRecModel.Parts servingParts(SparkSession spark, String dir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Model m = load(conf, dir);
    VocabText.Contents v;
    TaskSetLayout vocab = TaskSetLayout.ofModel(m.dir());
    if (HadoopFiles.exists(conf, vocab.dir() + "/" + VocabText.FOLDER + "/" + VocabText.MANIFEST)) {
      try {
        v = VocabText.read(folder(conf, m.dir()), m.spec());
      } catch (ModelFolderException e) {
        throw new JobFailedException(e.getMessage(), e);
      }
    } else {
      TaskSet.Spec data = TaskSet.spec(conf, vocab.dir());
      String[] ids = new String[m.spec().numItems()];
      Vocabulary.read(spark, vocab.vocab("item")).entries().forEach((value, i) -> {
        if (i < ids.length) {
          ids[i] = value;
        }
      });
      List<Map<String, Integer>> users = new ArrayList<>();
      for (FieldSpec f : m.spec().userFields()) {
        users.add(Vocabulary.read(spark, vocab.vocab("user." + f.name())).entries());
      }
      v = new VocabText.Contents(ids, Map.of(), TaskSet.items(spark, vocab.dir(), data), users);
    }
    return new io.metarec.serve.MetaRecModel.Parts(m.dir(), m.manifest().toJson(),
        m.theta().flatten(), v.itemIds(), m.itemTable(v.items()), new ArrayList<>(v.userValues()));
  }

  public static Model ontoTaskSet(SparkSession spark, Model m, TaskSet.Spec data, String tasksDir,
      long seed, float embeddingStd) {
    ModelSpec s = m.spec();
    if (!shape(s.userFields()).equals(shape(data.userFields()))
        || !shape(s.itemFields()).equals(shape(data.itemFields()))
        || s.feedback() != data.feedback()) {
      return m;
    }
    TaskSetLayout modelVocab = TaskSetLayout.ofModel(m.dir());
    TaskSetLayout taskVocab = TaskSetLayout.of(tasksDir);
    List<String> names = new ArrayList<>();
    names.add("item");
    s.userFields().forEach(f -> names.add("user." + f.name()));
    s.itemFields().forEach(f -> names.add("item." + f.name()));
    boolean identical = s.numItems() == data.numItems() && s.userFields().equals(data.userFields())
        && s.itemFields().equals(data.itemFields());
    long known = 0;
    long taskItems = 0;
    for (String v : names) {
      Map<String, Integer> mine = Vocabulary.read(spark, modelVocab.vocab(v)).entries();
      Map<String, Integer> theirs = Vocabulary.read(spark, taskVocab.vocab(v)).entries();
      if (!mine.equals(theirs)) {
        identical = false;
      }
      if (v.equals("item")) {
        taskItems = theirs.size();
        known = theirs.keySet().stream().filter(mine::containsKey).count();
      }
    }
    if (identical) {
      return m;
    }
    if (known == 0) {
      throw new JobFailedException("model " + m.dir() + " knows none of the " + taskItems
          + " items of the task set " + tasksDir + " (its vocab/values/item shares no item id with "
          + "the task set's vocab/item): it was trained on other data");
    }
    ModelSpec grown = new ModelSpec(data.numItems(), data.userFields(), data.itemFields(),
        s.embeddingDim(), s.hidden(), s.activation(), s.userDim(), s.feedback(), s.implicitTerm(),
        s.userInMlp(), s.learnedFoldIn());
    Params theta = warmStart(spark, m.dir(), new ParamLayout(grown), tasksDir, seed, embeddingStd);
    LOG.info("model {} ({} items) mapped onto the vocabularies of {} ({} items) by value: it knows "
        + "{} of the task set's items, the others start cold", m.dir(), s.numItems() - 1, tasksDir,
        taskItems, known);
    io.metarec.model.ItemNeighbours nb = m.neighbours() == null ? null
        : m.neighbours().remap(indexMap(spark, modelVocab.vocab("item"), taskVocab.vocab("item"),
            data.numItems()));
    return new Model(m.dir(), m.manifest(), grown, theta, nb);
  }


  /**
   * Parameters for {@code layout} (a model on a newer task set) started from the model at
   * {@code initFrom}: rows of item and feature tables are carried over by value (the vocabularies
   * of both task sets are matched by their values), new rows keep a fresh random init, and every
   * other segment must have the same shape.
   */
  public static Params warmStart(SparkSession spark, String initFrom, ParamLayout layout, String tasksDir,
      long seed, float embeddingStd) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Model old = load(conf, initFrom);
    ParamLayout oldLayout = old.theta().layout();
    Params fresh = io.metarec.model.ParamInitializer.initialize(layout.spec(), seed, embeddingStd,
        (float) Math.exp(old.theta().segment(oldLayout.logLambda)[0][0]));
    Map<String, int[]> maps = new HashMap<>();
    for (Segment s : layout.segments()) {
      float[][] dst = fresh.segment(s.id());
      Segment os;
      try {
        os = oldLayout.segment(s.name());
      } catch (IllegalArgumentException e) {
        os = null;
      }
      if (os == null && s.id() == layout.logFoldIn) {
        continue; // a model from before the learned fold-in gain: it starts at gain 1
      }
      if (os == null || os.cols() != s.cols() || (!s.table() && os.rows() != s.rows())) {
        throw new JobFailedException("--init-from " + initFrom + ": segment " + s.name()
            + " is " + (os == null ? "missing" : "[" + os.rows() + ", " + os.cols() + "]")
            + " there but [" + s.rows() + ", " + s.cols() + "] here; warm starts need the same "
            + "model.* architecture");
      }
      float[][] src = old.theta().segment(os.id());
      if (!s.table()) {
        for (int r = 0; r < s.rows(); r++) {
          System.arraycopy(src[r], 0, dst[r], 0, s.cols());
        }
        continue;
      }
      String vocabName = TaskSetLayout.vocabOfSegment(s.name());
      int[] newToOld = maps.computeIfAbsent(vocabName, v -> indexMap(spark,
          TaskSetLayout.ofModel(initFrom).vocab(v), TaskSetLayout.of(tasksDir).vocab(v), s.rows()));
      for (int r = 0; r < s.rows(); r++) {
        int o = r == 0 ? 0 : newToOld[r];
        if (o >= 0 && o < os.rows()) {
          System.arraycopy(src[o], 0, dst[r], 0, s.cols());
        }
      }
    }
    return fresh;
  }

  /** new index → old index (−1 for values the old vocabulary lacks). */
  private static int[] indexMap(SparkSession spark, String oldVocab, String newVocab, int rows) {
    Map<String, Integer> old = new HashMap<>();
    for (Row r : spark.read().parquet(oldVocab).collectAsList()) {
      old.put(r.getString(0), r.getInt(1));
    }
    int[] map = new int[rows];
    Arrays.fill(map, -1);
    for (Row r : spark.read().parquet(newVocab).collectAsList()) {
      int idx = r.getInt(1);
      if (idx < rows) {
        map[idx] = old.getOrDefault(r.getString(0), -1);
      }
    }
    return map;
  }

  /** Field names and kinds, without vocabulary sizes. */
  private static List<String> shape(List<FieldSpec> fields) {
    return fields.stream().map(f -> f.name() + (f.multiValued() ? "*" : "")).toList();
  }
}
