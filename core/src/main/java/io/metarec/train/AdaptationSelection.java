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
 * lrScales} (one candidate for no steps), the trained settings with each factor of {@code
 * priorScales} on the learned prior strength (how far the ridge solve and the user bias's Newton
 * step trust the support), plus no adaptation at all (no steps, no solve: what {@code no-adapt}
 * scores). The trained settings themselves are always a candidate and win ties, so the choice is
 * never worse on the validation users than what training used, and a model whose adaptation hurts
 * them is published with none. With validation at several support sizes ({@code
 * train.validationSupports}) the choice is made per support size as well ({@link
 * Outcome#bySupport}): one user with one rating and one with forty need not trust them alike.
 * Nothing here knows Spark: the caller supplies the validation.
 */
public final class AdaptationSelection {
  /**
   * One candidate and its validation.
   *
   * @param metrics over every support size
   * @param atSupport at each support size of the validation alone (empty without support sizes)
   */
  public record Trial(String label, Map<String, Object> inner, ValidationMetrics metrics,
      List<ValidationMetrics> atSupport) {
    public Trial(String label, Map<String, Object> inner, ValidationMetrics metrics) {
      this(label, inner, metrics, List.of());
    }
  }

  /** The candidate chosen for one support size. */
  public record SupportChoice(int support, Trial chosen) {}

  /**
   * The chosen candidate and every trial, in the order tried.
   *
   * @param chosen the best over every support size
   * @param bySupport the best at each support size of the validation (empty without them)
   */
  public record Outcome(Trial chosen, List<Trial> trials, List<SupportChoice> bySupport) {
    public Outcome(Trial chosen, List<Trial> trials) {
      this(chosen, trials, List.of());
    }

    /**
     * What model.json records as its {@code adaptation}: the chosen inner section, or with
     * choices per support size {@code {"bySupport": [{"support", "label", "inner"}, ...]}}.
     */
    public Map<String, Object> adaptation() {
      if (bySupport.isEmpty()) {
        return chosen.inner();
      }
      List<Map<String, Object>> list = new ArrayList<>();
      for (SupportChoice c : bySupport) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("support", c.support());
        e.put("label", c.chosen().label());
        e.put("inner", c.chosen().inner());
        list.add(e);
      }
      return Map.of("bySupport", list);
    }
  }

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
    return candidates(trained, steps, lrScales, List.of());
  }

  /**
   * The candidates as inner sections: the trained one first (label "trained"), then steps × lr
   * scales, then the trained settings with each prior-strength factor, then "none", each once.
   */
  public static List<Map.Entry<String, Map<String, Object>>> candidates(Map<String, Object> trained,
      List<Integer> steps, List<Double> lrScales, List<Double> priorScales) {
    List<Map.Entry<String, Map<String, Object>>> out = new ArrayList<>();
    add(out, "trained", trained);
    // Step counts and step sizes only matter to groups adapted by SGD steps: not to the exact
    // solve of the user part alone.
    for (int s : sgdSteps(trained) ? steps : List.<Integer>of()) {
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
    double trainedPrior = trained.get("priorScale") instanceof Number n ? n.doubleValue() : 1.0;
    for (double p : priorScales) {
      Map<String, Object> c = deepCopy(trained);
      c.put("priorScale", trainedPrior * p);
      add(out, "prior strength x" + p, c);
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
    return choose(candidates, defaults, direction,
        inner -> new SupportScores(new int[0], validate.apply(inner), List.of()));
  }

  /**
   * Validates every candidate and returns the best by {@code direction} over every support size of
   * the validation and, when it scores several, the best at each ({@link Outcome#bySupport}); the
   * trained settings win ties.
   *
   * @param validate the validation of the trained θ adapted with one inner-loop setting
   */
  public static Outcome selectBySupport(List<Map.Entry<String, Map<String, Object>>> candidates,
      Config defaults, ValidationMetrics.Direction direction,
      Function<InnerLoopConfig, SupportScores> validate) {
    int[][] supports = {null};
    Outcome o = choose(candidates, defaults, direction, inner -> {
      SupportScores sc = validate.apply(inner);
      if (supports[0] != null && !java.util.Arrays.equals(supports[0], sc.supports())) {
        throw new IllegalArgumentException("every candidate must be validated at the same support "
            + "sizes");
      }
      supports[0] = sc.supports();
      return sc;
    });
    if (supports[0] == null || supports[0].length < 2) {
      return o;
    }
    List<SupportChoice> by = new ArrayList<>();
    for (int i = 0; i < supports[0].length; i++) {
      int at = i;
      by.add(new SupportChoice(supports[0][i], best(o.trials(), t -> t.atSupport().get(at),
          direction)));
    }
    return new Outcome(o.chosen(), o.trials(), List.copyOf(by));
  }

  /**
   * Tries the neighbourhood term on top of an outcome: for each distinct chosen candidate (the
   * overall choice and each support size's), the same settings with each of {@code weights} as
   * {@code neighbourWeight}; then per support size, and overall, the best of the earlier choice and
   * every weighted variant. The earlier choice comes first, so it wins ties: the term is only
   * taken where it lifts the validation users' metric.
   *
   * @param weights the weights tried (each > 0; empty: {@code o} is returned as it is)
   */
  public static Outcome withNeighbourWeights(Outcome o, List<Double> weights, Config defaults,
      ValidationMetrics.Direction direction, Function<InnerLoopConfig, SupportScores> validate) {
    if (weights.isEmpty()) {
      return o;
    }
    List<Trial> bases = new ArrayList<>();
    bases.add(o.chosen());
    for (SupportChoice c : o.bySupport()) {
      if (bases.stream().noneMatch(b -> b == c.chosen())) {
        bases.add(c.chosen());
      }
    }
    List<Trial> variants = new ArrayList<>();
    for (Trial b : bases) {
      for (double w : weights) {
        Map<String, Object> c = deepCopy(b.inner());
        c.put("neighbourWeight", w);
        SupportScores sc = validate.apply(parse(c, defaults));
        variants.add(new Trial(b.label() + ", neighbour weight " + w, c, sc.all(),
            sc.atSupport()));
      }
    }
    List<Trial> trials = new ArrayList<>(o.trials());
    trials.addAll(variants);
    Trial chosen = best(firstThen(o.chosen(), variants), Trial::metrics, direction);
    List<SupportChoice> by = new ArrayList<>();
    for (int i = 0; i < o.bySupport().size(); i++) {
      int at = i;
      SupportChoice c = o.bySupport().get(i);
      by.add(new SupportChoice(c.support(), best(firstThen(c.chosen(), variants),
          t -> t.atSupport().get(at), direction)));
    }
    return new Outcome(chosen, List.copyOf(trials), List.copyOf(by));
  }

  private static List<Trial> firstThen(Trial first, List<Trial> rest) {
    List<Trial> out = new ArrayList<>(rest.size() + 1);
    out.add(first);
    out.addAll(rest);
    return out;
  }

  /**
   * One candidate's validation: over every support size and at each.
   *
   * @param supports the support sizes (empty: each task's own split)
   * @param all the metrics over every support size
   * @param atSupport the metrics at each support size (empty without them)
   */
  public record SupportScores(int[] supports, ValidationMetrics all,
      List<ValidationMetrics> atSupport) {
    public SupportScores {
      supports = supports.clone();
      atSupport = List.copyOf(atSupport);
      if (atSupport.size() != supports.length) {
        throw new IllegalArgumentException("one metric per support size");
      }
    }

    /** The scores of merged validation sums. */
    public static SupportScores of(ValidationAccumulator acc) {
      int[] ks = acc.supports();
      List<ValidationMetrics> at = new ArrayList<>();
      for (int i = 0; i < ks.length; i++) {
        at.add(acc.metricsAt(i));
      }
      return new SupportScores(ks, acc.metrics(), at);
    }
  }

  private static Outcome choose(List<Map.Entry<String, Map<String, Object>>> candidates,
      Config defaults, ValidationMetrics.Direction direction,
      Function<InnerLoopConfig, SupportScores> score) {
    List<Trial> trials = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> c : candidates) {
      SupportScores sc = score.apply(parse(c.getValue(), defaults));
      trials.add(new Trial(c.getKey(), c.getValue(), sc.all(), sc.atSupport()));
    }
    return new Outcome(best(trials, Trial::metrics, direction), List.copyOf(trials));
  }

  /**
   * The trial whose {@code metric} is best in {@code direction}, the first of equals (the trained
   * settings come first, so they win ties); the first trial when every metric is undefined.
   */
  private static Trial best(List<Trial> trials, Function<Trial, ValidationMetrics> metric,
      ValidationMetrics.Direction direction) {
    Trial best = null;
    for (Trial t : trials) {
      ValidationMetrics m = metric.apply(t);
      if (best == null ? !Double.isNaN(m.primary()) : m.improvesOn(metric.apply(best), direction)) {
        best = t;
      }
    }
    return best != null ? best : trials.get(0);
  }

  /**
   * The inner-loop settings of an inner section, each missing key from {@code defaults}: the parse
   * {@code model.json}'s readers use ({@link InnerLoopConfig#fromSection}), so what is validated here
   * is what evaluate, recommend and serve adapt with.
   */
  public static InnerLoopConfig parse(Map<String, Object> inner, Config defaults) {
    return InnerLoopConfig.fromSection(inner, defaults);
  }

  /** Whether the inner section adapts anything by SGD steps (else steps and step sizes are moot). */
  private static boolean sgdSteps(Map<String, Object> inner) {
    Object adapt = inner.get("adapt");
    List<String> groups = adapt instanceof List<?> l
        ? l.stream().map(x -> String.valueOf(x).trim().toLowerCase(java.util.Locale.ROOT)).toList()
        : List.of("decision", "user");
    boolean ridge = "ridge".equalsIgnoreCase(String.valueOf(inner.get("userSolver")));
    return groups.contains("all") || groups.contains("decision") || groups.contains("embedding")
        || (groups.contains("user") && !ridge);
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
