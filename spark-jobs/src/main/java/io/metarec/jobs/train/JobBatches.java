package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.train.BatchSummer;
import io.metarec.train.MetaBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * {@code train.exchange=jobs}: one Spark job per iteration. θ goes out as a broadcast of its own
 * rows (the previous one destroyed, so nothing piles up over thousands of iterations), each
 * partition's accumulator comes back as its task's result, and the driver merges them in the order
 * {@link MetaBatch#sum} fixes: directly up to {@value MetaBatch#DIRECT_MERGE_PARTITIONS}
 * partitions, beyond in groups merged on the executors ({@link #treeMerge}).
 */
final class JobBatches implements BatchSummer {
  private final JavaSparkContext jsc;
  private final JavaRDD<Task> train;
  private final Adaptation adaptation;
  private final ParamLayout layout;
  private final LongAccumulator kernelNanos;
  private Broadcast<Params> previous;

  JobBatches(JavaSparkContext jsc, JavaRDD<Task> train, Adaptation adaptation, ParamLayout layout) {
    this.jsc = jsc;
    this.train = train;
    this.adaptation = adaptation;
    this.layout = layout;
    this.kernelNanos = jsc.sc().longAccumulator("metarec.kernelNanos");
  }

  @Override
  public MetaGradientAccumulator sum(long iteration, Params theta) {
    Broadcast<Params> bTheta = jsc.broadcast(theta);
    if (previous != null) {
      previous.destroy();
    }
    previous = bTheta;
    IterationStep step = new IterationStep(bTheta, adaptation, iteration, kernelNanos);
    if (train.getNumPartitions() > MetaBatch.DIRECT_MERGE_PARTITIONS) {
      return treeMerge(train.mapPartitions(it -> List.of(step.accumulate(it)).iterator()), layout);
    }
    MetaGradientAccumulator[] perPartition = (MetaGradientAccumulator[]) train.context()
        .runJob(train.rdd(), step, scala.reflect.ClassTag$.MODULE$.apply(
            MetaGradientAccumulator.class));
    return MetaBatch.sumInOrder(Arrays.asList(perPartition), layout);
  }

  @Override
  public long kernelNanos() {
    return kernelNanos.value();
  }

  @Override
  public void close() {
    if (previous != null) {
      previous.destroy();
      previous = null;
    }
  }

  /**
   * One iteration's work on a partition: the partition's share of the meta-batch adapted from the
   * broadcast θ and summed into one accumulator. A named class, not a lambda: Spark's
   * ClosureCleaner leaves it alone, where it re-reads and parses the bytecode of the classes around
   * every lambda (JavaRDDLike's wrapper, RDD.collect's) on every job, milliseconds of driver time
   * per iteration while the executors wait (measured with JFR on ml-100k).
   */
  static final class IterationStep extends scala.runtime.AbstractFunction2<org.apache.spark.TaskContext,
      scala.collection.Iterator<Task>, MetaGradientAccumulator> implements java.io.Serializable {
    private static final long serialVersionUID = 2L;
    private final Broadcast<Params> bTheta;
    private final Adaptation adaptation;
    private final long iteration;
    private final LongAccumulator kernelNanos;

    IterationStep(Broadcast<Params> bTheta, Adaptation adaptation, long iteration,
        LongAccumulator kernelNanos) {
      this.bTheta = bTheta;
      this.adaptation = adaptation;
      this.iteration = iteration;
      this.kernelNanos = kernelNanos;
    }

    /** The partition's accumulator ({@code ctx} unused: the task context is also thread-local). */
    @Override
    public MetaGradientAccumulator apply(org.apache.spark.TaskContext ctx,
        scala.collection.Iterator<Task> tasks) {
      return accumulate(scala.collection.JavaConverters.asJavaIterator(tasks));
    }

    MetaGradientAccumulator accumulate(Iterator<Task> tasks) {
      adaptation.faults().beforeIteration(iteration, 0);
      long[] ns = new long[1];
      MetaGradientAccumulator a = adaptation.share(tasks, bTheta.value(),
          new MetaBatch.ShareKey(bTheta.id(), iteration), iteration, ns);
      kernelNanos.add(ns[0]);
      return a;
    }
  }

  /**
   * Sums one accumulator per partition in the order {@link MetaBatch#treeSum} fixes, so that the
   * float sums, and so θ, are the same in every run with the same partition count, wherever the
   * partitions ran: groups of {@link MetaBatch#fanIn} consecutive partitions merged on the executors
   * ({@link MetaBatch#groupSum}), then the group sums on the driver in group order. (Spark's
   * treeReduce merges in the order tasks finish.)
   */
  static MetaGradientAccumulator treeMerge(JavaRDD<MetaGradientAccumulator> perPartition,
      ParamLayout layout) {
    int n = perPartition.getNumPartitions();
    int fanIn = MetaBatch.fanIn(n);
    int groups = (n + fanIn - 1) / fanIn;
    List<Tuple2<Integer, MetaGradientAccumulator>> sums = perPartition
        .mapPartitionsWithIndex((i, it) -> {
          List<Tuple2<Integer, Tuple2<Integer, MetaGradientAccumulator>>> out = new ArrayList<>();
          while (it.hasNext()) {
            out.add(new Tuple2<>(i / fanIn, new Tuple2<>(i, it.next())));
          }
          return out.iterator();
        }, true)
        .mapToPair(t -> t)
        .groupByKey(groups)
        .mapValues(accs -> {
          List<Tuple2<Integer, MetaGradientAccumulator>> sorted = new ArrayList<>();
          accs.forEach(sorted::add);
          sorted.sort(Comparator.comparing(Tuple2::_1));
          return MetaBatch.groupSum(sorted.stream().map(Tuple2::_2).toList());
        })
        .collect();
    List<Tuple2<Integer, MetaGradientAccumulator>> ordered = new ArrayList<>(sums);
    ordered.sort(Comparator.comparing(Tuple2::_1));
    return MetaBatch.sumInOrder(ordered.stream().map(Tuple2::_2).toList(), layout);
  }
}
