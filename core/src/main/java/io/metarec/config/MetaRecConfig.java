package io.metarec.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.metarec.config.TrainSettings;
import io.metarec.model.FieldSpec;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import java.io.File;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The whole resolved configuration of a MetaRec run: the documented defaults
 * ({@code conf/metarec.conf}, shipped in the jar) overlaid by a user file ({@code --conf}),
 * {@code --set key=value} overrides and the command's own options, in that order of precedence.
 *
 * <p>{@link #load} validates every key before returning: a key the defaults do not have, a value of
 * the wrong type and an out-of-range value each fail with a {@link ConfigValidationException} that
 * names the key and what is allowed. Instances are immutable and serializable.
 *
 * @param raw the resolved Typesafe configuration
 * @param seed the one seed every random stream derives from (key {@code seed})
 * @param spark local-run Spark settings ({@code spark.*})
 * @param input how to read interaction logs and feature tables ({@code input.*})
 * @param split the user-level train/validation/test split ({@code split.*})
 * @param tasks how a user's interactions become a support/query task ({@code tasks.*})
 * @param generate the synthetic data generator ({@code generate.*})
 * @param buildTasksOut the output folder of build-tasks ({@code buildTasks.out})
 * @param engine the inner loop and outer-loop settings ({@code inner.*}, {@code meta.*})
 * @param model the architecture ({@code model.*})
 * @param train the training job ({@code train.*})
 * @param evaluate the cold-start evaluation ({@code evaluate.*})
 * @param recommend the recommend job ({@code recommend.*})
 * @param pretrain the conventional DL4J-on-Spark baseline ({@code pretrain.*})
 * @param pipeline the whole pipeline in one run folder ({@code pipeline.*})
 * @param nightly scheduled retraining with a promotion gate ({@code nightly.*})
 * @param output how jobs guard the folders they write: locks and their staleness
 *     ({@code output.*})
 * @param serve the HTTP endpoint of {@code metarec serve} ({@code serve.*})
 */
public record MetaRecConfig(
    Config raw,
    long seed,
    SparkSettings spark,
    InputConfig input,
    SplitConfig split,
    TasksConfig tasks,
    GenerateConfig generate,
    String buildTasksOut,
    TrainSettings engine,
    ModelConfig model,
    TrainConfig train,
    EvaluateConfig evaluate,
    RecommendConfig recommend,
    PretrainConfig pretrain,
    PipelineConfig pipeline,
    NightlyConfig nightly,
    OutputConfig output,
    ServeConfig serve)
    implements Serializable {

  /** Class-path location of the documented defaults (a copy of {@code conf/metarec.conf}). */
  public static final String DEFAULTS_RESOURCE = "io/metarec/config/metarec.conf";

  /** Reads every section of {@code raw}; throws {@link ConfigValidationException} on any bad key. */
  public static MetaRecConfig fromResolved(Config raw) {
    ConfigReader r = new ConfigReader(raw);
    return new MetaRecConfig(
        raw,
        r.getLong("seed"),
        SparkSettings.from(r),
        InputConfig.from(r),
        SplitConfig.from(r),
        TasksConfig.from(r),
        GenerateConfig.from(r),
        r.getString("buildTasks.out"),
        engine(r),
        ModelConfig.from(r.section("model")),
        TrainConfig.from(r),
        EvaluateConfig.from(r),
        RecommendConfig.from(r),
        PretrainConfig.from(r),
        PipelineConfig.from(r),
        NightlyConfig.from(r),
        OutputConfig.from(r),
        ServeConfig.from(r));
  }

  /** The engine settings ({@code inner.*}, {@code meta.*}). */
  private static TrainSettings engine(ConfigReader r) {
    return new TrainSettings(InnerLoopConfig.from(r.section("inner")),
        MetaConfig.from(r.section("meta")));
  }

  /** The model spec for a data set with these items and fields, feedback from the data. */
  public ModelSpec modelSpec(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      Feedback feedback) {
    return modelSpec(numItems, userFields, itemFields, feedback, false);
  }

  /**
   * The model spec for a data set with these items and fields, feedback and task order from the
   * data ({@code randomOrder}: built with {@code tasks.ordering = random}).
   */
  public ModelSpec modelSpec(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      Feedback feedback, boolean randomOrder) {
    return model.spec(numItems, userFields, itemFields, feedback, randomOrder);
  }

  /** The documented defaults alone, resolved. */
  public static Config defaults() {
    return unresolvedDefaults().resolve();
  }

  /** The defaults before substitutions ({@code meta.seed = ${seed}} follows a user's seed). */
  private static Config unresolvedDefaults() {
    return ConfigFactory.parseResources(
        MetaRecConfig.class.getClassLoader(),
        DEFAULTS_RESOURCE,
        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
  }

  /** The defaults, validated: what a run with no options gets. */
  public static MetaRecConfig load() {
    return load(null, List.of(), Map.of());
  }

  /**
   * Merges and validates a run's configuration.
   *
   * @param file a HOCON ({@code .conf}), JSON or {@code .properties} file, or null
   * @param sets {@code key=value} overrides; the value is read as HOCON (numbers, booleans, lists),
   *     or as a plain string where it does not parse
   * @param options the command's own options by key (they win over everything else)
   * @throws ConfigValidationException naming the first unknown, mistyped or out-of-range key
   */
  public static MetaRecConfig load(File file, List<String> sets, Map<String, ?> options) {
    Config defaults = defaults();
    Config user = ConfigFactory.empty();
    if (file != null) {
      if (!file.isFile()) {
        throw new ConfigValidationException("--conf " + file + ": no such file");
      }
      try {
        user = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new ConfigValidationException("--conf " + file + ": " + e.getMessage(), e);
      }
      checkKnown(defaults, user, "--conf " + file);
    }
    for (String set : sets) {
      Config one = parseSet(set);
      checkKnown(defaults, one, "--set " + set);
      user = one.withFallback(user);
    }
    for (Map.Entry<String, ?> option : options.entrySet()) {
      if (option.getValue() == null) {
        continue;
      }
      Config one = ConfigFactory.empty()
          .withValue(option.getKey(), ConfigValueFactory.fromAnyRef(option.getValue()));
      checkKnown(defaults, one, "option for " + option.getKey());
      user = one.withFallback(user);
    }
    Config resolved;
    try {
      resolved = user.withFallback(unresolvedDefaults()).resolve();
    } catch (ConfigException e) {
      throw new ConfigValidationException(e.getMessage(), e);
    }
    return fromResolved(resolved);
  }

  /** Parses one {@code key=value} override. */
  static Config parseSet(String set) {
    int eq = set.indexOf('=');
    if (eq <= 0) {
      throw new ConfigValidationException(
          "--set expects key=value, e.g. --set split.test=0.2, got '" + set + "'");
    }
    String key = set.substring(0, eq).trim();
    // A value of only white space (a tab delimiter) is kept as it is; others are trimmed.
    String value = set.substring(eq + 1).isBlank() ? set.substring(eq + 1)
        : set.substring(eq + 1).trim();
    try {
      ConfigFactory.empty().hasPath(key);
    } catch (ConfigException e) {
      throw new ConfigValidationException("--set " + set + ": '" + key + "' is not a valid key", e);
    }
    try {
      Config parsed = ConfigFactory.parseString("\"__v\" = " + value);
      ConfigValue v = parsed.getValue("\"__v\"");
      return ConfigFactory.empty().withValue(key, v);
    } catch (ConfigException e) {
      return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value));
    }
  }

  /** Fails on the first key of {@code user} that the defaults do not define. */
  private static void checkKnown(Config defaults, Config user, String source) {
    for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
      String key = e.getKey();
      if (!defaults.hasPathOrNull(key)) {
        throw new ConfigValidationException(
            "unknown key '" + key + "' in " + source + suggestion(defaults, key));
      }
      if (defaults.getValue(key).valueType() == ConfigValueType.OBJECT
          && e.getValue().valueType() != ConfigValueType.OBJECT) {
        throw new ConfigValidationException(
            key + " is a section, not a value (" + source + "); set one of its keys instead");
      }
    }
  }

  /** " (did you mean ...?)" for the known keys under the same section, or "". */
  private static String suggestion(Config defaults, String key) {
    int dot = key.lastIndexOf('.');
    String section = dot < 0 ? "" : key.substring(0, dot);
    TreeSet<String> siblings = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
      String k = e.getKey();
      String parent = k.lastIndexOf('.') < 0 ? "" : k.substring(0, k.lastIndexOf('.'));
      if (parent.equals(section)) {
        siblings.add(k);
      }
    }
    if (siblings.isEmpty()) {
      return "; see conf/metarec.conf for the known keys";
    }
    return "; known keys" + (section.isEmpty() ? "" : " under " + section) + ": "
        + String.join(", ", siblings);
  }

  /** The resolved configuration as compact JSON, for recording next to outputs. */
  public String toJson() {
    return raw.root().render(ConfigRenderOptions.concise().setFormatted(true));
  }

  /** A short hash of the resolved configuration of the given sections (all when none given). */
  public String hash(String... sections) {
    StringBuilder sb = new StringBuilder();
    if (sections.length == 0) {
      sb.append(raw.root().render(ConfigRenderOptions.concise()));
    }
    for (String s : sections) {
      sb.append(s).append('=');
      sb.append(raw.hasPath(s) ? raw.getValue(s).render(ConfigRenderOptions.concise()) : "null");
      sb.append('\n');
    }
    return sha256(sb.toString()).substring(0, 16);
  }

  /** Hex SHA-256 of a string. */
  public static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A copy with one key replaced (validated like any other value). */
  public MetaRecConfig with(String key, Object value) {
    Config updated = raw.withValue(key, ConfigValueFactory.fromAnyRef(value));
    return fromResolved(updated);
  }

  /** The keys a user may set, with their default values rendered, sorted. */
  public static Map<String, String> knownKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>();
    Config d = defaults();
    for (Map.Entry<String, ConfigValue> e : d.entrySet()) {
      keys.add(e.getKey());
    }
    keys.sort(null);
    for (String k : keys) {
      out.put(k, d.getValue(k).render(ConfigRenderOptions.concise()));
    }
    return out;
  }
}
