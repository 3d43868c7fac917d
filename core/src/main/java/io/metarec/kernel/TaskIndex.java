package io.metarec.kernel;

import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import java.util.Arrays;

/**
 * The rows of one task mapped to task-local row ids of every embedding table: the distinct items of
 * the task, the distinct values of each item field among them (with per-local-item CSR lists) and
 * the user's values per user field. Parameter tables are gathered into small local copies with these
 * ids ({@link LocalModel}), so the kernels never touch the shared global tables and sparse updates
 * touch only these rows. Empty feature lists map to vocabulary index 0 (unknown). Reused across tasks
 * by one thread; {@link #gatherInPlace} allocates only when a task is larger than any before.
 */
public final class TaskIndex {
  private final ModelSpec spec;
  private final ParamLayout layout;
  private final LocalIndexMap map = new LocalIndexMap(256);
  private static final int[] UNKNOWN = {0};

  int rows;
  int support;
  int[] localItem = new int[64];
  float[] labels = new float[64];
  int numItems;
  int[] globalItem = new int[64];
  /** Per item field: CSR starts per local item, local feature ids, count of local features, their global ids. */
  final int[][] featStart;
  final int[][] featLocal;
  final int[] numFeat;
  final int[][] globalFeat;
  /** Per user field: the user's values as local ids, and the distinct global ids. */
  final int[][] userLocal;
  final int[] userCount;
  final int[] numUserFeat;
  final int[][] globalUserFeat;
  /** Per segment id: number of local rows and their global ids (tables), or the full row count (dense). */
  final int[] segCount;
  final int[][] segGlobal;

  public TaskIndex(ModelSpec spec, ParamLayout layout) {
    this.spec = spec;
    this.layout = layout;
    int fi = spec.itemFields().size();
    int fu = spec.userFields().size();
    featStart = new int[fi][65];
    featLocal = new int[fi][64];
    numFeat = new int[fi];
    globalFeat = new int[fi][64];
    userLocal = new int[fu][8];
    userCount = new int[fu];
    numUserFeat = new int[fu];
    globalUserFeat = new int[fu][8];
    segCount = new int[layout.numSegments()];
    segGlobal = new int[layout.numSegments()][];
  }

  /**
   * Gathers the ids of {@code task} (all rows, support and query), replacing the previous content.
   *
   * @throws IllegalArgumentException if an item or feature index is outside the spec's ranges
   */
  public void gatherInPlace(Task task, ItemFeatureTable itemFeatures) {
    gatherInPlace(task.items(), task.labels(), task.size(), task.supportSize(), task.userFeatures(), itemFeatures,
        task.taskId());
  }

  /**
   * Gathers rows given as arrays: {@code items[0..n)}, labels (may be null: zeros), the first
   * {@code support} rows forming the support.
   */
  public void gatherInPlace(int[] items, float[] lab, int n, int support, int[][] userFeatures,
      ItemFeatureTable itemFeatures, long taskId) {
    if (userFeatures.length != spec.userFields().size()) {
      throw new IllegalArgumentException("task " + taskId + ": userFeatures must have " + spec.userFields().size()
          + " fields, got " + userFeatures.length);
    }
    if (itemFeatures.numFields() != spec.itemFields().size() || itemFeatures.numItems() != spec.numItems()) {
      throw new IllegalArgumentException("item feature table has " + itemFeatures.numFields() + " fields and "
          + itemFeatures.numItems() + " items, the model expects " + spec.itemFields().size() + " and " + spec.numItems());
    }
    this.rows = n;
    this.support = support;
    if (localItem.length < n) {
      localItem = new int[Math.max(n, localItem.length * 2)];
      labels = new float[localItem.length];
    }
    if (lab == null) {
      Arrays.fill(labels, 0, n, 0f);
    } else {
      System.arraycopy(lab, 0, labels, 0, n);
    }
    int numItemsTotal = spec.numItems();
    map.clear();
    for (int r = 0; r < n; r++) {
      int it = items[r];
      if (it < 0 || it >= numItemsTotal) {
        throw new IllegalArgumentException("task " + taskId + ": item index must be in [0, " + numItemsTotal
            + "), got " + it + " at row " + r);
      }
      int li = map.getOrAdd(it);
      localItem[r] = li;
      if (li == globalItem.length) {
        globalItem = Arrays.copyOf(globalItem, globalItem.length * 2);
      }
      globalItem[li] = it;
    }
    numItems = map.size();
    for (int f = 0; f < featStart.length; f++) {
      int vocab = spec.itemFields().get(f).vocabSize();
      int[] vals = itemFeatures.indices(f);
      map.clear();
      if (featStart[f].length < numItems + 1) {
        featStart[f] = new int[Math.max(numItems + 1, featStart[f].length * 2)];
      }
      int pos = 0;
      for (int li = 0; li < numItems; li++) {
        int g = globalItem[li];
        int s = itemFeatures.start(f, g);
        int e = itemFeatures.end(f, g);
        int[] src = vals;
        if (s == e) {
          src = UNKNOWN;
          s = 0;
          e = 1;
        }
        featStart[f][li] = pos;
        for (int k = s; k < e; k++) {
          int v = src[k];
          if (v >= vocab) {
            throw new IllegalArgumentException("item " + g + ": field " + spec.itemFields().get(f).name()
                + " value must be < vocabSize=" + vocab + ", got " + v);
          }
          int lf = map.getOrAdd(v);
          if (pos == featLocal[f].length) {
            featLocal[f] = Arrays.copyOf(featLocal[f], pos * 2);
          }
          featLocal[f][pos++] = lf;
          if (lf == globalFeat[f].length) {
            globalFeat[f] = Arrays.copyOf(globalFeat[f], lf * 2);
          }
          globalFeat[f][lf] = v;
        }
      }
      featStart[f][numItems] = pos;
      numFeat[f] = map.size();
    }
    for (int g = 0; g < userLocal.length; g++) {
      int vocab = spec.userFields().get(g).vocabSize();
      int[] vals = userFeatures[g].length == 0 ? UNKNOWN : userFeatures[g];
      map.clear();
      if (userLocal[g].length < vals.length) {
        userLocal[g] = new int[vals.length * 2];
        globalUserFeat[g] = new int[vals.length * 2];
      }
      for (int k = 0; k < vals.length; k++) {
        int v = vals[k];
        if (v >= vocab) {
          throw new IllegalArgumentException("task " + taskId + ": user field " + spec.userFields().get(g).name()
              + " value must be < vocabSize=" + vocab + ", got " + v);
        }
        int lf = map.getOrAdd(v);
        userLocal[g][k] = lf;
        globalUserFeat[g][lf] = v;
      }
      userCount[g] = vals.length;
      numUserFeat[g] = map.size();
    }
    for (int s = 0; s < segCount.length; s++) {
      segCount[s] = layout.segment(s).rows();
      segGlobal[s] = null;
    }
    setTable(layout.itemBias, numItems, globalItem);
    setTable(layout.itemEmb, numItems, globalItem);
    setTable(layout.itemFactor, numItems, globalItem);
    if (layout.implicitItem >= 0) {
      setTable(layout.implicitItem, numItems, globalItem);
    }
    for (int f = 0; f < featStart.length; f++) {
      setTable(layout.itemField(f), numFeat[f], globalFeat[f]);
    }
    for (int g = 0; g < userLocal.length; g++) {
      setTable(layout.userField(g), numUserFeat[g], globalUserFeat[g]);
    }
  }

  private void setTable(int seg, int count, int[] global) {
    segCount[seg] = count;
    segGlobal[seg] = global;
  }

  /** @return number of rows gathered */
  public int rows() {
    return rows;
  }

  /** @return number of support rows */
  public int support() {
    return support;
  }

  /** @return the labels of the gathered rows (live; length may exceed {@link #rows()}) */
  public float[] labels() {
    return labels;
  }

  /** @return the local item id of every row (live) */
  public int[] localItems() {
    return localItem;
  }

  /** @return number of local rows of segment {@code seg} (all rows for dense segments) */
  public int localRows(int seg) {
    return segCount[seg];
  }

  /** @return local row → global row of table segment {@code seg} (live), or null for dense segments */
  public int[] globalRows(int seg) {
    return segGlobal[seg];
  }

  public ModelSpec spec() {
    return spec;
  }
}
