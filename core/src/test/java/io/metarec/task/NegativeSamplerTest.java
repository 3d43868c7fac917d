package io.metarec.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Negatives are never the task's own items, follow their distribution and repeat per stream. */
class NegativeSamplerTest {
  private static final int[] OWN = {2, 3, 3, 7};

  private static int[] draw(NegativeSampler s, long seed, int count) {
    int[] out = new int[count];
    s.sampleInto(TaskRandom.stream(seed, 4, 99, 1), OWN, OWN.length, out, 0, count);
    return out;
  }

  @Test
  void neverAnOwnItemNorIndexZeroAndTheSameForTheSameStream() {
    long[] counts = {0, 50, 40, 30, 1, 1, 1, 5, 0, 0};
    for (NegativeSampler s : new NegativeSampler[] {NegativeSampler.uniform(10),
        NegativeSampler.popularity(counts, 0.75)}) {
      int[] a = draw(s, 1, 5000);
      for (int item : a) {
        assertTrue(item >= 1 && item < 10 && item != 2 && item != 3 && item != 7, "drew " + item);
      }
      assertArrayEquals(a, draw(s, 1, 5000));
      assertTrue(!Arrays.equals(a, draw(s, 2, 5000)), "another stream, other draws");
    }
  }

  @Test
  void popularityDrawsInProportionToCountsToTheExponent() {
    long[] counts = {0, 99, 0, 0, 0, 0, 0, 0, 0, 0};
    int[] a = draw(NegativeSampler.popularity(counts, 1.0), 3, 20000);
    long ones = Arrays.stream(a).filter(i -> i == 1).count();
    // Weights (count + 1): item 1 → 100, the other five allowed items (4, 5, 6, 8, 9) → 1 each.
    assertEquals(100.0 / 105, ones / 20000.0, 0.01);
    int[] flat = draw(NegativeSampler.popularity(counts, 0.0), 3, 20000);
    long flatOnes = Arrays.stream(flat).filter(i -> i == 1).count();
    assertEquals(1.0 / 6, flatOnes / 20000.0, 0.01, "exponent 0 is uniform over the six allowed");
  }

  @Test
  void aTaskHoldingAlmostEveryItemStillGetsTheRest() {
    int[] own = {1, 2, 3, 4, 5, 6, 7, 8};
    int[] out = new int[50];
    NegativeSampler.uniform(10).sampleInto(TaskRandom.stream(1, 1, 1, 1), own, own.length, out, 0,
        50);
    assertTrue(Arrays.stream(out).allMatch(i -> i == 9), Arrays.toString(out));
    assertEquals(0, NegativeSampler.uniform(10).available(9));
  }
}
