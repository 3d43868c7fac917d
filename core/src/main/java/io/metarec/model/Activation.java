package io.metarec.model;

import java.util.Locale;

/** Hidden-layer activation of the decision MLP. */
public enum Activation {
  /** max(0, z). */
  RELU,
  /** tanh(z). */
  TANH,
  /** z. */
  IDENTITY;

  /** Parses {@code relu|tanh|identity} (case-insensitive), naming {@code key} on failure. */
  public static Activation parse(String key, String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be one of relu|tanh|identity, got '" + value + "'", e);
    }
  }
}
