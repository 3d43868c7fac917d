package io.metarec.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metarec.model.ItemNeighbours;
import io.metarec.task.Task;
import io.metarec.testing.TestSpark;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** The item neighbourhoods (item-knn) fitted on Spark against known and brute-force answers. */
class ItemNeighbourFitTest {
  private static final int[][] NO_FEATURES = new int[0][];

  @Test
  void itemKnnIsTheCosineOfTheItemsUserSetsAndScoresBySummingOverTheSupport() {
    // Users as item sets: {1, 2}, {1, 2, 3}, {3, 4}. Degrees: 1 → 2, 2 → 2, 3 → 2, 4 → 1.
    List<Task> users = List.of(
        new Task(1, new int[] {1, 2}, new float[] {1, 1}, 1, NO_FEATURES),
        new Task(2, new int[] {1, 2, 3, 1}, new float[] {1, 1, 1, 1}, 1, NO_FEATURES),
        new Task(3, new int[] {3, 4}, new float[] {1, 1}, 1, NO_FEATURES));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    ItemNeighbours knn = ItemNeighbourFit.fit(jsc.parallelize(users, 2), 6, 2, 500);
    // sim(1, 2) = 2 / sqrt(2 * 2) = 1; sim(1, 3) = 1 / 2; sim(3, 4) = 1 / sqrt(2); sim(2, 3) = 1 / 2
    assertEquals(List.of(2, 3), java.util.Arrays.stream(knn.neighboursOf(1)).boxed().toList());
    assertEquals(1.0f, knn.similaritiesOf(1)[0], 1e-6f);
    assertEquals(0.5f, knn.similaritiesOf(1)[1], 1e-6f);
    // item 3: 4 (0.707) first, then 1 and 2 tie at 0.5 and the smaller index wins the one place
    assertEquals(List.of(4, 1), java.util.Arrays.stream(knn.neighboursOf(3)).boxed().toList());
    assertEquals(0, knn.neighboursOf(5).length, "an item no user saw");
    // A user with support {1, 3} (item 1 twice counts once): score(2) = 1 + 0 (2 is not among 3's
    // kept neighbours), score(4) = 0 + 0.707, score(5) = 0.
    float[] s = knn.score(new int[] {1, 3, 1}, 3, new int[] {2, 4, 5});
    assertEquals(1.0f, s[0], 1e-6f);
    assertEquals((float) (1 / Math.sqrt(2)), s[1], 1e-6f);
    assertEquals(0f, s[2], 0f);
  }

  @Test
  void itemKnnOnManyPartitionsEqualsTheBruteForceCosineOfEveryPair() {
    // 150 users over 120 items (thousands of distinct pairs: the per-partition counts grow their
    // table), repeated items and item 0 (unknown) included, the most recent 12 rows counted.
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    int numItems = 120;
    int maxUserItems = 12;
    List<Task> users = new java.util.ArrayList<>();
    for (int u = 0; u < 150; u++) {
      int n = 1 + r.nextInt(20);
      int[] items = new int[n];
      for (int k = 0; k < n; k++) {
        items[k] = r.nextInt(numItems);
      }
      users.add(new Task(u, items, new float[n], 1, NO_FEATURES));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    ItemNeighbours knn = ItemNeighbourFit.fit(jsc.parallelize(users, 5), numItems, 7,
        maxUserItems);
    int[][] co = new int[numItems][numItems];
    long[] degree = new long[numItems];
    for (Task t : users) {
      int[] set = java.util.Arrays.stream(t.items(), Math.max(0, t.size() - maxUserItems),
          t.size()).filter(i -> i > 0).distinct().toArray();
      for (int a : set) {
        degree[a]++;
        for (int b : set) {
          co[a][b] += a != b ? 1 : 0;
        }
      }
    }
    for (int i = 0; i < numItems; i++) {
      List<int[]> pairs = new java.util.ArrayList<>();
      for (int j = 0; j < numItems; j++) {
        if (co[i][j] > 0) {
          pairs.add(new int[] {j, co[i][j]});
        }
      }
      int[] row = pairs.stream().flatMapToInt(java.util.Arrays::stream).toArray();
      scala.Tuple2<int[], float[]> want = ItemNeighbourFit.topNeighbours(i, row, degree, 7);
      assertEquals(java.util.Arrays.toString(want._1()),
          java.util.Arrays.toString(knn.neighboursOf(i)), "neighbours of item " + i);
      assertEquals(java.util.Arrays.toString(want._2()),
          java.util.Arrays.toString(knn.similaritiesOf(i)), "similarities of item " + i);
      if (i > 0 && degree[i] > 0 && row.length > 0) {
        float best = 0;
        for (int k = 0; k < row.length / 2; k++) {
          best = Math.max(best, (float) (row[2 * k + 1]
              / Math.sqrt((double) degree[i] * degree[row[2 * k]])));
        }
        assertEquals(best, knn.similaritiesOf(i)[0], 0f, "the most similar first, item " + i);
      }
    }
  }

  @Test
  void coOccurrenceRowsMergeByItemIndex() {
    assertEquals("[1, 2, 3, 7, 5, 1, 9, 4]", java.util.Arrays.toString(
        ItemNeighbourFit.mergeRows(new int[] {1, 2, 3, 3, 9, 4}, new int[] {3, 4, 5, 1})));
    assertEquals("[2, 1]", java.util.Arrays.toString(
        ItemNeighbourFit.mergeRows(new int[0], new int[] {2, 1})));
  }
}
