package io.metarec.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The insertion-ordered int → id map behind SparseRows and the ND4J engine's row numbering. */
class IntIndexTest {
  @Test
  void idsFollowFirstInsertionThroughEveryRehash() {
    IntIndex index = new IntIndex();
    SplittableRandom rng = new SplittableRandom(4);
    java.util.Map<Integer, Integer> expected = new java.util.LinkedHashMap<>();
    for (int n = 0; n < 5000; n++) {
      int key = rng.nextInt(3000) * 7919; // repeats, and keys that collide in small tables
      Integer want = expected.computeIfAbsent(key, k -> expected.size());
      assertEquals(want.intValue(), index.idOf(key), "key " + key);
    }
    assertEquals(expected.size(), index.size());
    int id = 0;
    for (int key : expected.keySet()) {
      assertEquals(key, index.key(id), "key of id " + id);
      assertEquals(id, index.find(key));
      id++;
    }
    assertEquals(-1, index.find(-5), "never added");
  }
}
