package io.metarec.model;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Each item's most similar items and their similarity (item-knn: cosine over the training users,
 * {@code |U_i ∩ U_j| / sqrt(|U_i| |U_j|)}), as one CSR structure: item {@code i}'s neighbours are
 * {@code ids[offsets[i] .. offsets[i + 1])}, most similar first. It serves twice: as the item-knn
 * baseline (a user's score for item {@code c} = the sum of {@code c}'s similarities from the
 * user's distinct items) and as the implicit-feedback model's neighbourhood term (that sum times
 * {@code w / K} added to the model's score, {@code w} = {@code inner.neighbourWeight}, {@code K} =
 * the support size), so the meta model contains item-knn as the special case of a large weight.
 * Immutable; arrays are owned, not copied.
 *
 * <p>The sums are formed in one order everywhere (the distinct support items in increasing index,
 * each item's neighbours in list order), so every scorer of a model (evaluate, recommend, serve)
 * computes the same float values.
 */
public final class ItemNeighbours implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final int[] offsets;
  private final int[] ids;
  private final float[] sims;

  /**
   * @param offsets CSR row offsets, length {@code numItems + 1}, from 0, non-decreasing, ending at
   *     {@code ids.length}
   * @param ids the neighbours' item indices, each in {@code [1, numItems)}
   * @param sims the neighbours' similarities, finite, one per id
   * @throws IllegalArgumentException naming the first entry that breaks one of these
   */
  public ItemNeighbours(int[] offsets, int[] ids, float[] sims) {
    if (offsets.length < 2 || offsets[0] != 0 || offsets[offsets.length - 1] != ids.length
        || sims.length != ids.length) {
      throw new IllegalArgumentException("item neighbours: offsets must have length numItems + 1 >= 2,"
          + " start at 0 and end at the number of neighbours (" + ids.length + " ids, " + sims.length
          + " similarities), got length " + offsets.length + (offsets.length == 0 ? ""
              : " from " + offsets[0] + " to " + offsets[offsets.length - 1]));
    }
    int numItems = offsets.length - 1;
    for (int i = 0; i < numItems; i++) {
      if (offsets[i + 1] < offsets[i]) {
        throw new IllegalArgumentException("item neighbours: offsets must be non-decreasing, offsets["
            + (i + 1) + "] = " + offsets[i + 1] + " < " + offsets[i]);
      }
    }
    for (int n = 0; n < ids.length; n++) {
      if (ids[n] < 1 || ids[n] >= numItems || !Float.isFinite(sims[n])) {
        throw new IllegalArgumentException("item neighbours: neighbour " + n + " is item " + ids[n]
            + " with similarity " + sims[n] + " (items are in [1, " + numItems
            + "), similarities finite)");
      }
    }
    this.offsets = offsets;
    this.ids = ids;
    this.sims = sims;
  }

  /** The structure of per-item lists ({@code neighbours[i]}, {@code similarity[i]}: item i's). */
  public static ItemNeighbours of(int[][] neighbours, float[][] similarity) {
    int[] offsets = new int[neighbours.length + 1];
    for (int i = 0; i < neighbours.length; i++) {
      if (similarity[i].length != neighbours[i].length) {
        throw new IllegalArgumentException("item neighbours: item " + i + " has "
            + neighbours[i].length + " neighbours and " + similarity[i].length + " similarities");
      }
      offsets[i + 1] = Math.addExact(offsets[i], neighbours[i].length);
    }
    int[] ids = new int[offsets[neighbours.length]];
    float[] sims = new float[ids.length];
    for (int i = 0; i < neighbours.length; i++) {
      System.arraycopy(neighbours[i], 0, ids, offsets[i], neighbours[i].length);
      System.arraycopy(similarity[i], 0, sims, offsets[i], similarity[i].length);
    }
    return new ItemNeighbours(offsets, ids, sims);
  }

  /** @return the number of item indices covered ({@code 0 .. numItems - 1}) */
  public int numItems() {
    return offsets.length - 1;
  }

  /** @return the number of (item, neighbour) pairs */
  public int size() {
    return ids.length;
  }

  /** @return the CSR offsets (shared, do not mutate) */
  public int[] offsets() {
    return offsets;
  }

  /** @return the neighbours' indices (shared, do not mutate) */
  public int[] ids() {
    return ids;
  }

  /** @return the neighbours' similarities (shared, do not mutate) */
  public float[] similarities() {
    return sims;
  }

  /** @return item {@code i}'s neighbours, most similar first (a copy) */
  public int[] neighboursOf(int i) {
    return Arrays.copyOfRange(ids, offsets[i], offsets[i + 1]);
  }

  /** @return item {@code i}'s neighbours' similarities, in list order (a copy) */
  public float[] similaritiesOf(int i) {
    return Arrays.copyOfRange(sims, offsets[i], offsets[i + 1]);
  }

  /**
   * Writes the distinct items of {@code items[0..k)} that lie in {@code [1, numItems)} into
   * {@code out}, in increasing order; returns how many.
   *
   * @param out at least {@code k} long
   */
  public int distinctInto(int[] items, int k, int[] out) {
    int n = 0;
    int numItems = numItems();
    for (int r = 0; r < k; r++) {
      if (items[r] >= 1 && items[r] < numItems) {
        out[n++] = items[r];
      }
    }
    Arrays.sort(out, 0, n);
    int d = 0;
    for (int r = 0; r < n; r++) {
      if (d == 0 || out[r] != out[d - 1]) {
        out[d++] = out[r];
      }
    }
    return d;
  }

  /**
   * Adds every neighbour similarity of {@code distinct[0..n)} (from {@link #distinctInto}) to
   * {@code byItem}, which must be zero where it is read afterwards; {@link #clear} undoes it.
   */
  public void sumInto(int[] distinct, int n, float[] byItem) {
    for (int r = 0; r < n; r++) {
      int j = distinct[r];
      for (int p = offsets[j]; p < offsets[j + 1]; p++) {
        byItem[ids[p]] += sims[p];
      }
    }
  }

  /** Sets back to 0 every entry of {@code byItem} that {@link #sumInto} of the same items wrote. */
  public void clear(int[] distinct, int n, float[] byItem) {
    for (int r = 0; r < n; r++) {
      int j = distinct[r];
      for (int p = offsets[j]; p < offsets[j + 1]; p++) {
        byItem[ids[p]] = 0f;
      }
    }
  }

  /**
   * The item-knn scores of {@code candidates} for a user with support {@code items[0..k)}: the sum
   * of each candidate's similarities from the distinct support items (0 for an index outside the
   * items). Allocates its scratch; see {@link #sumInto} for the allocation-free form.
   */
  public float[] score(int[] items, int k, int[] candidates) {
    float[] byItem = sums(items, k);
    float[] out = new float[candidates.length];
    for (int c = 0; c < candidates.length; c++) {
      int j = candidates[c];
      out[c] = j >= 0 && j < byItem.length ? byItem[j] : 0f;
    }
    return out;
  }

  /** The factor of the neighbourhood sum in the model's score: {@code weight / k} (0 for k = 0). */
  public static float termScale(float weight, int k) {
    return k > 0 ? weight / k : 0f;
  }

  /**
   * Adds the model's neighbourhood term {@code (weight / k) * sum} to each candidate's score in
   * {@code out} (the model's own scores of {@code candidates}); nothing when {@code weight} is 0.
   */
  public void addModelTerm(float weight, int[] items, int k, int[] candidates, float[] out) {
    if (weight == 0f || k == 0) {
      return;
    }
    float scale = termScale(weight, k);
    float[] byItem = sums(items, k);
    for (int c = 0; c < candidates.length; c++) {
      int j = candidates[c];
      out[c] += scale * (j >= 0 && j < byItem.length ? byItem[j] : 0f);
    }
  }

  /** The neighbourhood sums of the support {@code items[0..k)}, one per item index. */
  private float[] sums(int[] items, int k) {
    int[] distinct = new int[k];
    int n = distinctInto(items, k, distinct);
    float[] byItem = new float[numItems()];
    sumInto(distinct, n, byItem);
    return byItem;
  }

  /**
   * These neighbourhoods on another item vocabulary: new item {@code r} has the neighbours of old
   * item {@code newToOld[r]} that the new vocabulary knows, in the same order (none for a new item
   * the old vocabulary lacks, {@code newToOld[r] < 1}).
   *
   * @param newToOld per new item index, the old index or -1
   */
  public ItemNeighbours remap(int[] newToOld) {
    int[] oldToNew = new int[numItems()];
    Arrays.fill(oldToNew, -1);
    for (int r = 1; r < newToOld.length; r++) {
      if (newToOld[r] >= 1 && newToOld[r] < oldToNew.length) {
        oldToNew[newToOld[r]] = r;
      }
    }
    int[][] nb = new int[newToOld.length][];
    float[][] sim = new float[newToOld.length][];
    for (int r = 0; r < newToOld.length; r++) {
      int o = r == 0 ? -1 : newToOld[r];
      int n = 0;
      int len = o >= 1 && o < numItems() ? offsets[o + 1] - offsets[o] : 0;
      nb[r] = new int[len];
      sim[r] = new float[len];
      for (int p = 0; p < len; p++) {
        int to = oldToNew[ids[offsets[o] + p]];
        if (to >= 1) {
          nb[r][n] = to;
          sim[r][n++] = sims[offsets[o] + p];
        }
      }
      nb[r] = Arrays.copyOf(nb[r], n);
      sim[r] = Arrays.copyOf(sim[r], n);
    }
    return of(nb, sim);
  }
}
