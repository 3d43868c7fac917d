package io.metarec.config;

import java.util.Collection;
import java.util.Locale;

/**
 * Range checks used by the config records' compact constructors. Each throws a
 * {@link ConfigValidationException} whose message names the key, the rejected value and the range.
 */
public final class Checks {
  private Checks() {}

  /** Requires {@code min <= value <= max}; returns the value. */
  public static int intIn(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ConfigValidationException(
          key + " must be in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  /** Requires {@code value >= min}; returns the value. */
  public static int intAtLeast(String key, int value, int min) {
    if (value < min) {
      throw new ConfigValidationException(key + " must be >= " + min + ", got " + value);
    }
    return value;
  }

  /** Requires {@code value >= min}; returns the value. */
  public static long longAtLeast(String key, long value, long min) {
    if (value < min) {
      throw new ConfigValidationException(key + " must be >= " + min + ", got " + value);
    }
    return value;
  }

  /** Requires a finite {@code min <= value <= max}; returns the value. */
  public static double doubleIn(String key, double value, double min, double max) {
    if (!Double.isFinite(value) || value < min || value > max) {
      throw new ConfigValidationException(
          key + " must be a number in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  /** Requires a finite value {@code >= 0}; returns the value. */
  public static double nonNegative(String key, double value) {
    if (!Double.isFinite(value) || value < 0) {
      throw new ConfigValidationException(key + " must be a number >= 0, got " + value);
    }
    return value;
  }

  /** Requires a finite value strictly above {@code min}; returns the value. */
  public static double doubleAbove(String key, double value, double min) {
    if (!Double.isFinite(value) || value <= min) {
      throw new ConfigValidationException(key + " must be > " + min + ", got " + value);
    }
    return value;
  }

  /** Requires a non-blank string; returns it. */
  public static String nonBlank(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new ConfigValidationException(key + " must not be empty");
    }
    return value;
  }

  /** Requires {@code value} (case-insensitive) to be one of {@code allowed}; returns it lower-cased. */
  public static String oneOf(String key, String value, Collection<String> allowed) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(v)) {
      throw new ConfigValidationException(
          key + " must be one of " + String.join("|", allowed) + ", got '" + value + "'");
    }
    return v;
  }

  /**
   * The constant of {@code type} named {@code value} (case-insensitive, surrounding blanks
   * ignored): the one parser of every enum-valued setting.
   *
   * @throws ConfigValidationException naming the key, the allowed names and the value
   */
  public static <E extends Enum<E>> E enumValue(String key, String value, Class<E> type) {
    String v = value == null ? "" : value.trim();
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v)) {
        return e;
      }
    }
    throw new ConfigValidationException(key + " must be one of " + names(type) + ", got '" + value
        + "'");
  }

  /** The lower-case names of {@code type}'s constants, {@code a|b|c}. */
  public static <E extends Enum<E>> String names(Class<E> type) {
    StringBuilder sb = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      sb.append(sb.length() == 0 ? "" : "|").append(e.name().toLowerCase(Locale.ROOT));
    }
    return sb.toString();
  }

  /** Requires a finite {@code value >= 0}; returns it. */
  public static float rate(String key, float value) {
    if (!(value >= 0f) || Float.isInfinite(value)) {
      throw new ConfigValidationException(key + " must be finite and >= 0, got " + value);
    }
    return value;
  }
}
