package io.metarec.jobs.train;

import io.metarec.engine.EngineFactory;
import io.metarec.config.EngineKind;
import io.metarec.engine.Nd4jBatchedEngine;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.config.TrainSettings;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-executor-JVM reuse across tasks and iterations: one {@link JvmAdaptationEngine} per executor
 * thread (an engine owns scratch memory and is not thread-safe), and one unflattened θ per
 * broadcast, shared read-only by every thread of the JVM. Both are keyed by broadcast ids, so a
 * new run or a new iteration never sees a stale value; the cache holds one entry of each.
 *
 * <p>The training engine ({@code train.engine}) is chosen once per executor JVM and run, from the
 * GPU Spark's resource scheduling gave the first task that asks ({@link EngineFactory#choose}):
 * the JVM kernel is this per-thread engine, the ND4J engine one shared instance bound to that GPU.
 */
final class ExecutorCache {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorCache.class);

  private record EngineKey(long spec, long items) {}

  private record CachedEngine(EngineKey key, JvmAdaptationEngine engine) {}

  private record CachedTheta(long broadcastId, Params theta) {}

  private record ChoiceKey(long spec, long items, EngineKind kind, int blockSize) {}

  private record CachedChoice(ChoiceKey key, EngineFactory.Choice choice, Nd4jBatchedEngine shared) {}

  private static final ThreadLocal<CachedEngine> ENGINE = new ThreadLocal<>();
  private static CachedTheta theta;
  private static CachedChoice choice;

  private ExecutorCache() {}

  /** This thread's engine for the broadcast model spec and item table. */
  static JvmAdaptationEngine engine(Broadcast<ModelSpec> spec, Broadcast<ItemFeatureTable> items) {
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
  static AdaptationEngine trainEngine(Broadcast<ModelSpec> spec, Broadcast<ItemFeatureTable> items,
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

  /** θ of a broadcast flat vector, unflattened once per JVM; callers must not write it. */
  static synchronized Params theta(Broadcast<float[]> flat, ModelSpec spec) {
    CachedTheta c = theta;
    if (c == null || c.broadcastId() != flat.id()) {
      c = new CachedTheta(flat.id(), Params.unflatten(new ParamLayout(spec), flat.value()));
      theta = c;
    }
    return c.theta();
  }
}
