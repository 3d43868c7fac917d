package io.metarec.train;

import java.lang.ref.SoftReference;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A JVM's per-run objects (an executor's copy of θ), the last {@code kept} runs' through soft
 * references: each costs the memory of θ, and one the collector reclaims under memory pressure is
 * made again (and filled again from the driver).
 */
final class RunRegistry<T> {
  private final Map<Long, SoftReference<T>> runs = new LinkedHashMap<>();
  private final int kept;

  RunRegistry(int kept) {
    this.kept = kept;
  }

  /** Run {@code run}'s object if it has one that {@code fits}; else a new one, registered. */
  synchronized T of(long run, Predicate<T> fits, Supplier<T> create) {
    SoftReference<T> ref = runs.get(run);
    T r = ref == null ? null : ref.get();
    if (r != null && fits.test(r)) {
      return r;
    }
    r = create.get();
    runs.put(run, new SoftReference<>(r));
    Iterator<Long> it = runs.keySet().iterator();
    while (runs.size() > kept && it.hasNext()) {
      if (it.next() != run) {
        it.remove();
      }
    }
    return r;
  }

  /** Drops run {@code run}'s object, if any. */
  synchronized void release(long run) {
    runs.remove(run);
  }

  /** @return how many runs have an object here */
  synchronized int held() {
    return runs.size();
  }
}
