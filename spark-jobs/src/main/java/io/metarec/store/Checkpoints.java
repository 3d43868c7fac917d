package io.metarec.store;

import io.metarec.config.MetaRecConfig;
import io.metarec.io.Checkpoint;
import io.metarec.io.CheckpointFile;
import io.metarec.io.FloatRun;
import io.metarec.io.ModelFileException;
import io.metarec.io.ModelManifest;
import io.metarec.io.ParamSegment;
import io.metarec.io.ParamVector;
import io.metarec.io.StateBuffer;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.train.TrainingCheckpoint;
import io.metarec.train.TrainingState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's training checkpoints, beside its folder in {@code <model>.checkpoints/ckpt-<iteration>/}:
 * {@code state.bin} (a {@link CheckpointFile}: θ, the optimizer state and the best θ as named
 * buffers, the iteration, the run's identity hash, and the step-size scale, early-stopping state
 * and run identity as info entries) and {@code metrics.csv}, each folder written under a temporary
 * name and renamed when complete. The newest two of the run are kept.
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final int KEEP_CHECKPOINTS = 2;

  private final Configuration conf;
  private final String dir;

  /** The checkpoints of the model folder {@code modelDir}. */
  public Checkpoints(Configuration conf, String modelDir) {
    this.conf = conf;
    this.dir = modelDir.replaceAll("/+$", "") + ".checkpoints";
  }

  /** The folder of the checkpoints. */
  public String dir() {
    return dir;
  }

  /** Hash of the settings a checkpoint must agree with to be resumed. */
  public static String trainingHash(MetaRecConfig cfg) {
    // meta.iterations is left out: a resume may extend a run.
    com.typesafe.config.Config c = cfg.raw();
    String text = String.join("\n",
        render(c, "model"), render(c, "inner"), render(c.withoutPath("meta.iterations"), "meta"),
        render(c, "seed"), render(c, "train.tasks"), render(c, "train.partitions"),
        render(c, "train.validateEvery"), render(c, "train.validationTasks"),
        render(c, "train.lrDecay"));
    // Added only when set, so that checkpoints written before the key existed still resume.
    if (c.hasPath("train.validationSupports") && !c.getList("train.validationSupports").isEmpty()) {
      text += "\n" + render(c, "train.validationSupports");
    }
    return MetaRecConfig.sha256(text).substring(0, 16);
  }

  private static String render(com.typesafe.config.Config c, String path) {
    return path + "=" + c.getValue(path).render(com.typesafe.config.ConfigRenderOptions.concise());
  }

  /**
   * Which run a checkpoint belongs to: a resume continues only a checkpoint of the same run.
   *
   * @param trainingHash hash of the settings that shape training ({@link #trainingHash}: model,
   *     inner, meta but its iteration count, seed, the task set's path, partitions and validation)
   * @param dataFingerprint the task set's input fingerprint and config hash ({@link TaskSet.Spec})
   * @param initFrom the model a warm start began from, "" for none
   */
  public record RunIdentity(String trainingHash, String dataFingerprint, String initFrom) {
    /** All three in one short hash, recorded as the checkpoint's config hash. */
    String hash() {
      return MetaRecConfig.sha256(trainingHash + "\n" + dataFingerprint + "\n" + initFrom)
          .substring(0, 16);
    }

    public static RunIdentity of(MetaRecConfig cfg, TaskSet.Spec data) {
      return new RunIdentity(Checkpoints.trainingHash(cfg), data.fingerprint(),
          cfg.train().initFrom());
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
  public int clear() {
    try {
      Path dir = new Path(dir());
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
      throw new UncheckedIOException("cannot remove the checkpoints under " + dir(), e);
    }
  }

  /**
   * Writes a checkpoint of {@code s}, then keeps it and the {@value #KEEP_CHECKPOINTS} − 1 newest
   * earlier ones by iteration, removing every other {@code ckpt-*} folder: one that claims a later
   * iteration than this run has reached cannot be this run's and would otherwise be resumed first.
   */
  public void write(TrainingCheckpoint c, RunIdentity run) {
    TrainingState s = c.state();
    try {
      Path dir = new Path(dir());
      FileSystem fs = dir.getFileSystem(conf);
      fs.mkdirs(dir);
      String name = String.format("ckpt-%012d", s.iteration());
      Path tmp = new Path(dir, "_tmp-" + name);
      fs.delete(tmp, true);
      fs.mkdirs(tmp);
      ParamLayout layout = c.theta().layout();
      // θ, the optimizer's state and the best θ are streamed from where they live: at catalog
      // scale each is gigabytes, and flattening them would double the driver's memory.
      List<String> names = new ArrayList<>();
      List<FloatRun> buffers = new ArrayList<>();
      names.add("optimizer");
      buffers.add(c.optimizer() != null ? optimizerRun(c.optimizer())
          : FloatRun.of(c.optimizerState()));
      if (c.bestTheta() != null) {
        names.add("bestTheta");
        buffers.add(rowsOf(c.bestTheta()));
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
        info.put("best", Json.write(ModelFiles.validationOf(s.best())));
      }
      // Sampling and resplitting streams derive from (seed, iteration, task id): no RNG words.
      Path state = new Path(tmp, "state.bin");
      try (OutputStream out = fs.create(state, true)) {
        CheckpointFile.write(out, s.iteration(), run.hash(), new long[0], info,
            ParamSegment.list(layout), rowsOf(c.theta()), names, buffers);
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
      throw new UncheckedIOException("cannot write a checkpoint under " + dir(), e);
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
  public TrainingCheckpoint readLatest(ParamLayout layout, RunIdentity run) {
    try {
      Path dir = new Path(dir());
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
      throw new UncheckedIOException("cannot read checkpoints under " + dir(), e);
    }
  }

  private TrainingCheckpoint readCheckpoint(FileSystem fs, Path p, ParamLayout layout,
      RunIdentity run)
      throws IOException {
    Path state = new Path(p, "state.bin");
    Checkpoint c;
    try (InputStream in = fs.open(state)) {
      c = CheckpointFile.read(in, state.toString(), ParamSegment.list(layout));
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
        info.containsKey("best") ? ModelFiles.metricsOf(Json.mapper().readValue(info.get("best"), ModelManifest.Validation.class)) : null,
        Long.parseLong(info.get("bestIteration")), Integer.parseInt(info.get("sinceBest")),
        TrainingState.History.of(rows));
    return new TrainingCheckpoint(s, theta, bestTheta, optimizerState);
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

  /** θ's rows in layout order, as a run of floats (no list of the rows: millions at scale). */
  private static FloatRun rowsOf(Params p) {
    return new FloatRun() {
      @Override
      public long length() {
        return p.layout().totalSize();
      }

      @Override
      public void writeTo(FloatRun.Sink sink) throws IOException {
        for (int seg = 0; seg < p.layout().numSegments(); seg++) {
          for (float[] row : p.segment(seg)) {
            sink.write(row, 0, row.length);
          }
        }
      }
    };
  }

  /** The optimizer's exported state, streamed from its moments. */
  private static FloatRun optimizerRun(io.metarec.meta.OuterOptimizer o) {
    return new FloatRun() {
      @Override
      public long length() {
        return o.stateLength();
      }

      @Override
      public void writeTo(FloatRun.Sink sink) throws IOException {
        o.exportStateTo(sink::write);
      }
    };
  }
}
