package io.metarec.jobs.train;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.ExchangeKind;
import io.metarec.train.MetaBatch;
import io.metarec.config.TrainConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a run exchanges θ and the accumulators ({@code train.exchange}) and over how many
 * partitions it caches the training tasks.
 *
 * @param rounds whether iterations run in rounds ({@link RoundBatches}) rather than one job each
 * @param partitions partitions of the cached tasks
 * @param reason why, for the log
 */
record ExchangePlan(boolean rounds, int partitions, String reason) {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangePlan.class);

  /**
   * Rounds are chosen by {@code auto} up to this many executors: the driver sends each iteration's
   * θ delta to one partition of each (a broadcast fans out from executor to executor instead).
   */
  static final int MAX_ROUND_EXECUTORS = 16;
  /**
   * Rounds are chosen by {@code auto} up to this many partitions: the driver reads and sums every
   * partition's accumulator itself, in partition order, where one job per iteration sums groups
   * of partitions on the executors first beyond {@value MetaBatch#DIRECT_MERGE_PARTITIONS}.
   */
  static final int MAX_ROUND_PARTITIONS = 64;

  /**
   * Resolves {@code train.exchange} against the cluster. Rounds run in a barrier stage, which
   * needs a task slot for every partition at once and a fixed set of executors: their partition
   * count defaults to the task slots instead of 3 × the cores, since idle threads of an executor
   * already balance its partitions' work. {@code
   * auto} picks rounds unless dynamic allocation is on, tasks claim resources (GPUs: slots may then
   * be fewer than cores), Spark's network encryption is on (the rounds' TCP exchange is not
   * encrypted), {@code train.partitions} exceeds the slots, there are more than {@value
   * #MAX_ROUND_EXECUTORS} executors or the partitions exceed {@value #MAX_ROUND_PARTITIONS}.
   *
   * @throws ConfigValidationException for {@code rounds} that this cluster cannot run
   */
  static ExchangePlan of(TrainConfig tc, org.apache.spark.SparkConf conf,
      int defaultParallelism, int slots) {
    return of(tc, conf, defaultParallelism, slots, 1);
  }

  /** As {@link #of(TrainConfig, org.apache.spark.SparkConf, int, int)} on {@code executors} executors. */
  static ExchangePlan of(TrainConfig tc, org.apache.spark.SparkConf conf,
      int defaultParallelism, int slots, int executors) {
    int jobParts = tc.partitions() > 0 ? tc.partitions() : 3 * defaultParallelism;
    int roundParts = tc.partitions() > 0 ? tc.partitions() : Math.max(1, slots);
    if (tc.exchange() == ExchangeKind.JOBS) {
      return new ExchangePlan(false, jobParts, "as configured");
    }
    String blocker = null;
    if (slots < 1) {
      blocker = "no task slots counted (no executor has registered yet)";
    } else if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      blocker = "dynamic allocation is on (spark.dynamicAllocation.enabled), and a barrier stage "
          + "needs a fixed set of executors";
    } else if (roundParts > slots) {
      blocker = "train.partitions = " + roundParts + " exceeds the " + slots + " task slots, and a "
          + "barrier stage runs every partition at once";
    }
    boolean encrypted = conf.getBoolean("spark.network.crypto.enabled", false)
        || conf.getBoolean("spark.ssl.enabled", false);
    if (tc.exchange() == ExchangeKind.ROUNDS) {
      if (blocker != null) {
        throw new ConfigValidationException("train.exchange=rounds: " + blocker);
      }
      // Asked for by name: the user accepts an exchange that is authenticated but not encrypted.
      return new ExchangePlan(true, roundParts, encrypted ? "as configured, although Spark's "
          + "network encryption is on: θ and the accumulators travel unencrypted (auto would pick "
          + "jobs here)" : "as configured");
    }
    if (blocker == null) {
      for (scala.Tuple2<String, String> kv : conf.getAll()) {
        if (kv._1().startsWith("spark.task.resource.")) {
          blocker = "tasks claim resources (" + kv._1() + "), so there may be fewer slots than cores";
          break;
        }
      }
    }
    if (blocker == null && encrypted) {
      blocker = "Spark's network encryption is on and the rounds' TCP exchange is not encrypted";
    }
    if (blocker == null && executors > MAX_ROUND_EXECUTORS) {
      blocker = executors + " executors: beyond " + MAX_ROUND_EXECUTORS + " the driver's sends of "
          + "θ's deltas to every executor cost more than the broadcast";
    }
    if (blocker == null && roundParts > MAX_ROUND_PARTITIONS) {
      blocker = roundParts + " partitions: beyond " + MAX_ROUND_PARTITIONS + " the driver's sum of "
          + "every partition's accumulator costs more than the executors' merge of one job";
    }
    return blocker == null
        ? new ExchangePlan(true, roundParts, roundParts + " partitions, one per task slot")
        : new ExchangePlan(false, jobParts, blocker);
  }

  /**
   * Tasks the executors registered so far can run at once (cores / {@code spark.task.cpus}, and
   * task resources), as Spark's own check of a barrier stage counts them, once there are {@code
   * wanted} or 30 s have passed. That count is
   * Spark-internal API ({@code private[spark]}, public in the bytecode); should another Spark
   * version lack it, this returns 0 and {@code auto} keeps to one job per iteration.
   */
  static int taskSlots(JavaSparkContext jsc, int wanted) {
    org.apache.spark.SparkContext sc = jsc.sc();
    try {
      // On a cluster, executors may still be registering (a standalone master does not wait for
      // any before the session starts) or replacing a lost one: give them up to 30 s to offer the
      // slots wanted. Local mode has all its slots from the start.
      boolean local = sc.isLocal();
      long deadline = System.nanoTime() + (local ? 0 : 30_000_000_000L);
      int slots;
      while ((slots = sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile())) < wanted
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      return slots;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (LinkageError notInThisSparkVersion) {
      LOG.warn("this Spark does not report its task slots ({}); training runs one job per iteration",
          notInThisSparkVersion.toString());
      return 0;
    }
  }

  /**
   * How often Spark attempts a task, and so a round's iteration: {@code local[N]} once, {@code
   * local[N,F]} F times, elsewhere {@code spark.task.maxFailures} (4 by default).
   */
  /** Executors registered now (local mode: 1, the driver). */
  static int executors(JavaSparkContext jsc) {
    int n = jsc.sc().statusTracker().getExecutorInfos().length;
    return jsc.sc().isLocal() ? 1 : Math.max(1, n - 1);
  }

  static int maxTaskFailures(org.apache.spark.SparkConf conf, String master) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("local\\[\\s*(?:\\d+|\\*)\\s*,\\s*(\\d+)\\s*]").matcher(master);
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    if (master.startsWith("local") && !master.startsWith("local-cluster")) {
      return 1;
    }
    return Math.max(1, conf.getInt("spark.task.maxFailures", 4));
  }
}
