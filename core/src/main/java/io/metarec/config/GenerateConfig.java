package io.metarec.config;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * The synthetic interaction log of {@code metarec generate}: a size preset, overridable one
 * dimension at a time, and the strength of the planted structure.
 *
 * @param out output folder ({@code generate.out})
 * @param size preset {@code tiny|small|medium|1m|10m} ({@code generate.size})
 * @param users number of users; 0 = the preset's ({@code generate.users})
 * @param items number of items; 0 = the preset's ({@code generate.items})
 * @param meanInteractions mean interactions per user; 0 = the preset's
 *     ({@code generate.meanInteractions})
 * @param clusters latent taste clusters ({@code generate.clusters}, 1..64)
 * @param latentDim dimension of user tastes and item factors ({@code generate.latentDim}, 1..64)
 * @param noise standard deviation of the rating noise ({@code generate.noise}, [0, 5])
 * @param featureSignal probability that a user feature follows the user's cluster rather than
 *     being drawn at random ({@code generate.featureSignal}, [0, 1])
 * @param partitions output partitions; 0 = from the size ({@code generate.partitions})
 * @param feedback {@code explicit} (interactions with ratings) or {@code implicit} (the same chosen
 *     items as events, no rating column) ({@code generate.feedback}, default {@code input.feedback})
 * @param choiceSharpness how strongly taste decides which items a user picks: an item proposed by
 *     popularity is kept with probability sigmoid(sharpness * (affinity - threshold)); null = auto
 *     ({@link #effectiveChoiceSharpness}) ({@code generate.choiceSharpness}, [0, 50])
 * @param choiceThreshold the affinity at which a proposed item is kept half the time; null = auto
 *     ({@link #effectiveChoiceThreshold}) ({@code generate.choiceThreshold}, [-5, 5])
 */
public record GenerateConfig(
    String out,
    String size,
    int users,
    int items,
    double meanInteractions,
    int clusters,
    int latentDim,
    double noise,
    double featureSignal,
    int partitions,
    String feedback,
    Double choiceSharpness,
    Double choiceThreshold)
    implements Serializable {

  /** The size presets: users, items, mean interactions per user. */
  public static final List<String> SIZES = List.of("tiny", "small", "medium", "1m", "10m");

  /** Validates the ranges. */
  public GenerateConfig {
    size = Checks.oneOf("generate.size", size, SIZES);
    Checks.intAtLeast("generate.users", users, 0);
    Checks.intAtLeast("generate.items", items, 0);
    Checks.doubleIn("generate.meanInteractions", meanInteractions, 0, 100_000);
    Checks.intIn("generate.clusters", clusters, 1, 64);
    Checks.intIn("generate.latentDim", latentDim, 1, 64);
    Checks.doubleIn("generate.noise", noise, 0, 5);
    Checks.doubleIn("generate.featureSignal", featureSignal, 0, 1);
    Checks.intAtLeast("generate.partitions", partitions, 0);
    feedback = Checks.oneOf("generate.feedback", feedback, List.of("explicit", "implicit"));
    if (choiceSharpness != null) {
      Checks.doubleIn("generate.choiceSharpness", choiceSharpness, 0, 50);
    }
    if (choiceThreshold != null) {
      Checks.doubleIn("generate.choiceThreshold", choiceThreshold, -5, 5);
    }
  }

  /**
   * The sharpness of the taste-driven choice in force: the setting, or with auto 2.5 for explicit
   * feedback (the ratings carry the taste; the world every explicit figure was measured on) and 6
   * for implicit feedback, where which items a user picks is the only signal there is.
   */
  public double effectiveChoiceSharpness() {
    return choiceSharpness != null ? choiceSharpness : implicit() ? 6.0 : 2.5;
  }

  /**
   * The choice threshold in force: the setting, or with auto 0 for explicit and 0.5 for implicit
   * feedback (most proposed items are then declined unless the user likes them: the choice is
   * nearly log-linear in the affinity, as the model's logit is).
   */
  public double effectiveChoiceThreshold() {
    return choiceThreshold != null ? choiceThreshold : implicit() ? 0.5 : 0.0;
  }

  /** Whether the interactions are events without ratings. */
  public boolean implicit() {
    return feedback.equals("implicit");
  }

  /** Users in force (the override, else the preset's). */
  public int effectiveUsers() {
    return users > 0 ? users : switch (size.toLowerCase(Locale.ROOT)) {
      case "tiny" -> 200;
      case "small" -> 3_000;
      case "medium" -> 20_000;
      case "1m" -> 12_500;
      default -> 125_000;
    };
  }

  /** Items in force (the override, else the preset's). */
  public int effectiveItems() {
    return items > 0 ? items : switch (size.toLowerCase(Locale.ROOT)) {
      case "tiny" -> 100;
      case "small" -> 1_000;
      case "medium" -> 3_000;
      case "1m" -> 4_000;
      default -> 20_000;
    };
  }

  /** Mean interactions per user in force (the override, else the preset's). */
  public double effectiveMeanInteractions() {
    return meanInteractions > 0 ? meanInteractions : switch (size.toLowerCase(Locale.ROOT)) {
      case "tiny" -> 30;
      case "small" -> 50;
      case "medium" -> 60;
      default -> 80;
    };
  }

  static GenerateConfig from(ConfigReader r) {
    return new GenerateConfig(
        r.getString("generate.out"),
        r.getString("generate.size"),
        r.getInt("generate.users"),
        r.getInt("generate.items"),
        r.getDouble("generate.meanInteractions"),
        r.getInt("generate.clusters"),
        r.getInt("generate.latentDim"),
        r.getDouble("generate.noise"),
        r.getDouble("generate.featureSignal"),
        r.getInt("generate.partitions"),
        r.getString("generate.feedback"),
        r.getDoubleOrAuto("generate.choiceSharpness"),
        r.getDoubleOrAuto("generate.choiceThreshold"));
  }
}
