package io.metarec.jobs.train;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.task.Task;
import io.metarec.train.BatchSummer;
import io.metarec.train.MetaBatch;
import io.metarec.train.ThetaDelta;
import io.metarec.train.ThetaReplica;
import io.metarec.train.ThetaUpdates;
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
 * {@code train.exchange=jobs}: one Spark job per iteration. Each executor JVM keeps one copy of θ
 * for all its partitions ({@link ThetaReplica}); what goes out per iteration is a broadcast of
 * what the last outer step changed ({@link ThetaDelta}: the dense part and the touched table rows,
 * sized by the meta-batch, not the catalog), and each job names the chain of such deltas since the
 * last full θ (the base, also a broadcast), so an executor that joins late or lost its copy catches
 * up from the base. The chain is cut and a new base broadcast once the deltas since the base add up
 * to the size of θ, and the old broadcasts are destroyed then, so nothing piles up over thousands
 * of iterations. Each partition's accumulator comes back as its task's result, and the driver
 * merges them in the order {@link MetaBatch#sum} fixes: directly up to {@value
 * MetaBatch#DIRECT_MERGE_PARTITIONS} partitions, beyond in groups merged on the executors ({@link
 * #treeMerge}).
 */
final class JobBatches implements BatchSummer {
  private final JavaSparkContext jsc;
  private final JavaRDD<Task> train;
  private final Adaptation adaptation;
  private final ParamLayout layout;
  private final LongAccumulator kernelNanos;
  private final ThetaUpdates updates = new ThetaUpdates();
  private Broadcast<ThetaDelta> base;
  private long baseVersion;
  private long baseBytes;
  private final List<Broadcast<ThetaDelta>> chain = new ArrayList<>();
  private long chainBytes;
  private long sentBytes;
  private long bases;

  JobBatches(JavaSparkContext jsc, JavaRDD<Task> train, Adaptation adaptation, ParamLayout layout) {
    this.jsc = jsc;
    this.train = train;
    this.adaptation = adaptation;
    this.layout = layout;
    this.kernelNanos = jsc.sc().longAccumulator("metarec.kernelNanos");
  }

  @Override
  public MetaGradientAccumulator sum(long iteration, Params theta) {
    ThetaDelta d = updates.deltaFor(iteration, theta);
    if (d == null || base == null || chainBytes + d.bytes() > baseBytes) {
      rebase(ThetaDelta.full(theta, iteration));
    } else {
      chain.add(jsc.broadcast(d));
      chainBytes += d.bytes();
      sentBytes += d.bytes();
    }
    IterationStep step = new IterationStep(adaptation.run(), base, baseVersion,
        new ArrayList<>(chain), adaptation, iteration, kernelNanos);
    MetaGradientAccumulator acc;
    if (train.getNumPartitions() > MetaBatch.DIRECT_MERGE_PARTITIONS) {
      acc = treeMerge(train.mapPartitions(it -> List.of(step.accumulate(it)).iterator()), layout);
    } else {
      MetaGradientAccumulator[] perPartition = (MetaGradientAccumulator[]) train.context()
          .runJob(train.rdd(), step, scala.reflect.ClassTag$.MODULE$.apply(
              MetaGradientAccumulator.class));
      acc = MetaBatch.sumInOrder(Arrays.asList(perPartition), layout);
    }
    updates.summed(iteration, theta, acc);
    return acc;
  }

  /** A new base: {@code full} broadcast, the old base and chain destroyed. */
  private void rebase(ThetaDelta full) {
    destroyAll();
    base = jsc.broadcast(full);
    baseVersion = full.to();
    baseBytes = full.bytes();
    sentBytes += baseBytes;
    bases++;
  }

  private void destroyAll() {
    for (Broadcast<ThetaDelta> b : chain) {
      b.destroy();
    }
    chain.clear();
    chainBytes = 0;
    if (base != null) {
      base.destroy();
      base = null;
    }
  }

  /** Bytes of θ broadcast so far (full θ and deltas). */
  @Override
  public long thetaBytesSent() {
    return sentBytes;
  }

  @Override
  public long kernelNanos() {
    return kernelNanos.value();
  }

  /** How θ travelled: the bases broadcast and the bytes of θ. */
  ExchangeStats stats() {
    return new ExchangeStats(0, 0, 0, 0, 0, 0, bases, sentBytes, 0);
  }

  @Override
  public void close() {
    destroyAll();
    updates.reset();
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
    private static final long serialVersionUID = 3L;
    private final long run;
    private final Broadcast<ThetaDelta> base;
    private final long baseVersion;
    private final List<Broadcast<ThetaDelta>> chain;
    private final Adaptation adaptation;
    private final long iteration;
    private final LongAccumulator kernelNanos;

    /**
     * @param chain the deltas after the base, one per iteration up to {@code iteration}
     */
    IterationStep(long run, Broadcast<ThetaDelta> base, long baseVersion,
        List<Broadcast<ThetaDelta>> chain, Adaptation adaptation, long iteration,
        LongAccumulator kernelNanos) {
      this.run = run;
      this.base = base;
      this.baseVersion = baseVersion;
      this.chain = chain;
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
      Params theta = ThetaReplica.of(run, adaptation.layout()).advance(iteration,
          new ThetaReplica.Source() {
            @Override
            public ThetaDelta base() {
              return base.value();
            }

            @Override
            public long baseVersion() {
              return baseVersion;
            }

            @Override
            public ThetaDelta delta(long version) {
              return chain.get((int) (version - baseVersion - 1)).value();
            }
          });
      long[] ns = new long[1];
      MetaGradientAccumulator a = adaptation.share(tasks, theta,
          new MetaBatch.ShareKey(run, iteration), iteration, ns);
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
