package io.metarec.jobs.train;

import io.metarec.config.MetaRecConfig;
import io.metarec.io.Checkpoint;
import io.metarec.io.CheckpointFile;
import io.metarec.io.ModelFileException;
import io.metarec.io.ParamFile;
import io.metarec.io.ParamSegment;
import io.metarec.io.ParamVector;
import io.metarec.io.StateBuffer;
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
import io.metarec.train.MetaTrainer;
import io.metarec.train.TrainingCheckpoint;
import io.metarec.train.TrainingState;
import io.metarec.train.ValidationMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model folders and training checkpoints on any Hadoop file system.
 *
 * <p>A model folder holds {@code model.json} (format version, architecture, feature spec, segment
 * shapes, training config and its hash, final metrics, data fingerprint, run statistics, creation
 * time), {@code params.bin} (see {@link ParamFile}: header, little-endian float32, CRC32),
 * {@code metrics.csv} and {@code vocab/} (the task set's {@code features.json}, {@code items/} and
 * vocabularies the model was trained with). It is written whole under a staging folder and renamed
 * into place, so a failed run never leaves a half-written model.
 *
 * <p>Checkpoints live beside it in {@code <model>.checkpoints/ckpt-<iteration>/}: {@code state.bin}
 * (a {@link CheckpointFile}: θ, the optimizer state and the best θ as named buffers, the iteration,
 * the training-config hash, and the step-size scale and early-stopping state) and
 * {@code metrics.csv}, each folder written under a temporary name and renamed when complete. The
 * two most recent are kept.
 */
public final class ModelStore {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
  /** Version of model.json and the folder layout. */
  public static final int FORMAT_VERSION = 1;
  private static final int KEEP_CHECKPOINTS = 2;

  private final Configuration conf;
  private final String modelDir;
  private final OutputClaim claim;

  /** A store for reading the model folder {@code modelDir} and its checkpoints. */
  public ModelStore(Configuration conf, String modelDir) {
    this(conf, modelDir, null);
  }

  /**
   * A store that also publishes the model folder, under {@code claim}: the run's claim on
   * {@code modelDir} (its lock, held for the whole run).
   */
  public ModelStore(Configuration conf, String modelDir, OutputClaim claim) {
    this.conf = conf;
    this.modelDir = modelDir.replaceAll("/+$", "");
    this.claim = claim;
  }

  /** The model folder. */
  public String modelDir() {
    return modelDir;
  }

  /** The folder of this model's checkpoints. */
  public String checkpointDir() {
    return modelDir + ".checkpoints";
  }

  /** The segments of a layout as file segments. */
  static List<ParamSegment> segments(ParamLayout layout, String prefix) {
    List<ParamSegment> out = new ArrayList<>();
    for (Segment s : layout.segments()) {
      out.add(ParamSegment.of(prefix + s.name(), s.rows(), s.cols()));
    }
    return out;
  }

  // ------------------------------------------------------------------------------ checkpoints

  /**
   * Which run a checkpoint belongs to: a resume continues only a checkpoint of the same run.
   *
   * @param trainingHash hash of the settings that shape training ({@link #trainingHash}: model,
   *     inner, meta but its iteration count, seed, the task set's path, partitions and validation)
   * @param dataFingerprint the task set's input fingerprint and config hash ({@link TaskSet.Spec})
   * @param initFrom the model a warm start began from, "" for none
   */
  record RunIdentity(String trainingHash, String dataFingerprint, String initFrom) {
    /** All three in one short hash, recorded as the checkpoint's config hash. */
    String hash() {
      return MetaRecConfig.sha256(trainingHash + "\n" + dataFingerprint + "\n" + initFrom)
          .substring(0, 16);
    }

    static RunIdentity of(MetaRecConfig cfg, TaskSet.Spec data) {
      return new RunIdentity(ModelStore.trainingHash(cfg), data.fingerprint(), cfg.train().initFrom());
    }

    /** What differs between a checkpoint's run ({@code info}) and this one, for the message. */
    String differences(String checkpointHash, Map<String, String> info) {
      if (!info.containsKey("trainingHash")) {
        return "it was written by an older MetaRec that did not record its run (hash "
            + checkpointHash + ")";
      }
      List<String> d = new ArrayList<>();
      if (!trainingHash.equals(info.get("trainingHash"))) {
        d.add("training settings (model, inner, meta, seed, train.tasks/partitions/validation) "
            + "hash " + info.get("trainingHash") + " there, " + trainingHash + " here");
      }
      if (!dataFingerprint.equals(info.get("dataFingerprint"))) {
        d.add("task set fingerprint " + info.get("dataFingerprint") + " there, " + dataFingerprint
            + " here (the tasks were rebuilt from other data or settings)");
      }
      if (!initFrom.equals(info.getOrDefault("initFrom", ""))) {
        d.add("warm start from '" + info.getOrDefault("initFrom", "") + "' there, '" + initFrom
            + "' here");
      }
      return d.isEmpty() ? "its run hash " + checkpointHash + " differs" : String.join("; ", d);
    }
  }

  /** The iteration a checkpoint folder's name says, or -1 for a name that is not ckpt-N. */
  static long iterationOf(String name) {
    if (!name.matches("ckpt-\\d{1,18}")) {
      return -1;
    }
    return Long.parseLong(name.substring("ckpt-".length()));
  }

  /**
   * Removes every checkpoint of this model folder (a fresh run, which must not leave an earlier
   * run's checkpoints to be resumed later); returns how many there were.
   */
  int clearCheckpoints() {
    try {
      Path dir = new Path(checkpointDir());
      FileSystem fs = dir.getFileSystem(conf);
      if (!fs.exists(dir)) {
        return 0;
      }
      FileStatus[] entries = fs.listStatus(dir, p -> p.getName().startsWith("ckpt-")
          || p.getName().startsWith("_tmp-ckpt-"));
      for (FileStatus e : entries) {
        fs.delete(e.getPath(), true);
      }
      return entries.length;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the checkpoints under " + checkpointDir(), e);
    }
  }

  /**
   * Writes a checkpoint of {@code s}, then keeps it and the {@value #KEEP_CHECKPOINTS} − 1 newest
   * earlier ones by iteration, removing every other {@code ckpt-*} folder: one that claims a later
   * iteration than this run has reached cannot be this run's and would otherwise be resumed first.
   */
  void writeCheckpoint(TrainingCheckpoint c, RunIdentity run) {
    TrainingState s = c.state();
    try {
      Path dir = new Path(checkpointDir());
      FileSystem fs = dir.getFileSystem(conf);
      fs.mkdirs(dir);
      String name = String.format("ckpt-%012d", s.iteration());
      Path tmp = new Path(dir, "_tmp-" + name);
      fs.delete(tmp, true);
      fs.mkdirs(tmp);
      ParamLayout layout = c.theta().layout();
      List<StateBuffer> buffers = new ArrayList<>();
      buffers.add(new StateBuffer("optimizer", c.optimizerState()));
      if (c.bestTheta() != null) {
        buffers.add(new StateBuffer("bestTheta", c.bestTheta().flatten()));
      }
      Map<String, String> info = new LinkedHashMap<>();
      info.put("lrScale", Double.toString(s.lrScale()));
      info.put("divergences", Integer.toString(s.divergences()));
      info.put("bestIteration", Long.toString(s.bestIteration()));
      info.put("sinceBest", Integer.toString(s.sinceBest()));
      info.put("trainingHash", run.trainingHash());
      info.put("dataFingerprint", run.dataFingerprint());
      info.put("initFrom", run.initFrom());
      if (s.best() != null) {
        info.put("best", Json.write(metricsMap(s.best())));
      }
      // Sampling and resplitting streams derive from (seed, iteration, task id): no RNG words.
      Checkpoint cp = new Checkpoint(new ParamVector(segments(layout, ""), c.theta().flatten()),
          buffers, s.iteration(), new long[0], run.hash(), info);
      Path state = new Path(tmp, "state.bin");
      try (OutputStream out = fs.create(state, true)) {
        CheckpointFile.write(out, state.toString(), cp);
      }
      write(fs, new Path(tmp, "metrics.csv"), s.metricsCsv());
      Path fin = new Path(dir, name);
      fs.delete(fin, true);
      if (!fs.rename(tmp, fin)) {
        throw new IOException("cannot rename " + tmp + " to " + fin);
      }
      int kept = 1;
      List<FileStatus> all = checkpoints(fs, dir);
      for (int i = all.size() - 1; i >= 0; i--) {
        FileStatus f = all.get(i);
        long it = iterationOf(f.getPath().getName());
        if (it == s.iteration()) {
          continue;
        }
        if (it >= 0 && it < s.iteration() && kept < KEEP_CHECKPOINTS) {
          kept++;
          continue;
        }
        if (it > s.iteration()) {
          LOG.warn("removing checkpoint {}: it claims iteration {}, later than this run's {}",
              f.getPath(), it, s.iteration());
        }
        fs.delete(f.getPath(), true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a checkpoint under " + checkpointDir(), e);
    }
  }

  /** Complete checkpoints (every {@code ckpt-*} folder), by iteration, oldest first. */
  private static List<FileStatus> checkpoints(FileSystem fs, Path dir) throws IOException {
    if (!fs.exists(dir)) {
      return List.of();
    }
    List<FileStatus> all = new ArrayList<>(Arrays.asList(
        fs.listStatus(dir, p -> p.getName().startsWith("ckpt-"))));
    all.sort(Comparator.comparingLong((FileStatus f) -> iterationOf(f.getPath().getName()))
        .thenComparing(f -> f.getPath().getName()));
    return all;
  }

  /**
   * The newest checkpoint that reads back whole, or null when there is none. A checkpoint of another
   * run ({@link RunIdentity}: settings, task set, warm start) is refused with what differs; a
   * damaged one (or one whose folder name is not its iteration) is reported and the next older one
   * tried.
   */
  TrainingCheckpoint readLatestCheckpoint(ParamLayout layout, RunIdentity run) {
    try {
      Path dir = new Path(checkpointDir());
      FileSystem fs = dir.getFileSystem(conf);
      List<FileStatus> all = checkpoints(fs, dir);
      for (int i = all.size() - 1; i >= 0; i--) {
        Path p = all.get(i).getPath();
        try {
          return readCheckpoint(fs, p, layout, run);
        } catch (ModelFileException e) {
          LOG.warn("checkpoint {} is unusable ({}); trying an older one", p, e.getMessage());
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoints under " + checkpointDir(), e);
    }
  }

  private TrainingCheckpoint readCheckpoint(FileSystem fs, Path p, ParamLayout layout,
      RunIdentity run)
      throws IOException {
    Path state = new Path(p, "state.bin");
    Checkpoint c;
    try (InputStream in = fs.open(state)) {
      c = CheckpointFile.read(in, state.toString(), segments(layout, ""));
    }
    if (!run.hash().equals(c.configHash())) {
      throw new JobFailedException("checkpoint " + p + " belongs to another training run: "
          + run.differences(c.configHash(), c.info()) + ". Resume only the run that wrote it "
          + "(same settings and task set), or train without --resume, which starts afresh and "
          + "removes these checkpoints");
    }
    if (iterationOf(p.getName()) != c.iteration()) {
      throw new ModelFileException(state.toString(), ModelFileException.Problem.CORRUPT_HEADER,
          "holds iteration " + c.iteration() + ", not the one its folder name says");
    }
    Params theta = Params.unflatten(layout, c.theta().data());
    Params bestTheta = null;
    float[] optimizerState = null;
    for (StateBuffer b : c.optimizerState()) {
      if (b.name().equals("optimizer")) {
        optimizerState = b.values();
      } else if (b.name().equals("bestTheta")) {
        bestTheta = Params.unflatten(layout, b.values());
      }
    }
    Map<String, String> info = c.info();
    List<TrainingState.Row> rows = new ArrayList<>();
    for (String line : read(fs, new Path(p, "metrics.csv")).split("\n")) {
      if (!line.isBlank() && !line.startsWith("iteration")) {
        rows.add(TrainingState.Row.parse(line));
      }
    }
    TrainingState s = new TrainingState(c.iteration(), Double.parseDouble(info.get("lrScale")),
        Integer.parseInt(info.get("divergences")),
        info.containsKey("best") ? metricsFrom(Json.readObject(info.get("best"))) : null,
        Long.parseLong(info.get("bestIteration")), Integer.parseInt(info.get("sinceBest")),
        TrainingState.History.of(rows));
    return new TrainingCheckpoint(s, theta, bestTheta, optimizerState);
  }


  // ------------------------------------------------------------------------------ model folder

  /**
   * What a model folder holds besides the task set's vocabularies: the parameters and what
   * {@code model.json} and {@code metrics.csv} record about how they were made.
   *
   * @param theta the parameters to write
   * @param tasksDir the build-tasks output trained on (its vocabularies are copied)
   * @param data the task set's spec (label range, fingerprint)
   * @param trainedBy who made the model (for example "pretrain (dl4j-spark)"); null for the
   *     meta-training job, whose model.json has no such field
   * @param training the resolved config sections that made the model, by section name
   * @param configHash hash of the settings that made the model
   * @param trainTasks number of training tasks
   * @param metrics final metrics ({@code model.json} "metrics")
   * @param run run statistics ({@code model.json} "run")
   * @param metricsCsv the per-iteration or per-epoch history
   */
  public record Publication(Params theta, String tasksDir, TaskSet.Spec data, String trainedBy,
      Map<String, Object> training, String configHash, long trainTasks,
      Map<String, Object> metrics, Map<String, Object> run, String metricsCsv) {}

  /** Writes the model folder of a meta-training run (θ = the best validated parameters). */
  void publish(MetaRecConfig cfg, String tasksDir, TaskSet.Spec data, MetaTrainer.Outcome o,
      long nTrain, double wall, double rate, double kernelSeconds, double outsideKernelShare,
      double cachedBytesPerInteraction) {
    TrainingState s = o.state();
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("bestIteration", o.bestIteration());
    metrics.put("validation", s.best() == null ? null : metricsMap(s.best()));
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("wallSeconds", wall);
    run.put("iterations", s.iteration());
    long perIteration = Math.min(nTrain, cfg.engine().meta().tasksPerIteration());
    run.put("metaEpochs", (double) s.iteration() * perIteration / nTrain);
    run.put("adaptationsPerSecond", rate);
    run.put("stoppedEarly", o.stoppedEarly());
    run.put("kernelSeconds", kernelSeconds);
    run.put("outsideKernelShare", outsideKernelShare);
    run.put("cachedBytesPerInteraction", cachedBytesPerInteraction);
    publish(new Publication(o.bestTheta(), tasksDir, data, null,
        configSections(cfg, "model", "inner", "meta", "train", "seed"), trainingHash(cfg), nTrain,
        metrics, run, s.metricsCsv()));
    LOG.info("model written to {} (best iteration {}, {})", modelDir, o.bestIteration(),
        s.best() == null ? "not validated" : s.best());
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

  /**
   * Writes the model folder atomically: {@code params.bin}, {@code vocab/}, {@code metrics.csv}
   * and {@code model.json}, under a staging folder renamed into place when complete; needs the
   * store made with the run's claim.
   */
  public void publish(Publication p) {
    ModelSpec spec = p.theta().layout().spec();
    if (claim == null) {
      throw new IllegalStateException("publishing " + modelDir + " needs the run's claim on it: "
          + "new ModelStore(conf, dir, claim)");
    }
    try (StagedOutput out = StagedOutput.begin(claim)) {
      FileSystem fs = out.fileSystem();
      try (OutputStream os = fs.create(new Path(out.path("params.bin")), true)) {
        ParamFile.write(os, modelDir + "/params.bin", segments(p.theta().layout(), ""),
            p.theta().flatten());
      }
      Path vocab = new Path(out.path("vocab"));
      fs.mkdirs(vocab);
      for (String part : List.of("features.json", "items", "vocab")) {
        Path dst = part.equals("vocab") ? new Path(vocab, "values") : new Path(vocab, part);
        HadoopFiles.copy(conf, p.tasksDir() + "/" + part, dst.toString());
      }
      out.writeText("metrics.csv", p.metricsCsv());
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("formatVersion", FORMAT_VERSION);
      j.put("kind", "metarec-model");
      if (p.trainedBy() != null) {
        j.put("trainedBy", p.trainedBy());
      }
      j.put("createdAt", Instant.now().toString());
      j.put("codeVersion", codeVersion());
      j.put("architecture", architecture(spec));
      j.put("labelMin", p.data().labelMin());
      j.put("labelMax", p.data().labelMax());
      List<Map<String, Object>> segs = new ArrayList<>();
      for (ParamSegment seg : segments(p.theta().layout(), "")) {
        segs.add(Map.of("name", seg.name(), "shape", seg.shape()));
      }
      j.put("segments", segs);
      j.put("training", p.training());
      j.put("configHash", p.configHash());
      Map<String, Object> dataMap = new LinkedHashMap<>();
      dataMap.put("tasks", p.tasksDir());
      dataMap.put("fingerprint", p.data().fingerprint());
      dataMap.put("trainTasks", p.trainTasks());
      j.put("data", dataMap);
      j.put("metrics", p.metrics());
      j.put("run", p.run());
      out.writeText("model.json", Json.write(j));
      out.commit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + modelDir, e);
    }
  }

  /**
   * A loaded model: its spec, parameters, label range and metadata.
   *
   * @param dir the model folder
   * @param spec the architecture
   * @param theta the parameters
   * @param labelMin smallest label of the training data
   * @param labelMax largest label of the training data
   * @param json model.json
   */
  public record Loaded(String dir, ModelSpec spec, Params theta, double labelMin, double labelMax,
      Map<String, Object> json) {}

  /** Loads and checks a model folder; every problem names the file and what is wrong. */
  @SuppressWarnings("unchecked")
  public static Loaded load(Configuration conf, String dir) {
    String d = dir.replaceAll("/+$", "");
    String jsonPath = d + "/model.json";
    if (!HadoopFiles.exists(conf, jsonPath)) {
      throw new JobFailedException(d + " is not a MetaRec model: it has no model.json");
    }
    Map<String, Object> j;
    try {
      j = Json.readObject(HadoopFiles.readText(conf, jsonPath));
    } catch (UncheckedIOException e) {
      throw new JobFailedException(jsonPath + " is not valid JSON: " + e.getCause().getMessage());
    }
    Object version = j.get("formatVersion");
    if (!(version instanceof Number) || !"metarec-model".equals(j.get("kind"))) {
      throw new JobFailedException(jsonPath + " is not a MetaRec model description");
    }
    if (((Number) version).intValue() > FORMAT_VERSION) {
      throw new JobFailedException(jsonPath + " has format version " + version
          + ", written by a newer MetaRec (this build reads up to " + FORMAT_VERSION + ")");
    }
    ModelSpec spec = specFrom((Map<String, Object>) j.get("architecture"), jsonPath);
    ParamLayout layout = new ParamLayout(spec);
    double labelMin = number(j, "labelMin", jsonPath);
    double labelMax = number(j, "labelMax", jsonPath);
    if (!(labelMin <= labelMax)) {
      throw new JobFailedException(jsonPath + ": labelMin " + labelMin + " exceeds labelMax "
          + labelMax);
    }
    checkSegments(j.get("segments"), layout, jsonPath);
    for (String part : List.of("vocab/features.json", "vocab/items", "vocab/values/item")) {
      if (!HadoopFiles.exists(conf, d + "/" + part)) {
        throw new JobFailedException("model " + d + " is incomplete: it has no " + part
            + " (the vocabularies a model is trained on are part of its folder)");
      }
    }
    Path p = new Path(d + "/params.bin");
    float[] flat;
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      flat = ParamFile.read(in, p.toString(), segments(layout, ""));
    } catch (ModelFileException e) {
      throw new JobFailedException(e.getMessage(), e);
    } catch (IOException e) {
      throw new JobFailedException("cannot read " + p + ": " + e.getMessage(), e);
    }
    return new Loaded(d, spec, Params.unflatten(layout, flat), labelMin, labelMax, j);
  }

  /** A finite number at {@code key} of model.json, or a one-line error naming the file and key. */
  private static double number(Map<String, Object> j, String key, String jsonPath) {
    Object v = j.get(key);
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new JobFailedException(jsonPath + ": " + key + " must be a number, "
          + (v == null ? "it is missing" : "got " + (v instanceof String ? "\"" + v + "\"" : v)));
    }
    return n.doubleValue();
  }

  /** model.json's {@code segments} must be exactly the segments its architecture makes. */
  @SuppressWarnings("unchecked")
  private static void checkSegments(Object listed, ParamLayout layout, String jsonPath) {
    List<String> expected = new ArrayList<>();
    for (ParamSegment seg : segments(layout, "")) {
      expected.add(seg.name() + Arrays.toString(seg.shape()));
    }
    List<String> found = new ArrayList<>();
    try {
      for (Map<String, Object> m : (List<Map<String, Object>>) listed) {
        List<Number> shape = (List<Number>) m.get("shape");
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = shape.get(i).longValue();
        }
        found.add(m.get("name") + Arrays.toString(dims));
      }
    } catch (RuntimeException e) {
      throw new JobFailedException(jsonPath + ": segments must be a list of {name, shape}, got "
          + listed);
    }
    if (!found.equals(expected)) {
      throw new JobFailedException(jsonPath + ": its segments " + found + " are not the ones its "
          + "architecture makes " + expected);
    }
  }

  /**
   * The model on the vocabularies of the task set it is evaluated on. Indices only mean something
   * together with the vocabularies they index, so the model's vocabularies ({@code vocab/}) are
   * compared with the task set's, value by value:
   * <ul>
   *   <li>the same: the model as it is;
   *   <li>otherwise (a task set grown since, as nightly builds them on the latest version's
   *       vocabulary, or one built from other data): the model's table rows are mapped by value
   *       (item id, feature value) onto the task set's indices as in a warm start, and values the
   *       model never saw start from a fresh initialization (seeded), i.e. the model meets them
   *       cold; the log says how many of the task set's items the model knows;
   *   <li>a task set with no item the model knows is refused by name.
   * </ul>
   * Field names and kinds and the feedback must match; otherwise {@code m} is returned unchanged and
   * the caller's shape check refuses it.
   */
  public static Loaded ontoTaskSet(SparkSession spark, Loaded m, TaskSet.Spec data, String tasksDir,
      long seed, float embeddingStd) {
    ModelSpec s = m.spec();
    if (!shape(s.userFields()).equals(shape(data.userFields()))
        || !shape(s.itemFields()).equals(shape(data.itemFields()))
        || s.feedback() != data.feedback()) {
      return m;
    }
    String modelVocab = m.dir().replaceAll("/+$", "") + "/vocab/values/";
    List<String> names = new ArrayList<>();
    names.add("item");
    s.userFields().forEach(f -> names.add("user." + f.name()));
    s.itemFields().forEach(f -> names.add("item." + f.name()));
    boolean identical = s.numItems() == data.numItems() && s.userFields().equals(data.userFields())
        && s.itemFields().equals(data.itemFields());
    long known = 0;
    long taskItems = 0;
    for (String v : names) {
      Map<String, Integer> mine = io.metarec.jobs.tasks.Vocabulary.read(spark, modelVocab + v).entries();
      Map<String, Integer> theirs = io.metarec.jobs.tasks.Vocabulary.read(spark,
          tasksDir + "/vocab/" + v).entries();
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
        s.userInMlp());
    Params theta = warmStart(spark, m.dir(), new ParamLayout(grown), tasksDir, seed, embeddingStd);
    LOG.info("model {} ({} items) mapped onto the vocabularies of {} ({} items) by value: it knows "
        + "{} of the task set's items, the others start cold", m.dir(), s.numItems() - 1, tasksDir,
        taskItems, known);
    return new Loaded(m.dir(), grown, theta, m.labelMin(), m.labelMax(), m.json());
  }

  /** Field names and kinds, without vocabulary sizes. */
  private static List<String> shape(List<FieldSpec> fields) {
    return fields.stream().map(f -> f.name() + (f.multiValued() ? "*" : "")).toList();
  }

  /**
   * Parameters for {@code layout} (a model on a newer task set) started from the model at
   * {@code initFrom}: rows of item and feature tables are carried over by value (the vocabularies
   * of both task sets are matched by their values), new rows keep a fresh random init, and every
   * other segment must have the same shape.
   */
  static Params warmStart(SparkSession spark, String initFrom, ParamLayout layout, String tasksDir,
      long seed, float embeddingStd) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Loaded old = load(conf, initFrom);
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
      String vocabName = vocabOf(s.name());
      int[] newToOld = maps.computeIfAbsent(vocabName, v -> indexMap(spark,
          initFrom.replaceAll("/+$", "") + "/vocab/values/" + v, tasksDir + "/vocab/" + v,
          s.rows()));
      for (int r = 0; r < s.rows(); r++) {
        int o = r == 0 ? 0 : newToOld[r];
        if (o >= 0 && o < os.rows()) {
          System.arraycopy(src[o], 0, dst[r], 0, s.cols());
        }
      }
    }
    return fresh;
  }

  /** The vocabulary a table segment is indexed by. */
  static String vocabOf(String segment) {
    if (segment.startsWith("userField.")) {
      return "user." + segment.substring("userField.".length());
    }
    if (segment.startsWith("itemField.")) {
      return "item." + segment.substring("itemField.".length());
    }
    return "item";
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

  // ------------------------------------------------------------------------------ helpers

  /** Hash of the settings a checkpoint must agree with to be resumed. */
  static String trainingHash(MetaRecConfig cfg) {
    // meta.iterations is left out: a resume may extend a run.
    com.typesafe.config.Config c = cfg.raw();
    String text = String.join("\n",
        render(c, "model"), render(c, "inner"), render(c.withoutPath("meta.iterations"), "meta"),
        render(c, "seed"), render(c, "train.tasks"), render(c, "train.partitions"),
        render(c, "train.validateEvery"), render(c, "train.validationTasks"),
        render(c, "train.lrDecay"));
    return MetaRecConfig.sha256(text).substring(0, 16);
  }

  private static String render(com.typesafe.config.Config c, String path) {
    return path + "=" + c.getValue(path).render(com.typesafe.config.ConfigRenderOptions.concise());
  }

  static Map<String, Object> architecture(ModelSpec spec) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("numItems", spec.numItems());
    a.put("userFields", fieldMaps(spec.userFields()));
    a.put("itemFields", fieldMaps(spec.itemFields()));
    a.put("embeddingDim", spec.embeddingDim());
    a.put("hidden", spec.hidden());
    a.put("activation", spec.activation().name().toLowerCase(java.util.Locale.ROOT));
    a.put("userDim", spec.userDim());
    a.put("feedback", spec.feedback().name().toLowerCase(java.util.Locale.ROOT));
    a.put("implicitTerm", spec.implicitTerm());
    a.put("userInMlp", spec.userInMlp());
    return a;
  }

  private static List<Map<String, Object>> fieldMaps(List<io.metarec.model.FieldSpec> fields) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (io.metarec.model.FieldSpec f : fields) {
      out.add(Map.of("name", f.name(), "vocabSize", f.vocabSize(), "multiValued", f.multiValued()));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static ModelSpec specFrom(Map<String, Object> a, String source) {
    if (a == null) {
      throw new JobFailedException(source + " has no architecture");
    }
    try {
      List<io.metarec.model.FieldSpec> uf =
          TaskSet.fields((List<Map<String, Object>>) a.get("userFields"));
      List<io.metarec.model.FieldSpec> itf =
          TaskSet.fields((List<Map<String, Object>>) a.get("itemFields"));
      List<Integer> hidden = new ArrayList<>();
      for (Object h : (List<Object>) a.get("hidden")) {
        hidden.add(((Number) h).intValue());
      }
      return new ModelSpec(((Number) a.get("numItems")).intValue(), uf, itf,
          ((Number) a.get("embeddingDim")).intValue(), hidden,
          io.metarec.config.Checks.enumValue(source + ": architecture.activation",
              (String) a.get("activation"), io.metarec.model.Activation.class),
          ((Number) a.get("userDim")).intValue(),
          io.metarec.config.Checks.enumValue(source + ": architecture.feedback",
              (String) a.get("feedback"), io.metarec.model.Feedback.class),
          (Boolean) a.get("implicitTerm"), (Boolean) a.get("userInMlp"));
    } catch (RuntimeException e) {
      throw new JobFailedException(source + " has an unreadable architecture: " + e, e);
    }
  }

  /** Validation metrics as model.json writes them (NaN as null). */
  public static Map<String, Object> metricsMap(ValidationMetrics m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tasks", m.tasks());
    out.put("interactions", m.interactions());
    out.put("loss", nullIfNaN(m.loss()));
    out.put("mae", nullIfNaN(m.mae()));
    out.put("rmse", nullIfNaN(m.rmse()));
    out.put("auc", nullIfNaN(m.auc()));
    return out;
  }

  static ValidationMetrics metricsFrom(Map<String, Object> m) {
    return new ValidationMetrics(((Number) m.get("tasks")).longValue(),
        ((Number) m.get("interactions")).longValue(), num(m.get("loss")), num(m.get("mae")),
        num(m.get("rmse")), num(m.get("auc")));
  }

  private static Object nullIfNaN(double d) {
    return Double.isNaN(d) ? null : d;
  }

  private static double num(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  static String codeVersion() {
    return io.metarec.spark.CodeVersion.get();
  }

  private static void write(FileSystem fs, Path p, String text) throws IOException {
    try (OutputStream os = fs.create(p, true)) {
      os.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
