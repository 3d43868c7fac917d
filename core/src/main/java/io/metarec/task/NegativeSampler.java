package io.metarec.task;

import io.metarec.config.ImplicitConfig;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws unseen items for implicit feedback: uniformly over the item indices {@code 1..n-1}, or in
 * proportion to {@code (count + 1)^exponent} (Vose's alias method: O(1) per draw after O(n) set-up).
 * A draw that hits one of the task's own items (or index 0, unknown) is redrawn; after 64 misses in
 * a row the next unseen index after the last draw is taken, so a task holding almost every item
 * still gets its negatives. Immutable and thread-safe; the task's items are given as a sorted
 * array so that checking one costs a binary search and nothing is allocated.
 */
public final class NegativeSampler {
  private static final int TRIES = 64;
  private final int numItems;
  private final float[] prob;
  private final int[] alias;

  private NegativeSampler(int numItems, float[] prob, int[] alias) {
    this.numItems = numItems;
    this.prob = prob;
    this.alias = alias;
  }

  /** Uniform over {@code 1..numItems-1}. */
  public static NegativeSampler uniform(int numItems) {
    return new NegativeSampler(numItems, null, null);
  }

  /** Proportional to {@code (counts[i] + 1)^exponent} over {@code 1..counts.length-1}. */
  public static NegativeSampler popularity(long[] counts, double exponent) {
    int n = counts.length;
    double[] w = new double[n];
    double total = 0;
    for (int i = 1; i < n; i++) {
      w[i] = Math.pow(counts[i] + 1.0, exponent);
      total += w[i];
    }
    // Vose's alias table over indices 1..n-1 (slot k holds index k + 1).
    int m = n - 1;
    float[] prob = new float[Math.max(1, m)];
    int[] alias = new int[Math.max(1, m)];
    if (m == 0) {
      return new NegativeSampler(n, prob, alias);
    }
    double[] scaled = new double[m];
    int[] small = new int[m];
    int[] large = new int[m];
    int ns = 0;
    int nl = 0;
    for (int k = 0; k < m; k++) {
      scaled[k] = w[k + 1] * m / total;
      if (scaled[k] < 1.0) {
        small[ns++] = k;
      } else {
        large[nl++] = k;
      }
    }
    while (ns > 0 && nl > 0) {
      int s = small[--ns];
      int l = large[--nl];
      prob[s] = (float) scaled[s];
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      if (scaled[l] < 1.0) {
        small[ns++] = l;
      } else {
        large[nl++] = l;
      }
    }
    while (nl > 0) {
      prob[large[--nl]] = 1f;
    }
    while (ns > 0) {
      prob[small[--ns]] = 1f; // rounding leftovers
    }
    for (int k = 0; k < m; k++) {
      if (prob[k] >= 1f) {
        alias[k] = k;
      }
    }
    return new NegativeSampler(n, prob, alias);
  }

  /**
   * The sampler {@code config} asks for over the items of {@code items}: popularity needs the
   * table's training counts and falls back to uniform without them.
   */
  public static NegativeSampler of(ImplicitConfig config, ItemFeatureTable items) {
    if (config.distribution() == ImplicitConfig.Distribution.POPULARITY && items.counts() != null) {
      return popularity(items.counts(), config.exponent());
    }
    return uniform(items.numItems());
  }

  /**
   * The probability of each item index being drawn (before a task's own items are redrawn); 0 for
   * index 0. Null for the uniform sampler (every index {@code >= 1} alike).
   */
  public double[] probabilities() {
    if (prob == null) {
      return null;
    }
    int m = numItems - 1;
    double[] p = new double[numItems];
    for (int k = 0; k < m; k++) {
      p[k + 1] += prob[k] / m;
      p[alias[k] + 1] += (1.0 - prob[k]) / m;
    }
    return p;
  }

  /** Item indices covered ({@code 0..numItems-1}; 0 is never drawn). */
  public int numItems() {
    return numItems;
  }

  /** How many items a task holding {@code distinct} distinct items of its own can be given. */
  public int available(int distinct) {
    return Math.max(0, numItems - 1 - distinct);
  }

  /**
   * Fills {@code out[from..from+count)} with draws from {@code rng} that are not in {@code
   * sortedOwn[0..ownCount)} (the task's items, sorted ascending; duplicates allowed) nor 0. Draws
   * may repeat each other. Needs {@link #available} > 0.
   */
  public void sampleInto(SplittableRandom rng, int[] sortedOwn, int ownCount, int[] out, int from,
      int count) {
    for (int j = 0; j < count; j++) {
      int item = 0;
      for (int t = 0; t < TRIES; t++) {
        item = draw(rng);
        if (!own(sortedOwn, ownCount, item)) {
          break;
        }
        if (t == TRIES - 1) {
          item = nextUnseen(sortedOwn, ownCount, item);
        }
      }
      out[from + j] = item;
    }
  }

  private int draw(SplittableRandom rng) {
    int m = numItems - 1;
    if (prob == null) {
      return 1 + rng.nextInt(m);
    }
    int k = rng.nextInt(m);
    return 1 + (rng.nextFloat() < prob[k] ? k : alias[k]);
  }

  private static boolean own(int[] sortedOwn, int ownCount, int item) {
    return item == 0 || Arrays.binarySearch(sortedOwn, 0, ownCount, item) >= 0;
  }

  private int nextUnseen(int[] sortedOwn, int ownCount, int from) {
    for (int d = 1; d < numItems; d++) {
      int item = 1 + (from - 1 + d) % (numItems - 1);
      if (!own(sortedOwn, ownCount, item)) {
        return item;
      }
    }
    throw new IllegalStateException("no unseen item: the task holds all " + (numItems - 1));
  }
}
