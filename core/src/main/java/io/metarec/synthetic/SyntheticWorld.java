package io.metarec.synthetic;

import io.metarec.config.GenerateConfig;
import java.io.Serializable;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic recommendation world. What is planted, and why meta-learning should
 * help on it:
 *
 * <ul>
 *   <li>Users belong to one of {@code clusters} latent taste clusters (unequal sizes); a user's
 *       taste vector is the cluster centre plus individual noise, and each user has a rating bias.
 *       A few ratings reveal the cluster, after which the cluster's tastes predict the rest: the
 *       shared initialization can encode the clusters, and a few inner steps pick one.
 *   <li>User features (age band, occupation, region) follow the user's cluster with probability
 *       {@code featureSignal}, else are drawn at random: weak, noisy side information for
 *       zero-shot predictions.
 *   <li>Items have latent factors, a popularity (Zipf-like) that skews which items are seen, an
 *       item bias correlated with popularity, and one or two genres chosen by how their factors
 *       align with genre directions: genres are an informative item feature.
 *   <li>Which items a user sees depends on taste as well as popularity: an item proposed by
 *       popularity is kept with probability sigmoid(s * (<p_u, q_i> - t)), so the identities of a
 *       user's items carry signal even without ratings. Implicit feedback, where that choice is
 *       the only signal, plants it more sharply (s = 6, t = 0.5 against 2.5 and 0 by default).
 *   <li>Ratings are {@code 3.5 + b_u + b_i + <p_u, q_i> + noise}, rounded and clipped to 1..5;
 *       timestamps advance per user from a random start.
 * </ul>
 *
 * <p>Everything derives from {@code seed}: the global tables from one stream, each user from a
 * stream seeded by (seed, user index), so users can be generated in any order on any executor.
 */
public final class SyntheticWorld implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Age bands of the generated user feature {@code age_band}. */
  public static final String[] AGE_BANDS = {"<18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"};
  /** Values of the generated user feature {@code occupation}. */
  public static final String[] OCCUPATIONS = {
    "student", "engineer", "educator", "artist", "healthcare", "sales", "technician", "writer",
    "retired", "executive", "scientist", "homemaker"
  };
  /** Values of the generated user feature {@code region}. */
  public static final String[] REGIONS = {"north", "south", "east", "west", "central", "islands"};
  /** Genres of the generated items. */
  public static final String[] GENRES = {
    "action", "adventure", "animation", "comedy", "crime", "documentary", "drama", "fantasy",
    "horror", "musical", "romance", "sci-fi"
  };

  /** Start of the generated time line, 2020-01-01T00:00:00Z in epoch seconds. */
  public static final long START_EPOCH_SECONDS = 1_577_836_800L;

  private final long seed;
  private final int numUsers;
  private final int numItems;
  private final double meanInteractions;
  private final int dim;
  private final double noise;
  private final double featureSignal;
  private final double choiceSharpness;
  private final double choiceThreshold;
  private final double[] clusterCdf;
  private final float[][] clusterCentres;
  private final int[][] clusterFeature; // [field][cluster] -> preferred value
  private final float[][] itemFactors;
  private final float[] itemBias;
  private final double[] popularityCdf;
  private final String[][] itemGenres;

  /** Builds the global tables of the world described by {@code cfg} and {@code seed}. */
  public SyntheticWorld(GenerateConfig cfg, long seed) {
    this.seed = seed;
    this.numUsers = cfg.effectiveUsers();
    this.numItems = cfg.effectiveItems();
    this.meanInteractions = Math.min(cfg.effectiveMeanInteractions(), numItems * 0.5);
    this.dim = cfg.latentDim();
    this.noise = cfg.noise();
    this.featureSignal = cfg.featureSignal();
    this.choiceSharpness = cfg.effectiveChoiceSharpness();
    this.choiceThreshold = cfg.effectiveChoiceThreshold();
    SplittableRandom g = new SplittableRandom(mix(seed, 0x5eed_0001L));
    int k = cfg.clusters();
    // Cluster sizes: unequal (a few large clusters, a tail of small ones).
    double[] w = new double[k];
    double total = 0;
    for (int c = 0; c < k; c++) {
      w[c] = 1.0 / (c + 1.5) * (0.5 + g.nextDouble());
      total += w[c];
    }
    clusterCdf = new double[k];
    double acc = 0;
    for (int c = 0; c < k; c++) {
      acc += w[c] / total;
      clusterCdf[c] = acc;
    }
    clusterCdf[k - 1] = 1.0;
    clusterCentres = new float[k][dim];
    for (float[] centre : clusterCentres) {
      for (int d = 0; d < dim; d++) {
        centre[d] = (float) (0.8 * gaussian(g));
      }
    }
    int[] fieldSizes = {AGE_BANDS.length, OCCUPATIONS.length, REGIONS.length};
    clusterFeature = new int[fieldSizes.length][k];
    for (int f = 0; f < fieldSizes.length; f++) {
      for (int c = 0; c < k; c++) {
        clusterFeature[f][c] = g.nextInt(fieldSizes[f]);
      }
    }
    // Items: factors scaled so that <p, q> has a variance of about 0.6.
    double qScale = Math.sqrt(0.6 / (dim * (0.64 + 0.16)));
    itemFactors = new float[numItems][dim];
    for (float[] q : itemFactors) {
      for (int d = 0; d < dim; d++) {
        q[d] = (float) (qScale * gaussian(g));
      }
    }
    // Popularity: Zipf-like over a random permutation of the items.
    int[] rankOf = permutation(numItems, g);
    double[] pop = new double[numItems];
    double popTotal = 0;
    for (int i = 0; i < numItems; i++) {
      pop[i] = Math.pow(rankOf[i] + 10.0, -0.9);
      popTotal += pop[i];
    }
    popularityCdf = new double[numItems];
    acc = 0;
    double meanLogPop = 0;
    for (int i = 0; i < numItems; i++) {
      acc += pop[i] / popTotal;
      popularityCdf[i] = acc;
      meanLogPop += Math.log(pop[i]) / numItems;
    }
    popularityCdf[numItems - 1] = 1.0;
    double varLogPop = 0;
    for (int i = 0; i < numItems; i++) {
      double dlp = Math.log(pop[i]) - meanLogPop;
      varLogPop += dlp * dlp / numItems;
    }
    double sdLogPop = Math.sqrt(Math.max(varLogPop, 1e-12));
    itemBias = new float[numItems];
    for (int i = 0; i < numItems; i++) {
      double z = (Math.log(pop[i]) - meanLogPop) / sdLogPop;
      itemBias[i] = (float) (0.3 * gaussian(g) + 0.2 * z);
    }
    // Genres: directions in factor space; an item takes the best-aligned genre (with noise) and,
    // half the time, a second one.
    float[][] genreDir = new float[GENRES.length][dim];
    for (float[] dir : genreDir) {
      for (int d = 0; d < dim; d++) {
        dir[d] = (float) gaussian(g);
      }
    }
    itemGenres = new String[numItems][];
    for (int i = 0; i < numItems; i++) {
      double best = Double.NEGATIVE_INFINITY;
      double second = Double.NEGATIVE_INFINITY;
      int bi = 0;
      int si = 1;
      for (int j = 0; j < GENRES.length; j++) {
        double s = dot(itemFactors[i], genreDir[j]) / qScale + 0.8 * gaussian(g);
        if (s > best) {
          second = best;
          si = bi;
          best = s;
          bi = j;
        } else if (s > second) {
          second = s;
          si = j;
        }
      }
      itemGenres[i] = g.nextDouble() < 0.5
          ? new String[] {GENRES[bi]}
          : new String[] {GENRES[Math.min(bi, si)], GENRES[Math.max(bi, si)]};
    }
  }

  /** Number of users. */
  public int numUsers() {
    return numUsers;
  }

  /** Number of items. */
  public int numItems() {
    return numItems;
  }

  /** The id string of user {@code u}. */
  public static String userId(long u) {
    return "u" + u;
  }

  /** The id string of item {@code i}. */
  public static String itemId(int i) {
    return "i" + i;
  }

  /** The genres of item {@code i}. */
  public String[] itemGenres(int i) {
    return itemGenres[i].clone();
  }

  /** One user's features and interactions. */
  public record User(
      long index, int cluster, String ageBand, String occupation, String region,
      int[] items, float[] ratings, long[] timestamps) {}

  /** A user's cluster, taste and features: the first draws of the user's stream. */
  private record Profile(
      int cluster, float[] taste, double bias, String ageBand, String occupation, String region) {}

  private Profile profile(SplittableRandom r) {
    double x = r.nextDouble();
    int cluster = 0;
    while (clusterCdf[cluster] < x) {
      cluster++;
    }
    float[] p = new float[dim];
    for (int d = 0; d < dim; d++) {
      p[d] = (float) (clusterCentres[cluster][d] + 0.4 * gaussian(r));
    }
    double userBias = 0.35 * gaussian(r);
    String age = AGE_BANDS[feature(r, 0, cluster, AGE_BANDS.length)];
    String occ = OCCUPATIONS[feature(r, 1, cluster, OCCUPATIONS.length)];
    String reg = REGIONS[feature(r, 2, cluster, REGIONS.length)];
    return new Profile(cluster, p, userBias, age, occ, reg);
  }

  private SplittableRandom stream(long u) {
    return new SplittableRandom(mix(seed, 0x75_5e_72L + u * 0x9E3779B97F4A7C15L));
  }

  /** User {@code u}'s features alone (cheap: no interactions are drawn); {@code items} are empty. */
  public User features(long u) {
    Profile pr = profile(stream(u));
    return new User(u, pr.cluster(), pr.ageBand(), pr.occupation(), pr.region(),
        new int[0], new float[0], new long[0]);
  }

  /** Generates user {@code u} (0-based), deterministically from (seed, u). */
  public User user(long u) {
    SplittableRandom r = stream(u);
    Profile pr = profile(r);
    int cluster = pr.cluster();
    float[] p = pr.taste();
    double userBias = pr.bias();
    String age = pr.ageBand();
    String occ = pr.occupation();
    String reg = pr.region();
    // Interaction count: log-normal around the mean, at least 5, at most half the catalogue.
    double sigma = 0.7;
    double mu = Math.log(meanInteractions) - sigma * sigma / 2;
    int n = (int) Math.round(Math.exp(mu + sigma * gaussian(r)));
    n = Math.max(5, Math.min(n, numItems / 2));
    int[] items = new int[n];
    float[] ratings = new float[n];
    long[] ts = new long[n];
    Set<Integer> seen = new HashSet<>(n * 2);
    long t = START_EPOCH_SECONDS + (long) (r.nextDouble() * 300 * 86_400L);
    int filled = 0;
    int attempts = 0;
    while (filled < n) {
      int item = sampleItem(r);
      attempts++;
      double affinity = dot(p, itemFactors[item]);
      // Taste-driven choice: likelier for liked items; after many rejections accept anything.
      double accept = 1.0 / (1.0 + Math.exp(-choiceSharpness * (affinity - choiceThreshold)));
      if (attempts < 50 * n && r.nextDouble() > accept) {
        continue;
      }
      if (!seen.add(item)) {
        continue;
      }
      double rating = 3.5 + userBias + itemBias[item] + affinity + noise * gaussian(r);
      items[filled] = item;
      ratings[filled] = (float) Math.max(1, Math.min(5, Math.round(rating)));
      t += 60 + (long) (-Math.log(1 - r.nextDouble()) * 86_400 * 1.5);
      ts[filled] = t;
      filled++;
    }
    return new User(u, cluster, age, occ, reg, items, ratings, ts);
  }

  private int feature(SplittableRandom r, int field, int cluster, int size) {
    return r.nextDouble() < featureSignal ? clusterFeature[field][cluster] : r.nextInt(size);
  }

  private int sampleItem(SplittableRandom r) {
    int idx = Arrays.binarySearch(popularityCdf, r.nextDouble());
    return idx >= 0 ? idx : Math.min(-idx - 1, numItems - 1);
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u1 = 1.0 - r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static int[] permutation(int n, SplittableRandom r) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** A 64-bit mix of two values (SplitMix64 finalizer), for deriving stream seeds. */
  public static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
