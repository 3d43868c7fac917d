package io.metarec.jobs.train;

import io.metarec.meta.JvmAdaptationEngine;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import org.apache.spark.broadcast.Broadcast;

/**
 * Per-executor-JVM reuse across tasks and iterations: one {@link JvmAdaptationEngine} per executor
 * thread (an engine owns scratch memory and is not thread-safe), and one unflattened θ per
 * broadcast, shared read-only by every thread of the JVM. Both are keyed by broadcast ids, so a
 * new run or a new iteration never sees a stale value; the cache holds one entry of each.
 */
final class ExecutorCache {
  private record EngineKey(long spec, long items) {}

  private record CachedEngine(EngineKey key, JvmAdaptationEngine engine) {}

  private record CachedTheta(long broadcastId, Params theta) {}

  private static final ThreadLocal<CachedEngine> ENGINE = new ThreadLocal<>();
  private static CachedTheta theta;

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
