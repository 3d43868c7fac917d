package io.metarec.store;

/**
 * Where the parts of a task set live, relative to its folder: the one place the layout that
 * build-tasks writes and every job reads is spelled out. A model folder keeps its task set's
 * vocabularies in {@code vocab/} with the value tables under {@code values/} ({@link #ofModel}).
 *
 * <pre>
 *   features.json   the feature spec a model is built from
 *   stats.json      rows, rejects, splits, fingerprint, config
 *   tasks/          one Parquet row per user task, partitioned by split
 *   items/          item index, id, count, features
 *   vocab/NAME      value, index, count per vocabulary (item, user.F, item.F)
 *   rejects/        rejected rows with their reason
 * </pre>
 *
 * @param dir the task set's folder (for a model: its {@code vocab/} folder)
 * @param vocabFolder the folder of the value tables under {@code dir}
 */
public record TaskSetLayout(String dir, String vocabFolder) {
  /** File of the feature spec. */
  public static final String FEATURES = "features.json";
  /** File of the run's statistics. */
  public static final String STATS = "stats.json";
  /** Folder of the tasks. */
  public static final String TASKS = "tasks";
  /** Folder of the item table. */
  public static final String ITEMS = "items";
  /** Folder of the vocabularies in a task set. */
  public static final String VOCAB = "vocab";
  /** Folder of the rejected rows. */
  public static final String REJECTS = "rejects";
  /** Folder of the vocabularies' value tables in a model's {@code vocab/}. */
  public static final String MODEL_VALUES = "values";

  /** The layout of the task set in {@code dir}. */
  public static TaskSetLayout of(String dir) {
    return new TaskSetLayout(dir.replaceAll("/+$", ""), VOCAB);
  }

  /** The layout of the vocabularies a model folder carries ({@code <model>/vocab}). */
  public static TaskSetLayout ofModel(String modelDir) {
    return new TaskSetLayout(modelDir.replaceAll("/+$", "") + "/" + VOCAB, MODEL_VALUES);
  }

  /** The feature spec. */
  public String features() {
    return dir + "/" + FEATURES;
  }

  /** The statistics. */
  public String stats() {
    return dir + "/" + STATS;
  }

  /** The tasks. */
  public String tasks() {
    return dir + "/" + TASKS;
  }

  /** The item table. */
  public String items() {
    return dir + "/" + ITEMS;
  }

  /** The value table of vocabulary {@code name} ({@code item}, {@code user.F}, {@code item.F}). */
  public String vocab(String name) {
    return dir + "/" + vocabFolder + "/" + name;
  }

  /** The vocabulary a table segment of the model is indexed by. */
  public static String vocabOfSegment(String segment) {
    if (segment.startsWith("userField.")) {
      return "user." + segment.substring("userField.".length());
    }
    if (segment.startsWith("itemField.")) {
      return "item." + segment.substring("itemField.".length());
    }
    return "item";
  }
}
