package io.metarec.config;

import io.metarec.model.ParamGroup;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The inner loop (task adaptation; Finn et al. 2017, Lee et al. 2019): {@code steps} full-batch SGD
 * steps on the support set with a step size per parameter group and optional L2 pull toward the
 * meta-learned initial values, and the choice of user solver.
 *
 * @param steps number of SGD steps, {@code >= 0} (0 = no gradient adaptation; the ridge solve still runs)
 * @param lrDecision step size of the MLP and output layer, {@code >= 0}
 * @param lrUser step size of the user bias and vector, {@code >= 0}
 * @param lrEmbedding step size of embedding/factor table rows, {@code >= 0}
 * @param l2 strength of {@code (l2/2) ||phi - theta||^2} added to the support loss, {@code >= 0}
 * @param userSolver sgd or ridge (ridge needs explicit feedback; checked by the engine)
 * @param adapt the groups adapted: subset of decision, user, embedding
 * @param userBiasNewtonStep scale the user-bias SGD step by {@code 1 / (2 (n_u + lambda))}, an exact
 *     Newton step for the bias of the squared loss (plain SGD on b_u diverges for large supports)
 * @param lrUserBias step size of the user bias when {@code userBiasNewtonStep} is on ({@code >= 0};
 *     1 = each step moves b_u to the shrunk estimate given the rest of the model); without the Newton
 *     scaling the user bias takes {@code lrUser}
 * @param implicit sampled negatives, their loss and the solve's confidence (implicit feedback)
 * @param priorScale factor on the model's learned prior strength lambda wherever the inner loop
 *     uses it (the ridge and weighted least-squares solves, the Newton step of the user bias),
 *     {@code > 0}; 1 = the learned value. The selection on validation users tries others per
 *     support size ({@code train.selectAdaptation})
 * @param neighbourWeight weight {@code w} of the implicit-feedback neighbourhood term added to the
 *     model's ranking scores, {@code (w / K) * sum of the item's cosine similarities from the K
 *     support items} ({@link io.metarec.model.ItemNeighbours}), {@code >= 0}, 0 = none; a scoring
 *     term, not trained: the selection on validation users chooses it per support size
 */
public record InnerLoopConfig(
    int steps,
    float lrDecision,
    float lrUser,
    float lrEmbedding,
    float l2,
    UserSolver userSolver,
    Set<ParamGroup> adapt,
    boolean userBiasNewtonStep,
    float lrUserBias,
    ImplicitConfig implicit,
    float priorScale,
    float neighbourWeight) implements Serializable {

  public InnerLoopConfig {
    Checks.intAtLeast("inner.steps", steps, 0);
    Checks.rate("inner.lr.decision", lrDecision);
    Checks.rate("inner.lr.user", lrUser);
    Checks.rate("inner.lr.embedding", lrEmbedding);
    Checks.rate("inner.l2", l2);
    Checks.rate("inner.lr.userBias", lrUserBias);
    if (userSolver == null) {
      throw new ConfigValidationException("inner.userSolver must be one of "
          + Checks.names(UserSolver.class) + ", got nothing");
    }
    if (adapt == null || adapt.contains(ParamGroup.GLOBAL)) {
      throw new ConfigValidationException("inner.adapt must be a subset of [decision, user, "
          + "embedding], got " + adapt);
    }
    adapt = adapt.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(adapt));
    if (implicit == null) {
      implicit = ImplicitConfig.DEFAULTS;
    }
    Checks.doubleAbove("inner.priorScale", priorScale, 0);
    if (!(neighbourWeight >= 0) || Float.isInfinite(neighbourWeight)) {
      throw new ConfigValidationException("inner.neighbourWeight must be a finite number >= 0, got "
          + neighbourWeight);
    }
  }

  /** The settings without a neighbourhood term ({@code neighbourWeight = 0}). */
  public InnerLoopConfig(int steps, float lrDecision, float lrUser, float lrEmbedding, float l2,
      UserSolver userSolver, Set<ParamGroup> adapt, boolean userBiasNewtonStep, float lrUserBias,
      ImplicitConfig implicit, float priorScale) {
    this(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt, userBiasNewtonStep,
        lrUserBias, implicit, priorScale, 0f);
  }

  /** The settings with the model's learned prior strength as it is ({@code priorScale = 1}). */
  public InnerLoopConfig(int steps, float lrDecision, float lrUser, float lrEmbedding, float l2,
      UserSolver userSolver, Set<ParamGroup> adapt, boolean userBiasNewtonStep, float lrUserBias,
      ImplicitConfig implicit) {
    this(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt, userBiasNewtonStep,
        lrUserBias, implicit, 1f);
  }

  /** The settings with the default implicit-feedback sampling ({@link ImplicitConfig#DEFAULTS}). */
  public InnerLoopConfig(int steps, float lrDecision, float lrUser, float lrEmbedding, float l2,
      UserSolver userSolver, Set<ParamGroup> adapt, boolean userBiasNewtonStep, float lrUserBias) {
    this(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt, userBiasNewtonStep,
        lrUserBias, ImplicitConfig.DEFAULTS);
  }

  /** The settings with the user bias stepping like the user vector ({@code lrUserBias = lrUser}). */
  public InnerLoopConfig(int steps, float lrDecision, float lrUser, float lrEmbedding, float l2,
      UserSolver userSolver, Set<ParamGroup> adapt, boolean userBiasNewtonStep) {
    this(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt, userBiasNewtonStep, lrUser);
  }

  /**
   * Reads the {@code inner} section (see conf/metarec.conf); {@code adapt} entries are
   * {@code decision|user|embedding}, or {@code all} for the three.
   */
  /**
   * The settings of an {@code inner} section given as nested maps (as {@code model.json} records
   * them), each missing key from {@code defaults} (the defaults' {@code inner} section).
   */
  public static InnerLoopConfig fromSection(java.util.Map<String, ?> inner,
      com.typesafe.config.Config defaults) {
    com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.parseMap(inner)
        .withFallback(defaults);
    return from(new ConfigReader(c, "inner"));
  }

  public static InnerLoopConfig from(ConfigReader inner) {
    EnumSet<ParamGroup> groups = EnumSet.noneOf(ParamGroup.class);
    for (String s : inner.getStringList("adapt")) {
      if (s.trim().equalsIgnoreCase("all")) {
        groups.addAll(List.of(ParamGroup.DECISION, ParamGroup.USER, ParamGroup.EMBEDDING));
      } else if (List.of("decision", "user", "embedding").contains(s.trim().toLowerCase(
          java.util.Locale.ROOT))) {
        groups.add(Checks.enumValue("inner.adapt", s, ParamGroup.class));
      } else {
        throw new ConfigValidationException("inner.adapt entries must be "
            + "decision|user|embedding|all, got '" + s + "'");
      }
    }
    return new InnerLoopConfig(
        inner.getInt("steps"),
        (float) inner.getDouble("lr.decision"),
        (float) inner.getDouble("lr.user"),
        (float) inner.getDouble("lr.embedding"),
        (float) inner.getDouble("l2"),
        inner.getEnum("userSolver", UserSolver.class),
        groups,
        inner.getBoolean("userBiasNewtonStep"),
        (float) inner.getDouble("lr.userBias"),
        ImplicitConfig.from(inner.section("implicit")),
        (float) inner.getDouble("priorScale"),
        (float) inner.getDouble("neighbourWeight"));
  }

  /** @return whether {@code g} is adapted */
  public boolean adapts(ParamGroup g) {
    return adapt.contains(g);
  }

  /** @return the step size of group {@code g} (0 for GLOBAL) */
  public float lr(ParamGroup g) {
    return switch (g) {
      case DECISION -> lrDecision;
      case USER -> lrUser;
      case EMBEDDING -> lrEmbedding;
      case GLOBAL -> 0f;
    };
  }

  /** @return a copy with another number of steps (e.g. for evaluation) */
  public InnerLoopConfig withSteps(int newSteps) {
    return new InnerLoopConfig(newSteps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt, userBiasNewtonStep, lrUserBias, implicit, priorScale, neighbourWeight);
  }

  /** @return a copy with another user solver */
  public InnerLoopConfig withUserSolver(UserSolver s) {
    return new InnerLoopConfig(steps, lrDecision, lrUser, lrEmbedding, l2, s, adapt, userBiasNewtonStep, lrUserBias, implicit, priorScale, neighbourWeight);
  }

  /** @return a copy with other implicit-feedback settings */
  public InnerLoopConfig withImplicit(ImplicitConfig i) {
    return new InnerLoopConfig(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt,
        userBiasNewtonStep, lrUserBias, i, priorScale, neighbourWeight);
  }

  /** @return a copy with another factor on the learned prior strength */
  public InnerLoopConfig withPriorScale(float scale) {
    return new InnerLoopConfig(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt,
        userBiasNewtonStep, lrUserBias, implicit, scale, neighbourWeight);
  }

  /** @return a copy with another weight of the neighbourhood term */
  public InnerLoopConfig withNeighbourWeight(float w) {
    return new InnerLoopConfig(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, adapt,
        userBiasNewtonStep, lrUserBias, implicit, priorScale, w);
  }

  /** @return a copy adapting other groups */
  public InnerLoopConfig withAdapt(Set<ParamGroup> groups) {
    return new InnerLoopConfig(steps, lrDecision, lrUser, lrEmbedding, l2, userSolver, groups, userBiasNewtonStep, lrUserBias, implicit, priorScale, neighbourWeight);
  }
}
