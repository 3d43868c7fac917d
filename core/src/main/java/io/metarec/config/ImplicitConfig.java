package io.metarec.config;

import java.io.Serializable;

/**
 * How implicit feedback (events, every row a positive) is trained and adapted on ({@code
 * inner.implicit.*}; ignored for explicit feedback): sampled negatives in the support and the
 * query, the loss over them, and the confidence of the exact user solve.
 *
 * @param negatives unseen items sampled per positive of the query (the outer loss), {@code >= 0}
 *     (0 = positives only, which learns no ranking); drawn from (seed, iteration, task id), never
 *     an item of the task
 * @param queryPositives the most query positives a training task scores per iteration (a seeded
 *     subset of a longer query, drawn anew each iteration; 0 = all): bounds the outer loss's cost
 *     for heavy users, whose queries hold hundreds of items
 * @param supportNegatives unseen items sampled per positive of the support, for the inner loop's
 *     gradient steps, {@code >= 0} (0 = the steps see the positives alone); when a user is adapted
 *     for scoring, drawn from the items outside its support
 * @param distribution what negatives are drawn from: {@code uniform} over the item indices, or
 *     {@code popularity}: proportional to (training count + 1)^{@code exponent}
 * @param exponent the popularity exponent, in [0, 1] (0.75 as in word2vec's sampler)
 * @param loss {@code bce} (logistic loss on every positive and negative) or {@code bpr} (Rendle et
 *     al. 2009: {@code -log sigmoid(s_pos - s_neg)} over each positive's negatives)
 * @param confidence the implicit-ALS confidence of a positive (Hu, Koren and Volinsky 2008):
 *     {@code inner.userSolver = ridge} solves the user vector by weighted least squares over every
 *     item, positives weighted {@code 1 + confidence}, {@code >= 0}
 * @param samplingCorrection whether the training losses see each row's logit plus {@code
 *     -log((n - 1) q_i)}, q_i the item's probability under {@code distribution} (the logQ
 *     correction of sampled losses: Bengio and Senecal 2008, Yi et al. 2019): the model's logit is
 *     then popularity-calibrated, so ranking every item by it is consistent with what the sampled
 *     loss fits; without it a popularity sampler fits log(P(i | u) / q_i), which ranks rare items
 *     too high. 0 for the uniform sampler, so it changes nothing there
 * @param taskWeight how training tasks are weighted in the meta-gradient: {@code task} (every user
 *     alike) or {@code positives} (each task by the positives its loss scores, so that every
 *     interaction counts alike, as matrix factorization, ALS and popularity count them)
 * @param foldInScale the gain γ on the weighted least-squares fold-in's score: the linear user
 *     part is {@code γ u*}, so the model scores {@code ⟨γ u*, q_i⟩}. The solve fits 0/1 preferences,
 *     so {@code ⟨u*, q_i⟩} lies on a 0..1 scale whatever the factors' norm (u* scales as 1/|q|),
 *     while the logit it is added to spans several units; γ sets how loudly the support speaks
 *     through it (γ → ∞ ranks as implicit-ALS fold-in does). {@code > 0}
 */
public record ImplicitConfig(int negatives, int queryPositives, int supportNegatives,
    Distribution distribution, float exponent, Loss loss, float confidence,
    boolean samplingCorrection, TaskWeight taskWeight, float foldInScale)
    implements Serializable {

  /** The settings with the fold-in's score at its own scale (γ = 1). */
  public ImplicitConfig(int negatives, int queryPositives, int supportNegatives,
      Distribution distribution, float exponent, Loss loss, float confidence,
      boolean samplingCorrection, TaskWeight taskWeight) {
    this(negatives, queryPositives, supportNegatives, distribution, exponent, loss, confidence,
        samplingCorrection, taskWeight, 1f);
  }

  /** How a training task's meta-gradient is weighted. */
  public enum TaskWeight {
    /** Every task (user) alike. */
    TASK,
    /** By the positives the task's loss scores (every interaction alike). */
    POSITIVES
  }

  /** Where negatives are drawn from. */
  public enum Distribution {
    /** Every item index alike. */
    UNIFORM,
    /** Proportional to (training count + 1)^exponent. */
    POPULARITY
  }

  /** The loss over positives and sampled negatives. */
  public enum Loss {
    /** Sigmoid binary cross-entropy on every row. */
    BCE,
    /** Bayesian personalized ranking on (positive, negative) pairs. */
    BPR
  }

  /** These settings with or without the sampling correction. */
  public ImplicitConfig withSamplingCorrection(boolean on) {
    return new ImplicitConfig(negatives, queryPositives, supportNegatives, distribution, exponent,
        loss, confidence, on, taskWeight, foldInScale);
  }

  /** These settings with training tasks weighted by {@code w}. */
  public ImplicitConfig withTaskWeight(TaskWeight w) {
    return new ImplicitConfig(negatives, queryPositives, supportNegatives, distribution, exponent,
        loss, confidence, samplingCorrection, w, foldInScale);
  }

  /** The defaults of conf/metarec.conf. */
  public static final ImplicitConfig DEFAULTS =
      new ImplicitConfig(4, 0, 0, Distribution.POPULARITY, 0.75f, Loss.BCE, 1f, true,
          TaskWeight.POSITIVES);

  public ImplicitConfig {
    Checks.intIn("inner.implicit.negatives", negatives, 0, 1000);
    Checks.intIn("inner.implicit.supportNegatives", supportNegatives, 0, 1000);
    Checks.intAtLeast("inner.implicit.queryPositives", queryPositives, 0);
    if (distribution == null || loss == null || taskWeight == null) {
      throw new ConfigValidationException(
          "inner.implicit.distribution, .loss and .taskWeight must be set");
    }
    Checks.doubleIn("inner.implicit.exponent", exponent, 0, 1);
    Checks.rate("inner.implicit.confidence", confidence);
    Checks.doubleAbove("inner.implicit.foldInScale", foldInScale, 0);
    // Cross-field rule: BPR needs a negative for every positive.
    if (loss == Loss.BPR && negatives < 1) {
      throw new ConfigValidationException("inner.implicit.loss = bpr needs inner.implicit.negatives"
          + " >= 1, got " + negatives);
    }
  }

  static ImplicitConfig from(ConfigReader r) {
    return new ImplicitConfig(r.getInt("negatives"), r.getInt("queryPositives"),
        r.getInt("supportNegatives"),
        r.getEnum("distribution", Distribution.class),
        (float) r.getDouble("exponent"), r.getEnum("loss", Loss.class),
        (float) r.getDouble("confidence"), r.getBoolean("samplingCorrection"),
        r.getEnum("taskWeight", TaskWeight.class), (float) r.getDouble("foldInScale"));
  }
}
