package io.metarec.serve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a user has done, oldest first: the interactions a model adapts to, and the user's features.
 *
 * <p>For a model of explicit feedback every interaction carries its rating; for implicit feedback
 * an interaction is an event: its label is not read, its count is (1 unless given; {@link
 * Interaction#event(String, double)}). An item's events add up to one event at its last
 * occurrence, weighted {@code log2(1 + count)}, as build-tasks adds and weighs the rows of a
 * (user, item) with {@code input.columns.weight}: one event of count 1 weighs 1, what every
 * event weighs in a model trained without that column. Items the model does not know are ignored
 * and counted ({@link UserState#unknownItems()}); features are mapped through the model's
 * vocabularies, an unknown value or an absent field being the unknown index, as in
 * {@code metarec recommend}.
 *
 * @param interactions the interactions, oldest first (the order the inner loop sees them in)
 * @param userFeatures per user field, the user's values (one for a single-valued field)
 */
public record History(List<Interaction> interactions, Map<String, List<String>> userFeatures) {

  /**
   * One interaction.
   *
   * @param item the item id, as in the training data
   * @param label the rating (explicit feedback); not read for implicit feedback
   * @param count how many times the event happened, finite and {@code > 0}, 1 unless given
   *     (implicit feedback: a count of {@code input.columns.weight}); not read for explicit
   *     feedback
   */
  public record Interaction(String item, float label, float count) {
    public Interaction {
      if (item == null) {
        throw new IllegalArgumentException("an interaction needs an item id, got null");
      }
      if (!(count > 0) || !Float.isFinite(count)) {
        throw new IllegalArgumentException("the count of the event on item " + item
            + " must be finite and > 0, got " + count);
      }
    }

    /** An interaction of count 1: a rating, or an event (whose label is not read). */
    public Interaction(String item, float label) {
      this(item, label, 1f);
    }

    /** A rating of {@code item}. */
    public static Interaction rating(String item, double rating) {
      return new Interaction(item, (float) rating);
    }

    /** An event (implicit feedback: a click, a play, a purchase) on {@code item}. */
    public static Interaction event(String item) {
      return new Interaction(item, 1f);
    }

    /**
     * An event on {@code item} that happened {@code count} times (or lasted {@code count} units),
     * as a count column ({@code input.columns.weight}) gives it; {@code count > 0}.
     */
    public static Interaction event(String item, double count) {
      if (!(count > 0) || !Double.isFinite(count)) {
        throw new IllegalArgumentException("the count of the event on item " + item
            + " must be finite and > 0, got " + count);
      }
      return new Interaction(item, 1f, (float) count);
    }
  }

  public History {
    interactions = List.copyOf(interactions);
    Map<String, List<String>> f = new LinkedHashMap<>();
    userFeatures.forEach((k, v) -> f.put(k, List.copyOf(v)));
    userFeatures = java.util.Collections.unmodifiableMap(f);
  }

  /** No interactions and no features: the meta-initialization's user. */
  public static History empty() {
    return new History(List.of(), Map.of());
  }

  /** The interactions, no features. */
  public static History of(List<Interaction> interactions) {
    return new History(interactions, Map.of());
  }

  /** The interactions, no features. */
  public static History of(Interaction... interactions) {
    return of(Arrays.asList(interactions));
  }

  /** Events on {@code items} (implicit feedback), oldest first. */
  public static History events(String... items) {
    List<Interaction> l = new ArrayList<>();
    for (String i : items) {
      l.add(Interaction.event(i));
    }
    return of(l);
  }

  /** This history with the user's values of {@code field} (replacing any earlier ones). */
  public History withUserFeature(String field, String... values) {
    Map<String, List<String>> f = new LinkedHashMap<>(userFeatures);
    f.put(field, Arrays.asList(values));
    return new History(interactions, f);
  }
}
