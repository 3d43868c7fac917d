package io.metarec.engine;

import java.util.Locale;

/** The values of {@code train.engine}. */
public enum EngineKind {
  /** The plain-JVM kernel ({@code io.metarec.meta.JvmAdaptationEngine}), one per executor thread. */
  JVM,
  /** The task-batched ND4J engine ({@link Nd4jBatchedEngine}), one per executor JVM. */
  ND4J,
  /** ND4J on an executor Spark gave a GPU (when the settings are supported), JVM otherwise. */
  AUTO;

  /** Parses {@code jvm|nd4j|auto}, naming {@code key} and the value on failure. */
  public static EngineKind parse(String key, String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(key + " must be one of jvm|nd4j|auto, got '" + value + "'", e);
    }
  }
}
