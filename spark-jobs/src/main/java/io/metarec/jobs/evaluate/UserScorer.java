package io.metarec.jobs.evaluate;

import io.metarec.config.InnerLoopConfig;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.metrics.UserMetrics;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Scores one evaluated user with every method at every support size into an
 * {@link EvalAccumulator}. One instance per partition (it owns one adaptation engine per model
 * spec, which are not thread-safe).
 *
 * <p>Protocol: the user's rows are in task order (support then query as build-tasks wrote them);
 * support at K = rows {@code [0, K)}, query = rows {@code [maxK, n)} for every K. Explicit
 * predictions are clipped to the label range before scoring (for every method alike). Implicit
 * feedback ranks the query items (positives) against every item the user never interacted with
 * (full ranking: the user's other interactions, the support and the rows between K and the
 * largest K, are left out of the ranking), and, for the sampled metrics, against {@code
 * negatives} of those items drawn from a stream keyed by (seed, task id), so every method and K
 * sees the same negatives.
 */
final class UserScorer {
  /** Purpose constant of the negative-sampling stream. */
  static final long PURPOSE_NEGATIVES = 0x6576_616c_6e65_67L;

  /** Metric names of explicit feedback, in accumulator order ({@code k} = the rank cut-off). */
  static List<String> explicitMetrics(int k) {
    return io.metarec.metrics.MetricNames.explicit(k);
  }

  /** Metric names of implicit feedback, in accumulator order. */
  static List<String> implicitMetrics(int k, int recallK) {
    return io.metarec.metrics.MetricNames.implicit(k, recallK);
  }

  private final EvalPlan plan;
  private final List<EvalMethod> methods;
  private final Params[] thetas;
  private final JvmAdaptationEngine[] engines;
  private final Baselines baselines;
  private final Baselines.AlsFactors[] als;
  private final io.metarec.model.ItemNeighbours knn;

  /** A scorer of models without item neighbourhoods. */
  UserScorer(EvalPlan plan, Params[] thetas, ItemFeatureTable items, Baselines baselines,
      Baselines.AlsFactors[] als, io.metarec.model.ItemNeighbours knn) {
    this(plan, thetas, null, items, baselines, als, knn);
  }

  /**
   * @param thetas the models' parameters (the broadcast's, shared read-only by an executor's
   *     tasks)
   * @param modelNeighbours each model's item neighbourhoods (its neighbourhood term), null where
   *     it has none; null: none has
   */
  UserScorer(EvalPlan plan, Params[] thetas, io.metarec.model.ItemNeighbours[] modelNeighbours,
      ItemFeatureTable items, Baselines baselines, Baselines.AlsFactors[] als,
      io.metarec.model.ItemNeighbours knn) {
    this.plan = plan;
    this.methods = plan.methods();
    this.baselines = baselines;
    this.als = als;
    this.knn = knn;
    List<ModelSpec> specs = plan.specs();
    this.thetas = thetas;
    engines = new JvmAdaptationEngine[specs.size()];
    io.metarec.model.ItemNeighbours[] nb = modelNeighbours != null ? modelNeighbours
        : new io.metarec.model.ItemNeighbours[specs.size()];
    for (int m = 0; m < specs.size(); m++) {
      // Models with one architecture and one neighbourhood share an engine (an engine is bound to
      // a spec and an item table, not to θ).
      for (int p = 0; p < m && engines[m] == null; p++) {
        if (specs.get(p).equals(specs.get(m)) && nb[p] == nb[m]) {
          engines[m] = engines[p];
        }
      }
      if (engines[m] == null) {
        engines[m] = new JvmAdaptationEngine(specs.get(m),
            nb[m] == null ? items : items.withNeighbours(nb[m]));
      }
    }
  }

  /** Scores task {@code t} (evaluation index {@code index}) into {@code acc}. */
  void score(long index, Task t, EvalAccumulator acc) {
    int n = t.size();
    int maxK = plan.queryStart(t);
    if (n <= maxK) {
      acc.skipped++;
      return;
    }
    int q = n - maxK;
    int[] candidates = candidates(t, maxK, q);
    int[] sampled = plan.explicit() ? null : sampledNegatives(t, candidates, q);
    float[] queryLabels = Arrays.copyOfRange(t.labels(), maxK, n);
    float[] scores = new float[candidates.length];
    float[][] last = new float[methods.size()][];
    for (int ki = 0; ki < plan.ks().size(); ki++) {
      int k = plan.support(t, plan.ks().get(ki));
      int[] supItems = Arrays.copyOf(t.items(), k);
      float[] supLabels = Arrays.copyOf(t.labels(), k);
      double[][] values = new double[methods.size()][];
      for (int m = 0; m < methods.size(); m++) {
        EvalMethod method = methods.get(m);
        scores = method.kind() == EvalMethod.Kind.ENSEMBLE
            ? mean(method.members(), last, candidates.length)
            : predict(method, method.innerAt(k), index, ki, t, supItems, supLabels, candidates,
                acc);
        last[m] = scores;
        values[m] = addMetrics(acc, m, ki, -1, scores, queryLabels, q, sampled);
      }
      if (plan.headline() >= 0) {
        acc.addPaired(ki, plan.headline(), plan.headlineBaselines(), values);
      }
    }
    if (!plan.steps().isEmpty()) {
      int ki = plan.ks().indexOf(plan.stepsK());
      int k = plan.support(t, plan.stepsK());
      int[] supItems = Arrays.copyOf(t.items(), k);
      float[] supLabels = Arrays.copyOf(t.labels(), k);
      EvalMethod meta = methods.get(plan.stepsMethod());
      for (int s = 0; s < plan.steps().size(); s++) {
        InnerLoopConfig inner = meta.innerAt(k).withSteps(plan.steps().get(s));
        scores = predict(meta, inner, index, ki, t, supItems, supLabels, candidates, acc);
        addMetrics(acc, -1, ki, s, scores, queryLabels, q, sampled);
      }
    }
    acc.users++;
    acc.queryRows += q;
  }

  /** The mean of the members' latest predictions (the members come before the ensemble). */
  private static float[] mean(List<Integer> members, float[][] last, int n) {
    float[] out = new float[n];
    for (int member : members) {
      float[] p = last[member];
      for (int c = 0; c < n; c++) {
        out[c] += p[c];
      }
    }
    for (int c = 0; c < n; c++) {
      out[c] /= members.size();
    }
    return out;
  }

  /**
   * The query items, then (implicit feedback) every item index the user never interacted with, in
   * index order.
   */
  private int[] candidates(Task t, int maxK, int q) {
    if (plan.explicit()) {
      return Arrays.copyOfRange(t.items(), maxK, t.size());
    }
    int numItems = plan.specs().get(0).numItems();
    boolean[] seen = new boolean[numItems];
    for (int item : t.items()) {
      seen[item] = true;
    }
    int unseen = 0;
    for (int i = 1; i < numItems; i++) {
      unseen += seen[i] ? 0 : 1;
    }
    int[] out = Arrays.copyOf(Arrays.copyOfRange(t.items(), maxK, t.size()), q + unseen);
    int c = q;
    for (int i = 1; i < numItems; i++) {
      if (!seen[i]) {
        out[c++] = i;
      }
    }
    return out;
  }

  /**
   * Positions in {@code candidates} (after the {@code q} query items) of the sampled negatives:
   * {@code negatives} distinct unseen items drawn from the stream (seed, 0, task id), the same for
   * every method and K.
   */
  private int[] sampledNegatives(Task t, int[] candidates, int q) {
    int unseen = candidates.length - q;
    int want = Math.max(0, Math.min(plan.negatives(), unseen));
    int numItems = plan.specs().get(0).numItems();
    int[] position = new int[numItems];
    Arrays.fill(position, -1);
    for (int c = q; c < candidates.length; c++) {
      position[candidates[c]] = c;
    }
    SplittableRandom rng = TaskRandom.stream(plan.seed(), 0, t.taskId(), PURPOSE_NEGATIVES);
    Set<Integer> drawn = new HashSet<>();
    int[] out = new int[want];
    for (int j = 0; j < want; ) {
      int item = 1 + rng.nextInt(numItems - 1);
      if (position[item] >= 0 && drawn.add(item)) {
        out[j++] = position[item];
      }
    }
    return out;
  }

  private float[] predict(EvalMethod m, InnerLoopConfig inner, long index, int ki, Task t,
      int[] supItems, float[] supLabels, int[] candidates, EvalAccumulator acc) {
    float[] out = new float[candidates.length];
    int k = supItems.length;
    switch (m.kind()) {
      case GLOBAL -> Arrays.fill(out, plan.explicit() ? (float) baselines.mu : 0f);
      case ITEM_MEAN -> {
        for (int c = 0; c < out.length; c++) {
          out[c] = plan.explicit()
              ? (float) (baselines.mu + baselines.itemBias[candidates[c]])
              : baselines.popularity[candidates[c]];
        }
      }
      case BIAS -> {
        double bu = baselines.userBias(supItems, supLabels, k);
        for (int c = 0; c < out.length; c++) {
          out[c] = plan.explicit()
              ? (float) (baselines.mu + baselines.itemBias[candidates[c]] + bu)
              : baselines.popularity[candidates[c]];
        }
      }
      case ALS -> {
        double bu = plan.explicit() ? baselines.userBias(supItems, supLabels, k) : 0;
        for (int c = 0; c < out.length; c++) {
          double base = plan.explicit() ? baselines.mu + baselines.itemBias[candidates[c]] + bu : 0;
          out[c] = (float) (base + als[ki].dot(index, candidates[c]));
        }
      }
      case ITEM_KNN -> out = knn.score(supItems, k, candidates);
      case MODEL -> {
        long t0 = System.nanoTime();
        out = engines[m.model()].adaptAndScore(thetas[m.model()], inner, supItems, supLabels,
            t.userFeatures(), candidates);
        acc.adaptNanos += System.nanoTime() - t0;
        acc.adaptations++;
      }
      default -> throw new IllegalStateException("unknown method kind " + m.kind());
    }
    return out;
  }

  /**
   * Adds one user's metric values: method m at support index ki, or steps index s when m < 0;
   * returns them.
   */
  private double[] addMetrics(EvalAccumulator acc, int m, int ki, int s, float[] scores,
      float[] queryLabels, int q, int[] sampled) {
    int rankK = plan.rankK();
    double[] v;
    if (plan.explicit()) {
      float[] p = new float[q];
      double abs = 0;
      double sq = 0;
      for (int r = 0; r < q; r++) {
        p[r] = Math.min((float) plan.labelMax(), Math.max((float) plan.labelMin(), scores[r]));
        double e = p[r] - queryLabels[r];
        abs += Math.abs(e);
        sq += e * e;
      }
      if (m >= 0) {
        acc.addPooled(m, ki, abs, sq, q);
      }
      v = new double[] {abs / q, Math.sqrt(sq / q), UserMetrics.ndcg(p, queryLabels, rankK),
          UserMetrics.precision(p, queryLabels, rankK, plan.relevanceThreshold()),
          UserMetrics.recall(p, queryLabels, rankK, plan.relevanceThreshold())};
    } else {
      float[] pos = Arrays.copyOf(scores, q);
      float[] all = Arrays.copyOfRange(scores, q, scores.length);
      float[] neg = new float[sampled.length];
      for (int j = 0; j < neg.length; j++) {
        neg[j] = scores[sampled[j]];
      }
      v = new double[] {UserMetrics.hitRate(pos, all, rankK),
          UserMetrics.ndcgImplicit(pos, all, rankK), UserMetrics.recall(pos, all, plan.recallK()),
          UserMetrics.auc(pos, neg), UserMetrics.hitRate(pos, neg, rankK),
          UserMetrics.ndcgImplicit(pos, neg, rankK)};
    }
    for (int j = 0; j < v.length; j++) {
      (m >= 0 ? acc.stat(m, ki, j) : acc.stepStat(s, j)).add(v[j]);
    }
    return v;
  }
}
