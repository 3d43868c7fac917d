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
 *
 * <p>A few hundred validation users are a noisy judge: the best of forty candidates by mean is
 * often best by chance, and a model adapted with it can lose to no adaptation on new users. With
 * {@code minGainStdErrors = z > 0} a candidate is only taken over adapting nothing when it beats
 * it user by user: the mean of the paired per-user differences of the primary metric must exceed
 * {@code z} standard errors of that mean (with {@code z = 1}, the one-standard-error rule of
 * model selection); otherwise the best of those that do, or no adaptation, is chosen. The
 * neighbourhood term is held to such a rule of its own against the choice it is added to
 * ({@link #withNeighbourWeights(Outcome, List, Config, ValidationMetrics.Direction, Function,
 * double)}).
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
      List<ValidationMetrics> atSupport, ValidationAccumulator.PerTask perTask) {
    public Trial(String label, Map<String, Object> inner, ValidationMetrics metrics) {
      this(label, inner, metrics, List.of(), null);
    }

    public Trial(String label, Map<String, Object> inner, ValidationMetrics metrics,
        List<ValidationMetrics> atSupport) {
      this(label, inner, metrics, atSupport, null);
    }

    /** Per-task scores at support slot {@code slot} (-1: the mean over them); null if unknown. */
    double[] scoresAt(int slot) {
      if (perTask == null) {
        return null;
      }
      return slot < 0 ? perTask.meanOverSupports() : perTask.scores()[slot];
    }
  }

  /**
   * The paired per-user gain of one candidate over another, in the better direction.
   *
   * @param mean mean over the users both scored of (candidate - reference), sign-flipped for a
   *     metric where lower is better
   * @param standardError its standard error (sample standard deviation / sqrt(users))
   * @param users users both scored
   */
  public record Gain(double mean, double standardError, int users) {
    /** Whether the gain is positive and more than {@code z} standard errors. */
    public boolean exceeds(double z) {
      return users >= 2 && mean > 0 && mean > z * standardError;
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%+.4f ± %.4f (paired SE, %d users)", mean,
          standardError, users);
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
    return candidates(trained, steps, lrScales, priorScales, List.of());
  }

  /**
   * The candidates as inner sections: the trained one first (label "trained"), then steps × lr
   * scales, then the trained settings with each prior-strength factor, then (implicit feedback)
   * with each factor of {@code foldInScales} on the fold-in's gain
   * ({@code inner.implicit.foldInScale}), then "none", each once.
   */
  public static List<Map.Entry<String, Map<String, Object>>> candidates(Map<String, Object> trained,
      List<Integer> steps, List<Double> lrScales, List<Double> priorScales,
      List<Double> foldInScales) {
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
    if (trained.get("implicit") instanceof Map<?, ?>) {
      for (double g : foldInScales) {
        add(out, new Point(trainedSteps(trained), 1, 1, g).entry(trained));
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
    return choose(candidates, defaults, direction, 0,
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
    return selectBySupport(candidates, defaults, direction, validate, 0);
  }

  /**
   * As {@link #selectBySupport(List, Config, ValidationMetrics.Direction, Function)}, a candidate
   * taken over no adaptation only where its paired per-user gain exceeds {@code minGainStdErrors}
   * standard errors (0: wherever its mean is better).
   */
  public static Outcome selectBySupport(List<Map.Entry<String, Map<String, Object>>> candidates,
      Config defaults, ValidationMetrics.Direction direction,
      Function<InnerLoopConfig, SupportScores> validate, double minGainStdErrors) {
    int[][] supports = {null};
    Outcome o = choose(candidates, defaults, direction, minGainStdErrors, inner -> {
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
    Trial none = noAdaptation(o.trials());
    for (int i = 0; i < supports[0].length; i++) {
      int at = i;
      by.add(new SupportChoice(supports[0][i], best(o.trials(), t -> t.atSupport().get(at),
          direction, none, at, minGainStdErrors)));
    }
    return new Outcome(o.chosen(), o.trials(), List.copyOf(by));
  }

  /**
   * Widens the grid where a choice lies on its edge: a grid of hand-set values cannot know how far
   * a data set's users should move (on MovieLens-100K in random order every support size chose the
   * most steps at the largest step size tried). For each choice of {@code o} (overall and per
   * support size) that took the largest step count tried, the largest step-size scale tried, the
   * largest or smallest prior-strength factor tried, or the largest fold-in gain tried, the same
   * settings with twice the steps, twice the step sizes (both when both are at the edge), four
   * times (a quarter of) the prior strength, or twice the gain are validated. A widened candidate
   * replaces a choice only where its paired per-user gain over that choice exceeds {@code
   * widenMinGainStdErrors} standard errors (any gain of the mean when 0, or without per-task
   * scores): the farther a value lies from the listed ones, the more often it wins by chance on a
   * few hundred users, and on MovieLens-100K in time order the best mean chose 80 steps at 8 times
   * the step size on a gain within its noise, which lost on the test users. This repeats for at
   * most {@code rounds} rounds, and stops once no choice moves.
   *
   * @param trained the trained inner section (the base of every candidate)
   * @param widenMinGainStdErrors the paired standard errors a widened candidate must beat the
   *     choice it would replace by ({@code >= 0})
   * @param rounds the most widenings (0: {@code o} is returned as it is)
   */
  public static Outcome widen(Outcome o, Map<String, Object> trained, Config defaults,
      ValidationMetrics.Direction direction, Function<InnerLoopConfig, SupportScores> validate,
      double widenMinGainStdErrors, int rounds) {
    List<Trial> trials = new ArrayList<>(o.trials());
    Outcome cur = o;
    int[] supports = null;
    for (int round = 0; round < rounds; round++) {
      Grid grid = Grid.of(trials, trained);
      List<Map.Entry<String, Map<String, Object>>> tried = new ArrayList<>();
      for (Trial t : trials) {
        tried.add(Map.entry(t.label(), t.inner()));
      }
      int before = tried.size();
      List<Trial> choices = new ArrayList<>();
      choices.add(cur.chosen());
      cur.bySupport().forEach(c -> choices.add(c.chosen()));
      for (Trial c : choices) {
        Point p = Point.of(c, trained);
        if (p == null) {
          continue;
        }
        boolean stepsEdge = p.steps > 0 && p.steps == grid.maxSteps;
        boolean lrEdge = p.steps > 0 && same(p.lrScale, grid.maxLrScale);
        if (stepsEdge) {
          add(tried, widened(p.with(2 * p.steps, p.lrScale, p.priorScale).entry(trained)));
        }
        if (lrEdge) {
          add(tried, widened(p.with(p.steps, 2 * p.lrScale, p.priorScale).entry(trained)));
        }
        if (stepsEdge && lrEdge) {
          add(tried, widened(p.with(2 * p.steps, 2 * p.lrScale, p.priorScale).entry(trained)));
        }
        if (grid.maxPrior > 1 && same(p.priorScale, grid.maxPrior)) {
          add(tried, widened(p.with(p.steps, p.lrScale, 4 * p.priorScale).entry(trained)));
        }
        if (grid.minPrior < 1 && same(p.priorScale, grid.minPrior)) {
          add(tried, widened(p.with(p.steps, p.lrScale, p.priorScale / 4).entry(trained)));
        }
        if (grid.maxFoldIn > 1 && same(p.foldIn, grid.maxFoldIn)) {
          add(tried, widened(new Point(p.steps, p.lrScale, p.priorScale, 2 * p.foldIn)
              .entry(trained)));
        }
      }
      if (tried.size() == before) {
        break;
      }
      for (Map.Entry<String, Map<String, Object>> e : tried.subList(before, tried.size())) {
        SupportScores sc = validate.apply(parse(e.getValue(), defaults));
        if (supports != null && !java.util.Arrays.equals(supports, sc.supports())) {
          throw new IllegalArgumentException("every candidate must be validated at the same "
              + "support sizes");
        }
        supports = sc.supports();
        trials.add(new Trial(e.getKey(), e.getValue(), sc.all(), sc.atSupport(), sc.perTask()));
      }
      List<Trial> wider = new ArrayList<>();
      for (Trial t : trials) {
        if (t.label().endsWith(" (widened)")) {
          wider.add(t);
        }
      }
      Trial chosen = best(firstThen(cur.chosen(), wider), Trial::metrics, direction, cur.chosen(),
          -1, widenMinGainStdErrors);
      List<SupportChoice> by = new ArrayList<>();
      for (int i = 0; i < cur.bySupport().size(); i++) {
        int at = i;
        SupportChoice c = cur.bySupport().get(i);
        by.add(new SupportChoice(c.support(), best(firstThen(c.chosen(), wider),
            t -> t.atSupport().get(at), direction, c.chosen(), at, widenMinGainStdErrors)));
      }
      Outcome next = new Outcome(chosen, List.copyOf(trials), List.copyOf(by));
      boolean moved = next.chosen() != cur.chosen();
      for (int i = 0; i < by.size(); i++) {
        moved |= by.get(i).chosen() != cur.bySupport().get(i).chosen();
      }
      cur = next;
      if (!moved) {
        break;
      }
    }
    return cur;
  }

  private static Map.Entry<String, Map<String, Object>> widened(
      Map.Entry<String, Map<String, Object>> e) {
    return Map.entry(e.getKey() + " (widened)", e.getValue());
  }

  /** Whether two grid values are the same (they are products of the same few factors). */
  private static boolean same(double a, double b) {
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }

  /** The edges of the grid tried so far: the largest step count and scales, the smallest prior. */
  private record Grid(int maxSteps, double maxLrScale, double maxPrior, double minPrior,
      double maxFoldIn) {
    static Grid of(List<Trial> trials, Map<String, Object> trained) {
      int maxSteps = 0;
      double maxLr = 0;
      double maxPrior = 1;
      double minPrior = 1;
      double maxFoldIn = 1;
      for (Trial t : trials) {
        Point p = Point.of(t, trained);
        if (p == null) {
          continue;
        }
        maxSteps = Math.max(maxSteps, p.steps);
        if (p.steps > 0) {
          maxLr = Math.max(maxLr, p.lrScale);
        }
        maxPrior = Math.max(maxPrior, p.priorScale);
        minPrior = Math.min(minPrior, p.priorScale);
        maxFoldIn = Math.max(maxFoldIn, p.foldIn);
      }
      return new Grid(maxSteps, maxLr, maxPrior, minPrior, maxFoldIn);
    }
  }

  /**
   * Where a candidate lies relative to the trained settings: its step count, the scale of its step
   * sizes, the factor on its prior strength and the factor on its fold-in gain (1 for explicit
   * feedback).
   */
  private record Point(int steps, double lrScale, double priorScale, double foldIn) {
    /** The point of {@code t}, or null for no adaptation and for the neighbourhood variants. */
    static Point of(Trial t, Map<String, Object> trained) {
      Map<String, Object> in = t.inner();
      if (!java.util.Objects.equals(canonical(in.get("neighbourWeight")),
          canonical(trained.get("neighbourWeight")))) {
        return null;
      }
      if ("sgd".equalsIgnoreCase(String.valueOf(in.get("userSolver")))
          && !"sgd".equalsIgnoreCase(String.valueOf(trained.get("userSolver")))) {
        return null;
      }
      int steps = in.get("steps") instanceof Number n ? n.intValue() : 0;
      double lrScale = 1;
      if (in.get("lr") instanceof Map<?, ?> lr && trained.get("lr") instanceof Map<?, ?> base) {
        for (Map.Entry<?, ?> e : base.entrySet()) {
          if (e.getValue() instanceof Number b && b.doubleValue() > 0
              && lr.get(e.getKey()) instanceof Number v) {
            lrScale = v.doubleValue() / b.doubleValue();
            break;
          }
        }
      }
      double base = trained.get("priorScale") instanceof Number n ? n.doubleValue() : 1.0;
      double prior = in.get("priorScale") instanceof Number n ? n.doubleValue() / base : 1.0;
      return new Point(steps, lrScale, prior, foldInScale(in) / foldInScale(trained));
    }

    Point with(int s, double lr, double prior) {
      return new Point(s, lr, prior, foldIn);
    }

    /** The candidate at this point: the trained settings with its steps and scales. */
    Map.Entry<String, Map<String, Object>> entry(Map<String, Object> trained) {
      Map<String, Object> c = deepCopy(trained);
      c.put("steps", steps);
      @SuppressWarnings("unchecked")
      Map<String, Object> lr = (Map<String, Object>) c.get("lr");
      if (lr != null) {
        lr.replaceAll((k, v) -> v instanceof Number n ? n.doubleValue() * lrScale : v);
      }
      double base = trained.get("priorScale") instanceof Number n ? n.doubleValue() : 1.0;
      c.put("priorScale", base * priorScale);
      if (c.get("implicit") instanceof Map<?, ?> imp) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) imp;
        m.put("foldInScale", foldInScale(trained) * foldIn);
      }
      List<String> parts = new ArrayList<>();
      if (steps != trainedSteps(trained) || !same(lrScale, 1)) {
        parts.add("steps " + steps + (steps == 0 ? "" : ", step sizes x" + lrScale));
      }
      if (!same(priorScale, 1)) {
        parts.add("prior strength x" + priorScale);
      }
      if (!same(foldIn, 1)) {
        parts.add("fold-in gain x" + foldIn);
      }
      return Map.entry(parts.isEmpty() ? "trained" : String.join(", ", parts), c);
    }
  }

  private static int trainedSteps(Map<String, Object> trained) {
    return trained.get("steps") instanceof Number n ? n.intValue() : 0;
  }

  /** An inner section's fold-in gain ({@code implicit.foldInScale}; 1 where it has none). */
  private static double foldInScale(Map<String, Object> inner) {
    return inner.get("implicit") instanceof Map<?, ?> imp
        && imp.get("foldInScale") instanceof Number n ? n.doubleValue() : 1.0;
  }

  /** The trial that adapts nothing (no steps, no solve), or null when there is none. */
  public static Trial noAdaptation(List<Trial> trials) {
    for (Trial t : trials) {
      Object steps = t.inner().get("steps");
      if (steps instanceof Number n && n.intValue() == 0
          && "sgd".equalsIgnoreCase(String.valueOf(t.inner().get("userSolver")))) {
        return t;
      }
    }
    return null;
  }

  /**
   * The paired per-user gain of {@code t} over {@code reference} at support slot {@code slot} (-1:
   * over every support size), or null when either lacks per-task scores.
   */
  public static Gain gain(Trial t, Trial reference, int slot,
      ValidationMetrics.Direction direction) {
    double[] a = t.scoresAt(slot);
    double[] b = reference.scoresAt(slot);
    if (a == null || b == null) {
      return null;
    }
    long[] ia = t.perTask().taskIds();
    long[] ib = reference.perTask().taskIds();
    double sign = direction == ValidationMetrics.Direction.HIGHER ? 1 : -1;
    // The tasks both scored (ids ascending in both): Welford's running mean and variance.
    int n = 0;
    double mean = 0;
    double m2 = 0;
    for (int x = 0, y = 0; x < ia.length && y < ib.length; ) {
      if (ia[x] < ib[y]) {
        x++;
      } else if (ia[x] > ib[y]) {
        y++;
      } else {
        double d = sign * (a[x] - b[y]);
        if (!Double.isNaN(d)) {
          n++;
          double delta = d - mean;
          mean += delta / n;
          m2 += delta * (d - mean);
        }
        x++;
        y++;
      }
    }
    double se = n >= 2 ? Math.sqrt(m2 / (n - 1) / n) : Double.NaN;
    return new Gain(n == 0 ? Double.NaN : mean, se, n);
  }

  /**
   * Tries the neighbourhood term on top of an outcome: for each distinct chosen candidate (the
   * overall choice and each support size's), the same settings with each of {@code weights} as
   * {@code neighbourWeight}; then per support size, and overall, the best of the earlier choice and
   * its own weighted variants. The earlier choice comes first, so it wins ties: the term is only
   * taken where it lifts the validation users' metric.
   *
   * <p>Only a choice's own variants compete for its support size: taking the best variant of any
   * support size's choice there would pick among several times as many candidates on the same few
   * users, and the best of more noisy means is more often best by chance. Measured on validation
   * users alone (in each of 400 random halves of them one half choosing, the other scoring; two
   * implicit data sets, three seeds, five support sizes: BENCHMARKS.md), the own-variant choice
   * scored at least as well as the any-variant one in 25 of the 30 cases, by a little on average.
   *
   * @param weights the weights tried (each > 0; empty: {@code o} is returned as it is)
   */
  public static Outcome withNeighbourWeights(Outcome o, List<Double> weights, Config defaults,
      ValidationMetrics.Direction direction, Function<InnerLoopConfig, SupportScores> validate) {
    return withNeighbourWeights(o, weights, defaults, direction, validate, 0);
  }

  /**
   * As {@link #withNeighbourWeights(Outcome, List, Config, ValidationMetrics.Direction,
   * Function)}, a weighted variant taken over the earlier choice only where its paired per-user
   * gain exceeds {@code minGainStdErrors} standard errors.
   */
  public static Outcome withNeighbourWeights(Outcome o, List<Double> weights, Config defaults,
      ValidationMetrics.Direction direction, Function<InnerLoopConfig, SupportScores> validate,
      double minGainStdErrors) {
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
    // Each base's weighted variants, by identity: a base chosen at several sizes is tried once.
    Map<Trial, List<Trial>> variantsOf = new java.util.IdentityHashMap<>();
    List<Trial> trials = new ArrayList<>(o.trials());
    for (Trial b : bases) {
      List<Trial> own = new ArrayList<>();
      for (double w : weights) {
        Map<String, Object> c = deepCopy(b.inner());
        c.put("neighbourWeight", w);
        SupportScores sc = validate.apply(parse(c, defaults));
        own.add(new Trial(b.label() + ", neighbour weight " + w, c, sc.all(),
            sc.atSupport(), sc.perTask()));
      }
      variantsOf.put(b, own);
      trials.addAll(own);
    }
    Trial chosen = best(firstThen(o.chosen(), variantsOf.get(o.chosen())), Trial::metrics,
        direction, o.chosen(), -1, minGainStdErrors);
    List<SupportChoice> by = new ArrayList<>();
    for (int i = 0; i < o.bySupport().size(); i++) {
      int at = i;
      SupportChoice c = o.bySupport().get(i);
      by.add(new SupportChoice(c.support(), best(firstThen(c.chosen(),
          variantsOf.get(c.chosen())), t -> t.atSupport().get(at), direction, c.chosen(), at,
          minGainStdErrors)));
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
      List<ValidationMetrics> atSupport, ValidationAccumulator.PerTask perTask) {
    public SupportScores {
      supports = supports.clone();
      atSupport = List.copyOf(atSupport);
      if (atSupport.size() != supports.length) {
        throw new IllegalArgumentException("one metric per support size");
      }
    }

    /** Scores without per-task values (no paired comparison). */
    public SupportScores(int[] supports, ValidationMetrics all, List<ValidationMetrics> atSupport) {
      this(supports, all, atSupport, null);
    }

    /** The scores of merged validation sums. */
    public static SupportScores of(ValidationAccumulator acc) {
      int[] ks = acc.supports();
      List<ValidationMetrics> at = new ArrayList<>();
      for (int i = 0; i < ks.length; i++) {
        at.add(acc.metricsAt(i));
      }
      return new SupportScores(ks, acc.metrics(), at, acc.perTask());
    }
  }

  private static Outcome choose(List<Map.Entry<String, Map<String, Object>>> candidates,
      Config defaults, ValidationMetrics.Direction direction, double minGainStdErrors,
      Function<InnerLoopConfig, SupportScores> score) {
    List<Trial> trials = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> c : candidates) {
      SupportScores sc = score.apply(parse(c.getValue(), defaults));
      trials.add(new Trial(c.getKey(), c.getValue(), sc.all(), sc.atSupport(), sc.perTask()));
    }
    return new Outcome(best(trials, Trial::metrics, direction, noAdaptation(trials), -1,
        minGainStdErrors), List.copyOf(trials));
  }

  /**
   * The best trial by {@code metric} among {@code reference} and those whose paired gain over it
   * at {@code slot} exceeds {@code z} standard errors (every trial when {@code z <= 0}, there is no
   * reference, or a trial lacks per-task scores); ties to the first.
   */
  private static Trial best(List<Trial> trials, Function<Trial, ValidationMetrics> metric,
      ValidationMetrics.Direction direction, Trial reference, int slot, double z) {
    Trial plain = best(trials, metric, direction);
    if (z <= 0 || reference == null || plain == reference) {
      return plain;
    }
    List<Trial> eligible = new ArrayList<>();
    for (Trial t : trials) {
      if (t == reference) {
        eligible.add(t);
        continue;
      }
      Gain g = gain(t, reference, slot, direction);
      if (g == null) {
        return plain;
      }
      if (g.exceeds(z)) {
        eligible.add(t);
      }
    }
    return best(eligible, metric, direction);
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

  private static void add(List<Map.Entry<String, Map<String, Object>>> out,
      Map.Entry<String, Map<String, Object>> candidate) {
    add(out, candidate.getKey(), candidate.getValue());
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
