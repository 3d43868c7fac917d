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

  /** @param config the resolved configuration (defaults merged with the user's values) */
  public ConfigReader(Config config) {
    this.config = config;
  }

  /** The configuration read from. */
  public Config config() {
    return config;
  }

  /** Reads an integer. */
  public int getInt(String key) {
    try {
      return config.getInt(key);
    } catch (ConfigException e) {
      throw wrongType(key, "an integer", e);
    }
  }

  /** Reads a long integer. */
  public long getLong(String key) {
    try {
      return config.getLong(key);
    } catch (ConfigException e) {
      throw wrongType(key, "an integer", e);
    }
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

  /** Reads a list of integers. */
  public List<Integer> getIntList(String key) {
    try {
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
    return new ConfigValidationException(key + " must be " + expected + ", got " + found, e);
  }
}
