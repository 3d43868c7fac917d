package io.metarec.meta;
import io.metarec.config.MetaConfig;
import io.metarec.config.InnerLoopConfig;
import io.metarec.config.TrainSettings;
import io.metarec.config.Algorithm;
import io.metarec.config.UserSolver;

import io.metarec.kernel.DenseKernels;
import io.metarec.kernel.LocalModel;
import io.metarec.kernel.Losses;
import io.metarec.kernel.ModelKernel;
import io.metarec.kernel.TaskIndex;
import io.metarec.kernel.Workspace;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.RowSet;
import io.metarec.model.Segment;
import io.metarec.config.ImplicitConfig;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.NegativeSampler;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import io.metarec.task.TaskSplitter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * The plain-JVM {@link AdaptationEngine}: MAML-style task adaptation (Finn et al. 2017) of the
 * MeLU-style scorer (Lee et al. 2019) with the meta-gradients of Reptile (Nichol et al. 2018),
 * first-order MAML and multi-task training, on the allocation-free kernels of
 * {@code io.metarec.kernel}.
 *
 * <p>Per task: gather the task's rows of every table into a task-local copy phi of theta
 * ({@link LocalModel}); run the inner loop on the support ({@code steps} full-batch SGD steps on the
 * adapted groups, each step {@code phi -= lr_group (grad + l2 (phi - theta))}; the user bias step
 * optionally scaled by {@code 1 / (2 (n + lambda))}); then compute the contribution on the query set.
 * With {@link UserSolver#RIDGE} the user part {@code (b_u, u_eff)} is instead solved exactly on the
 * support residuals before every step and at the end ({@link RidgeSolver}), and its meta-gradient
 * flows through the closed form to the prior mean (the meta-learned b_u, u and implicit rows), to
 * lambda, to the item factors and, via the residuals, to everything else. If the MLP takes the user
 * vector ({@code userInMlp}), the ridge solve is on the linear part only: the MLP sees the prior
 * {@code u + implicit}, the linear term the solved vector; with {@code userInMlp = false} the solve
 * is exact for the whole model. With embedding adaptation and ridge, the inner gradient of the
 * implicit rows ignores their effect through the prior mean (first-order).
 *
 * <p>Implicit feedback: every row of a task is a positive. Training tasks get {@code
 * inner.implicit.negatives} unseen items per positive in the support and in the query ({@link
 * NegativeSampler}, drawn from (seed, iteration, task id)), labelled 0, so rows are {@code [S+, S-,
 * Q+, Q-]}; the loss is BCE over every row or BPR over each positive's negatives; the SVD++ term is
 * over the support's positives only. Adapting a user for scoring draws support negatives from a
 * stream keyed by the support's items. With {@link UserSolver#RIDGE} the user vector is solved by
 * implicit ALS's weighted least squares over every item ({@link WlsSolver}: the Gramian of the item
 * factors once per θ, corrected by the support's positives), with the meta-learned vector as prior
 * mean and gradients through the solve to the prior, lambda and every item factor.
 *
 * <p>One instance per thread: it owns its workspace and is not thread-safe; theta is only read.
 */
public final class JvmAdaptationEngine implements AdaptationEngine {
  private static final ParamGroup[] GROUPS = ParamGroup.values();
  private static final int SCORE_CHUNK = 1024;

  private final ModelSpec spec;
  private final ParamLayout layout;
  private final ItemFeatureTable itemFeatures;
  private final ModelKernel kernel;
  private final Workspace ws;
  private final TaskIndex ti;
  private final LocalModel phi;
  private final LocalModel init;
  private final LocalModel grad;
  private final RidgeSolver ridge;
  private final int ud;
  private final float[] imp;
  private final float[] uEff;
  private final float[] uSolved;
  private final float[] zeros;
  private final float[] dImp;
  private final double[] gz;
  private float[] res = new float[64];
  /** Purpose constant of the negatives a training task draws. */
  static final long PURPOSE_NEGATIVES = 0x7472_6e65_67L;
  /** Purpose constant of the support negatives drawn when a user is adapted for scoring. */
  static final long PURPOSE_ADAPT_NEGATIVES = 0x6164_6e65_67L;
  private final WlsSolver wls;
  private final double[][] gram;
  private Params gramOf;
  private long gramRevision;
  /** Leading support rows that are positives (the SVD++ term and the implicit solve read them). */
  private int positives;
  /** The implicit settings of the task being adapted; null for explicit feedback. */
  private ImplicitConfig implicit;
  /** The loaded task's factor on the learned prior strength ({@link InnerLoopConfig#priorScale}). */
  private double priorScale = 1.0;
  /** Query positives the loaded task's query loss scores (a capped query counts its kept rows). */
  private int queryPositives;
  /** Negatives per positive in the support and in the query of the task being adapted. */
  private int negS;
  private int negQ;
  private boolean wlsSolved;
  private int[] augItems = new int[64];
  private float[] augLabels = new float[64];
  private int[] sortedOwn = new int[64];
  private NegativeSampler sampler;
  /** Where {@link #addRowsRead} collects the rows a task reads; null while adapting. */
  private RowSet collecting;
  private ImplicitConfig samplerFor;
  /** Per item, -log((n - 1) q_i) of {@link #sampler}; null for the uniform sampler. */
  private float[] logQ;
  /** The global item of each gathered row (the array given to {@link #prepare}). */
  private int[] rowItems;
  private float bu;
  private float[] uLin;
  private float[] uMlp;

  /**
   * @param spec the model (must equal the spec of every theta passed in)
   * @param itemFeatures the global item feature table
   */
  public JvmAdaptationEngine(ModelSpec spec, ItemFeatureTable itemFeatures) {
    this.spec = spec;
    this.layout = new ParamLayout(spec);
    this.itemFeatures = itemFeatures;
    if (itemFeatures.numFields() != spec.itemFields().size() || itemFeatures.numItems() != spec.numItems()) {
      throw new IllegalArgumentException("item feature table has " + itemFeatures.numFields() + " fields and "
          + itemFeatures.numItems() + " items, the model expects " + spec.itemFields().size() + " and "
          + spec.numItems());
    }
    this.kernel = new ModelKernel(spec, layout);
    this.ws = kernel.newWorkspace(64);
    this.ti = new TaskIndex(spec, layout);
    this.phi = new LocalModel(layout);
    this.init = new LocalModel(layout);
    this.grad = new LocalModel(layout);
    this.ud = spec.userDim();
    this.ridge = new RidgeSolver(ud);
    this.imp = new float[ud];
    this.uEff = new float[ud];
    this.uSolved = new float[ud];
    this.zeros = new float[ud];
    this.dImp = new float[ud];
    this.gz = new double[ud + 1];
    this.wls = new WlsSolver(ud);
    this.gram = new double[ud][ud];
  }

  /** @return the layout of the parameters this engine works on */
  public ParamLayout layout() {
    return layout;
  }

  // ---------------------------------------------------------------- API

  @Override
  public void accumulate(Iterator<Task> tasks, Params theta, TrainSettings settings, long iteration,
      MetaGradientAccumulator out) {
    checkTheta(theta);
    checkInner(settings.inner());
    if (out.layout().totalSize() != layout.totalSize()) {
      throw new IllegalArgumentException("accumulator layout (" + out.layout().totalSize()
          + " floats) differs from the model's (" + layout.totalSize() + ")");
    }
    MetaConfig meta = settings.meta();
    while (tasks.hasNext()) {
      accumulateTask(splitFor(tasks.next(), meta, iteration), theta, settings.inner(),
          meta.algorithm(), out, meta.seed(), iteration);
    }
  }

  /** The task as iteration {@code iteration} adapts it: re-split when {@code meta} says so. */
  private static Task splitFor(Task t, MetaConfig meta, long iteration) {
    return meta.resplit()
        ? TaskSplitter.resplit(t, meta.seed(), iteration, meta.minSupport(), meta.maxSupport()) : t;
  }

  /**
   * Adds to {@code into} every table row of θ that {@link #accumulate} reads to adapt task {@code
   * t} in iteration {@code iteration} with {@code settings}, without reading θ: the rows of the
   * task's items and feature values, of its sampled negatives, and every item factor row where the
   * implicit solve needs the factors' Gramian. Dense segments are read whole and are not listed.
   */
  public void addRowsRead(Task t, TrainSettings settings, long iteration, RowSet into) {
    MetaConfig meta = settings.meta();
    collecting = into;
    try {
      loadTask(splitFor(t, meta, iteration), null, settings.inner(), meta.algorithm(), meta.seed(),
          iteration);
    } finally {
      collecting = null;
    }
  }

  /**
   * Adds the contribution of one task (no re-splitting) to {@code out}, implicit feedback's
   * negatives drawn from (seed 0, iteration 0); see {@link #accumulate}.
   */
  public void accumulateTask(Task t, Params theta, InnerLoopConfig inner, Algorithm algorithm,
      MetaGradientAccumulator out) {
    accumulateTask(t, theta, inner, algorithm, out, 0L, 0L);
  }

  /** As {@link #accumulateTask(Task, Params, InnerLoopConfig, Algorithm, MetaGradientAccumulator)}. */
  void accumulateTask(Task t, Params theta, InnerLoopConfig inner, Algorithm algorithm,
      MetaGradientAccumulator out, long seed, long iteration) {
    if (!loadTask(t, theta, inner, algorithm, seed, iteration)) {
      return;
    }
    double loss;
    // Weighted by its positives, a task counts as many times as its loss has interactions.
    boolean byPositives = implicit != null
        && implicit.taskWeight() == ImplicitConfig.TaskWeight.POSITIVES;
    int scored = algorithm == Algorithm.MULTITASK ? positives + queryPositives : queryPositives;
    float weight = byPositives ? Math.max(1, scored) : 1f;
    if (algorithm == Algorithm.MULTITASK) {
      loss = multitaskGradient();
    } else {
      boolean ridgeMode = adaptInPlace(inner);
      loss = queryGradient(ridgeMode);
      if (algorithm == Algorithm.REPTILE) {
        reptileDifferenceInPlace(inner, ridgeMode);
      } else if (wlsSolved) {
        out.addGramianGradientInPlace(wls.v, wls.u, weight);
      }
    }
    out.addTaskInPlace(grad, ti, loss, weight);
  }

  /**
   * Loads training task {@code t} with its negatives of (seed, iteration) from {@code theta} (with
   * {@link #collecting} set, lists its rows instead); false for a task with nothing to learn from.
   */
  private boolean loadTask(Task t, Params theta, InnerLoopConfig inner, Algorithm algorithm,
      long seed, long iteration) {
    if (algorithm == Algorithm.MULTITASK ? t.size() == 0 : t.querySize() == 0) {
      return false;
    }
    SplittableRandom rng = spec.feedback() == Feedback.IMPLICIT
        ? TaskRandom.stream(seed, iteration, t.taskId(), PURPOSE_NEGATIVES) : null;
    load(theta, t.items(), t.labels(), t.size(), t.supportSize(), t.userFeatures(), t.taskId(),
        inner, algorithm == Algorithm.REPTILE, rng, true);
    return true;
  }

  @Override
  public float[] adaptAndPredict(Params theta, InnerLoopConfig inner, Task task) {
    checkTheta(theta);
    checkInner(inner);
    load(theta, task.items(), task.labels(), task.size(), task.supportSize(), task.userFeatures(),
        task.taskId(), inner, false, adaptRng(task.items(), task.supportSize()), false);
    adaptInPlace(inner);
    float[] out = new float[task.querySize()];
    scoreInto(ti.support(), ti.rows(), out);
    return out;
  }

  @Override
  public float[] adaptAndScore(Params theta, InnerLoopConfig inner, int[] items, float[] labels, int[][] userFeatures,
      int[] candidates) {
    checkTheta(theta);
    checkInner(inner);
    if (items.length != labels.length) {
      throw new IllegalArgumentException("labels.length must equal items.length (" + items.length + "), got "
          + labels.length);
    }
    int n = items.length + candidates.length;
    int[] all = new int[n];
    float[] lab = new float[n];
    System.arraycopy(items, 0, all, 0, items.length);
    System.arraycopy(candidates, 0, all, items.length, candidates.length);
    System.arraycopy(labels, 0, lab, 0, labels.length);
    load(theta, all, lab, n, items.length, userFeatures, -1L, inner, false,
        adaptRng(items, items.length), false);
    adaptInPlace(inner);
    float[] out = new float[candidates.length];
    scoreInto(ti.support(), ti.rows(), out);
    if (inner.neighbourWeight() != 0f) {
      itemFeatures.neighbours().addModelTerm(inner.neighbourWeight(), items, items.length,
          candidates, out);
    }
    return out;
  }

  /**
   * Adapts a new user exactly as {@link #adaptAndScore} does (same inner loop, same support
   * negatives) and copies the adapted state into {@code out} instead of scoring candidates there:
   * the user bias and vectors, the decision layers when they are adapted and the table rows the
   * inner loop may have moved when embeddings are adapted. Any item can then be scored from
   * {@code out} and θ with the kernel's arithmetic ({@code io.metarec.serve}). Allocates nothing
   * once the engine and {@code out} have seen a support this large.
   *
   * @param items the support's item indices, {@code items[0..n)}
   * @param labels their labels, {@code labels[0..n)}
   * @param n the support size, 0 for the meta-initialization
   * @param out overwritten with the adapted user
   */
  public void adaptUserInto(Params theta, InnerLoopConfig inner, int[] items, float[] labels,
      int n, int[][] userFeatures, AdaptedUser out) {
    checkTheta(theta);
    checkInner(inner);
    if (n < 0 || n > items.length || n > labels.length) {
      throw new IllegalArgumentException("support size must be in [0, " + Math.min(items.length,
          labels.length) + "] (items " + items.length + ", labels " + labels.length + "), got " + n);
    }
    load(theta, items, labels, n, n, userFeatures, -1L, inner, false, adaptRng(items, n), false);
    adaptInPlace(inner);
    out.captureInPlace(layout, phi, ti, bu, uLin, uMlp, inner.adapts(ParamGroup.DECISION),
        inner.adapts(ParamGroup.EMBEDDING));
  }

  @Override
  public double adaptAndEvaluateLoss(Params theta, InnerLoopConfig inner, Task task) {
    if (task.querySize() == 0) {
      return Double.NaN;
    }
    float[] p = adaptAndPredict(theta, inner, task);
    double s = 0;
    float[] y = task.labels();
    for (int r = 0; r < p.length; r++) {
      s += kernel.rowLoss(p[r], y[task.supportSize() + r]);
    }
    return s / p.length;
  }

  // ---------------------------------------------------------------- steps

  private void checkTheta(Params theta) {
    if (!theta.layout().spec().equals(spec)) {
      throw new IllegalArgumentException("theta was built for another model spec: " + theta.layout().spec()
          + " vs engine " + spec);
    }
  }

  private void checkInner(InnerLoopConfig inner) {
    // Every combination of settings runs; the implicit solve is the weighted one (WlsSolver). The
    // neighbourhood term needs ranking by implicit feedback and the model's neighbourhoods.
    if (inner.neighbourWeight() != 0f) {
      if (spec.feedback() != Feedback.IMPLICIT) {
        throw new IllegalArgumentException("inner.neighbourWeight = " + inner.neighbourWeight()
            + ": the neighbourhood term is for implicit feedback, this model is "
            + spec.feedback().name().toLowerCase(java.util.Locale.ROOT));
      }
      if (itemFeatures.neighbours() == null) {
        throw new IllegalStateException("inner.neighbourWeight = " + inner.neighbourWeight()
            + " but no item neighbourhoods were given with the item table (a model folder's "
            + io.metarec.io.NeighbourFile.NAME + ")");
      }
    }
  }

  /** The stream of the support negatives of a user adapted for scoring: keyed by its support. */
  private SplittableRandom adaptRng(int[] items, int support) {
    if (spec.feedback() != Feedback.IMPLICIT) {
      return null;
    }
    long h = 0x9e37_79b9_7f4a_7c15L;
    for (int r = 0; r < support; r++) {
      h = TaskRandom.mix64(h ^ items[r]);
    }
    return TaskRandom.stream(0L, -1L, h, PURPOSE_ADAPT_NEGATIVES);
  }

  /**
   * Loads a task, with implicit feedback's negatives when {@code rng} is given and the settings ask
   * for them: {@code [S+, S-]} then the query rows, {@code [Q+, Q-]} when {@code queryNegatives}.
   */
  private void load(Params theta, int[] items, float[] labels, int n, int support, int[][] uf,
      long taskId, InnerLoopConfig inner, boolean reptile, SplittableRandom rng,
      boolean queryNegatives) {
    implicit = spec.feedback() == Feedback.IMPLICIT ? inner.implicit() : null;
    priorScale = inner.priorScale();
    negS = implicit == null || rng == null ? 0 : implicit.supportNegatives();
    negQ = implicit == null || rng == null || !queryNegatives ? 0 : implicit.negatives();
    positives = support;
    queryPositives = n - support;
    if (negS == 0 && negQ == 0 && (implicit == null || implicit.queryPositives() == 0
        || !queryNegatives || n - support <= implicit.queryPositives())) {
      prepare(theta, items, labels, n, support, uf, taskId, inner, reptile);
      return;
    }
    NegativeSampler ns = sampler(implicit);
    // A training task's negatives avoid all its items; a user adapted for scoring knows its
    // support only (the rows after it are candidates, positives among them unknown).
    int own = queryNegatives ? n : support;
    if (sortedOwn.length < own) {
      sortedOwn = new int[Math.max(own, 2 * sortedOwn.length)];
    }
    System.arraycopy(items, 0, sortedOwn, 0, own);
    Arrays.sort(sortedOwn, 0, own);
    int distinct = 0;
    for (int r = 0; r < own; r++) {
      distinct += r == 0 || sortedOwn[r] != sortedOwn[r - 1] ? 1 : 0;
    }
    if (ns.available(distinct) == 0) {
      negS = 0;
      negQ = 0;
      prepare(theta, items, labels, n, support, uf, taskId, inner, reptile);
      return;
    }
    int q = n - support;
    int cap = queryNegatives ? implicit.queryPositives() : 0;
    int keep = cap > 0 && q > cap ? cap : q;
    queryPositives = keep;
    int total = support * (1 + negS) + keep * (1 + negQ);
    if (augItems.length < total) {
      augItems = new int[Math.max(total, 2 * augItems.length)];
      augLabels = new float[augItems.length];
    }
    int k = 0;
    for (int r = 0; r < support; r++) {
      augItems[k] = items[r];
      augLabels[k++] = labels[r];
    }
    ns.sampleInto(rng, sortedOwn, own, augItems, k, support * negS);
    Arrays.fill(augLabels, k, k + support * negS, 0f);
    k += support * negS;
    if (keep == q) {
      for (int r = support; r < n; r++) {
        augItems[k] = items[r];
        augLabels[k++] = labels[r];
      }
    } else {
      // A seeded subset of the query, in query order (selection sampling, Knuth's Algorithm S).
      int need = keep;
      for (int r = support; r < n && need > 0; r++) {
        if (rng.nextInt(n - r) < need) {
          augItems[k] = items[r];
          augLabels[k++] = labels[r];
          need--;
        }
      }
    }
    ns.sampleInto(rng, sortedOwn, own, augItems, k, keep * negQ);
    Arrays.fill(augLabels, k, k + keep * negQ, 0f);
    k += keep * negQ;
    prepare(theta, augItems, augLabels, k, support * (1 + negS), uf, taskId, inner, reptile);
  }

  /** The negative sampler of {@code config} over this engine's items, built once per setting. */
  private NegativeSampler sampler(ImplicitConfig config) {
    if (sampler == null || !config.equals(samplerFor)) {
      sampler = NegativeSampler.of(config, itemFeatures);
      samplerFor = config;
      double[] q = sampler.probabilities();
      logQ = q == null ? null : new float[q.length];
      for (int i = 1; logQ != null && i < q.length; i++) {
        logQ[i] = (float) -Math.log((q.length - 1) * Math.max(q[i], 1e-30));
      }
    }
    return sampler;
  }

  /**
   * The sampling correction of the loaded task's rows (null when off, uniform, or the task has no
   * sampled negatives): the training losses see {@code logit + logQ[item]} ({@link
   * ImplicitConfig#samplingCorrection}). A task with negatives was loaded through {@link #sampler},
   * so {@link #logQ} is that of its settings.
   */
  private float[] correction() {
    boolean sampled = negS > 0 || negQ > 0;
    return sampled && implicit.samplingCorrection() ? logQ : null;
  }

  /**
   * Adds {@code sign * correction} to the predictions of rows {@code [from, to)}, which the
   * workspace holds from index {@code from - base}.
   */
  private void shiftInPlace(float[] corr, int base, int from, int to, float sign) {
    float[] pred = ws.predictions();
    for (int r = from; r < to; r++) {
      pred[r - base] += sign * corr[rowItems[r]];
    }
  }

  /**
   * The mean training loss of rows {@code [from, to)} from the predictions there, with its
   * gradient in the workspace: the kernel's (squared error, BCE), or with BPR the pairs of the
   * block's positives and their negatives (the block is {@code p} positives then {@code p *
   * negatives} negatives). Where the block (support from row 0, else the query) has sampled
   * negatives and the sampling correction is on, on the corrected logits (the predictions are
   * restored after).
   */
  private double lossOf(int from, int to) {
    int m = from == 0 ? negS : negQ;
    float[] corr = m > 0 ? correction() : null;
    if (corr != null) {
      shiftInPlace(corr, from, from, to, 1f);
    }
    double loss;
    if (implicit == null || implicit.loss() != ImplicitConfig.Loss.BPR || m == 0) {
      loss = kernel.lossInto(ti, from, to, ws);
    } else {
      float[] dPred = ws.predictionGradient();
      Arrays.fill(dPred, 0, to - from, 0f);
      int n = to - from;
      int p = n / (1 + m);
      int pairs = p * m;
      loss = pairs == 0 ? 0 : bprInto(0, p, m, pairs) / pairs;
    }
    if (corr != null) {
      shiftInPlace(corr, from, from, to, -1f);
    }
    return loss;
  }

  /** Adds the BPR pairs of a block at {@code offset} (p positives) into dPred; returns their sum. */
  private double bprInto(int offset, int p, int negPerPos, double normalizer) {
    float[] pred = ws.predictions();
    float[] dPred = ws.predictionGradient();
    float[] labels = ti.labels();
    double loss = 0;
    for (int i = 0; i < p; i++) {
      // A pair counts with its positive's weight (its label: 1, or its count's confidence).
      double w = Losses.weightOf(labels[offset + i]);
      for (int k = 0; k < negPerPos; k++) {
        int ni = offset + p + i * negPerPos + k;
        double d = (double) pred[offset + i] - pred[ni];
        loss += w * (d > 0 ? Math.log1p(Math.exp(-d)) : -d + Math.log1p(Math.exp(d)));
        float g = (float) (w * (1.0 / (1.0 + Math.exp(d))) / normalizer);
        dPred[offset + i] -= g;
        dPred[ni] += g;
      }
    }
    return loss;
  }

  /**
   * Gathers the task and loads phi = theta. The copy of the initial values ({@code init}) holds only
   * what the inner loop and Reptile read: the user group (its Newton step pulls toward the prior) and,
   * with an L2 pull or for Reptile's theta - phi, every adapted group.
   */
  private void prepare(Params theta, int[] items, float[] labels, int n, int support, int[][] uf, long taskId,
      InnerLoopConfig inner, boolean reptile) {
    ti.gatherInPlace(items, labels, n, support, uf, itemFeatures, taskId);
    if (collecting != null) {
      for (int seg = 0; seg < layout.numSegments(); seg++) {
        int[] global = ti.globalRows(seg);
        if (global != null) {
          collecting.addAll(seg, global, ti.localRows(seg));
        }
      }
      if (needsGramian(inner)) {
        collecting.addSegment(layout.itemFactor);
      }
      return;
    }
    rowItems = items;
    phi.loadInPlace(theta, ti);
    wlsSolved = false;
    if (needsGramian(inner)) {
      gramianOf(theta);
    }
    init.ensureCapacityInPlace(ti);
    boolean adaptedToo = reptile || inner.l2() > 0f;
    for (ParamGroup g : GROUPS) {
      if (g == ParamGroup.USER || (adaptedToo && g != ParamGroup.GLOBAL && inner.adapts(g))) {
        init.copyFromInPlace(phi, ti, g);
      }
    }
    grad.ensureCapacityInPlace(ti);
    grad.zeroInPlace(ti, null);
    ws.ensureRowsInPlace(Math.min(n, SCORE_CHUNK));
    if (res.length < n) {
      res = new float[Math.max(n, res.length * 2)];
    }
  }

  private void scoreInto(int from, int to, float[] out) {
    for (int s = from; s < to; s += SCORE_CHUNK) {
      int e = Math.min(to, s + SCORE_CHUNK);
      kernel.forwardInto(phi, ti, s, e, bu, uLin, uMlp, ws);
      System.arraycopy(ws.predictions(), 0, out, s - from, e - s);
    }
  }

  /**
   * imp = |S|^-1/2 sum_{r < S} y[item r] over the support's positive rows, from {@code m}'s implicit
   * rows (0 without support or term).
   */
  private void computeImplicit(LocalModel m) {
    java.util.Arrays.fill(imp, 0f);
    int s = positives;
    if (layout.implicitItem < 0 || s == 0) {
      return;
    }
    float scale = (float) (1.0 / Math.sqrt(s));
    float[][] y = m.segment(layout.implicitItem);
    int[] li = ti.localItems();
    for (int r = 0; r < s; r++) {
      DenseKernels.axpyInPlace(scale, y[li[r]], imp, ud);
    }
  }

  /** User state of SGD mode: b_u from phi, u_lin = u_mlp = u + implicit. */
  private void sgdUserState() {
    computeImplicit(phi);
    bu = phi.segment(layout.userBias)[0][0];
    float[] u = phi.segment(layout.userVec)[0];
    for (int c = 0; c < ud; c++) {
      uEff[c] = u[c] + imp[c];
    }
    uLin = uEff;
    uMlp = uEff;
  }

  /**
   * User state of ridge mode: the prior z0 = (b_u, u + implicit) from phi, forward of the support
   * without the linear user part (ws predictions = the rest of the model), residuals, exact solve.
   */
  private void ridgeUserState() {
    if (spec.feedback() == Feedback.IMPLICIT) {
      wlsUserState();
      return;
    }
    computeImplicit(phi);
    float[] u0 = phi.segment(layout.userVec)[0];
    for (int c = 0; c < ud; c++) {
      uEff[c] = u0[c] + imp[c];
      ridge.z0[1 + c] = uEff[c];
    }
    ridge.z0[0] = phi.segment(layout.userBias)[0][0];
    int s = ti.support();
    kernel.forwardInto(phi, ti, 0, s, 0f, zeros, uEff, ws);
    float[] pred = ws.predictions();
    float[] y = ti.labels();
    for (int r = 0; r < s; r++) {
      res[r] = y[r] - pred[r];
    }
    double lam = lambda();
    ridge.solveInPlace(phi.segment(layout.itemFactor), ti.localItems(), res, s, lam);
    bu = (float) ridge.z[0];
    for (int c = 0; c < ud; c++) {
      uSolved[c] = (float) ridge.z[1 + c];
    }
    uLin = uSolved;
    uMlp = uEff;
  }

  /**
   * User state of the implicit solve: the prior u0 = u + implicit from phi, b_u the prior (not
   * solved: it does not change a ranking), u_lin the weighted least-squares solve over every item
   * ({@link WlsSolver}, the Gramian cached per θ), u_mlp the prior; the support's predictions
   * without the linear user part are left in the workspace, as {@link #ridgeUserState} does.
   */
  private void wlsUserState() {
    computeImplicit(phi);
    float[] u0 = phi.segment(layout.userVec)[0];
    for (int c = 0; c < ud; c++) {
      uEff[c] = u0[c] + imp[c];
      wls.u0[c] = uEff[c];
    }
    int s = ti.support();
    kernel.forwardInto(phi, ti, 0, s, 0f, zeros, uEff, ws);
    double lam = lambda();
    wls.solveInPlace(gram, phi.segment(layout.itemFactor), ti.localItems(), ti.labels(),
        positives, implicit == null ? ImplicitConfig.DEFAULTS.confidence() : implicit.confidence(),
        lam);
    bu = phi.segment(layout.userBias)[0][0];
    float gain = foldInScale();
    for (int c = 0; c < ud; c++) {
      uSolved[c] = (float) (gain * wls.u[c]);
    }
    uLin = uSolved;
    uMlp = uEff;
  }

  /** Whether the inner loop solves the user part by implicit ALS, over every item's factors. */
  private boolean needsGramian(InnerLoopConfig inner) {
    return spec.feedback() == Feedback.IMPLICIT && inner.userSolver() == UserSolver.RIDGE
        && inner.adapts(ParamGroup.USER);
  }

  /**
   * The Gramian of {@code theta}'s item factors, computed once per θ instance and revision: the
   * driver's θ and an executor's replica are the same instance from iteration to iteration, changed
   * in place ({@link Params#revision}).
   */
  private void gramianOf(Params theta) {
    long rev = theta.revision();
    if (gramOf != theta || gramRevision != rev) {
      WlsSolver.gramianInto(theta.segment(layout.itemFactor), gram);
      gramOf = theta;
      gramRevision = rev;
    }
  }

  /**
   * Runs the inner loop on the support, leaving the adapted phi and the user state (bu, uLin, uMlp).
   *
   * @return whether the user part is in ridge mode
   */
  private boolean adaptInPlace(InnerLoopConfig in) {
    boolean ridgeMode = in.adapts(ParamGroup.USER) && in.userSolver() == UserSolver.RIDGE;
    boolean sgdUser = in.adapts(ParamGroup.USER) && !ridgeMode;
    boolean decA = in.adapts(ParamGroup.DECISION);
    boolean embA = in.adapts(ParamGroup.EMBEDDING);
    boolean implicitGrad = embA && layout.implicitItem >= 0;
    int mask = (decA ? ModelKernel.GRAD_DECISION : 0) | (embA ? ModelKernel.GRAD_EMBEDDING : 0)
        | (sgdUser || implicitGrad ? ModelKernel.GRAD_USER : 0);
    // Without an L2 pull the decision layers' SGD step is fused into the backward pass (no gradient
    // buffer to fill, read and zero); with one the step needs phi - theta and goes through grad.
    float fusedDecisionLr = decA && in.l2() == 0f ? in.lr(ParamGroup.DECISION) : Float.NaN;
    boolean fused = !Float.isNaN(fusedDecisionLr);
    int s = ti.support();
    if ((decA || embA || sgdUser) && s > 0) {
      for (int step = 0; step < in.steps(); step++) {
        if (ridgeMode) {
          ridgeUserState();
          float[] pred = ws.predictions();
          float[][] q = phi.segment(layout.itemFactor);
          int[] li = ti.localItems();
          for (int r = 0; r < s; r++) {
            pred[r] += bu + DenseKernels.dot(uLin, q[li[r]], ud);
          }
        } else {
          sgdUserState();
          kernel.forwardInto(phi, ti, 0, s, bu, uLin, uMlp, ws);
        }
        lossOf(0, s);
        ws.zeroUserGradientsInPlace();
        kernel.backwardInPlace(phi, ti, 0, s, uLin, ws, mask, grad, fusedDecisionLr);
        mapUserGradients(!ridgeMode, sgdUser, implicitGrad);
        sgdStepInPlace(in, decA && !fused, embA, sgdUser, s);
      }
    }
    if (ridgeMode) {
      ridgeUserState();
    } else {
      sgdUserState();
    }
    return ridgeMode;
  }

  /**
   * Moves the user-side gradients of the workspace into grad: with {@code linIsUser} (SGD mode) the
   * linear and MLP parts both belong to u_eff, in ridge mode only the MLP part (the linear part goes
   * through the solve).
   */
  private void mapUserGradients(boolean linIsUser, boolean toUser, boolean toImplicit) {
    for (int c = 0; c < ud; c++) {
      dImp[c] = (linIsUser ? ws.dULin[c] : 0f) + ws.dUMlp[c];
    }
    if (toUser) {
      if (linIsUser) {
        grad.segment(layout.userBias)[0][0] += ws.dBu[0];
      }
      DenseKernels.axpyInPlace(1f, dImp, grad.segment(layout.userVec)[0], ud);
    }
    if (toImplicit) {
      addImplicitGradient(dImp, 1f);
    }
  }

  /** grad(y_j) += scale |S|^-1/2 d for every positive support row's item j. */
  private void addImplicitGradient(float[] d, float scale) {
    int s = positives;
    if (layout.implicitItem < 0 || s == 0) {
      return;
    }
    float k = (float) (scale / Math.sqrt(s));
    float[][] gy = grad.segment(layout.implicitItem);
    int[] li = ti.localItems();
    for (int r = 0; r < s; r++) {
      DenseKernels.axpyInPlace(k, d, gy[li[r]], ud);
    }
  }

  /** phi -= lr (grad + l2 (phi - theta)) on the adapted groups, zeroing the consumed gradients. */
  private void sgdStepInPlace(InnerLoopConfig in, boolean decA, boolean embA, boolean sgdUser, int s) {
    float l2 = in.l2();
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment seg = layout.segment(sid);
      ParamGroup g = seg.group();
      boolean adapted = (g == ParamGroup.DECISION && decA) || (g == ParamGroup.EMBEDDING && embA)
          || (g == ParamGroup.USER && sgdUser);
      if (!adapted) {
        continue;
      }
      float lr = in.lr(g);
      float[][] p = phi.segment(seg.id());
      float[][] gr = grad.segment(seg.id());
      float[][] p0 = init.segment(seg.id());
      if (seg.id() == layout.userBias && in.userBiasNewtonStep()) {
        double lam = lambda();
        double b = p[0][0];
        double b0 = p0[0][0];
        double gSum = (double) s * gr[0][0];
        p[0][0] = (float) (b - in.lrUserBias() * (gSum + 2 * lam * (b - b0)) / (2 * (s + lam)));
        gr[0][0] = 0f;
        continue;
      }
      int rows = ti.localRows(seg.id());
      int cols = seg.cols();
      for (int r = 0; r < rows; r++) {
        float[] pr = p[r];
        float[] grr = gr[r];
        if (l2 == 0f) {
          for (int c = 0; c < cols; c++) {
            pr[c] -= lr * grr[c];
            grr[c] = 0f;
          }
        } else {
          float[] p0r = p0[r];
          for (int c = 0; c < cols; c++) {
            pr[c] -= lr * (grr[c] + l2 * (pr[c] - p0r[c]));
            grr[c] = 0f;
          }
        }
      }
    }
  }

  /** First-order query gradient at phi (exact through the ridge solve); grad must be zero. */
  private double queryGradient(boolean ridgeMode) {
    int s = ti.support();
    int n = ti.rows();
    kernel.forwardInto(phi, ti, s, n, bu, uLin, uMlp, ws);
    double loss = lossOf(s, n);
    ws.zeroUserGradientsInPlace();
    kernel.backwardInPlace(phi, ti, s, n, uLin, ws, ModelKernel.GRAD_ALL, grad);
    if (!ridgeMode) {
      mapUserGradients(true, true, true);
      return loss;
    }
    if (spec.feedback() == Feedback.IMPLICIT) {
      wlsBackward();
      return loss;
    }
    mapUserGradients(false, true, true);
    gz[0] = ws.dBu[0];
    for (int c = 0; c < ud; c++) {
      gz[1 + c] = ws.dULin[c];
    }
    ridge.backwardInPlace(gz);
    double lam = ridge.lambda;
    double[] v = ridge.v;
    double[] z = ridge.z;
    double[] z0 = ridge.z0;
    grad.segment(layout.userBias)[0][0] += (float) (lam * v[0]);
    float[] gu = grad.segment(layout.userVec)[0];
    double dLam = 0;
    for (int c = 0; c < ud + 1; c++) {
      dLam += v[c] * (z0[c] - z[c]);
    }
    for (int c = 0; c < ud; c++) {
      dImp[c] = (float) (lam * v[1 + c]);
      gu[c] += dImp[c];
    }
    addImplicitGradient(dImp, 1f);
    grad.segment(layout.logLambda)[0][0] += (float) (lam * dLam);
    // Through the residuals and the design rows of the support.
    kernel.forwardInto(phi, ti, 0, s, 0f, zeros, uMlp, ws);
    float[] pred = ws.predictions();
    float[] dPred = ws.predictionGradient();
    float[] y = ti.labels();
    float[][] q = phi.segment(layout.itemFactor);
    float[][] gq = grad.segment(layout.itemFactor);
    int[] li = ti.localItems();
    for (int r = 0; r < s; r++) {
      float[] qr = q[li[r]];
      double av = v[0];
      double az = z[0];
      for (int c = 0; c < ud; c++) {
        av += v[1 + c] * qr[c];
        az += z[1 + c] * qr[c];
      }
      double e = (y[r] - pred[r]) - az;
      dPred[r] = (float) -av;
      float[] g = gq[li[r]];
      for (int c = 0; c < ud; c++) {
        g[c] += (float) (e * v[1 + c] - av * z[1 + c]);
      }
    }
    ws.zeroUserGradientsInPlace();
    kernel.backwardInPlace(phi, ti, 0, s, zeros, ws, ModelKernel.GRAD_ALL, grad);
    mapUserGradients(false, true, true);
    return loss;
  }

  /**
   * The query gradient through the implicit solve (after the query's backward pass): the MLP part
   * of u_eff to the prior, b_u directly, and the solve's {@code dL/du*} to the prior mean, lambda
   * and the support's positive factor rows ({@link WlsSolver}); the Gramian's part, which reaches
   * every item, is left in {@code wls.v}, {@code wls.u} for the accumulator.
   */
  private void wlsBackward() {
    mapUserGradients(false, true, true);
    grad.segment(layout.userBias)[0][0] += ws.dBu[0];
    // u_lin = γ u*: dL/du* = γ dL/du_lin, and with a learned γ dL/dlog γ = <dL/du_lin, u_lin>.
    float gain = foldInScale();
    double dLogGain = 0;
    for (int c = 0; c < ud; c++) {
      gz[c] = gain * ws.dULin[c];
      dLogGain += (double) ws.dULin[c] * uSolved[c];
    }
    if (layout.logFoldIn >= 0) {
      grad.segment(layout.logFoldIn)[0][0] += (float) dLogGain;
    }
    wls.backwardInPlace(gz);
    double lam = wls.lambda;
    double conf = wls.confidence;
    double[] v = wls.v;
    double[] u = wls.u;
    double[] u0 = wls.u0;
    float[] gu = grad.segment(layout.userVec)[0];
    double dLam = 0;
    for (int c = 0; c < ud; c++) {
      dLam += v[c] * (u0[c] - u[c]);
      dImp[c] = (float) (lam * v[c]);
      gu[c] += dImp[c];
    }
    addImplicitGradient(dImp, 1f);
    grad.segment(layout.logLambda)[0][0] += (float) (lam * dLam);
    float[][] q = phi.segment(layout.itemFactor);
    float[][] gq = grad.segment(layout.itemFactor);
    int[] li = ti.localItems();
    float[] labels = ti.labels();
    for (int r = 0; r < positives; r++) {
      float[] qr = q[li[r]];
      double qu = 0;
      double qv = 0;
      for (int c = 0; c < ud; c++) {
        qu += qr[c] * u[c];
        qv += qr[c] * v[c];
      }
      float[] g = gq[li[r]];
      double cw = conf * Losses.weightOf(labels[r]);
      for (int c = 0; c < ud; c++) {
        g[c] += (float) ((1 + cw) * v[c] - cw * (qu * v[c] + qv * u[c]));
      }
    }
    wlsSolved = true;
  }

  /** Reptile: replaces the contribution of adapted segments by theta - phi. */
  private void reptileDifferenceInPlace(InnerLoopConfig in, boolean ridgeMode) {
    for (int sid = 0; sid < layout.numSegments(); sid++) {
      Segment seg = layout.segment(sid);
      ParamGroup g = seg.group();
      if (g == ParamGroup.GLOBAL || !in.adapts(g)) {
        continue;
      }
      float[][] gr = grad.segment(seg.id());
      if (g == ParamGroup.USER && ridgeMode && spec.feedback() == Feedback.IMPLICIT) {
        // The implicit solve moves u_eff only: u0 - u*; b_u stays at its prior.
        if (seg.id() == layout.userBias) {
          gr[0][0] = 0f;
        } else {
          for (int c = 0; c < ud; c++) {
            gr[0][c] = (float) (wls.u0[c] - foldInScale() * wls.u[c]);
          }
        }
        continue;
      }
      if (g == ParamGroup.USER && ridgeMode) {
        // phi_user is the solved (b_u, u_eff); theta_user the prior mean z0.
        if (seg.id() == layout.userBias) {
          gr[0][0] = (float) (ridge.z0[0] - ridge.z[0]);
        } else {
          for (int c = 0; c < ud; c++) {
            gr[0][c] = (float) (ridge.z0[1 + c] - ridge.z[1 + c]);
          }
        }
        continue;
      }
      float[][] p = phi.segment(seg.id());
      float[][] p0 = init.segment(seg.id());
      int rows = ti.localRows(seg.id());
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < seg.cols(); c++) {
          gr[r][c] = p0[r][c] - p[r][c];
        }
      }
    }
  }

  /**
   * The gain on the implicit fold-in's score: the learned gain ({@code logFoldIn}, where the model
   * has it) times the inner loop's factor ({@link ImplicitConfig#foldInScale}).
   */
  private float foldInScale() {
    float factor = implicit == null ? 1f : implicit.foldInScale();
    return layout.logFoldIn < 0 ? factor
        : (float) (Math.exp(phi.segment(layout.logFoldIn)[0][0]) * factor);
  }

  /** The prior strength of the loaded task: the learned lambda times the inner loop's factor. */
  private double lambda() {
    return Math.exp(phi.segment(layout.logLambda)[0][0]) * priorScale;
  }

  /** Multi-task baseline: gradient of the mean loss over all rows at theta (user at the prior). */
  private double multitaskGradient() {
    sgdUserState();
    int n = ti.rows();
    kernel.forwardInto(phi, ti, 0, n, bu, uLin, uMlp, ws);
    float[] corr = correction();
    if (corr != null) {
      // Each block (support, query) is corrected where it has sampled negatives.
      shiftInPlace(corr, 0, 0, negS > 0 ? ti.support() : 0, 1f);
      shiftInPlace(corr, 0, negQ > 0 ? ti.support() : n, n, 1f);
    }
    double loss;
    if (implicit != null && implicit.loss() == ImplicitConfig.Loss.BPR && negS > 0 && negQ > 0) {
      // Support and query are two blocks of positives and their negatives.
      int s = ti.support();
      int pS = s / (1 + negS);
      int pQ = (n - s) / (1 + negQ);
      int pairs = pS * negS + pQ * negQ;
      Arrays.fill(ws.predictionGradient(), 0, n, 0f);
      loss = pairs == 0 ? 0 : (bprInto(0, pS, negS, pairs) + bprInto(s, pQ, negQ, pairs)) / pairs;
    } else {
      loss = kernel.lossInto(ti, 0, n, ws);
    }
    ws.zeroUserGradientsInPlace();
    kernel.backwardInPlace(phi, ti, 0, n, uLin, ws, ModelKernel.GRAD_ALL, grad);
    mapUserGradients(true, true, true);
    return loss;
  }
}
