package io.metarec.serve;

import java.util.List;

/**
 * A top-N list.
 *
 * @param items the best items, best first (ranked by the model's prediction, ties by item index)
 * @param unknownItems interactions of the history with items the model does not know (ignored)
 * @param modelVersion the version of the model that made the list
 */
public record Recommendations(List<ItemScore> items, int unknownItems, String modelVersion) {
  public Recommendations {
    items = List.copyOf(items);
  }
}
