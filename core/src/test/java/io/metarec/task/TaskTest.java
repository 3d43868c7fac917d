package io.metarec.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Task validation, re-splitting and the item feature table. */
class TaskTest {
  private static Task task(int n, int support) {
    int[] items = new int[n];
    float[] labels = new float[n];
    for (int r = 0; r < n; r++) {
      items[r] = 10 + r;
      labels[r] = r;
    }
    return new Task(7, items, labels, support, new int[][] {{1}, {}});
  }

  @Test
  void constructorRejectsBadInputWithTheValueInTheMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Task(1, new int[] {1, 2}, new float[] {1f, 2f}, 3, new int[0][]));
    assertTrue(e.getMessage().contains("supportSize must be in [0, 2], got 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Task(1, new int[] {-4}, new float[] {1f}, 0, new int[0][]));
    assertTrue(e.getMessage().contains("items[0] must be >= 0, got -4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Task(1, new int[] {1}, new float[] {1f, 2f}, 0, new int[0][]));
    assertTrue(e.getMessage().contains("labels.length must equal items.length (1), got 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Task(1, new int[] {1}, new float[] {Float.NaN}, 0, new int[0][]));
    assertTrue(e.getMessage().contains("labels[0] must be finite"), e.getMessage());
  }

  @Test
  void withSplitSharesRowsAndMovesTheBoundary() {
    Task t = task(6, 2);
    Task u = t.withSplit(4);
    assertSame(t.items(), u.items());
    assertEquals(4, u.supportSize());
    assertEquals(2, u.querySize());
    assertSame(t, t.withSplit(2));
    assertThrows(IllegalArgumentException.class, () -> t.withSplit(7));
  }

  @Test
  void resplitIsDeterministicKeepsRowsAndOrderAndDrawsSizesInRange() {
    Task t = task(12, 3);
    Set<Integer> sizes = new HashSet<>();
    for (long it = 0; it < 50; it++) {
      Task a = TaskSplitter.resplit(t, 42, it, 2, 6);
      Task b = TaskSplitter.resplit(t, 42, it, 2, 6);
      assertEquals(a, b);
      assertTrue(a.supportSize() >= 2 && a.supportSize() <= 6, "support " + a.supportSize());
      sizes.add(a.supportSize());
      int[] sorted = a.items().clone();
      Arrays.sort(sorted);
      assertArrayEquals(t.items(), sorted);
      for (int r = 0; r < a.size(); r++) {
        assertEquals(a.items()[r] - 10, a.labels()[r], 0f, "label travels with its item");
      }
      for (int r = 1; r < a.supportSize(); r++) {
        assertTrue(a.items()[r - 1] < a.items()[r], "support keeps task order");
      }
      for (int r = a.supportSize() + 1; r < a.size(); r++) {
        assertTrue(a.items()[r - 1] < a.items()[r], "query keeps task order");
      }
    }
    assertEquals(5, sizes.size(), "all sizes 2..6 drawn: " + sizes);
    assertNotEquals(TaskSplitter.resplit(t, 42, 1, 2, 6), TaskSplitter.resplit(t, 43, 1, 2, 6).withSplit(
        TaskSplitter.resplit(t, 42, 1, 2, 6).supportSize()));
    assertEquals(1, TaskSplitter.resplit(task(2, 0), 1, 1, 5, 9).supportSize(), "one query row kept");
  }

  @Test
  void itemFeatureTableBuildsCsrAndValidates() {
    ItemFeatureTable t = ItemFeatureTable.fromNested(2, new int[][][] {{{1, 2}, {}}, {{3}, {4}}});
    assertEquals(2, t.numItems());
    assertEquals(2, t.numFields());
    assertEquals(0, t.start(0, 0));
    assertEquals(2, t.end(0, 0));
    assertEquals(3, t.indices(0)[t.start(0, 1)]);
    assertEquals(t.start(1, 0), t.end(1, 0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ItemFeatureTable(1, new int[][] {{0, 1}}, new int[][] {{-2}}));
    assertTrue(e.getMessage().contains("got -2"), e.getMessage());
  }

  @Test
  void taskStreamsDependOnEveryKeyComponent() {
    long a = TaskRandom.stream(1, 2, 3, 4).nextLong();
    assertEquals(a, TaskRandom.stream(1, 2, 3, 4).nextLong());
    assertNotEquals(a, TaskRandom.stream(2, 2, 3, 4).nextLong());
    assertNotEquals(a, TaskRandom.stream(1, 3, 3, 4).nextLong());
    assertNotEquals(a, TaskRandom.stream(1, 2, 4, 4).nextLong());
    assertNotEquals(a, TaskRandom.stream(1, 2, 3, 5).nextLong());
  }
}
