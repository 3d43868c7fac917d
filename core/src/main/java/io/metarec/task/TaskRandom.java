package io.metarec.task;

import java.util.SplittableRandom;

/**
 * Derives the random stream of one task in one meta-iteration from (seed, iteration, task id)
 * only, so results do not depend on partitioning, thread or processing order. Stateless.
 */
public final class TaskRandom {
  private TaskRandom() {
  }

  /**
   * Returns a fresh generator for (seed, iteration, taskId, purpose).
   *
   * @param seed the run's seed
   * @param iteration meta-iteration (or any other counter, e.g. an epoch)
   * @param taskId the task's stable id
   * @param purpose a small constant distinguishing independent uses (splitting, initialization, ...)
   * @return a new generator; equal arguments give identical streams
   */
  public static SplittableRandom stream(long seed, long iteration, long taskId, long purpose) {
    long h = mix64(seed ^ 0x9E3779B97F4A7C15L);
    h = mix64(h ^ (iteration * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
    h = mix64(h ^ (taskId * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL));
    h = mix64(h ^ (purpose * 0xD6E8FEB86659FD93L + 0x9E3779B97F4A7C15L));
    return new SplittableRandom(h);
  }

  /** The SplitMix64 / Stafford variant 13 finalizer: a bijective 64-bit mix. */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
