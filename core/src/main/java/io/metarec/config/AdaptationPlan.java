package io.metarec.config;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * How a model adapts a user with {@code n} interactions: one inner-loop setting, or one per support
 * size as chosen on the validation users ({@code train.selectAdaptation} with {@code
 * train.validationSupports}): a user with {@code n} interactions is adapted with the setting of the
 * largest chosen support size {@code <= n}, or of the smallest when {@code n} is below every one
 * (a user with 15 ratings adapts as the users of 10 were best adapted: the more cautious of the two
 * neighbours).
 *
 * @param supports the support sizes, strictly ascending; empty = one setting for every size
 * @param settings one setting per support size, or exactly one when {@code supports} is empty
 */
public record AdaptationPlan(int[] supports, List<InnerLoopConfig> settings)
    implements Serializable {

  public AdaptationPlan {
    supports = supports.clone();
    settings = List.copyOf(settings);
    if (supports.length == 0 ? settings.size() != 1 : settings.size() != supports.length) {
      throw new IllegalArgumentException("an adaptation plan needs one setting per support size "
          + Arrays.toString(supports) + ", got " + settings.size());
    }
    for (int i = 0; i < supports.length; i++) {
      if (supports[i] < 0 || (i > 0 && supports[i] <= supports[i - 1])) {
        throw new IllegalArgumentException("adaptation support sizes must be ascending and >= 0, "
            + "got " + Arrays.toString(supports));
      }
    }
  }

  /** One setting for every support size. */
  public static AdaptationPlan of(InnerLoopConfig inner) {
    return new AdaptationPlan(new int[0], List.of(inner));
  }

  /** Whether the setting depends on the support size. */
  public boolean perSupport() {
    return supports.length > 0;
  }

  /** The setting for a user with {@code n} interactions in the support. */
  public InnerLoopConfig forSupport(int n) {
    int chosen = 0;
    for (int i = 1; i < supports.length; i++) {
      if (supports[i] <= n) {
        chosen = i;
      }
    }
    return settings.get(chosen);
  }

  /** The setting used for the largest support sizes (the only one without support sizes). */
  public InnerLoopConfig largest() {
    return settings.get(settings.size() - 1);
  }

  /** This plan with {@code f} applied to every setting (e.g. another step count). */
  public AdaptationPlan map(java.util.function.UnaryOperator<InnerLoopConfig> f) {
    return new AdaptationPlan(supports, settings.stream().map(f).toList());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdaptationPlan p && Arrays.equals(supports, p.supports)
        && settings.equals(p.settings);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(supports) + settings.hashCode();
  }

  @Override
  public String toString() {
    if (!perSupport()) {
      return settings.get(0).toString();
    }
    StringBuilder sb = new StringBuilder("AdaptationPlan[");
    for (int i = 0; i < supports.length; i++) {
      sb.append(i == 0 ? "" : "; ").append("K>=").append(supports[i]).append(": ")
          .append(settings.get(i));
    }
    return sb.append(']').toString();
  }
}
