package io.metarec.train;

import io.metarec.config.TrainSettings;
import io.metarec.meta.AdaptationEngine;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.task.TaskRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Which tasks an iteration adapts, where they live and in which order their meta-gradients are
 * summed: pure functions of (seed, iteration, task id) and of the partition count, shared by every
 * way of running an iteration (in-process threads, one Spark job per iteration, training rounds), so
 * that all of them sum the same floats in the same order.
 *
 * <ul>
 *   <li><b>Membership</b>: a task is in iteration {@code t}'s meta-batch when the first draw of its
 *       stream (seed, t, task id, {@link #PURPOSE_BATCH}) is below {@code fraction}; where it is
 *       placed does not matter.
 *   <li><b>Placement</b>: task id → partition as Spark's {@code HashPartitioner} places a
 *       {@code Long} key, sorted by id within a partition ({@link #place}).
 *   <li><b>Chunks</b>: a partition's share is cut into {@value #SHARE_CHUNKS} runs of about equal
 *       interaction count ({@link SharedBatch#chunks}), summed chunk by chunk, merged in chunk order.
 *   <li><b>Merge order</b>: up to {@value #DIRECT_MERGE_PARTITIONS} partitions, their sums are added
 *       one after another in partition order ({@link #sumInOrder}); beyond, consecutive groups of
 *       {@link #fanIn} partitions first ({@link #treeSum}).
 * </ul>
 */
public final class MetaBatch {
  /** Purpose constant of the stream that decides whether a task is in an iteration's batch. */
  public static final long PURPOSE_BATCH = 0x6261_7463_68L;
  /** Purpose constant of the stream that picks the validation subset. */
  public static final long PURPOSE_VALIDATION = 0x7661_6c69_64L;
  /**
   * Chunks a partition's share of a meta-batch is cut into, so that threads whose partitions finish
   * early adapt the rest ({@link SharedBatch}). Sixteen keeps the last chunk of a 2-partition
   * MovieLens-100K iteration at a few milliseconds while merging the chunk sums costs well under one.
   */
  public static final int SHARE_CHUNKS = 16;
  /** Up to this many partitions their sums are merged directly, in partition order. */
  public static final int DIRECT_MERGE_PARTITIONS = 16;

  /**
   * Partitions of one iteration share work ({@link SharedBatch}) under this key.
   *
   * @param scope what θ came with: the id of its broadcast (one job per iteration), of the training
   *     round (negative, so the two never meet) or of an in-process run
   * @param iteration the iteration
   */
  public record ShareKey(long scope, long iteration) {}

  private MetaBatch() {}

  /** The probability that a task is in an iteration's meta-batch: {@code min(1, perIteration / n)}. */
  public static double fraction(int tasksPerIteration, long tasks) {
    return Math.min(1.0, (double) tasksPerIteration / tasks);
  }

  /** Whether task {@code taskId} is in iteration {@code iteration}'s meta-batch. */
  public static boolean inBatch(long seed, long iteration, long taskId, double fraction) {
    return fraction >= 1.0
        || TaskRandom.stream(seed, iteration, taskId, PURPOSE_BATCH).nextDouble() < fraction;
  }

  /** The tasks of {@code tasks} that belong to iteration {@code iteration}'s meta-batch, in order. */
  public static List<Task> sampled(Iterator<Task> tasks, long seed, long iteration,
      double fraction) {
    List<Task> out = new ArrayList<>();
    while (tasks.hasNext()) {
      Task t = tasks.next();
      if (inBatch(seed, iteration, t.taskId(), fraction)) {
        out.add(t);
      }
    }
    return out;
  }

  /** Whether a validation task is in the subset validated each time ({@code keep} of them). */
  public static boolean inValidationSubset(long seed, long taskId, double keep) {
    return TaskRandom.stream(seed, 0, taskId, PURPOSE_VALIDATION).nextDouble() < keep;
  }

  /** The partition of a task id, as Spark's {@code HashPartitioner} places a {@code Long} key. */
  public static int partitionOf(long taskId, int partitions) {
    int h = Long.hashCode(taskId) % partitions;
    return h < 0 ? h + partitions : h;
  }

  /** Tasks placed into {@code partitions} partitions by {@link #partitionOf}, sorted by id in each. */
  public static List<List<Task>> place(List<Task> tasks, int partitions) {
    List<List<Task>> parts = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      parts.add(new ArrayList<>());
    }
    for (Task t : tasks) {
      parts.get(partitionOf(t.taskId(), partitions)).add(t);
    }
    for (List<Task> p : parts) {
      p.sort(Comparator.comparingLong(Task::taskId));
    }
    return parts;
  }

  /** Consecutive partitions merged together first by {@link #treeSum}: about √n, at least 2. */
  public static int fanIn(int partitions) {
    return Math.max(2, (int) Math.ceil(Math.sqrt(partitions)));
  }

  /**
   * The partitions' sums added one after another in partition order into a new accumulator: the
   * merge of up to {@value #DIRECT_MERGE_PARTITIONS} partitions (and of every training round).
   */
  public static MetaGradientAccumulator sumInOrder(List<MetaGradientAccumulator> perPartition,
      ParamLayout layout) {
    MetaGradientAccumulator total = new MetaGradientAccumulator(layout);
    for (MetaGradientAccumulator a : perPartition) {
      total.mergeInPlace(a);
    }
    return total;
  }

  /**
   * The sum of one group of consecutive partitions for {@link #treeSum}: the first partition's
   * accumulator with the others merged into it in order (modifies the first).
   */
  public static MetaGradientAccumulator groupSum(List<MetaGradientAccumulator> group) {
    MetaGradientAccumulator sum = group.get(0);
    for (int k = 1; k < group.size(); k++) {
      sum.mergeInPlace(group.get(k));
    }
    return sum;
  }

  /**
   * The merge of more than {@value #DIRECT_MERGE_PARTITIONS} partitions: groups of {@link #fanIn}
   * consecutive partitions ({@link #groupSum}, on the executors in Spark), then the group sums in
   * group order ({@link #sumInOrder}, on the driver). Modifies the first accumulator of each group.
   */
  public static MetaGradientAccumulator treeSum(List<MetaGradientAccumulator> perPartition,
      ParamLayout layout) {
    int fanIn = fanIn(perPartition.size());
    List<MetaGradientAccumulator> groups = new ArrayList<>();
    for (int g = 0; g < perPartition.size(); g += fanIn) {
      groups.add(groupSum(perPartition.subList(g, Math.min(perPartition.size(), g + fanIn))));
    }
    return sumInOrder(groups, layout);
  }

  /** {@link #sumInOrder} or {@link #treeSum}, as the partition count asks. */
  public static MetaGradientAccumulator sum(List<MetaGradientAccumulator> perPartition,
      ParamLayout layout) {
    return perPartition.size() > DIRECT_MERGE_PARTITIONS ? treeSum(perPartition, layout)
        : sumInOrder(perPartition, layout);
  }

  /**
   * One partition's share of iteration {@code iteration}, adapted with the JVM kernel: the
   * partition's tasks in the meta-batch, cut into {@value #SHARE_CHUNKS} chunks that idle threads of
   * this JVM working under the same {@code key} help with ({@link SharedBatch}), each chunk adapted
   * with the calling thread's own engine, the chunk sums merged in chunk order.
   *
   * @param partition the partition's tasks, in partition order
   * @param engineOfThisThread the calling thread's engine (engines are not thread-safe)
   * @param kernelNanos receives, in element 0, the kernel time spent on this share
   */
  public static MetaGradientAccumulator adaptShare(List<Task> partition, Params theta,
      TrainSettings settings, ShareKey key, long iteration, double fraction,
      java.util.function.Supplier<? extends AdaptationEngine> engineOfThisThread,
      long[] kernelNanos) {
    List<Task> share = sampled(partition.iterator(), settings.meta().seed(), iteration, fraction);
    return SharedBatch.run(key, share, SHARE_CHUNKS, theta.layout(), (chunk, into) -> {
      AdaptationEngine mine = engineOfThisThread.get();
      long k0 = System.nanoTime();
      mine.accumulate(chunk.iterator(), theta, settings, iteration, into);
      return System.nanoTime() - k0;
    }, kernelNanos);
  }

  /**
   * Adds to {@code into} the table rows of θ that {@link #adaptShare} reads to adapt this
   * partition's share of iteration {@code iteration} ({@link
   * io.metarec.meta.JvmAdaptationEngine#addRowsRead} for each task of the share), reading no θ.
   */
  public static void addRowsOfShare(List<Task> partition, TrainSettings settings, long iteration,
      double fraction, io.metarec.meta.JvmAdaptationEngine engine, io.metarec.model.RowSet into) {
    for (Task t : sampled(partition.iterator(), settings.meta().seed(), iteration, fraction)) {
      engine.addRowsRead(t, settings, iteration, into);
    }
  }
}
