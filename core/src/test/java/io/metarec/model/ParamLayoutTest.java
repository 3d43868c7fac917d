package io.metarec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Layout naming, flattening round trip, seeded init and bias initialization. */
class ParamLayoutTest {
  private static final ModelSpec SPEC = new ModelSpec(7, List.of(new FieldSpec("age", 4, false)),
      List.of(new FieldSpec("genre", 5, true)), 3, List.of(6, 2), Activation.RELU, 2, Feedback.EXPLICIT, true, true);

  @Test
  void segmentsHaveExpectedNamesShapesAndContiguousOffsets() {
    ParamLayout l = new ParamLayout(SPEC);
    assertEquals(List.of("mu", "itemBias", "logLambda", "userBias", "userVec", "itemEmb", "itemFactor", "implicitItem",
        "userField.age", "itemField.genre", "mlp.W0", "mlp.b0", "mlp.W1", "mlp.b1", "out.w", "out.b"),
        l.segments().stream().map(Segment::name).toList());
    assertEquals(3 * 3 + 2, SPEC.inputDim());
    assertEquals(SPEC.inputDim(), l.segment("mlp.W0").rows());
    long off = 0;
    for (Segment s : l.segments()) {
      assertEquals(off, s.offset(), s.name());
      off += s.size();
    }
    assertEquals(off, l.totalSize());
    assertTrue(l.segment("itemEmb").table());
    assertEquals(ParamGroup.DECISION, l.segment("out.w").group());
  }

  @Test
  void aLearnedFoldInGainIsOneMoreSegmentAtTheEndAndStartsAtGainOne() {
    ModelSpec implicit = new ModelSpec(7, SPEC.userFields(), SPEC.itemFields(), 3, List.of(6, 2),
        Activation.RELU, 2, Feedback.IMPLICIT, false, true);
    ModelSpec learned = new ModelSpec(7, SPEC.userFields(), SPEC.itemFields(), 3, List.of(6, 2),
        Activation.RELU, 2, Feedback.IMPLICIT, false, true, true);
    ParamLayout a = new ParamLayout(implicit);
    ParamLayout b = new ParamLayout(learned);
    assertEquals(-1, a.logFoldIn);
    assertEquals(-1, new ParamLayout(SPEC).logFoldIn);
    // Every other segment keeps its place: a model without it has the same layout as before.
    assertEquals(a.segments(), b.segments().subList(0, a.numSegments()));
    assertEquals("logFoldIn", b.segment(b.logFoldIn).name());
    assertEquals(b.numSegments() - 1, b.logFoldIn);
    assertEquals(ParamGroup.GLOBAL, b.segment(b.logFoldIn).group());
    assertEquals(a.totalSize() + 1, b.totalSize());
    assertEquals(0f, ParamInitializer.initialize(learned, 5, 0.1f, 2f).segment(b.logFoldIn)[0][0]);
    assertThrows(IllegalArgumentException.class, () -> new ModelSpec(7, SPEC.userFields(),
        SPEC.itemFields(), 3, List.of(6, 2), Activation.RELU, 2, Feedback.EXPLICIT, false, true,
        true));
  }

  @Test
  void flattenUnflattenRoundTripsAndInitIsSeeded() {
    Params a = ParamInitializer.initialize(SPEC, 5, 0.1f, 2f);
    float[] flat = a.flatten();
    Params b = Params.unflatten(a.layout(), flat);
    assertTrue(a.bitEquals(b));
    assertArrayEquals(flat, ParamInitializer.initialize(SPEC, 5, 0.1f, 2f).flatten());
    assertTrue(!ParamInitializer.initialize(SPEC, 6, 0.1f, 2f).bitEquals(a));
    assertEquals(Math.log(2), a.segment("logLambda")[0][0], 1e-6);
    assertThrows(IllegalArgumentException.class, () -> Params.unflatten(a.layout(), new float[3]));
  }

  @Test
  void itemBiasesInitializeFromShrunkMeans() {
    Params p = new Params(new ParamLayout(SPEC));
    double[] sums = {8, 0, 3, 0, 0, 0, 0};
    long[] counts = {2, 0, 1, 0, 0, 0, 0};
    ParamInitializer.initBiasesFromStatsInPlace(p, sums, counts, 1.0);
    assertEquals(11.0 / 3, p.segment("mu")[0][0], 1e-6);
    assertEquals((8 - 2 * 11.0 / 3) / 3, p.segment("itemBias")[0][0], 1e-6);
    assertEquals(0f, p.segment("itemBias")[1][0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ParamInitializer.initBiasesFromStatsInPlace(p, new double[2], new long[2], 1));
    assertTrue(e.getMessage().contains("numItems=7"), e.getMessage());
  }

  @Test
  void specValidationNamesKeyAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelSpec(7, List.of(),
        List.of(), 0, List.of(4), Activation.RELU, 2, Feedback.EXPLICIT, false, false));
    assertEquals("model.embeddingDim must be >= 1, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new FieldSpec("g", 0, false));
    assertEquals("field g: vocabSize must be >= 1, got 0", e.getMessage());
  }
}
