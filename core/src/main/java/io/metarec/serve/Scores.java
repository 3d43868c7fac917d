package io.metarec.serve;

import java.util.List;

/**
 * Scores of requested items.
 *
 * @param items the known requested items with their scores, in request order
 * @param unscored the requested ids the model does not know, in request order
 * @param unknownItems interactions of the history with items the model does not know (ignored)
 * @param modelVersion the version of the model that scored them
 */
public record Scores(List<ItemScore> items, List<String> unscored, int unknownItems,
    String modelVersion) {
  public Scores {
    items = List.copyOf(items);
    unscored = List.copyOf(unscored);
  }
}
