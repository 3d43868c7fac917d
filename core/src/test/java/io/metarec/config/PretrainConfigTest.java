package io.metarec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code pretrain} section: documented defaults, overrides and range checks. */
class PretrainConfigTest {

  private static String rejected(String set) {
    return assertThrows(ConfigValidationException.class,
        () -> MetaRecConfig.load(null, List.of(set), Map.of())).getMessage();
  }

  @Test
  void defaultsAndOverrides() {
    PretrainConfig d = MetaRecConfig.load().pretrain();
    assertEquals(new PretrainConfig("", "", 10, 64, 5, 0.002, 0, 2), d);
    PretrainConfig p = MetaRecConfig.load(null, List.of("pretrain.epochs=3",
        "pretrain.learningRate=0.01"), Map.of("pretrain.tasks", "t", "pretrain.model", "m")).pretrain();
    assertEquals(new PretrainConfig("t", "m", 3, 64, 5, 0.01, 0, 2), p);
  }

  @Test
  void rangesNameKeyAndValue() {
    assertEquals("pretrain.epochs must be >= 1, got 0", rejected("pretrain.epochs=0"));
    assertEquals("pretrain.batchSize must be >= 1, got 0", rejected("pretrain.batchSize=0"));
    assertEquals("pretrain.averagingFrequency must be >= 1, got -1",
        rejected("pretrain.averagingFrequency=-1"));
    assertEquals("pretrain.learningRate must be in (0, 1], got 0.0",
        rejected("pretrain.learningRate=0"));
    assertEquals("pretrain.workers must be >= 0, got -2", rejected("pretrain.workers=-2"));
    assertEquals(true, rejected("pretrain.epochz=3").contains("pretrain.epochs"));
  }
}
