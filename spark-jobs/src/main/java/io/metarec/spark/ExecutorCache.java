package io.metarec.spark;

import io.metarec.engine.EngineFactory;
import io.metarec.config.EngineKind;
import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.model.ModelSpec;
import io.metarec.task.ItemFeatureTable;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-executor-JVM reuse across tasks and iterations: one {@link JvmAdaptationEngine} per executor
 * thread (an engine owns scratch memory and is not thread-safe), keyed by the broadcast ids of the
 * model spec and item table, so a new run never sees a stale one.
 *
 * <p>The training engine ({@code train.engine}) is chosen once per executor JVM and run, from the
 * GPU Spark's resource scheduling gave the first task that asks ({@link EngineFactory#choose}):
 * the JVM kernel is this per-thread engine, the ND4J engine one shared instance bound to that GPU.
 */
public final class ExecutorCache {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorCache.class);

  private record EngineKey(long spec, long items) {}

  private record CachedEngine(EngineKey key, JvmAdaptationEngine engine) {}

  private record ChoiceKey(long spec, long items, EngineKind kind, int blockSize) {}

  private record CachedChoice(ChoiceKey key, EngineFactory.Choice choice, Nd4jBatchedEngine shared) {}

  private static final ThreadLocal<CachedEngine> ENGINE = new ThreadLocal<>();
  private static CachedChoice choice;

  private ExecutorCache() {}

  /** This thread's engine for the broadcast model spec and item table. */
  public static JvmAdaptationEngine engine(Broadcast<ModelSpec> spec, Broadcast<ItemFeatureTable> items) {
    EngineKey key = new EngineKey(spec.id(), items.id());
    CachedEngine c = ENGINE.get();
    if (c == null || !c.key().equals(key)) {
      c = new CachedEngine(key, new JvmAdaptationEngine(spec.value(), items.value()));
      ENGINE.set(c);
    }
    return c.engine();
  }

  /**
   * The training engine of this executor: the ND4J engine shared by every thread of the JVM when
   * {@code kind} resolves to it here, else this thread's JVM engine ({@link #engine}).
   *
   * @throws IllegalArgumentException for {@code nd4j} with settings the ND4J engine does not implement
   */
  public static AdaptationEngine trainEngine(Broadcast<ModelSpec> spec, Broadcast<ItemFeatureTable> items,
      TrainSettings settings, EngineKind kind, int blockSize) {
    CachedChoice c = chosen(new ChoiceKey(spec.id(), items.id(), kind, blockSize), spec, items, settings);
    return c.shared() != null ? c.shared() : engine(spec, items);
  }

  private static synchronized CachedChoice chosen(ChoiceKey key, Broadcast<ModelSpec> spec,
      Broadcast<ItemFeatureTable> items, TrainSettings settings) {
    CachedChoice c = choice;
    if (c == null || !c.key().equals(key)) {
      if (c != null && c.shared() != null) {
        c.shared().close(); // a new run: the previous run's tasks are done
      }
      EngineFactory.Choice ch = EngineFactory.choose(key.kind(), EngineFactory.gpuAddresses(TaskContext.get()),
          settings, EngineFactory::nd4jBackendIsGpu);
      LOG.info("adaptation engine of this executor: {} ({})", ch.kind(), ch.reason());
      Nd4jBatchedEngine shared = ch.kind() == EngineKind.ND4J
          ? (Nd4jBatchedEngine) EngineFactory.create(ch, spec.value(), items.value(), settings, key.blockSize())
          : null;
      c = new CachedChoice(key, ch, shared);
      choice = c;
    }
    return c;
  }
}
