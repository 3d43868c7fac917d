package io.metarec.config;

import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import java.io.Serializable;
import java.util.List;

/**
 * The architecture keys of {@code model.*} (see conf/metarec.conf); the data-dependent parts (item
 * count, feature fields, feedback) come from the task set ({@link #spec}).
 *
 * @param embeddingDim width of every categorical embedding, {@code >= 1}
 * @param hidden hidden layer sizes of the MLP, at least one, each {@code >= 1}
 * @param activation hidden activation
 * @param userDim width of the user vector and the item factors, {@code >= 1}
 * @param implicitTerm whether the user vector includes the SVD++ term over the support items; null
 *     = auto: on for explicit feedback, off for implicit feedback ({@link #implicitTermFor})
 * @param userInMlp whether the user vector is also an MLP input
 * @param learnedFoldIn implicit feedback: whether the gain on the fold-in's score is learned; null
 *     = auto: on for implicit feedback in random task order ({@link #learnedFoldInFor})
 */
public record ModelConfig(int embeddingDim, List<Integer> hidden, Activation activation,
    int userDim, Boolean implicitTerm, boolean userInMlp, Boolean learnedFoldIn)
    implements Serializable {

  public ModelConfig {
    Checks.intAtLeast("model.embeddingDim", embeddingDim, 1);
    if (hidden == null || hidden.isEmpty()) {
      throw new ConfigValidationException("model.hidden must list at least one layer size, got "
          + hidden);
    }
    hidden = List.copyOf(hidden);
    for (int h : hidden) {
      if (h < 1) {
        throw new ConfigValidationException("model.hidden sizes must be >= 1, got " + hidden);
      }
    }
    if (activation == null) {
      throw new ConfigValidationException("model.activation must be one of "
          + Checks.names(Activation.class));
    }
    Checks.intAtLeast("model.userDim", userDim, 1);
  }

  static ModelConfig from(ConfigReader model) {
    return new ModelConfig(model.getInt("embeddingDim"), model.getIntList("hidden"),
        model.getEnum("activation", Activation.class), model.getInt("userDim"),
        model.getBooleanOrAuto("implicitTerm"), model.getBoolean("userInMlp"),
        model.getBooleanOrAuto("learnedFoldIn"));
  }

  /**
   * Whether a model of {@code feedback} learns the gain on its fold-in's score: the setting, or
   * with auto on for implicit feedback whose tasks are in random order (explicit feedback has no
   * such fold-in). In random order a user's support is a random sample of their history, which
   * the fold-in reads well; in time order the first interactions say less about the later ones,
   * and the outer loss raises the gain while the full ranking of later items falls (MovieLens-100K,
   * BENCHMARKS.md, "A log without timestamps").
   *
   * @param randomOrder whether the tasks were built with {@code tasks.ordering = random}
   * @throws ConfigValidationException for {@code true} with explicit feedback
   */
  public boolean learnedFoldInFor(Feedback feedback, boolean randomOrder) {
    if (learnedFoldIn == null) {
      return feedback == Feedback.IMPLICIT && randomOrder;
    }
    if (learnedFoldIn && feedback != Feedback.IMPLICIT) {
      throw new ConfigValidationException("model.learnedFoldIn = true is for implicit feedback (the "
          + "weighted least-squares fold-in), the tasks are " + feedback.name().toLowerCase(
              java.util.Locale.ROOT) + "; set it to auto or false");
    }
    return learnedFoldIn;
  }

  /**
   * Whether a model of {@code feedback} gets the implicit term: the setting, or with auto on for
   * explicit feedback and off for implicit feedback, where the weighted least-squares fold-in
   * already reads the support and the learned term over-fitted the training users (MovieLens-100K
   * validation users, three seeds: BENCHMARKS.md, implicit feedback).
   */
  public boolean implicitTermFor(Feedback feedback) {
    return implicitTerm != null ? implicitTerm : feedback == Feedback.EXPLICIT;
  }

  /** The model spec for a data set with these items and fields, its tasks in time order. */
  public ModelSpec spec(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      Feedback feedback) {
    return spec(numItems, userFields, itemFields, feedback, false);
  }

  /**
   * The model spec for a data set with these items and fields ({@code randomOrder}: its tasks were
   * built with {@code tasks.ordering = random}).
   */
  public ModelSpec spec(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      Feedback feedback, boolean randomOrder) {
    return new ModelSpec(numItems, userFields, itemFields, embeddingDim, hidden, activation,
        userDim, feedback, implicitTermFor(feedback), userInMlp,
        learnedFoldInFor(feedback, randomOrder));
  }
}
