package io.metarec.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;

/**
 * Typed reads from a resolved {@link Config} that turn Typesafe Config's errors into
 * {@link ConfigValidationException}s naming the key, the expected type and the value found.
 */
public final class ConfigReader {
  private final Config config;
  private final String prefix;

  /** @param config the resolved configuration (defaults merged with the user's values) */
  public ConfigReader(Config config) {
    this(config, "");
  }

  /**
   * A reader of one section: keys are relative to it, messages name them in full.
   *
   * @param config the section
   * @param section its path in the whole configuration, e.g. {@code inner}
   */
  public ConfigReader(Config config, String section) {
    this.config = config;
    this.prefix = section.isEmpty() ? "" : section + ".";
  }

  /** A reader of the section {@code name} under this one. */
  public ConfigReader section(String name) {
    try {
      return new ConfigReader(config.getConfig(name), prefix + name);
    } catch (ConfigException e) {
      throw new ConfigValidationException(prefix + name + " must be a section of keys", e);
    }
  }

  /** Reads an enum constant by its name, case-insensitive ({@link Checks#enumValue}). */
  public <E extends Enum<E>> E getEnum(String key, Class<E> type) {
    return Checks.enumValue(prefix + key, getString(key), type);
  }

  /** The configuration read from. */
  public Config config() {
    return config;
  }

  /** Reads an integer (an integral number in int range, or text that is one). */
  public int getInt(String key) {
    return (int) integral(key, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /** Reads a long integer (an integral number in long range, or text that is one). */
  public long getLong(String key) {
    return integral(key, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /**
   * An integer in {@code [min, max]}. Typesafe Config's own getters truncate {@code 1.5} to 1 and
   * saturate {@code 99999999999999999999} (read as a double) to {@code Long.MAX_VALUE}; both are
   * refused here, naming the key and the value as written.
   */
  private long integral(String key, long min, long max) {
    com.typesafe.config.ConfigValue v;
    try {
      v = config.getValue(key);
    } catch (ConfigException e) {
      throw wrongType(key, "an integer", e);
    }
    Object raw = v.unwrapped();
    long value;
    if (raw instanceof Integer || raw instanceof Long) {
      value = ((Number) raw).longValue();
    } else if (raw instanceof Number n) {
      double d = n.doubleValue();
      if (!Double.isFinite(d) || d != Math.rint(d)) {
        throw wrongType(key, "an integer", null);
      }
      if (d < -9.223372036854775808E18 || d >= 9.223372036854775808E18) {
        throw wrongType(key, "an integer in [" + min + ", " + max + "]", null);
      }
      value = (long) d;
    } else if (raw instanceof String str) {
      try {
        value = Long.parseLong(str.trim());
      } catch (NumberFormatException e) {
        java.math.BigInteger big;
        try {
          big = new java.math.BigInteger(str.trim());
        } catch (NumberFormatException notAnInteger) {
          throw wrongType(key, "an integer", null);
        }
        throw wrongType(key, "an integer in [" + min + ", " + max + "]", null);
      }
    } else {
      throw wrongType(key, "an integer", null);
    }
    if (value < min || value > max) {
      throw wrongType(key, "an integer in [" + min + ", " + max + "]", null);
    }
    return value;
  }

  /** Reads a number. */
  public double getDouble(String key) {
    try {
      return config.getDouble(key);
    } catch (ConfigException e) {
      throw wrongType(key, "a number", e);
    }
  }

  /** Reads a boolean ({@code true|false|yes|no|on|off}). */
  public boolean getBoolean(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw wrongType(key, "a boolean (true|false)", e);
    }
  }

  /** Reads {@code auto} (null: the caller's rule decides) or a number. */
  public Double getDoubleOrAuto(String key) {
    String value = getString(key).trim();
    if (value.equalsIgnoreCase("auto")) {
      return null;
    }
    try {
      return Double.valueOf(value);
    } catch (NumberFormatException e) {
      throw new ConfigValidationException(
          prefix + key + " must be auto or a number, got '" + value + "'");
    }
  }

  /** Reads {@code auto} (null: the caller's rule decides) or a list of numbers. */
  public List<Double> getDoubleListOrAuto(String key) {
    if (config.hasPath(key) && config.getValue(key).valueType()
        == com.typesafe.config.ConfigValueType.STRING) {
      String value = config.getString(key).trim();
      if (value.equalsIgnoreCase("auto")) {
        return null;
      }
      throw new ConfigValidationException(
          prefix + key + " must be auto or a list of numbers, got '" + value + "'");
    }
    return getDoubleList(key);
  }

  /** Reads {@code auto} (null: the caller's rule decides), {@code true} or {@code false}. */
  public Boolean getBooleanOrAuto(String key) {
    String value = getString(key);
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> null;
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new ConfigValidationException(
          prefix + key + " must be auto, true or false, got '" + value + "'");
    };
  }

  /** Reads a string; numbers and booleans are read as their text. */
  public String getString(String key) {
    try {
      return config.getString(key);
    } catch (ConfigException e) {
      throw wrongType(key, "a string", e);
    }
  }

  /** Reads a list of strings. */
  public List<String> getStringList(String key) {
    try {
      return List.copyOf(config.getStringList(key));
    } catch (ConfigException e) {
      throw wrongType(key, "a list of strings, e.g. [a, b]", e);
    }
  }

  /** Reads a list of integers; a fractional or out-of-range element is refused, not truncated. */
  public List<Integer> getIntList(String key) {
    try {
      for (com.typesafe.config.ConfigValue v : config.getList(key)) {
        Object raw = v.unwrapped();
        if (raw instanceof Number n && !(raw instanceof Integer)
            && (n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < Integer.MIN_VALUE || n.doubleValue() > Integer.MAX_VALUE)) {
          throw wrongType(key, "a list of integers, e.g. [1, 3, 5]", null);
        }
      }
      return List.copyOf(config.getIntList(key));
    } catch (ConfigException e) {
      throw wrongType(key, "a list of integers, e.g. [1, 3, 5]", e);
    }
  }

  /** Reads a list of numbers. */
  public List<Double> getDoubleList(String key) {
    try {
      return List.copyOf(config.getDoubleList(key));
    } catch (ConfigException e) {
      throw wrongType(key, "a list of numbers", e);
    }
  }

  private ConfigValidationException wrongType(String key, String expected, ConfigException e) {
    String found;
    try {
      found = config.hasPathOrNull(key) && !config.getIsNull(key)
          ? config.getValue(key).render(com.typesafe.config.ConfigRenderOptions.concise())
          : "nothing";
    } catch (ConfigException inner) {
      found = "an unreadable value";
    }
    return new ConfigValidationException(prefix + key + " must be " + expected + ", got " + found, e);
  }
}
