package io.metarec.serve;

import io.metarec.kernel.DenseKernels;
import io.metarec.kernel.MlpBuffers;
import io.metarec.kernel.MlpKernel;
import io.metarec.meta.AdaptedUser;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.model.ItemNeighbours;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * One thread's scratch of a {@link MetaRecModel}: the adaptation engine, the adapted user, the
 * MLP's buffers, the linear scores of the catalog, the heaps of the best items and the marks of
 * excluded items. Everything is allocated when the scratch is made (or grown on a larger history
 * than any before), so a request allocates only its result. Not thread-safe: the model lends each
 * scratch to one thread at a time.
 *
 * <p>Scoring an item computes exactly what {@code ModelKernel.forwardInto} computes for it in a
 * gathered task, with the same float operations in the same order: the item's embedding and pooled
 * item fields, the pooled user fields and the user vector as the MLP input ({@link MlpKernel},
 * whose rows do not depend on each other), then {@code + mu + b_i + b_u + <u_lin, q_i>}, then
 * (implicit feedback with {@code inner.neighbourWeight > 0}) {@code + (w / K) * sum} of the
 * item's similarities from the history ({@link ItemNeighbours}, in its order). So the
 * scores are bit for bit those of {@link JvmAdaptationEngine#adaptAndScore} and the lists those of
 * {@code metarec recommend} (tested).
 */
final class CatalogScorer {
  /** Items per MLP batch: the batch input and activations stay in the L2 cache. */
  static final int CHUNK = 128;
  /** Items per block of the linear stage: the block's scores stay in the L1 cache. */
  private static final int LINEAR_BLOCK = 2048;

  private final MetaRecModel m;
  private final ModelSpec spec;
  private final ParamLayout layout;
  private final Params theta;
  private final ItemFeatureTable itemTable;
  private final int e;
  private final int ud;
  private final int nItemFields;
  private final int nUserFields;
  private final int uOff;
  private final int numItems;
  final JvmAdaptationEngine engine;
  final AdaptedUser adapted;
  /** The state {@link MetaRecModel#recommend(History, int, boolean, Collection, Collection)} fills in place. */
  final UserState state;
  private final MlpKernel mlp;
  private final MlpBuffers buf;
  private final float[][] x;
  private final float[] pred;
  private final int[] chunk = new int[CHUNK];
  private final float[] lin;
  private final int[] marks;
  private int markGen;
  private int[] overrideStamp0;
  private int[] overrideStamp1;
  private int[][] overrideStampF;
  private int[][] overrideSlot;
  private int overrideGen;
  private int[] history = new int[64];
  private float[] labels = new float[64];
  private final int[][] noFeatures;
  /** The model's item neighbourhoods (null: none), their sums for the prepared state, its items. */
  private final ItemNeighbours neighbours;
  private float[] neighbourSum;
  private int[] neighbourItems = new int[64];
  private int neighbourCount;
  private float neighbourScale;
  private final Heap best = new Heap(16);
  private final Heap candidates = new Heap(256);
  private int[] list = new int[256];
  private float[] listScores = new float[256];

  CatalogScorer(MetaRecModel m) {
    this.m = m;
    this.spec = m.spec();
    this.layout = m.layout();
    this.theta = m.theta();
    this.itemTable = m.itemTable();
    this.e = spec.embeddingDim();
    this.ud = spec.userDim();
    this.nItemFields = spec.itemFields().size();
    this.nUserFields = spec.userFields().size();
    this.uOff = spec.userInputOffset();
    this.numItems = spec.numItems();
    this.engine = new JvmAdaptationEngine(spec, itemTable);
    this.adapted = new AdaptedUser(layout);
    this.state = new UserState(m);
    this.mlp = new MlpKernel(spec.inputDim(), spec.hiddenSizes(), spec.activation());
    this.buf = new MlpBuffers(spec.inputDim(), spec.hiddenSizes(), CHUNK);
    this.x = new float[CHUNK][spec.inputDim()];
    this.pred = new float[CHUNK];
    this.lin = new float[numItems];
    this.marks = new int[numItems];
    this.noFeatures = new int[nUserFields][0];
    this.neighbours = itemTable.neighbours();
  }

  // ---------------------------------------------------------------- adaptation

  /**
   * Maps {@code h} to indices, adapts the user with the model's inner loop and writes the result
   * into {@code into} (θ's arrays and this scratch's are referenced, not copied).
   */
  void adaptInto(History h, UserState into) {
    List<History.Interaction> in = h.interactions();
    if (history.length < in.size()) {
      history = new int[Math.max(in.size(), 2 * history.length)];
      labels = new float[history.length];
    }
    boolean implicit = m.implicit();
    int k = 0;
    int unknown = 0;
    Map<String, Integer> index = m.itemIndex();
    for (History.Interaction it : in) {
      Integer idx = index.get(it.item());
      if (idx == null) {
        unknown++;
        continue;
      }
      // Implicit feedback: the event's count, weighted below.
      float label = implicit ? it.count() : it.label();
      if (!implicit && !(label >= m.labelMin() && label <= m.labelMax())) {
        throw new IllegalArgumentException("the rating of item " + it.item() + " must be in ["
            + m.labelMin() + ", " + m.labelMax() + "] (the model's label range), got " + label);
      }
      history[k] = idx;
      labels[k++] = label;
    }
    if (implicit) {
      k = weighEvents(k);
    }
    int[][] uf = userFeatures(h.userFeatures());
    io.metarec.config.InnerLoopConfig inner = m.innerFor(k);
    engine.adaptUserInto(theta, inner, history, labels, k, uf, adapted);
    into.neighbourWeight = inner.neighbourWeight();

    into.userBias = adapted.userBias();
    System.arraycopy(adapted.linearUser(), 0, into.linearUser, 0, ud);
    System.arraycopy(adapted.mlpUser(), 0, into.mlpUser, 0, ud);
    for (int l = 0; l < into.weights.length; l++) {
      into.weights[l] = adapted.decision(layout.weight(l), theta);
      into.biases[l] = adapted.decision(layout.bias(l), theta)[0];
    }
    into.outWeights = adapted.decision(layout.outW, theta)[0];
    into.outBias = adapted.decision(layout.outB, theta)[0];
    into.embeddingAdapted = adapted.embeddingAdapted();
    for (int t = 0; t < into.overrideCount.length; t++) {
      int seg = t == UserState.ITEM_EMB ? layout.itemEmb : t == UserState.ITEM_FACTOR
          ? layout.itemFactor : layout.itemField(t - UserState.ITEM_FIELD0);
      into.overrideCount[t] = adapted.tableRowCount(seg);
      into.overrideIds[t] = adapted.tableGlobalRows(seg);
      into.overrideRows[t] = adapted.tableRowValues(seg);
    }
    // The pooled user fields, as ModelKernel.forwardInto pools them.
    for (int g = 0; g < nUserFields; g++) {
      int seg = layout.userField(g);
      float[][] table = theta.segment(seg);
      int[] vals = uf[g].length == 0 ? MetaRecModel.UNKNOWN : uf[g];
      float[] pool = into.userPool[g];
      Arrays.fill(pool, 0f);
      for (int v : vals) {
        DenseKernels.axpyInPlace(1f, adaptedRow(seg, table, v), pool, e);
      }
      float inv = 1f / vals.length;
      for (int c = 0; c < e; c++) {
        pool[c] *= inv;
      }
    }
    if (into.seen.length < k) {
      into.seen = new int[Math.max(k, 2 * into.seen.length)];
    }
    System.arraycopy(history, 0, into.seen, 0, k);
    into.seenCount = k;
    into.unknown = unknown;
  }

  /** The adapted row {@code v} of table segment {@code seg} (a lookup in the few gathered rows). */
  private float[] adaptedRow(int seg, float[][] table, int v) {
    int n = adapted.tableRowCount(seg);
    int[] ids = adapted.tableGlobalRows(seg);
    for (int r = 0; r < n; r++) {
      if (ids[r] == v) {
        return adapted.tableRowValues(seg)[r];
      }
    }
    return table[v];
  }

  /** The user's feature values as indices, per model field (unknown values and fields: 0). */
  private int[][] userFeatures(Map<String, List<String>> features) {
    if (features.isEmpty()) {
      return noFeatures;
    }
    List<String> names = m.userFieldNames();
    for (String f : features.keySet()) {
      if (!names.contains(f)) {
        throw new IllegalArgumentException("the model has no user field '" + f + "' (its fields: "
            + names + ")");
      }
    }
    int[][] out = new int[nUserFields][];
    for (int g = 0; g < nUserFields; g++) {
      List<String> vals = features.get(names.get(g));
      if (vals == null || vals.isEmpty()) {
        out[g] = MetaRecModel.UNKNOWN;
        continue;
      }
      Map<String, Integer> vocab = m.userValues().get(g);
      out[g] = new int[vals.size()];
      for (int k = 0; k < vals.size(); k++) {
        Integer v = vals.get(k) == null ? null : vocab.get(vals.get(k));
        out[g][k] = v == null ? 0 : v;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- scoring

  /** Loads the state's moved embedding rows into this scratch's lookup marks. */
  private void prepare(UserState s) {
    prepareNeighbours(s);
    if (!s.embeddingAdapted) {
      return;
    }
    if (overrideStamp0 == null) {
      overrideStamp0 = new int[numItems];
      overrideStamp1 = new int[numItems];
      overrideStampF = new int[nItemFields][];
      for (int f = 0; f < nItemFields; f++) {
        overrideStampF[f] = new int[spec.itemFields().get(f).vocabSize()];
      }
      overrideSlot = new int[UserState.ITEM_FIELD0 + nItemFields][];
      overrideSlot[0] = new int[numItems];
      overrideSlot[1] = new int[numItems];
      for (int f = 0; f < nItemFields; f++) {
        overrideSlot[UserState.ITEM_FIELD0 + f] = new int[spec.itemFields().get(f).vocabSize()];
      }
    }
    overrideGen++;
    for (int t = 0; t < s.overrideCount.length; t++) {
      int[] stamp = stamp(t);
      for (int r = 0; r < s.overrideCount[t]; r++) {
        int id = s.overrideIds[t][r];
        stamp[id] = overrideGen;
        overrideSlot[t][id] = r;
      }
    }
  }

  /**
   * The neighbourhood sums of the state's history into {@link #neighbourSum} (those of the state
   * before are cleared first) and the term's scale; scale 0 when the state has no term.
   */
  private void prepareNeighbours(UserState s) {
    if (neighbourCount > 0) {
      neighbours.clear(neighbourItems, neighbourCount, neighbourSum);
      neighbourCount = 0;
    }
    neighbourScale = 0f;
    if (s.neighbourWeight == 0f || s.seenCount == 0) {
      return;
    }
    if (neighbours == null) {
      throw new IllegalStateException("the model scores with the neighbourhood term but has no "
          + "item neighbourhoods");
    }
    if (neighbourSum == null) {
      neighbourSum = new float[numItems];
    }
    if (neighbourItems.length < s.seenCount) {
      neighbourItems = new int[Math.max(s.seenCount, 2 * neighbourItems.length)];
    }
    neighbourCount = neighbours.distinctInto(s.seen, s.seenCount, neighbourItems);
    neighbours.sumInto(neighbourItems, neighbourCount, neighbourSum);
    neighbourScale = ItemNeighbours.termScale(s.neighbourWeight, s.seenCount);
  }

  private int[] stamp(int t) {
    return t == UserState.ITEM_EMB ? overrideStamp0 : t == UserState.ITEM_FACTOR ? overrideStamp1
        : overrideStampF[t - UserState.ITEM_FIELD0];
  }

  private float[] row(UserState s, int t, float[][] table, int id) {
    if (s.embeddingAdapted && stamp(t)[id] == overrideGen) {
      return s.overrideRows[t][overrideSlot[t][id]];
    }
    return table[id];
  }

  /** Raw scores (the model's output) of {@code items[0..n)} into {@code out[0..n)}. */
  void scoreInto(UserState s, int[] items, int n, float[] out) {
    prepare(s);
    for (int from = 0; from < n; from += CHUNK) {
      int len = Math.min(CHUNK, n - from);
      System.arraycopy(items, from, chunk, 0, len);
      forwardChunk(s, len);
      System.arraycopy(pred, 0, out, from, len);
    }
  }

  /** Scores {@code chunk[0..len)} into {@code pred[0..len)}; {@link #prepare} must have run. */
  private void forwardChunk(UserState s, int len) {
    float[][] itemEmb = theta.segment(layout.itemEmb);
    for (int r = 0; r < len; r++) {
      float[] xr = x[r];
      int it = chunk[r];
      System.arraycopy(row(s, UserState.ITEM_EMB, itemEmb, it), 0, xr, 0, e);
      for (int f = 0; f < nItemFields; f++) {
        float[][] t = theta.segment(layout.itemField(f));
        int tab = UserState.ITEM_FIELD0 + f;
        int off = (1 + f) * e;
        int st = itemTable.start(f, it);
        int end = itemTable.end(f, it);
        int[] vals = itemTable.indices(f);
        if (st == end) {
          System.arraycopy(row(s, tab, t, 0), 0, xr, off, e);
        } else if (end - st == 1) {
          System.arraycopy(row(s, tab, t, vals[st]), 0, xr, off, e);
        } else {
          Arrays.fill(xr, off, off + e, 0f);
          float inv = 1f / (end - st);
          for (int k = st; k < end; k++) {
            float[] rowK = row(s, tab, t, vals[k]);
            for (int c = 0; c < e; c++) {
              xr[off + c] += inv * rowK[c];
            }
          }
        }
      }
      for (int g = 0; g < nUserFields; g++) {
        System.arraycopy(s.userPool[g], 0, xr, (1 + nItemFields + g) * e, e);
      }
      if (uOff >= 0) {
        System.arraycopy(s.mlpUser, 0, xr, uOff, ud);
      }
    }
    mlp.forwardInto(s.weights, s.biases, s.outWeights, s.outBias, x, len, buf, pred);
    float mu = theta.segment(layout.mu)[0][0];
    float[][] ib = theta.segment(layout.itemBias);
    float[][] q = theta.segment(layout.itemFactor);
    float bu = s.userBias;
    float[] uLin = s.linearUser;
    for (int r = 0; r < len; r++) {
      int it = chunk[r];
      pred[r] += mu + ib[it][0] + bu + DenseKernels.dot(uLin, row(s, UserState.ITEM_FACTOR, q, it), ud);
    }
    if (neighbourScale != 0f) {
      for (int r = 0; r < len; r++) {
        pred[r] += neighbourScale * neighbourSum[chunk[r]];
      }
    }
  }

  /**
   * Implicit feedback: turns the counts in {@code labels[0, k)} into weights as build-tasks does
   * for a (user, item)'s rows: an item's events add up to one event at its last occurrence,
   * weighted {@code log2(1 + count)} (a single event of count 1 weighs 1). Returns the events
   * left. Without a repeated item (found with the marks) nothing is allocated.
   */
  private int weighEvents(int k) {
    int gen = nextMark();
    boolean repeats = false;
    for (int j = 0; j < k && !repeats; j++) {
      repeats = marks[history[j]] == gen;
      marks[history[j]] = gen;
    }
    if (!repeats) {
      for (int j = 0; j < k; j++) {
        labels[j] = io.metarec.kernel.Losses.confidenceOfCount(labels[j]);
      }
      return k;
    }
    // Each item's summed count (in double, as build-tasks sums) and its last occurrence.
    Map<Integer, double[]> byItem = new java.util.HashMap<>();
    for (int j = 0; j < k; j++) {
      double[] c = byItem.computeIfAbsent(history[j], x -> new double[2]);
      c[0] += labels[j];
      c[1] = j;
    }
    int kept = 0;
    for (int j = 0; j < k; j++) {
      double[] c = byItem.get(history[j]);
      if (c[1] == j) {
        history[kept] = history[j];
        labels[kept++] = io.metarec.kernel.Losses.confidenceOfCount(c[0]);
      }
    }
    return kept;
  }

  // ---------------------------------------------------------------- top N

  /** A mark no item holds yet (every mark cleared when the counter wraps). */
  private int nextMark() {
    markGen++;
    if (markGen == Integer.MAX_VALUE) {
      Arrays.fill(marks, 0);
      markGen = 1;
    }
    return markGen;
  }

  /** Marks the items a list must leave out; returns the mark that means "excluded". */
  private int mark(UserState s, boolean excludeSeen, Collection<String> exclude) {
    nextMark();
    marks[0] = markGen;
    if (excludeSeen) {
      for (int k = 0; k < s.seenCount; k++) {
        marks[s.seen[k]] = markGen;
      }
    }
    if (exclude != null) {
      for (String id : exclude) {
        Integer i = m.itemIndex().get(id);
        if (i != null) {
          marks[i] = markGen;
        }
      }
    }
    return markGen;
  }

  /**
   * The best {@code n} items for {@code s}, best first, into {@code outItems, outScores} (raw
   * scores); returns how many. Over {@code candidates} when given (exact), else over the catalog:
   * exact when {@code rerank} is 0 or covers it, else the {@code max(rerank, n)} best by the linear
   * part {@code b_i + <u_lin, q_i>} rescored by the whole model.
   */
  int top(UserState s, int n, boolean excludeSeen, Collection<String> exclude,
      Collection<String> candidateIds, int rerank) {
    prepare(s);
    int excluded = mark(s, excludeSeen, exclude);
    best.reset(n);
    if (candidateIds != null) {
      int len = 0;
      markGen++;
      int listed = markGen;
      for (String id : candidateIds) {
        Integer i = m.itemIndex().get(id);
        if (i == null || marks[i] == excluded || marks[i] == listed) {
          continue;
        }
        marks[i] = listed;
        len = push(s, len, i);
      }
      if (len > 0) {
        scoreChunk(s, len);
      }
      return best.drainInto(this);
    }
    int c = Math.max(rerank, n);
    if (rerank <= 0 || c >= numItems - 1) {
      int len = 0;
      for (int i = 1; i < numItems; i++) {
        if (marks[i] == excluded) {
          continue;
        }
        len = push(s, len, i);
      }
      if (len > 0) {
        scoreChunk(s, len);
      }
      return best.drainInto(this);
    }
    linearInto(s);
    candidates.reset(c);
    for (int i = 1; i < numItems; i++) {
      if (marks[i] != excluded) {
        candidates.offer(i, lin[i]);
      }
    }
    int found = candidates.size;
    int[] ids = candidates.items;
    int len = 0;
    for (int k = 0; k < found; k++) {
      len = push(s, len, ids[k]);
    }
    if (len > 0) {
      scoreChunk(s, len);
    }
    return best.drainInto(this);
  }

  /** Appends item {@code i} to the chunk of {@code len}, scoring a full chunk; the new length. */
  private int push(UserState s, int len, int i) {
    chunk[len++] = i;
    if (len == CHUNK) {
      scoreChunk(s, len);
      return 0;
    }
    return len;
  }

  /** Scores the first {@code len} items of the chunk by the whole model and offers them to the list. */
  private void scoreChunk(UserState s, int len) {
    forwardChunk(s, len);
    for (int r = 0; r < len; r++) {
      best.offer(chunk[r], pred[r]);
    }
  }

  /** lin[i] = b_i + <u_lin, q_i> for every item, in blocks (the candidates' order, not exact). */
  private void linearInto(UserState s) {
    float[] ib = m.itemBiases();
    float[][] qT = m.itemFactorsByColumn();
    float[] u = s.linearUser;
    for (int b0 = 0; b0 < numItems; b0 += LINEAR_BLOCK) {
      int b1 = Math.min(numItems, b0 + LINEAR_BLOCK);
      System.arraycopy(ib, b0, lin, b0, b1 - b0);
      for (int c = 0; c < ud; c++) {
        float uc = u[c];
        float[] qc = qT[c];
        for (int i = b0; i < b1; i++) {
          lin[i] += uc * qc[i];
        }
      }
    }
    if (s.embeddingAdapted) {
      float[][] q = theta.segment(layout.itemFactor);
      int t = UserState.ITEM_FACTOR;
      for (int r = 0; r < s.overrideCount[t]; r++) {
        int it = s.overrideIds[t][r];
        lin[it] = ib[it] + DenseKernels.dot(u, row(s, t, q, it), ud);
      }
    }
    // The neighbourhood term, so that the items near the history are candidates too.
    if (neighbourScale != 0f) {
      for (int i = 0; i < numItems; i++) {
        lin[i] += neighbourScale * neighbourSum[i];
      }
    }
  }

  /** The items of the last {@link #top}, best first (live; valid until the next call). */
  int[] listItems() {
    return list;
  }

  /** Their raw scores (live). */
  float[] listScores() {
    return listScores;
  }

  /**
   * A bounded min-heap of (item, score) keeping the best {@code cap}: higher score first, equal
   * scores by lower item index ({@link Float#compare} order, as {@code metarec recommend}).
   */
  private static final class Heap {
    int[] items;
    float[] scores;
    int size;
    int cap;

    Heap(int initial) {
      items = new int[initial];
      scores = new float[initial];
    }

    void reset(int capacity) {
      if (items.length < capacity) {
        items = new int[capacity];
        scores = new float[capacity];
      }
      cap = capacity;
      size = 0;
    }

    /** Whether (i, si) ranks after (j, sj). */
    private static boolean worse(int i, float si, int j, float sj) {
      int c = Float.compare(si, sj);
      return c < 0 || (c == 0 && i > j);
    }

    void offer(int item, float score) {
      if (cap == 0) {
        return;
      }
      if (size < cap) {
        int k = size++;
        while (k > 0) {
          int p = (k - 1) >>> 1;
          if (!worse(item, score, items[p], scores[p])) {
            break;
          }
          items[k] = items[p];
          scores[k] = scores[p];
          k = p;
        }
        items[k] = item;
        scores[k] = score;
        return;
      }
      if (!worse(items[0], scores[0], item, score)) {
        return;
      }
      siftDown(item, score);
    }

    private void siftDown(int item, float score) {
      int k = 0;
      int half = size >>> 1;
      while (k < half) {
        int ch = 2 * k + 1;
        int r = ch + 1;
        if (r < size && worse(items[r], scores[r], items[ch], scores[ch])) {
          ch = r;
        }
        if (!worse(items[ch], scores[ch], item, score)) {
          break;
        }
        items[k] = items[ch];
        scores[k] = scores[ch];
        k = ch;
      }
      items[k] = item;
      scores[k] = score;
    }

    /** Empties the heap into the scorer's list, best first; returns the count. */
    int drainInto(CatalogScorer s) {
      int n = size;
      if (s.list.length < n) {
        s.list = new int[Math.max(n, 2 * s.list.length)];
        s.listScores = new float[s.list.length];
      }
      for (int k = n - 1; k >= 0; k--) {
        s.list[k] = items[0];
        s.listScores[k] = scores[0];
        size--;
        if (size > 0) {
          int lastItem = items[size];
          float lastScore = scores[size];
          siftDown(lastItem, lastScore);
        }
      }
      return n;
    }
  }
}
