package io.metarec.serve;

import io.metarec.config.ConfigReader;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.io.FolderReader;
import io.metarec.io.ModelFolder;
import io.metarec.io.ModelFolderException;
import io.metarec.io.ModelManifest;
import io.metarec.io.VocabText;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A trained MetaRec model for serving, with no Spark: adapt a new user to a handful of
 * interactions and rank the catalog for them, in-process, in about a millisecond.
 *
 * <pre>{@code
 * MetaRecModel model = MetaRecModel.load(Path.of("runs/quickstart/model"));
 * UserState alice = model.adapt(History.of(
 *     Interaction.rating("i17", 5), Interaction.rating("i3", 2), Interaction.rating("i88", 4)));
 * Recommendations top = model.recommend(alice, 10);          // leaves out i17, i3, i88
 * for (ItemScore s : top.items()) {
 *   System.out.println(s.item() + " " + s.score());
 * }
 * Scores some = model.score(alice, List.of("i5", "i6"));     // predicted ratings
 * }</pre>
 *
 * <p>{@link #adapt} runs the model's inner loop (the settings it was trained with, or those chosen
 * for it after training: {@link ModelManifest#innerLoop}) on the history, exactly as {@code metarec
 * evaluate} and {@code recommend} do: same kernel, same steps, same support negatives for implicit
 * feedback. An empty history, or one whose items the model does not know, gives the
 * meta-initialization. Scores are the model's predictions (ratings clipped to the label range for
 * explicit feedback, logits for implicit); lists are ranked by the unclipped prediction, ties by
 * item index, so that for the same history a list is the one {@code metarec recommend} writes.
 *
 * <p>Over the whole catalog a list is exact by default: every item goes through the model. With
 * {@link Options#rerank} = C it is two-stage: the C best items by the linear part of the model
 * ({@code b_i + <u_lin, q_i>}, a pass over one float per item and factor) are rescored by the whole
 * model and the best of those returned, at a recall against the exact list that depends on the
 * model ({@code bench-serve} measures it).
 *
 * <p>Thread-safe: any number of threads may call any method at once. Each call borrows one
 * thread's scratch (engine, buffers; made once, then reused) and allocates only its result;
 * {@link #adapt} returns a snapshot of the adapted user (a few KB, tens of KB when the decision
 * layers are adapted), {@link #recommend(History, int)} does not make one.
 */
public final class MetaRecModel {
  /** The unknown value of a feature field. */
  static final int[] UNKNOWN = {0};

  private final String dir;
  private final ModelManifest manifest;
  private final ModelSpec spec;
  private final ParamLayout layout;
  private final Params theta;
  private final String[] itemIds;
  private final Map<String, Integer> itemIndex;
  private final ItemFeatureTable itemTable;
  private final List<Map<String, Integer>> userValues;
  private final List<String> userFieldNames;
  private final io.metarec.config.AdaptationPlan adaptation;
  private final Options options;
  private final String version;
  private final boolean implicit;
  private final float[] itemBiases;
  private final float[][] itemFactorsByColumn;
  private final ConcurrentLinkedQueue<CatalogScorer> scratch = new ConcurrentLinkedQueue<>();

  /**
   * How a model is served.
   *
   * @param inner the inner loop to adapt with; null for the model's own
   * @param rerank 0 for exact lists over the catalog; C &gt; 0 for two-stage lists (the C best
   *     items by the linear part, rescored by the whole model)
   * @param version the model's name in results; null for {@code <folder>@<createdAt>}
   */
  public record Options(InnerLoopConfig inner, int rerank, String version) implements Serializable {
    /** The model's own inner loop, exact lists, the default name. */
    public static final Options DEFAULTS = new Options(null, 0, null);

    public Options {
      if (rerank < 0) {
        throw new IllegalArgumentException("rerank must be >= 0 (0 = exact), got " + rerank);
      }
    }

    /** These options with two-stage lists of {@code c} rescored candidates (0: exact). */
    public Options withRerank(int c) {
      return new Options(inner, c, version);
    }

    /** These options with the model named {@code v}. */
    public Options withVersion(String v) {
      return new Options(inner, rerank, v);
    }

    /** These options adapting with {@code i} instead of the model's inner loop. */
    public Options withInner(InnerLoopConfig i) {
      return new Options(i, rerank, version);
    }
  }

  /**
   * Everything a model is made of, serializable (to ship it to Spark executors).
   *
   * @param dir the folder it was read from
   * @param manifestJson its model.json
   * @param theta its parameters, flat
   * @param itemIds item id by index
   * @param items the item feature table with counts
   * @param userValues per user field, value → index
   */
  public record Parts(String dir, String manifestJson, float[] theta, String[] itemIds,
      ItemFeatureTable items, List<Map<String, Integer>> userValues) implements Serializable {}

  private MetaRecModel(String dir, ModelManifest manifest, ModelSpec spec, Params theta,
      VocabText.Contents vocab, Options options) {
    this.dir = dir;
    this.manifest = manifest;
    this.spec = spec;
    this.layout = theta.layout();
    this.theta = theta;
    this.itemIds = vocab.itemIds();
    this.itemIndex = vocab.itemIndex();
    this.itemTable = vocab.items();
    this.userValues = vocab.userValues();
    List<String> names = new ArrayList<>();
    for (FieldSpec f : spec.userFields()) {
      names.add(f.name());
    }
    this.userFieldNames = List.copyOf(names);
    if (itemTable.numItems() != spec.numItems() || itemTable.numFields() != spec.itemFields().size()
        || userValues.size() != spec.userFields().size() || itemIds.length != spec.numItems()) {
      throw new IllegalArgumentException("the vocabularies of " + dir + " (" + itemTable.numItems()
          + " items, " + itemTable.numFields() + " item fields, " + userValues.size()
          + " user fields) are not the model's (" + spec.numItems() + ", "
          + spec.itemFields().size() + ", " + spec.userFields().size() + ")");
    }
    this.options = options;
    this.adaptation = options.inner() != null ? io.metarec.config.AdaptationPlan.of(options.inner())
        : adaptationOf(manifest, dir);
    this.implicit = spec.feedback() == Feedback.IMPLICIT;
    this.version = options.version() != null ? options.version() : defaultVersion();
    int n = spec.numItems();
    this.itemBiases = new float[n];
    float[][] ib = theta.segment(layout.itemBias);
    float[][] q = theta.segment(layout.itemFactor);
    this.itemFactorsByColumn = new float[spec.userDim()][n];
    for (int i = 0; i < n; i++) {
      itemBiases[i] = ib[i][0];
      for (int c = 0; c < spec.userDim(); c++) {
        itemFactorsByColumn[c][i] = q[i][c];
      }
    }
  }

  /**
   * The inner loop {@code metarec recommend} adapts this model with: its recorded settings, or the
   * defaults' for a model of {@code pretrain} (which was not trained to adapt).
   */
  private static io.metarec.config.AdaptationPlan adaptationOf(ModelManifest manifest, String dir) {
    com.typesafe.config.Config defaults = TrainSettings.innerDefaults();
    if (manifest.pretrained()) {
      return io.metarec.config.AdaptationPlan.of(
          InnerLoopConfig.from(new ConfigReader(defaults, "inner")));
    }
    try {
      return manifest.adaptationPlan(defaults, dir + "/model.json");
    } catch (IllegalArgumentException e) {
      throw new ModelFolderException(e.getMessage(), e);
    }
  }

  /**
   * Loads a model folder written by {@code train} or {@code pretrain}, checked as the jobs check it
   * (model.json, params.bin with its checksums and shapes) and its vocabularies in {@code vocab/text/}.
   *
   * @throws ModelFolderException naming the file and what is wrong (a folder written before
   *     {@code vocab/text/} existed names the command that adds it)
   */
  public static MetaRecModel load(Path dir) {
    return load(dir, Options.DEFAULTS);
  }

  /** As {@link #load(Path)}, served with {@code options}. */
  public static MetaRecModel load(Path dir, Options options) {
    FolderReader folder = FolderReader.local(dir);
    // vocab/text/ is checked by its reader, whose message names the command that writes it.
    ModelFolder.Contents c = ModelFolder.read(folder, dir.toString(), List.of());
    VocabText.Contents vocab = VocabText.read(folder, c.spec());
    if (c.neighbours() != null) {
      vocab = new VocabText.Contents(vocab.itemIds(), vocab.itemIndex(),
          vocab.items().withNeighbours(c.neighbours()), vocab.userValues());
    }
    return new MetaRecModel(dir.toString(), c.manifest(), c.spec(), c.theta(), vocab, options);
  }

  /** A model of parts read elsewhere (by the Spark side from any Hadoop file system). */
  public static MetaRecModel of(Parts parts, Options options) {
    ModelManifest m = ModelManifest.parse(parts.manifestJson(), parts.dir() + "/model.json");
    ModelSpec spec = m.architecture().spec(parts.dir() + "/model.json");
    Params theta = Params.unflatten(new ParamLayout(spec), parts.theta());
    java.util.HashMap<String, Integer> index = new java.util.HashMap<>();
    for (int i = 1; i < parts.itemIds().length; i++) {
      if (parts.itemIds()[i] != null) {
        index.put(parts.itemIds()[i], i);
      }
    }
    return new MetaRecModel(parts.dir(), m, spec, theta, new VocabText.Contents(parts.itemIds(),
        index, parts.items(), parts.userValues()), options);
  }

  /** The parts this model is made of. */
  public Parts parts() {
    return new Parts(dir, manifest.toJson(), theta.flatten(), itemIds, itemTable, userValues);
  }

  /** This model, served with other options (parameters, vocabularies and tables are shared). */
  public MetaRecModel withOptions(Options o) {
    return new MetaRecModel(this, o);
  }

  private MetaRecModel(MetaRecModel m, Options options) {
    this.dir = m.dir;
    this.manifest = m.manifest;
    this.spec = m.spec;
    this.layout = m.layout;
    this.theta = m.theta;
    this.itemIds = m.itemIds;
    this.itemIndex = m.itemIndex;
    this.itemTable = m.itemTable;
    this.userValues = m.userValues;
    this.userFieldNames = m.userFieldNames;
    this.options = options;
    this.adaptation = options.inner() != null
        ? io.metarec.config.AdaptationPlan.of(options.inner())
        : m.options.inner() == null ? m.adaptation : adaptationOf(manifest, dir);
    this.implicit = m.implicit;
    this.version = options.version() != null ? options.version() : m.defaultVersion();
    this.itemBiases = m.itemBiases;
    this.itemFactorsByColumn = m.itemFactorsByColumn;
  }

  private String defaultVersion() {
    String name = dir.replaceAll("/+$", "");
    return name.substring(name.lastIndexOf('/') + 1) + "@" + manifest.createdAt();
  }

  // ---------------------------------------------------------------- API

  /**
   * Adapts a user to their history with the model's inner loop.
   *
   * @throws IllegalArgumentException for a rating outside the model's label range (explicit
   *     feedback) or a user field the model does not have
   */
  public UserState adapt(History history) {
    CatalogScorer s = borrow();
    try {
      UserState into = new UserState(this);
      s.adaptInto(history, into);
      return into.snapshot(s.adapted.decisionAdapted());
    } finally {
      scratch.offer(s);
    }
  }

  /** The best {@code n} items for {@code state} over the catalog, leaving out the items it has. */
  public Recommendations recommend(UserState state, int n) {
    return recommend(state, n, true, null, null);
  }

  /**
   * The best {@code n} items for {@code state}.
   *
   * @param n list length, {@code >= 1}
   * @param excludeSeen whether to leave out the items of the user's history
   * @param exclude further item ids to leave out (unknown ids are ignored); null for none
   * @param candidates the ids to rank (exact; unknown ids and repeats are ignored); null for the
   *     whole catalog (exact or two-stage, {@link Options#rerank})
   */
  public Recommendations recommend(UserState state, int n, boolean excludeSeen,
      Collection<String> exclude, Collection<String> candidates) {
    checkState(state);
    checkN(n);
    CatalogScorer s = borrow();
    try {
      return list(s, state, n, excludeSeen, exclude, candidates);
    } finally {
      scratch.offer(s);
    }
  }

  /** Adapts to {@code history} and lists the best {@code n} items it does not have, in one call. */
  public Recommendations recommend(History history, int n) {
    return recommend(history, n, true, null, null);
  }

  /**
   * Adapts to {@code history} and lists the best {@code n} items, in one call that keeps the
   * adapted user in the thread's scratch (no {@link UserState} is made); see
   * {@link #recommend(UserState, int, boolean, Collection, Collection)}.
   */
  public Recommendations recommend(History history, int n, boolean excludeSeen,
      Collection<String> exclude, Collection<String> candidates) {
    checkN(n);
    CatalogScorer s = borrow();
    try {
      s.adaptInto(history, s.state);
      return list(s, s.state, n, excludeSeen, exclude, candidates);
    } finally {
      scratch.offer(s);
    }
  }

  /** The scores of {@code items} for {@code state} (unknown ids are listed apart). */
  public Scores score(UserState state, Collection<String> items) {
    checkState(state);
    CatalogScorer s = borrow();
    try {
      return scores(s, state, items);
    } finally {
      scratch.offer(s);
    }
  }

  /** Adapts to {@code history} and scores {@code items}, in one call. */
  public Scores score(History history, Collection<String> items) {
    CatalogScorer s = borrow();
    try {
      s.adaptInto(history, s.state);
      return scores(s, s.state, items);
    } finally {
      scratch.offer(s);
    }
  }

  private Recommendations list(CatalogScorer s, UserState state, int n, boolean excludeSeen,
      Collection<String> exclude, Collection<String> candidates) {
    int found = s.top(state, n, excludeSeen, exclude, candidates, options.rerank());
    int[] items = s.listItems();
    float[] scores = s.listScores();
    List<ItemScore> out = new ArrayList<>(found);
    for (int k = 0; k < found; k++) {
      out.add(new ItemScore(itemIds[items[k]], reported(scores[k])));
    }
    return new Recommendations(out, state.unknown, version);
  }

  private Scores scores(CatalogScorer s, UserState state, Collection<String> ids) {
    int[] idx = new int[ids.size()];
    List<String> known = new ArrayList<>(ids.size());
    List<String> unknown = new ArrayList<>();
    int n = 0;
    for (String id : ids) {
      Integer i = itemIndex.get(id);
      if (i == null) {
        unknown.add(id);
      } else {
        idx[n++] = i;
        known.add(id);
      }
    }
    float[] raw = new float[n];
    s.scoreInto(state, idx, n, raw);
    List<ItemScore> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(new ItemScore(known.get(k), reported(raw[k])));
    }
    return new Scores(out, unknown, state.unknown, version);
  }

  /** Raw scores of item indices (the model's output), for tests and benchmarks. */
  float[] rawScores(UserState state, int[] items) {
    checkState(state);
    CatalogScorer s = borrow();
    try {
      float[] out = new float[items.length];
      s.scoreInto(state, items, items.length, out);
      return out;
    } finally {
      scratch.offer(s);
    }
  }

  private float reported(float raw) {
    if (implicit) {
      return raw;
    }
    return (float) Math.min(manifest.labelMax(), Math.max(manifest.labelMin(), raw));
  }

  private CatalogScorer borrow() {
    CatalogScorer s = scratch.poll();
    return s != null ? s : new CatalogScorer(this);
  }

  private void checkState(UserState state) {
    if (state.model != this) {
      throw new IllegalArgumentException("this user state was adapted by model "
          + state.model.version() + ", not by " + version + ": adapt the user with this model");
    }
  }

  private static void checkN(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
  }

  // ---------------------------------------------------------------- what the model is

  /** @return the folder it was loaded from */
  public String dir() {
    return dir;
  }

  /** @return its model.json */
  public ModelManifest manifest() {
    return manifest;
  }

  /** @return its name in results ({@link Options#version}) */
  public String version() {
    return version;
  }

  /** @return how it is served */
  public Options options() {
    return options;
  }

  /**
   * @return the inner loop users with the largest histories are adapted with (every user's, unless
   *     the model chose its adaptation per support size: {@link #adaptation})
   */
  public InnerLoopConfig inner() {
    return adaptation.largest();
  }

  /** @return how users are adapted, by the size of their history */
  public io.metarec.config.AdaptationPlan adaptation() {
    return adaptation;
  }

  /** @return the inner loop a user with {@code n} known interactions is adapted with */
  public InnerLoopConfig innerFor(int n) {
    return adaptation.forSupport(n);
  }

  /** @return the architecture */
  public ModelSpec spec() {
    return spec;
  }

  /** @return the number of items it can recommend (the item vocabulary without index 0) */
  public int itemCount() {
    return spec.numItems() - 1;
  }

  /** @return explicit (ratings) or implicit (events) */
  public Feedback feedback() {
    return spec.feedback();
  }

  /** @return the smallest rating (explicit feedback) */
  public double labelMin() {
    return manifest.labelMin();
  }

  /** @return the largest rating (explicit feedback) */
  public double labelMax() {
    return manifest.labelMax();
  }

  /** @return the model's user fields, in order */
  public List<String> userFieldNames() {
    return userFieldNames;
  }

  /** @return whether an item id is in the catalog */
  public boolean knows(String item) {
    return itemIndex.containsKey(item);
  }

  ParamLayout layout() {
    return layout;
  }

  Params theta() {
    return theta;
  }

  ItemFeatureTable itemTable() {
    return itemTable;
  }

  Map<String, Integer> itemIndex() {
    return itemIndex;
  }

  List<Map<String, Integer>> userValues() {
    return userValues;
  }

  /** @return the id of item index {@code index}, in [1, {@link #itemCount()}] */
  public String itemId(int index) {
    return itemIds[index];
  }

  /** @return the interactions with item index {@code index} in the data the model was trained on */
  public long trainingCount(int index) {
    return itemTable.counts() == null ? 0 : itemTable.counts()[index];
  }

  boolean implicit() {
    return implicit;
  }

  float[] itemBiases() {
    return itemBiases;
  }

  float[][] itemFactorsByColumn() {
    return itemFactorsByColumn;
  }
}
