package io.metarec.config;

/** The values of {@code train.engine}: which adaptation engine an executor runs. */
public enum EngineKind {
  /** The plain-JVM kernel ({@code io.metarec.meta.JvmAdaptationEngine}), one per executor thread. */
  JVM,
  /** The task-batched ND4J engine ({@code io.metarec.engine.Nd4jBatchedEngine}), one per executor JVM. */
  ND4J,
  /** ND4J on an executor Spark gave a GPU (when the settings are supported), JVM otherwise. */
  AUTO
}
