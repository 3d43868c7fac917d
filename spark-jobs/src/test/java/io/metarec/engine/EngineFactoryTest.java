package io.metarec.engine;

import io.metarec.config.EngineKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.Algorithm;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.model.ParamGroup;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The per-executor engine choice: train.engine, the GPU Spark assigned, the backend and the settings. */
class EngineFactoryTest {
  private static final TrainSettings SUPPORTED = EngineFixtures.settings(Algorithm.FOMAML,
      Set.of(ParamGroup.DECISION, ParamGroup.USER), true, 0f, true);
  private static final TrainSettings EMBEDDING = EngineFixtures.settings(Algorithm.REPTILE,
      Set.of(ParamGroup.EMBEDDING), true, 0f, true);
  private static final Supplier<Boolean> NEVER_ASKED = () -> {
    throw new AssertionError("the backend must not be asked");
  };

  @Test
  void jvmIsTheJvmKernelEvenWithAGpu() {
    EngineFactory.Choice c = EngineFactory.choose(EngineKind.JVM, List.of("0"), SUPPORTED, NEVER_ASKED);
    assertEquals(EngineKind.JVM, c.kind());
    assertNull(c.device());
  }

  @Test
  void autoWithoutAGpuResourceIsTheJvmKernel() {
    EngineFactory.Choice c = EngineFactory.choose(EngineKind.AUTO, List.of(), SUPPORTED, NEVER_ASKED);
    assertEquals(EngineKind.JVM, c.kind());
    assertTrue(c.reason().contains("no GPU resource"), c.reason());
  }

  @Test
  void autoWithAGpuAndAGpuBackendIsNd4jOnThatGpu() {
    EngineFactory.Choice c = EngineFactory.choose(EngineKind.AUTO, List.of("1", "2"), SUPPORTED, () -> true);
    assertEquals(EngineKind.ND4J, c.kind());
    assertEquals(1, c.device());
  }

  @Test
  void autoFallsBackToTheJvmKernelOnACpuBackendOrUnsupportedSettings() {
    EngineFactory.Choice cpu = EngineFactory.choose(EngineKind.AUTO, List.of("0"), SUPPORTED, () -> false);
    assertEquals(EngineKind.JVM, cpu.kind());
    assertTrue(cpu.reason().contains("-Pgpu"), cpu.reason());
    EngineFactory.Choice emb = EngineFactory.choose(EngineKind.AUTO, List.of("0"), EMBEDDING, NEVER_ASKED);
    assertEquals(EngineKind.JVM, emb.kind());
    assertTrue(emb.reason().contains("inner.adapt=[embedding]"), emb.reason());
  }

  @Test
  void nd4jIsNd4jOrARefusalNamingTheSetting() {
    EngineFactory.Choice c = EngineFactory.choose(EngineKind.ND4J, List.of(), SUPPORTED, NEVER_ASKED);
    assertEquals(EngineKind.ND4J, c.kind());
    assertNull(c.device());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EngineFactory.choose(EngineKind.ND4J, List.of("0"), EMBEDDING, NEVER_ASKED));
    assertTrue(e.getMessage().startsWith("train.engine=nd4j: ") && e.getMessage().contains("embedding"),
        e.getMessage());
  }

  @Test
  void createBuildsTheChosenEngine() {
    var spec = EngineFixtures.spec();
    var items = EngineFixtures.items();
    AdaptationEngine jvm = EngineFactory.create(new EngineFactory.Choice(EngineKind.JVM, null, "test"), spec, items,
        SUPPORTED, 64);
    assertInstanceOf(JvmAdaptationEngine.class, jvm);
    AdaptationEngine nd4j = EngineFactory.create(new EngineFactory.Choice(EngineKind.ND4J, null, "test"), spec, items,
        SUPPORTED, 64);
    assertEquals(64, assertInstanceOf(Nd4jBatchedEngine.class, nd4j).blockSize());
    ((Nd4jBatchedEngine) nd4j).close();
  }

  @Test
  void outsideASparkTaskThereIsNoGpuAndBadValuesAreNamed() {
    assertEquals(List.of(), EngineFactory.gpuAddresses(null));
    assertEquals("train.engine must be one of jvm|nd4j|auto, got 'cuda'",
        assertThrows(IllegalArgumentException.class, () -> io.metarec.config.Checks.enumValue("train.engine", "cuda", EngineKind.class)).getMessage());
    assertEquals(EngineKind.ND4J, io.metarec.config.Checks.enumValue("train.engine", " Nd4j ", EngineKind.class));
    assertThrows(IllegalArgumentException.class, () -> EngineFactory.ordinal("GPU-3f2a"));
  }
}
