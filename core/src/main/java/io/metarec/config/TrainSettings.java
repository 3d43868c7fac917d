package io.metarec.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;

/**
 * Everything an engine needs per meta-iteration besides parameters and tasks: the inner loop and the
 * outer-loop settings. Immutable and Serializable (shipped to executors).
 */
public record TrainSettings(InnerLoopConfig inner, MetaConfig meta) implements Serializable {
  /** Classpath resource holding the engine defaults. */
  public static final String DEFAULTS_RESOURCE = "io/metarec/config/metarec.conf";

  public TrainSettings {
    if (inner == null || meta == null) {
      throw new IllegalArgumentException("inner and meta settings must be non-null");
    }
  }

  /**
   * Reads {@code inner} and {@code meta} from {@code root}, falling back to the engine defaults for
   * missing keys.
   */
  public static TrainSettings fromConfig(Config root) {
    ConfigReader r = new ConfigReader(withDefaults(root));
    return new TrainSettings(InnerLoopConfig.from(r.section("inner")),
        MetaConfig.from(r.section("meta")));
  }

  /** @return {@code root} with the engine defaults ({@value #DEFAULTS_RESOURCE}) as fallback, resolved */
  public static Config withDefaults(Config root) {
    return root.withFallback(defaultsConfig()).resolve();
  }

  /** @return the defaults' {@code inner} section (what a recorded inner section falls back to) */
  public static Config innerDefaults() {
    return withDefaults(ConfigFactory.empty()).getConfig("inner");
  }

  /** @return the engine defaults */
  public static Config defaultsConfig() {
    Config d = ConfigFactory.parseResources(TrainSettings.class.getClassLoader(), DEFAULTS_RESOURCE);
    if (d.isEmpty()) {
      throw new IllegalStateException("missing classpath resource " + DEFAULTS_RESOURCE);
    }
    return d;
  }

  /** @return the engine defaults as settings */
  public static TrainSettings defaults() {
    return fromConfig(ConfigFactory.empty());
  }

  /** @return a copy with another inner loop */
  public TrainSettings withInner(InnerLoopConfig i) {
    return new TrainSettings(i, meta);
  }

  /** @return a copy with other meta settings */
  public TrainSettings withMeta(MetaConfig m) {
    return new TrainSettings(inner, m);
  }
}
