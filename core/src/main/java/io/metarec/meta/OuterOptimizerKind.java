package io.metarec.meta;

import java.util.Locale;

/** The outer (meta) optimizer. */
public enum OuterOptimizerKind {
  /** Plain SGD on the mean task meta-gradient. */
  SGD,
  /** Adam; lazy (touched rows only) on embedding tables. */
  ADAM;

  /** Parses {@code sgd|adam}, naming {@code key} on failure. */
  public static OuterOptimizerKind parse(String key, String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be one of sgd|adam, got '" + value + "'", e);
    }
  }
}
