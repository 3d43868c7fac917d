package io.metarec.engine;

import io.metarec.meta.AdaptationEngine;
import io.metarec.config.Algorithm;
import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.IntIndex;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.MetaConfig;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.config.TrainSettings;
import io.metarec.config.UserSolver;
import io.metarec.model.Activation;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.task.TaskSplitter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.api.ops.impl.transforms.segment.UnsortedSegmentSum;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A task-batched {@link AdaptationEngine} on ND4J: the inner loop (Finn et al. 2017) of the MeLU-style
 * scorer (Lee et al. 2019) for a whole block of tasks at once, with the meta-gradients of Reptile
 * (Nichol et al. 2018), first-order MAML and multi-task training — the same contributions as
 * {@link JvmAdaptationEngine} up to float rounding. On the CUDA backend (build with {@code -Pgpu})
 * a block of T tasks costs a few dozen kernel launches per inner step instead of T times as many.
 *
 * <p>Per block: the tasks' support and eval rows are padded to the block's largest and weighted
 * ({@code 1 / rows}, 0 on padding; {@link TaskBlock}). Only the adapted groups get per-task copies,
 * stacked on a leading axis of size T (decision: {@code [T, in, out]} weights; user: {@code [T, 1]}
 * bias and {@code [T, userDim]} vector); the rest is shared. Embedding rows are never adapted, so the
 * embedding part of every row's MLP input is gathered once per block. Each SGD step is a batched
 * forward and backward ({@code Nd4j.matmul} on rank-3 arrays is one batched GEMM) and a stacked
 * update {@code phi -= lr (grad + l2 (phi - theta))}, with the user bias's Newton scaling
 * ({@code inner.userBiasNewtonStep}, {@code inner.lr.userBias}). The eval pass sums the gradients of
 * all tasks in the products themselves ({@code X^T dZ} over every row of the block), routes the
 * embedding-table gradients to the partition's touched rows with segment sums, and adds Reptile's
 * {@code theta - phi} for adapted groups. A partition's contribution is summed on the device and
 * copied back once, at the end of {@link #accumulate}.
 *
 * <p>Supported: explicit and implicit feedback, every activation, the implicit term, the user vector
 * as MLP input, SGD inner steps on {@code decision}, {@code user} or both (or none). Refused at
 * construction, naming the setting ({@link #unsupportedReason}): {@code inner.adapt} with
 * {@code embedding} and {@code inner.userSolver=ridge} with {@code user} adapted.
 *
 * <p>Threads: all device work runs on one daemon thread the engine owns ("metarec-nd4j-device",
 * bound to the GPU given at construction), so one instance serves every executor thread of a JVM;
 * callers build their blocks on their own thread, overlapping the device's work on the previous
 * block. {@link #adaptAndPredict}, {@link #adaptAndScore} and {@link #adaptAndEvaluateLoss}
 * (evaluation and serving, one task at a time) delegate to a {@link JvmAdaptationEngine} per calling
 * thread. {@link #close} stops the device thread.
 */
public final class Nd4jBatchedEngine implements AdaptationEngine, AutoCloseable {
  /** Per-block scratch: learned on the first block, grown when a larger block spills. */
  private static final WorkspaceConfiguration BLOCK_WORKSPACE = WorkspaceConfiguration.builder()
      .initialSize(0)
      .overallocationLimit(0.2)
      .policyAllocation(AllocationPolicy.OVERALLOCATE)
      .policyLearning(LearningPolicy.FIRST_LOOP)
      .policyReset(ResetPolicy.BLOCK_LEFT)
      .policySpill(SpillPolicy.REALLOCATE)
      .build();

  private final ModelSpec spec;
  private final ParamLayout layout;
  private final ItemFeatureTable itemFeatures;
  private final int blockSize;
  private final ExecutorService deviceThread;
  private final ThreadLocal<JvmAdaptationEngine> evaluation;

  /**
   * @param spec the model (must equal the spec of every theta passed in)
   * @param itemFeatures the global item feature table
   * @param settings the training settings it will be called with (checked here: see
   *     {@link #unsupportedReason})
   * @param blockSize tasks adapted at once, {@code >= 1}
   * @param device the ND4J device (GPU ordinal) to bind the device thread to, or null for the
   *     backend's default
   * @throws IllegalArgumentException naming the setting the engine does not implement, or a bad argument
   */
  public Nd4jBatchedEngine(ModelSpec spec, ItemFeatureTable itemFeatures, TrainSettings settings, int blockSize,
      Integer device) {
    String why = unsupportedReason(settings);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    if (blockSize < 1) {
      throw new IllegalArgumentException("train.engineBlockSize must be >= 1, got " + blockSize);
    }
    if (itemFeatures.numFields() != spec.itemFields().size() || itemFeatures.numItems() != spec.numItems()) {
      throw new IllegalArgumentException("item feature table has " + itemFeatures.numFields() + " fields and "
          + itemFeatures.numItems() + " items, the model expects " + spec.itemFields().size() + " and "
          + spec.numItems());
    }
    this.spec = spec;
    this.layout = new ParamLayout(spec);
    this.itemFeatures = itemFeatures;
    this.blockSize = blockSize;
    this.evaluation = ThreadLocal.withInitial(() -> new JvmAdaptationEngine(spec, itemFeatures));
    this.deviceThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "metarec-nd4j-device");
      t.setDaemon(true);
      return t;
    });
    onDevice(() -> {
      quietNd4j();
      if (device != null) {
        Nd4j.getAffinityManager().unsafeSetDevice(device);
      }
      return null;
    });
  }

  /**
   * Why this engine cannot run {@code settings}, naming the setting, or null if it can.
   */
  public static String unsupportedReason(TrainSettings settings, io.metarec.model.Feedback feedback) {
    if (feedback == io.metarec.model.Feedback.IMPLICIT
        && settings.inner().implicit().negatives() > 0) {
      return "the nd4j engine does not sample implicit feedback's negatives "
          + "(inner.implicit.negatives = " + settings.inner().implicit().negatives()
          + "; use train.engine=jvm)";
    }
    if (feedback == io.metarec.model.Feedback.IMPLICIT && settings.inner().implicit().taskWeight()
        != io.metarec.config.ImplicitConfig.TaskWeight.TASK) {
      return "the nd4j engine weights every task alike (inner.implicit.taskWeight = "
          + settings.inner().implicit().taskWeight().name().toLowerCase(java.util.Locale.ROOT)
          + "; use train.engine=jvm or taskWeight = task)";
    }
    return unsupportedReason(settings);
  }

  /** Why the engine cannot run {@code settings} (any feedback), or null. */
  public static String unsupportedReason(TrainSettings settings) {
    InnerLoopConfig in = settings.inner();
    if (in.adapts(ParamGroup.EMBEDDING)) {
      return "the nd4j engine does not adapt embedding tables: inner.adapt=" + adaptList(in)
          + " includes embedding (use train.engine=jvm, or adapt decision and/or user)";
    }
    if (in.userSolver() == UserSolver.RIDGE && in.adapts(ParamGroup.USER)) {
      return "the nd4j engine does not implement inner.userSolver=ridge (use train.engine=jvm, or "
          + "inner.userSolver=sgd)";
    }
    return null;
  }

  private static String adaptList(InnerLoopConfig in) {
    List<String> names = new ArrayList<>();
    for (ParamGroup g : ParamGroup.values()) {
      if (in.adapts(g)) {
        names.add(g.name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    return names.toString();
  }

  /** Sets ND4J's profiling mode to DISABLED (its default checks workspaces on every op). */
  @SuppressWarnings("deprecation") // the only switch ND4J 1.0.0-M2 offers
  static void quietNd4j() {
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
  }

  /** @return the ND4J backend's name, e.g. CpuBackend or JCublasBackend (loads the backend) */
  public static String backendName() {
    return Nd4j.getBackend().getClass().getSimpleName();
  }

  /** @return the layout of the parameters this engine works on */
  public ParamLayout layout() {
    return layout;
  }

  /** @return tasks adapted at once */
  public int blockSize() {
    return blockSize;
  }

  @Override
  public void close() {
    deviceThread.shutdownNow();
  }

  // ---------------------------------------------------------------- API

  @Override
  public void accumulate(Iterator<Task> tasks, Params theta, TrainSettings settings, long iteration,
      MetaGradientAccumulator out) {
    checkTheta(theta);
    String why = unsupportedReason(settings);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    if (out.layout().totalSize() != layout.totalSize()) {
      throw new IllegalArgumentException("accumulator layout (" + out.layout().totalSize()
          + " floats) differs from the model's (" + layout.totalSize() + ")");
    }
    MetaConfig meta = settings.meta();
    boolean evalAll = meta.algorithm() == Algorithm.MULTITASK;
    PartitionRows rows = new PartitionRows(spec, itemFeatures);
    List<Task> list = new ArrayList<>();
    while (tasks.hasNext()) {
      Task t = tasks.next();
      if (meta.resplit()) {
        t = TaskSplitter.resplit(t, meta.seed(), iteration, meta.minSupport(), meta.maxSupport());
      }
      if (evalAll ? t.size() == 0 : t.querySize() == 0) {
        continue;
      }
      rows.addTask(t);
      list.add(t);
    }
    if (list.isEmpty()) {
      return;
    }
    DeviceRun run = onDevice(() -> new DeviceRun(theta, settings.inner(), meta.algorithm(), rows));
    Future<?> pending = null;
    for (int from = 0; from < list.size(); from += blockSize) {
      TaskBlock block = new TaskBlock(list.subList(from, Math.min(list.size(), from + blockSize)), theta, rows,
          evalAll);
      if (pending != null) {
        await(pending);
      }
      pending = deviceThread.submit(() -> {
        run.block(block);
        return null;
      });
    }
    await(pending);
    float[] sums = onDevice(run::copyBack);
    run.addInto(sums, out, list.size());
  }

  /**
   * {@inheritDoc} Delegates to this thread's {@link JvmAdaptationEngine} (one task at a time).
   */
  @Override
  public float[] adaptAndPredict(Params theta, InnerLoopConfig inner, Task task) {
    return evaluation.get().adaptAndPredict(theta, inner, task);
  }

  /**
   * {@inheritDoc} Delegates to this thread's {@link JvmAdaptationEngine} (one user at a time).
   */
  @Override
  public float[] adaptAndScore(Params theta, InnerLoopConfig inner, int[] items, float[] labels,
      int[][] userFeatures, int[] candidates) {
    return evaluation.get().adaptAndScore(theta, inner, items, labels, userFeatures, candidates);
  }

  /**
   * {@inheritDoc} Delegates to this thread's {@link JvmAdaptationEngine} (one task at a time).
   */
  @Override
  public double adaptAndEvaluateLoss(Params theta, InnerLoopConfig inner, Task task) {
    return evaluation.get().adaptAndEvaluateLoss(theta, inner, task);
  }

  private void checkTheta(Params theta) {
    if (!theta.layout().spec().equals(spec)) {
      throw new IllegalArgumentException("theta was built for another model spec: " + theta.layout().spec()
          + " vs engine " + spec);
    }
  }

  private <T> T onDevice(Callable<T> work) {
    return await(deviceThread.submit(work));
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the ND4J device thread", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("ND4J device work failed: " + c, c);
    }
  }

  // ---------------------------------------------------------------- device side

  /**
   * One partition's device state: θ's dense segments, the settings, and the running sums; used on the
   * device thread only. Weights are rank 3, {@code [1, in, out]} when shared and {@code [T, in, out]}
   * when stacked per task; the first layer is split into its embedding rows ({@code W0e}) and its user
   * rows ({@code W0u}, when the user vector is an MLP input).
   */
  private final class DeviceRun {
    private final InnerLoopConfig in;
    private final Algorithm algorithm;
    /** Whether the decision / user groups get per-task copies (adapted, and the inner loop runs). */
    private final boolean decA;
    private final boolean userA;
    /** Whether the decision / user contribution is Reptile's {@code theta - phi} (0 without steps). */
    private final boolean reptileDec;
    private final boolean reptileUser;
    private final int hidden;
    private final int ud;
    private final int e;
    private final int width;
    private final boolean userInMlp;
    private final float lambda;
    private final float bu0;
    /** θ: weights[l] ({@code l = 0}: W0e), biases[l] [1,1,h], w0u, wOut [1,1,hL], bOut [1,1], u0 [1,ud]. */
    private final INDArray[] weights;
    private final INDArray[] biases;
    private final INDArray w0u;
    private final INDArray wOut;
    private final INDArray bOut;
    private final INDArray u0;
    private final INDArray bu0Arr;
    /** Sums (2-D, the segments' shapes). */
    private final INDArray[] accW;
    private final INDArray[] accB;
    private final INDArray accW0u;
    private final INDArray accWOut;
    private final INDArray accBOut;
    private final INDArray accMu;
    private final INDArray accBu;
    private final INDArray accU;
    private final INDArray accLoss;
    private final INDArray accItemBias;
    private final INDArray accItemEmb;
    private final INDArray accItemFactor;
    private final INDArray accImplicit;
    private final INDArray[] accItemField;
    private final INDArray[] accUserField;
    private final PartitionRows rows;

    DeviceRun(Params theta, InnerLoopConfig in, Algorithm algorithm, PartitionRows rows) {
      this.in = in;
      this.algorithm = algorithm;
      this.rows = rows;
      boolean adaptLoop = algorithm != Algorithm.MULTITASK && in.steps() > 0;
      this.decA = adaptLoop && in.adapts(ParamGroup.DECISION);
      this.userA = adaptLoop && in.adapts(ParamGroup.USER);
      this.reptileDec = algorithm == Algorithm.REPTILE && in.adapts(ParamGroup.DECISION);
      this.reptileUser = algorithm == Algorithm.REPTILE && in.adapts(ParamGroup.USER);
      this.hidden = layout.numHidden();
      this.ud = spec.userDim();
      this.e = spec.embeddingDim();
      this.width = spec.embeddingBlocks() * e;
      this.userInMlp = spec.userInMlp();
      this.lambda = (float) (Math.exp(theta.segment(layout.logLambda)[0][0]) * in.priorScale());
      this.bu0 = theta.segment(layout.userBias)[0][0];
      int[] h = spec.hiddenSizes();
      weights = new INDArray[hidden];
      biases = new INDArray[hidden];
      accW = new INDArray[hidden];
      accB = new INDArray[hidden];
      float[][] w0 = theta.segment(layout.weight(0));
      weights[0] = rowsOf(w0, 0, width, h[0]);
      w0u = userInMlp ? rowsOf(w0, width, width + ud, h[0]) : null;
      for (int l = 0; l < hidden; l++) {
        if (l > 0) {
          weights[l] = rowsOf(theta.segment(layout.weight(l)), 0, h[l - 1], h[l]);
        }
        biases[l] = rowsOf(theta.segment(layout.bias(l)), 0, 1, h[l]);
        accW[l] = Nd4j.zeros(DataType.FLOAT, weights[l].size(1), h[l]);
        accB[l] = Nd4j.zeros(DataType.FLOAT, 1, h[l]);
      }
      accW0u = userInMlp ? Nd4j.zeros(DataType.FLOAT, ud, h[0]) : null;
      int hl = h[hidden - 1];
      wOut = rowsOf(theta.segment(layout.outW), 0, 1, hl);
      bOut = Nd4j.create(new float[] {theta.segment(layout.outB)[0][0]}, new long[] {1, 1}, DataType.FLOAT);
      u0 = Nd4j.create(theta.segment(layout.userVec)[0].clone(), new long[] {1, ud}, DataType.FLOAT);
      bu0Arr = Nd4j.create(new float[] {bu0}, new long[] {1, 1}, DataType.FLOAT);
      accWOut = Nd4j.zeros(DataType.FLOAT, 1, hl);
      accBOut = Nd4j.zeros(DataType.FLOAT, 1, 1);
      accMu = Nd4j.zeros(DataType.FLOAT, 1, 1);
      accBu = Nd4j.zeros(DataType.FLOAT, 1, 1);
      accU = Nd4j.zeros(DataType.FLOAT, 1, ud);
      accLoss = Nd4j.zeros(DataType.FLOAT, 1, 1);
      int ni = rows.items.size();
      accItemBias = Nd4j.zeros(DataType.FLOAT, ni, 1);
      accItemEmb = Nd4j.zeros(DataType.FLOAT, ni, e);
      accItemFactor = Nd4j.zeros(DataType.FLOAT, ni, ud);
      accImplicit = layout.implicitItem >= 0 ? Nd4j.zeros(DataType.FLOAT, ni, ud) : null;
      accItemField = new INDArray[rows.itemFields.length];
      for (int f = 0; f < accItemField.length; f++) {
        accItemField[f] = Nd4j.zeros(DataType.FLOAT, rows.itemFields[f].size(), e);
      }
      accUserField = new INDArray[rows.userFields.length];
      for (int g = 0; g < accUserField.length; g++) {
        accUserField[g] = Nd4j.zeros(DataType.FLOAT, rows.userFields[g].size(), e);
      }
    }

    /** Rows {@code [r0, r1)} of a segment as a {@code [1, r1 - r0, cols]} device array. */
    private INDArray rowsOf(float[][] seg, int r0, int r1, int cols) {
      float[] flat = new float[(r1 - r0) * cols];
      for (int r = r0; r < r1; r++) {
        System.arraycopy(seg[r], 0, flat, (r - r0) * cols, cols);
      }
      return Nd4j.create(flat, new long[] {1, r1 - r0, cols}, DataType.FLOAT);
    }

    /** The parameters one block adapts: stacked copies of the adapted groups, θ's arrays for the rest. */
    private final class Phi {
      final INDArray[] w = new INDArray[hidden];
      final INDArray[] b = new INDArray[hidden];
      INDArray w0u;
      INDArray wOut;
      INDArray bOut;
      final INDArray u;
      final INDArray bu;

      Phi(int t) {
        for (int l = 0; l < hidden; l++) {
          w[l] = decA ? stack(weights[l], t) : weights[l];
          b[l] = decA ? stack(biases[l], t) : biases[l];
        }
        w0u = DeviceRun.this.w0u == null || !decA ? DeviceRun.this.w0u : stack(DeviceRun.this.w0u, t);
        wOut = decA ? stack(DeviceRun.this.wOut, t) : DeviceRun.this.wOut;
        bOut = decA ? stack(DeviceRun.this.bOut, t) : DeviceRun.this.bOut;
        u = stack(u0, t);
        bu = stack(bu0Arr, t);
      }
    }

    /**
     * Adapts one block and adds its contributions to the sums. Everything the block allocates lives in
     * a workspace reused from block to block (device memory is not left to the garbage collector);
     * the sums, created outside it, are only updated in place.
     */
    void block(TaskBlock blk) {
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(BLOCK_WORKSPACE,
          "metarec-nd4j-block")) {
        blockInWorkspace(blk);
      }
    }

    private void blockInWorkspace(TaskBlock blk) {
      int t = blk.tasks;
      INDArray imp = Nd4j.create(blk.imp, new long[] {t, ud}, DataType.FLOAT);
      Phi phi = new Phi(t);
      if (blk.support > 0 && (decA || userA)) {
        INDArray xe = Nd4j.create(blk.xeS, new long[] {t, blk.support, width}, DataType.FLOAT);
        INDArray c = Nd4j.create(blk.cS, new long[] {t, blk.support}, DataType.FLOAT);
        INDArray q = Nd4j.create(blk.qS, new long[] {t, blk.support, ud}, DataType.FLOAT);
        INDArray y = Nd4j.create(blk.yS, new long[] {t, blk.support}, DataType.FLOAT);
        INDArray w = Nd4j.create(blk.wS, new long[] {t, blk.support}, DataType.FLOAT);
        float[] coef = new float[t];
        for (int k = 0; k < t; k++) {
          coef[k] = (float) (in.lrUserBias() / (2.0 * (blk.supportCount[k] + lambda)));
        }
        INDArray newton = Nd4j.create(coef, new long[] {t, 1}, DataType.FLOAT);
        INDArray count = Nd4j.create(blk.supportCount, new long[] {t, 1}, DataType.FLOAT);
        for (int step = 0; step < in.steps(); step++) {
          INDArray uEff = phi.u.add(imp);
          INDArray[] acts = forward(phi, xe, uEff);
          INDArray pred = predict(phi, acts, c, q, uEff);
          INDArray dPred = lossGradient(pred, y, w, null);
          supportStep(phi, acts, xe, q, uEff, dPred, newton, count);
        }
      }
      INDArray xe = Nd4j.create(blk.xeQ, new long[] {t, blk.eval, width}, DataType.FLOAT);
      INDArray c = Nd4j.create(blk.cQ, new long[] {t, blk.eval}, DataType.FLOAT);
      INDArray q = Nd4j.create(blk.qQ, new long[] {t, blk.eval, ud}, DataType.FLOAT);
      INDArray y = Nd4j.create(blk.yQ, new long[] {t, blk.eval}, DataType.FLOAT);
      INDArray w = Nd4j.create(blk.wQ, new long[] {t, blk.eval}, DataType.FLOAT);
      INDArray uEff = phi.u.add(imp);
      INDArray[] acts = forward(phi, xe, uEff);
      INDArray pred = predict(phi, acts, c, q, uEff);
      INDArray dPred = lossGradient(pred, y, w, accLoss);
      evalPass(phi, acts, xe, q, uEff, dPred, blk);
    }

    /** Hidden activations of every layer for rows {@code xe [T, R, E]} with user vectors {@code uEff [T, ud]}. */
    private INDArray[] forward(Phi p, INDArray xe, INDArray uEff) {
      INDArray[] acts = new INDArray[hidden];
      INDArray a = xe;
      for (int l = 0; l < hidden; l++) {
        INDArray z = mm(a, p.w[l]);
        if (l == 0 && p.w0u != null) {
          z.addi(userTerm(uEff, p.w0u));
        }
        z.addi(p.b[l]);
        activateInPlace(z);
        acts[l] = z;
        a = z;
      }
      return acts;
    }

    /** Predictions {@code [T, R]}: MLP output + (mu + b_i) + b_u + <u_eff, q_i>. */
    private INDArray predict(Phi p, INDArray[] acts, INDArray c, INDArray q, INDArray uEff) {
      long t = c.size(0);
      long r = c.size(1);
      INDArray out = mmT(acts[hidden - 1], p.wOut).reshape('c', t, r);
      out.addi(p.bOut).addi(c).addi(p.bu);
      out.addi(q.mul(uEff.reshape('c', t, 1, ud)).sum(2));
      return out;
    }

    /**
     * dLoss/dPred of the weighted rows (2 w (p - y), or w (sigmoid(p) - y) for implicit feedback);
     * adds the weighted loss sum to {@code loss} when non-null.
     */
    private INDArray lossGradient(INDArray pred, INDArray y, INDArray w, INDArray loss) {
      if (spec.feedback() == io.metarec.model.Feedback.EXPLICIT) {
        INDArray err = pred.sub(y);
        if (loss != null) {
          loss.addi(err.mul(err).muli(w).sum());
        }
        return err.muli(w).muli(2f);
      }
      if (loss != null) {
        // Stable BCE on the logit: max(p, 0) - p y + log1p(exp(-|p|)).
        INDArray l = Transforms.relu(pred, true).subi(pred.mul(y))
            .addi(Transforms.log(Transforms.exp(Transforms.abs(pred, true).negi(), false).addi(1f), false));
        loss.addi(l.muli(w).sum());
      }
      return Transforms.sigmoid(pred, true).subi(y).muli(w);
    }

    /** One SGD step of the support pass: per-task gradients of the adapted groups, then the update. */
    private void supportStep(Phi p, INDArray[] acts, INDArray xe, INDArray q, INDArray uEff, INDArray dPred,
        INDArray newton, INDArray count) {
      long t = dPred.size(0);
      long r = dPred.size(1);
      INDArray d3 = dPred.reshape('c', t, r, 1);
      INDArray[] gw = new INDArray[hidden];
      INDArray[] gb = new INDArray[hidden];
      INDArray gWOut = null;
      INDArray gBOut = null;
      INDArray gW0u = null;
      INDArray dUMlp = null;
      if (decA) {
        gWOut = Nd4j.matmul(dPred.reshape('c', t, 1, r), acts[hidden - 1]);
        gBOut = dPred.sum(true, 1);
      }
      INDArray dA = mm(d3, p.wOut);
      for (int l = hidden - 1; l >= 0; l--) {
        INDArray dZ = activationBackwardInPlace(dA, acts[l]);
        if (decA) {
          gw[l] = Nd4j.matmul(l == 0 ? xe : acts[l - 1], dZ, true, false, false);
          gb[l] = dZ.sum(true, 1);
        }
        if (l > 0) {
          dA = mmT(dZ, p.w[l]);
        } else if (p.w0u != null) {
          INDArray sumDZ = dZ.sum(1);
          if (decA) {
            gW0u = Nd4j.matmul(uEff.reshape('c', t, ud, 1), sumDZ.reshape('c', t, 1, sumDZ.size(1)));
          }
          if (userA) {
            dUMlp = userInputGradient(sumDZ, p.w0u);
          }
        }
      }
      if (decA) {
        for (int l = 0; l < hidden; l++) {
          sgdInPlace(p.w[l], gw[l], weights[l], in.lrDecision());
          sgdInPlace(p.b[l], gb[l], biases[l], in.lrDecision());
        }
        if (gW0u != null) {
          sgdInPlace(p.w0u, gW0u, w0u, in.lrDecision());
        }
        sgdInPlace(p.wOut, gWOut, wOut, in.lrDecision());
        sgdInPlace(p.bOut, gBOut, bOut, in.lrDecision());
      }
      if (userA) {
        INDArray dBu = dPred.sum(true, 1);
        INDArray gU = q.mul(d3).sum(1);
        if (dUMlp != null) {
          gU.addi(dUMlp);
        }
        if (in.userBiasNewtonStep()) {
          // b -= lrUserBias (n g + 2 lambda (b - b0)) / (2 (n + lambda)), as the JVM engine.
          INDArray step = dBu.muli(count).addi(p.bu.sub(bu0Arr).muli(2f * lambda)).muli(newton);
          p.bu.subi(step);
        } else {
          sgdInPlace(p.bu, dBu, bu0Arr, in.lrUser());
        }
        sgdInPlace(p.u, gU, u0, in.lrUser());
      }
    }

    /** {@code p -= lr (g + l2 (p - p0))}, p0 broadcast; consumes g. */
    private void sgdInPlace(INDArray p, INDArray g, INDArray p0, float lr) {
      if (in.l2() != 0f) {
        g.addi(p.sub(p0).muli(in.l2()));
      }
      p.subi(g.muli(lr));
    }

    /** The eval pass: first-order gradients summed over the block, tables routed, Reptile differences. */
    private void evalPass(Phi p, INDArray[] acts, INDArray xe, INDArray q, INDArray uEff, INDArray dPred,
        TaskBlock blk) {
      long t = dPred.size(0);
      long r = dPred.size(1);
      long tr = t * r;
      boolean decisionGrad = !reptileDec;
      boolean userGrad = !reptileUser;
      INDArray d3 = dPred.reshape('c', t, r, 1);
      INDArray d2 = dPred.reshape('c', tr, 1);
      INDArray aLast = acts[hidden - 1];
      if (decisionGrad) {
        accWOut.addi(dPred.reshape('c', 1, tr).mmul(aLast.reshape('c', tr, aLast.size(2))));
        accBOut.addi(dPred.sum());
      }
      INDArray dA = mm(d3, p.wOut);
      INDArray dZ0 = null;
      for (int l = hidden - 1; l >= 0; l--) {
        INDArray dZ = activationBackwardInPlace(dA, acts[l]);
        INDArray dZ2 = dZ.reshape('c', tr, dZ.size(2));
        if (decisionGrad) {
          INDArray x = l == 0 ? xe : acts[l - 1];
          accW[l].addi(x.reshape('c', tr, x.size(2)).transpose().mmul(dZ2));
          accB[l].addi(dZ2.sum(true, 0));
        }
        if (l > 0) {
          dA = mmT(dZ, p.w[l]);
        } else {
          dZ0 = dZ;
        }
      }
      INDArray dImp = q.mul(d3).sum(1);
      if (p.w0u != null) {
        INDArray sumDZ = dZ0.sum(1);
        if (decisionGrad) {
          accW0u.addi(uEff.transpose().mmul(sumDZ));
        }
        dImp.addi(userInputGradient(sumDZ, p.w0u));
      }
      accMu.addi(dPred.sum());
      if (userGrad) {
        accBu.addi(dPred.sum());
        accU.addi(dImp.sum(true, 0));
      }
      // Embedding tables: route every row's input gradient to the partition's rows.
      INDArray dXe = mmT(dZ0, p.w[0]).reshape('c', tr, width);
      int[] ids = blk.evalItem;
      int ni = rows.items.size();
      accItemBias.addi(segmentSum(d2, ids, ni));
      accItemFactor.addi(segmentSum(d3.mul(uEff.reshape('c', t, 1, ud)).reshape('c', tr, ud), ids, ni));
      accItemEmb.addi(segmentSum(columns(dXe, 0), ids, ni));
      for (int f = 0; f < accItemField.length; f++) {
        if (blk.fieldRow[f].length > 0) {
          INDArray src = gatherWeighted(columns(dXe, (1 + f) * e), blk.fieldRow[f], blk.fieldW[f]);
          accItemField[f].addi(segmentSum(src, blk.fieldId[f], rows.itemFields[f].size()));
        }
      }
      INDArray dPool = dXe.reshape('c', t, r, width).sum(1);
      for (int g = 0; g < accUserField.length; g++) {
        int off = (1 + accItemField.length + g) * e;
        INDArray src = gatherWeighted(columns(dPool, off), blk.userTask[g], blk.userW[g]);
        accUserField[g].addi(segmentSum(src, blk.userId[g], rows.userFields[g].size()));
      }
      if (accImplicit != null && blk.impTask.length > 0) {
        INDArray src = gatherWeighted(dImp, blk.impTask, blk.impW);
        accImplicit.addi(segmentSum(src, blk.impId, ni));
      }
      if (reptileDec && decA) {
        for (int l = 0; l < hidden; l++) {
          accW[l].addi(thetaMinusPhi(weights[l], p.w[l]));
          accB[l].addi(thetaMinusPhi(biases[l], p.b[l]));
        }
        if (w0u != null) {
          accW0u.addi(thetaMinusPhi(w0u, p.w0u));
        }
        accWOut.addi(thetaMinusPhi(wOut, p.wOut));
        accBOut.addi(thetaMinusPhi(bOut, p.bOut));
      }
      if (reptileUser && userA) {
        accBu.addi(thetaMinusPhi(bu0Arr, p.bu));
        accU.addi(thetaMinusPhi(u0, p.u));
      }
    }

    /** Sum over the task axis of {@code theta - phi}, in θ's 2-D segment shape. */
    private INDArray thetaMinusPhi(INDArray theta, INDArray phi) {
      INDArray d = phi.neg().addi(theta);
      return d.rank() == 3 ? d.sum(0) : d.sum(true, 0);
    }

    /** The {@code e} columns of {@code x [rows, width]} from {@code off}. */
    private INDArray columns(INDArray x, int off) {
      return x.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + e)).dup('c');
    }

    /** Rows {@code idx} of {@code x}, each scaled by its weight. */
    private INDArray gatherWeighted(INDArray x, int[] idx, float[] w) {
      INDArray g = Nd4j.exec(new Gather(x, Nd4j.createFromArray(idx), 0))[0];
      return g.muliColumnVector(Nd4j.create(w, new long[] {w.length, 1}, DataType.FLOAT));
    }

    /** Copies every sum into one host array: dense sums in {@link #addInto}'s order, loss, then tables. */
    float[] copyBack() {
      List<INDArray> all = new ArrayList<>();
      all.add(accMu);
      all.add(accBu);
      all.add(accU);
      for (int l = 0; l < hidden; l++) {
        all.add(accW[l]);
        if (l == 0 && accW0u != null) {
          all.add(accW0u);
        }
        all.add(accB[l]);
      }
      all.add(accWOut);
      all.add(accBOut);
      all.add(accLoss);
      all.add(accItemBias);
      all.add(accItemEmb);
      all.add(accItemFactor);
      if (accImplicit != null) {
        all.add(accImplicit);
      }
      for (INDArray a : accItemField) {
        all.add(a);
      }
      for (INDArray a : accUserField) {
        all.add(a);
      }
      return Nd4j.toFlattened('c', all).toFloatVector();
    }

    /** Adds the copied sums ({@link #copyBack}'s layout) to {@code out}, on the calling thread. */
    void addInto(float[] s, MetaGradientAccumulator out, int tasks) {
      int[] pos = {0};
      addDense(s, pos, out, layout.mu);
      addDense(s, pos, out, layout.userBias);
      addDense(s, pos, out, layout.userVec);
      for (int l = 0; l < hidden; l++) {
        addDense(s, pos, out, layout.weight(l));
        addDense(s, pos, out, layout.bias(l));
      }
      addDense(s, pos, out, layout.outW);
      addDense(s, pos, out, layout.outB);
      double loss = s[pos[0]++];
      addTable(s, pos, out, layout.itemBias, rows.items);
      addTable(s, pos, out, layout.itemEmb, rows.items);
      addTable(s, pos, out, layout.itemFactor, rows.items);
      if (layout.implicitItem >= 0) {
        addTable(s, pos, out, layout.implicitItem, rows.items);
      }
      for (int f = 0; f < rows.itemFields.length; f++) {
        addTable(s, pos, out, layout.itemField(f), rows.itemFields[f]);
      }
      for (int g = 0; g < rows.userFields.length; g++) {
        addTable(s, pos, out, layout.userField(g), rows.userFields[g]);
      }
      if (pos[0] != s.length) {
        throw new IllegalStateException("copied " + s.length + " floats, consumed " + pos[0]);
      }
      out.addTaskCountInPlace(tasks, loss);
    }

    private void addDense(float[] s, int[] pos, MetaGradientAccumulator out, int seg) {
      Segment sg = layout.segment(seg);
      float[] dense = out.denseSums();
      int off = out.denseOffset(seg);
      int n = (int) sg.size();
      for (int k = 0; k < n; k++) {
        dense[off + k] += s[pos[0] + k];
      }
      pos[0] += n;
    }

    private void addTable(float[] s, int[] pos, MetaGradientAccumulator out, int seg, IntIndex index) {
      int cols = layout.segment(seg).cols();
      float[] row = new float[cols];
      var table = out.table(seg);
      for (int i = 0; i < index.size(); i++) {
        System.arraycopy(s, pos[0] + i * cols, row, 0, cols);
        table.addInPlace(index.key(i), row, 1f);
      }
      pos[0] += index.size() * cols;
    }
  }

  // ---------------------------------------------------------------- batched algebra

  /** {@code x [T, R, k] · w}, {@code w} being {@code [1, k, n]} (shared) or {@code [T, k, n]} (per task). */
  private static INDArray mm(INDArray x, INDArray w) {
    if (w.size(0) == x.size(0)) {
      return Nd4j.matmul(x, w);
    }
    long t = x.size(0);
    long r = x.size(1);
    return x.reshape('c', t * r, x.size(2)).mmul(w.reshape('c', w.size(1), w.size(2))).reshape('c', t, r, w.size(2));
  }

  /** {@code x [T, R, n] · wᵀ}, {@code w} being {@code [1, k, n]} or {@code [T, k, n]}: {@code [T, R, k]}. */
  private static INDArray mmT(INDArray x, INDArray w) {
    if (w.size(0) == x.size(0)) {
      return Nd4j.matmul(x, w, false, true, false);
    }
    long t = x.size(0);
    long r = x.size(1);
    return x.reshape('c', t * r, x.size(2)).mmul(w.reshape('c', w.size(1), w.size(2)).transpose())
        .reshape('c', t, r, w.size(1));
  }

  /** The first layer's user term {@code uEff [T, ud] · W0u}, as {@code [T, 1, h0]}. */
  private static INDArray userTerm(INDArray uEff, INDArray w0u) {
    long t = uEff.size(0);
    return mm(uEff.reshape('c', t, 1, uEff.size(1)), w0u);
  }

  /** {@code sumDZ [T, h0] · W0uᵀ}: the MLP's gradient w.r.t. the user vector, {@code [T, ud]}. */
  private static INDArray userInputGradient(INDArray sumDZ, INDArray w0u) {
    long t = sumDZ.size(0);
    return mmT(sumDZ.reshape('c', t, 1, sumDZ.size(1)), w0u).reshape('c', t, w0u.size(1));
  }

  private void activateInPlace(INDArray z) {
    Activation a = spec.activation();
    switch (a) {
      case RELU -> Transforms.relu(z, false);
      case TANH -> Transforms.tanh(z, false);
      case IDENTITY -> {
      }
    }
  }

  /** dA ← dA ⊙ act'(A) from the activations {@code a}; returns dA. */
  private INDArray activationBackwardInPlace(INDArray dA, INDArray a) {
    return switch (spec.activation()) {
      case RELU -> dA.muli(Transforms.step(a));
      case TANH -> dA.muli(a.mul(a).rsubi(1f));
      case IDENTITY -> dA;
    };
  }

  /** {@code out[s] = sum of the rows of data with segment id s}, {@code [n, cols]}. */
  private static INDArray segmentSum(INDArray data, int[] ids, int n) {
    if (data.size(0) == 1) {
      // unsorted_segment_sum reads a one-row matrix as a vector (ND4J 1.0.0-M2).
      INDArray out = Nd4j.zeros(DataType.FLOAT, n, data.size(1));
      out.getRow(ids[0]).addi(data.reshape(data.size(1)));
      return out;
    }
    return Nd4j.exec(new UnsortedSegmentSum(data, Nd4j.createFromArray(ids), n))[0];
  }

  /** {@code [T, ...]}: {@code t} copies of {@code x [1, ...]}. */
  private static INDArray stack(INDArray x, int t) {
    return x.repeat(0, t);
  }
}
