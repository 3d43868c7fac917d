package io.metarec.model;

import java.util.Locale;

/** Kind of label, which fixes the output link and the loss. */
public enum Feedback {
  /** Ratings: identity output, squared loss {@code (p - y)^2}. */
  EXPLICIT,
  /** 0/1 interactions: the output is a logit, loss is sigmoid binary cross-entropy. */
  IMPLICIT;

  /** Parses {@code explicit|implicit} (case-insensitive), naming {@code key} on failure. */
  public static Feedback parse(String key, String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be one of explicit|implicit, got '" + value + "'", e);
    }
  }
}
