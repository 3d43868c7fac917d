package io.metarec.engine;

import io.metarec.config.EngineKind;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.model.ModelSpec;
import io.metarec.task.ItemFeatureTable;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Chooses an executor's adaptation engine from {@code train.engine} and the GPUs Spark's resource
 * scheduling assigned to the running task ({@code spark.task.resource.gpu.amount}), and builds it.
 *
 * <p>{@code jvm} always gives the JVM kernel; {@code nd4j} the batched ND4J engine (refusing, by
 * name, settings it does not implement); {@code auto} gives ND4J only when there is a GPU resource,
 * the ND4J backend on the class path is a GPU backend (the application jar built with {@code -Pgpu})
 * and the settings are supported, and otherwise falls back to the JVM kernel, saying why.
 * {@link #choose} is pure (the backend check is passed in), so the rule is testable without a GPU.
 */
public final class EngineFactory {
  private EngineFactory() {
  }

  /**
   * What an executor runs.
   *
   * @param kind {@link EngineKind#JVM} or {@link EngineKind#ND4J}, never AUTO
   * @param device the GPU ordinal to bind the ND4J engine to, or null (the backend's default)
   * @param reason why, in words, for the executor's log
   */
  public record Choice(EngineKind kind, Integer device, String reason) {}

  /**
   * Decides the engine.
   *
   * @param requested the configured {@code train.engine}
   * @param gpus the addresses of the GPUs assigned to this task (empty: none)
   * @param settings the training settings the engine will run
   * @param gpuBackend whether ND4J's backend drives a GPU; asked only when it matters
   * @throws IllegalArgumentException for {@code nd4j} with settings the ND4J engine does not implement
   */
  public static Choice choose(EngineKind requested, List<String> gpus, TrainSettings settings,
      Supplier<Boolean> gpuBackend) {
    Integer device = gpus.isEmpty() ? null : ordinal(gpus.get(0));
    switch (requested) {
      case JVM:
        return new Choice(EngineKind.JVM, null, "train.engine=jvm");
      case ND4J: {
        String why = Nd4jBatchedEngine.unsupportedReason(settings);
        if (why != null) {
          throw new IllegalArgumentException("train.engine=nd4j: " + why);
        }
        return new Choice(EngineKind.ND4J, device, "train.engine=nd4j"
            + (device == null ? " (no GPU resource: the backend's default device)" : " on GPU " + device));
      }
      default: {
        if (gpus.isEmpty()) {
          return new Choice(EngineKind.JVM, null, "train.engine=auto: no GPU resource assigned to this executor");
        }
        String why = Nd4jBatchedEngine.unsupportedReason(settings);
        if (why != null) {
          return new Choice(EngineKind.JVM, null, "train.engine=auto: GPU " + gpus.get(0) + " assigned, but " + why);
        }
        if (!gpuBackend.get()) {
          return new Choice(EngineKind.JVM, null, "train.engine=auto: GPU " + gpus.get(0)
              + " assigned, but the ND4J backend on the class path is not a GPU backend (build the "
              + "application jar with -Pgpu)");
        }
        return new Choice(EngineKind.ND4J, device, "train.engine=auto: GPU " + device + " assigned");
      }
    }
  }

  /** The GPU addresses Spark assigned to the running task ({@code resources().get("gpu")}); empty outside a task. */
  public static List<String> gpuAddresses(TaskContext context) {
    if (context == null) {
      return List.of();
    }
    Map<String, ResourceInformation> res = context.resourcesJMap();
    ResourceInformation gpu = res == null ? null : res.get("gpu");
    return gpu == null ? List.of() : List.of(gpu.addresses());
  }

  /** Whether ND4J's backend is CUDA (loads the backend). */
  public static boolean nd4jBackendIsGpu() {
    return Nd4jBatchedEngine.backendName().toLowerCase(java.util.Locale.ROOT).contains("cublas");
  }

  /**
   * Builds the chosen engine: a new {@link JvmAdaptationEngine} (one per thread: callers cache it per
   * thread) or a new {@link Nd4jBatchedEngine} (one per JVM: thread-safe).
   */
  public static AdaptationEngine create(Choice choice, ModelSpec spec, ItemFeatureTable items, TrainSettings settings,
      int blockSize) {
    return choice.kind() == EngineKind.ND4J
        ? new Nd4jBatchedEngine(spec, items, settings, blockSize, choice.device())
        : new JvmAdaptationEngine(spec, items);
  }

  /** A GPU address as a device ordinal ("0", "1", ...). */
  static Integer ordinal(String address) {
    try {
      return Integer.valueOf(address.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("GPU address must be a device ordinal such as 0, got '" + address + "'", e);
    }
  }
}
