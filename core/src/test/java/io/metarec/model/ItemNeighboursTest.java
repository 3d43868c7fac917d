package io.metarec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Item neighbourhoods: the CSR structure, the item-knn sums and the model's term by hand. */
class ItemNeighboursTest {
  /** Five items: 1 → (2: 0.5, 3: 0.25), 2 → (1: 0.5), 3 → (4: 1.0, 1: 0.25), 4 → none. */
  static ItemNeighbours small() {
    return ItemNeighbours.of(new int[][] {{}, {2, 3}, {1}, {4, 1}, {}},
        new float[][] {{}, {0.5f, 0.25f}, {0.5f}, {1.0f, 0.25f}, {}});
  }

  @Test
  void theSumsCountEachDistinctSupportItemOnce() {
    ItemNeighbours nb = small();
    assertEquals(5, nb.numItems());
    assertEquals(5, nb.size());
    assertArrayEquals(new int[] {4, 1}, nb.neighboursOf(3));
    // Support {3, 1, 3, 0, 9}: item 3 counts once, the unknown 0 and the out-of-range 9 not at all.
    float[] s = nb.score(new int[] {3, 1, 3, 0, 9}, 5, new int[] {1, 2, 3, 4, 0, 7});
    assertArrayEquals(new float[] {0.25f, 0.5f, 0.25f, 1.0f, 0f, 0f}, s);
    // Only the first k rows are the support.
    assertArrayEquals(new float[] {0.25f, 0f, 0f, 1.0f}, nb.score(new int[] {3, 1}, 1,
        new int[] {1, 2, 3, 4}));
  }

  @Test
  void theModelTermAddsWeightOverKTimesTheSum() {
    ItemNeighbours nb = small();
    float[] out = {1f, 2f, 3f, 4f};
    // K = 4 support rows (item 1 twice): scale 2 / 4.
    nb.addModelTerm(2f, new int[] {1, 3, 1, 4}, 4, new int[] {1, 2, 3, 4}, out);
    assertArrayEquals(new float[] {1f + 0.5f * 0.25f, 2f + 0.5f * 0.5f, 3f + 0.5f * 0.25f,
        4f + 0.5f * 1.0f}, out);
    float[] none = {1f, 2f};
    nb.addModelTerm(0f, new int[] {1}, 1, new int[] {2, 3}, none);
    assertArrayEquals(new float[] {1f, 2f}, none, "weight 0 changes nothing");
    assertEquals(0f, ItemNeighbours.termScale(3f, 0));
  }

  @Test
  void sumsAreClearedExactlyWhereTheyWereWritten() {
    ItemNeighbours nb = small();
    int[] distinct = new int[4];
    int n = nb.distinctInto(new int[] {3, 1, 3, 2}, 4, distinct);
    assertEquals(3, n);
    assertArrayEquals(new int[] {1, 2, 3}, java.util.Arrays.copyOf(distinct, n));
    float[] byItem = new float[5];
    nb.sumInto(distinct, n, byItem);
    assertArrayEquals(new float[] {0f, 0.75f, 0.5f, 0.25f, 1.0f}, byItem);
    nb.clear(distinct, n, byItem);
    assertArrayEquals(new float[5], byItem);
  }

  @Test
  void remappingFollowsTheNewVocabularyAndDropsUnknownNeighbours() {
    // New vocabulary of 4: new 1 = old 3, new 2 = old 1, new 3 = a new item; old 2 and 4 are gone.
    ItemNeighbours r = small().remap(new int[] {-1, 3, 1, -1});
    assertEquals(4, r.numItems());
    assertArrayEquals(new int[] {2}, r.neighboursOf(1), "old 3's neighbours 4 (gone) and 1 (= 2)");
    assertArrayEquals(new float[] {0.25f}, r.similaritiesOf(1));
    assertArrayEquals(new int[] {1}, r.neighboursOf(2), "old 1's: 2 (gone) and 3 (= 1)");
    assertEquals(0, r.neighboursOf(3).length);
  }

  @Test
  void malformedStructuresAreRefusedNamingTheEntry() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ItemNeighbours(new int[] {0, 1, 2}, new int[] {1, 2}, new float[] {1f, 1f}));
    assertTrue(e.getMessage().contains("neighbour 1 is item 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new ItemNeighbours(new int[] {0, 2, 1}, new int[] {1}, new float[] {1f}));
    assertThrows(IllegalArgumentException.class,
        () -> new ItemNeighbours(new int[] {0, 1}, new int[] {0}, new float[] {Float.NaN}));
  }
}
