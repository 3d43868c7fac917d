package io.metarec.model;

import java.util.Locale;

/**
 * Parameter groups, used to say what the inner loop adapts. {@link #DECISION} is MeLU's local
 * update (the MLP and output layer, Lee et al. 2019); {@link #USER} the user bias and vector;
 * {@link #EMBEDDING} all embedding tables (touched rows only); {@link #GLOBAL} (global mean, item
 * biases, ridge prior strength) is learned in the outer loop only and never adapted.
 */
public enum ParamGroup {
  DECISION, USER, EMBEDDING, GLOBAL;

  /** Parses {@code decision|user|embedding}; {@code all} is expanded by the caller. */
  public static ParamGroup parseAdaptable(String key, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "decision" -> DECISION;
      case "user" -> USER;
      case "embedding" -> EMBEDDING;
      default -> throw new IllegalArgumentException(key + " entries must be decision|user|embedding|all, got '"
          + value + "'");
    };
  }
}
