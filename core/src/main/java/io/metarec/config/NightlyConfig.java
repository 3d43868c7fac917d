package io.metarec.config;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Scheduled retraining with a promotion gate ({@code nightly.*}; see {@code conf/metarec.conf}).
 *
 * @param root the model registry folder ({@code nightly.root})
 * @param date the night, {@code yyyy-MM-dd} ({@code nightly.date}); empty until the command sets it
 * @param keep version folders kept, {@code >= 1} ({@code nightly.keep})
 * @param metric the gate's metric, one the evaluation reports ({@code nightly.metric})
 * @param k the support size the gate compares at, one of {@code evaluate.ks} ({@code nightly.k})
 * @param tolerance how much worse than the current model a candidate may be and still be promoted,
 *     in the metric's units, {@code >= 0} ({@code nightly.tolerance})
 */
public record NightlyConfig(String root, String date, int keep, String metric, int k,
    double tolerance) implements Serializable {
  /** Metrics where lower is better; every other one is higher-better. */
  public static final List<String> LOWER_IS_BETTER = List.of("mae", "rmse", "mae_all", "rmse_all");

  public NightlyConfig {
    Checks.intAtLeast("nightly.keep", keep, 1);
    Checks.intAtLeast("nightly.k", k, 0);
    Checks.nonBlank("nightly.metric", metric);
    Checks.doubleIn("nightly.tolerance", tolerance, 0.0, Double.MAX_VALUE);
    if (!date.isEmpty()) {
      try {
        LocalDate.parse(date);
      } catch (DateTimeParseException e) {
        throw new ConfigValidationException("nightly.date must be yyyy-MM-dd, got \"" + date + "\"");
      }
    }
  }

  /** True when a lower value of {@link #metric} is better. */
  public boolean lowerIsBetter() {
    return LOWER_IS_BETTER.contains(metric);
  }

  static NightlyConfig from(ConfigReader r) {
    return new NightlyConfig(r.getString("nightly.root"), r.getString("nightly.date"),
        r.getInt("nightly.keep"), r.getString("nightly.metric"), r.getInt("nightly.k"),
        r.getDouble("nightly.tolerance"));
  }
}
