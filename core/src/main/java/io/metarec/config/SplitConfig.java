package io.metarec.config;

import java.io.Serializable;

/**
 * The user-level split. A user's split is a stable function of a salted hash of the user id, so it
 * does not change across nightly runs while new users join.
 *
 * @param validation fraction of users in the validation split ({@code split.validation}, [0, 1))
 * @param test fraction of users in the test split ({@code split.test}, [0, 1))
 * @param salt salt of the user hash ({@code split.salt}); change it to draw a different split
 */
public record SplitConfig(double validation, double test, String salt) implements Serializable {

  /** Validates the fractions; together they must leave some users for training. */
  public SplitConfig {
    Checks.doubleIn("split.validation", validation, 0.0, 1.0);
    Checks.doubleIn("split.test", test, 0.0, 1.0);
    // Cross-field rule: training needs users, so validation + test < 1.
    if (validation + test >= 1.0) {
      throw new ConfigValidationException(
          "split.validation + split.test must be < 1 to leave training users, got "
              + validation + " + " + test);
    }
    Checks.nonBlank("split.salt", salt);
  }

  static SplitConfig from(ConfigReader r) {
    return new SplitConfig(
        r.getDouble("split.validation"), r.getDouble("split.test"), r.getString("split.salt"));
  }
}
