package io.metarec.train;

import com.typesafe.config.Config;
import io.metarec.config.InnerLoopConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses, after training, the inner-loop settings a model is adapted with (model.json's {@code
 * adaptation}): every candidate adapts the trained θ on the validation users and is scored as a
 * validation is, and the best primary metric wins. The candidates are the trained settings with
 * each inner step count of {@code steps} and each scale of every inner step size in {@code
 * lrScales} (one candidate for no steps), plus no adaptation at all (no steps, no solve: what {@code no-adapt} scores). The
 * trained settings themselves are always a candidate and win ties, so the choice is never worse on
 * the validation users than what training used, and a model whose adaptation hurts them is
 * published with none. Nothing here knows Spark: the caller supplies the validation.
 */
public final class AdaptationSelection {
  /** One candidate and its validation. */
  public record Trial(String label, Map<String, Object> inner, ValidationMetrics metrics) {}

  /** The chosen candidate and every trial, in the order tried. */
  public record Outcome(Trial chosen, List<Trial> trials) {}

  private AdaptationSelection() {
  }

  /**
   * The candidates as inner sections: the trained one first (label "trained"), then steps × lr
   * scales, then "none", each once (a candidate equal to an earlier one is left out).
   *
   * @param trained the resolved {@code inner} section training used (nested maps)
   */
  public static List<Map.Entry<String, Map<String, Object>>> candidates(Map<String, Object> trained,
      List<Integer> steps, List<Double> lrScales) {
    List<Map.Entry<String, Map<String, Object>>> out = new ArrayList<>();
    add(out, "trained", trained);
    for (int s : steps) {
      // No steps: the step sizes do not matter, one candidate.
      for (double scale : s == 0 ? List.of(1.0) : lrScales) {
        Map<String, Object> c = deepCopy(trained);
        c.put("steps", s);
        @SuppressWarnings("unchecked")
        Map<String, Object> lr = (Map<String, Object>) c.get("lr");
        if (lr != null) {
          lr.replaceAll((k, v) -> v instanceof Number n ? n.doubleValue() * scale : v);
        }
        add(out, s == 0 ? "steps 0" : "steps " + s + ", step sizes x" + scale, c);
      }
    }
    Map<String, Object> none = deepCopy(trained);
    none.put("steps", 0);
    none.put("userSolver", "sgd");
    add(out, "none (no adaptation)", none);
    return out;
  }

  /**
   * Validates every candidate and returns the best by {@code direction}; the trained settings win
   * ties.
   *
   * @param defaults the defaults' {@code inner} section, under each candidate's keys
   * @param validate the validation of the trained θ adapted with one inner-loop setting
   */
  public static Outcome select(List<Map.Entry<String, Map<String, Object>>> candidates,
      Config defaults, ValidationMetrics.Direction direction,
      Function<InnerLoopConfig, ValidationMetrics> validate) {
    List<Trial> trials = new ArrayList<>();
    Trial best = null;
    for (Map.Entry<String, Map<String, Object>> c : candidates) {
      InnerLoopConfig inner = parse(c.getValue(), defaults);
      Trial t = new Trial(c.getKey(), c.getValue(), validate.apply(inner));
      trials.add(t);
      if (best == null ? !Double.isNaN(t.metrics().primary())
          : t.metrics().improvesOn(best.metrics(), direction)) {
        best = t;
      }
    }
    return new Outcome(best != null ? best : trials.get(0), List.copyOf(trials));
  }

  /**
   * The inner-loop settings of an inner section, each missing key from {@code defaults}: the parse
   * {@code model.json}'s readers use ({@link InnerLoopConfig#fromSection}), so what is validated here
   * is what evaluate, recommend and serve adapt with.
   */
  public static InnerLoopConfig parse(Map<String, Object> inner, Config defaults) {
    return InnerLoopConfig.fromSection(inner, defaults);
  }

  private static void add(List<Map.Entry<String, Map<String, Object>>> out, String label,
      Map<String, Object> c) {
    for (Map.Entry<String, Map<String, Object>> e : out) {
      if (canonical(e.getValue()).equals(canonical(c))) {
        return;
      }
    }
    out.add(Map.entry(label, c));
  }

  /** The value with every number as a double, so that 5, 5L and 5.0 compare equal. */
  private static Object canonical(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new java.util.TreeMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), canonical(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      return l.stream().map(AdaptationSelection::canonical).toList();
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<String, Object> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> sub
        ? deepCopy((Map<String, Object>) sub) : v));
    return out;
  }
}
