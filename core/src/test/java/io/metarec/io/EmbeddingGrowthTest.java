package io.metarec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingGrowthTest {

  @Test
  void growthKeepsOldRowsBitForBitAndInitializesNewRowsByIndex() {
    float[] old = {-0.0f, 1f, Float.MIN_VALUE, 3f, 4f, 5f}; // 3 rows x 2
    float[] grown = EmbeddingGrowth.growRows(old, 3, 2, 5, (row, out) -> Arrays.fill(out, row * 10f));
    assertEquals(10, grown.length);
    for (int i = 0; i < old.length; i++) {
      assertEquals(Float.floatToRawIntBits(old[i]), Float.floatToRawIntBits(grown[i]));
    }
    assertArrayEquals(new float[] {30f, 30f, 40f, 40f}, Arrays.copyOfRange(grown, 6, 10));
    assertEquals(1f, old[1]); // input untouched
  }

  @Test
  void seededGaussianRowsDependOnlyOnSeedAndRow() {
    RowInitializer init = RowInitializer.gaussian(7, 0.1f);
    float[] byOneStep = EmbeddingGrowth.growRows(new float[0], 0, 4, 6, init);
    float[] byTwoSteps = EmbeddingGrowth.growRows(
        EmbeddingGrowth.growRows(new float[0], 0, 4, 2, init), 2, 4, 6, init);
    assertArrayEquals(byOneStep, byTwoSteps);
    assertNotEquals(byOneStep[0], byOneStep[4]);
    float[] otherSeed = EmbeddingGrowth.growRows(new float[0], 0, 4, 6, RowInitializer.gaussian(8, 0.1f));
    assertTrue(!Arrays.equals(byOneStep, otherSeed));
    double sumSq = 0;
    float[] many = EmbeddingGrowth.growRows(new float[0], 0, 50, 200, init);
    for (float x : many) {
      sumSq += x * x;
    }
    assertEquals(0.1, Math.sqrt(sumSq / many.length), 0.01);
  }

  @Test
  void growthRejectsShrinkingAndMismatchedTablesWithTheValues() {
    IllegalArgumentException shrink = assertThrows(IllegalArgumentException.class,
        () -> EmbeddingGrowth.growRows(new float[6], 3, 2, 2, RowInitializer.zeros()));
    assertEquals("newRows must be >= oldRows = 3, got 2", shrink.getMessage());
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
        () -> EmbeddingGrowth.growRows(new float[5], 3, 2, 4, RowInitializer.zeros()));
    assertEquals("table has 5 floats, not oldRows * dim = 3 * 2", size.getMessage());
  }

  @Test
  void warmStartFromAnOlderFileGrowsTablesCopiesTheRestAndInitializesNewSegments() throws IOException {
    List<ParamSegment> oldLayout = List.of(ParamSegment.of("item_emb", 2, 3), ParamSegment.of("out.w", 1, 3));
    float[] oldData = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    ParamFile.write(file, "old.bin", oldLayout, oldData);
    ParamVector old = ParamFile.readAsFound(new ByteArrayInputStream(file.toByteArray()), "old.bin");

    List<ParamSegment> newLayout = List.of(ParamSegment.of("item_emb", 4, 3), ParamSegment.of("user_field.age", 2, 3),
        ParamSegment.of("out.w", 1, 3));
    ParamVector warm = EmbeddingGrowth.warmStart(old, newLayout, s -> (row, out) -> Arrays.fill(out, -row - 1));
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, -3, -3, -3, -4, -4, -4}, warm.copyOfSegment("item_emb"));
    assertArrayEquals(new float[] {-1, -1, -1, -2, -2, -2}, warm.copyOfSegment("user_field.age"));
    assertArrayEquals(new float[] {7, 8, 9}, warm.copyOfSegment("out.w"));
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, EmbeddingGrowth.growRows(old, "item_emb", 2,
        RowInitializer.zeros()));
  }

  @Test
  void warmStartNamesSegmentsThatCannotBeMapped() {
    ParamVector old = new ParamVector(List.of(ParamSegment.of("item_emb", 2, 3), ParamSegment.of("gone", 1, 1)),
        new float[7]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddingGrowth.warmStart(
        old, List.of(ParamSegment.of("item_emb", 2, 4)), s -> RowInitializer.zeros()));
    assertTrue(e.getMessage().contains("segment item_emb: file has [2, 3], cannot become [2, 4]"), e.getMessage());
    assertTrue(e.getMessage().contains("segment gone [1, 1] is not in the new model"), e.getMessage());
  }
}
