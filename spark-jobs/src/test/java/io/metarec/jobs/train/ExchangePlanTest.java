package io.metarec.jobs.train;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.ConfigValidationException;
import io.metarec.config.TrainConfig;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** {@code train.exchange} resolved against cluster settings, without a Spark context. */
class ExchangePlanTest {
  private static TrainConfig train(String... settings) {
    return config(settings).train();
  }

  @Test
  void autoRunsRoundsWithOnePartitionPerTaskSlot() {
    ExchangePlan p = ExchangePlan.of(train(), new SparkConf(false), 8, 8);
    assertTrue(p.rounds());
    assertEquals(8, p.partitions());
    ExchangePlan cpus = ExchangePlan.of(train(), new SparkConf(false), 8, 4);
    assertTrue(cpus.rounds());
    assertEquals(4, cpus.partitions(), "e.g. 8 cores at spark.task.cpus = 2: 4 slots");
    ExchangePlan fewer = ExchangePlan.of(train("train.partitions=3"),
        new SparkConf(false), 8, 8);
    assertTrue(fewer.rounds());
    assertEquals(3, fewer.partitions());
  }

  @Test
  void autoFallsBackToOneJobPerIterationWhereRoundsCannotRun() {
    SparkConf plain = new SparkConf(false);
    assertJobs(ExchangePlan.of(train(), new SparkConf(false)
        .set("spark.dynamicAllocation.enabled", "true"), 8, 8), 24, "dynamic allocation");
    assertJobs(ExchangePlan.of(train("train.partitions=9"), plain, 8, 8), 9,
        "exceeds the 8 task slots");
    // spark.default.parallelism set higher than the slots (as the test session does)
    assertJobs(ExchangePlan.of(train("train.partitions=4"), plain, 4, 2), 4,
        "exceeds the 2 task slots");
    assertJobs(ExchangePlan.of(train(), new SparkConf(false)
        .set("spark.task.resource.gpu.amount", "1"), 8, 8), 24, "spark.task.resource.gpu.amount");
    assertJobs(ExchangePlan.of(train(), new SparkConf(false)
        .set("spark.network.crypto.enabled", "true"), 8, 8), 24, "not encrypted");
    assertJobs(ExchangePlan.of(train(), plain, 96, 96), 288, "beyond 64");
    assertJobs(ExchangePlan.of(train(), plain, 32, 32, 17), 96, "17 executors: beyond 16");
    // 32 slots on 4 executors: the delta goes to 4 JVMs, the 32 accumulators are summed here.
    ExchangePlan wide = ExchangePlan.of(train(), plain, 32, 32, 4);
    assertTrue(wide.rounds(), wide.toString());
    assertEquals(32, wide.partitions());
    assertJobs(ExchangePlan.of(train(), plain, 2, 0), 6, "no task slots counted");
  }

  private static void assertJobs(ExchangePlan p, int partitions, String because) {
    assertFalse(p.rounds(), p.toString());
    assertEquals(partitions, p.partitions(), "3 x the cores unless train.partitions is set");
    assertTrue(p.reason().contains(because), p.reason());
  }

  @Test
  void explicitSettingsWin() {
    ExchangePlan jobs = ExchangePlan.of(train("train.exchange=jobs"),
        new SparkConf(false), 2, 2);
    assertFalse(jobs.rounds());
    assertEquals(6, jobs.partitions());
    ExchangePlan rounds = ExchangePlan.of(train("train.exchange=rounds"),
        new SparkConf(false).set("spark.network.crypto.enabled", "true"), 32, 32);
    assertTrue(rounds.rounds(), "asked for: the user accepts the unencrypted exchange");
    assertEquals(32, rounds.partitions());
    assertTrue(rounds.reason().contains("travel unencrypted"), rounds.reason());
    ConfigValidationException e = assertThrows(ConfigValidationException.class,
        () -> ExchangePlan.of(train("train.exchange=rounds"),
            new SparkConf(false).set("spark.dynamicAllocation.enabled", "true"), 4, 4));
    assertTrue(e.getMessage().startsWith("train.exchange=rounds: dynamic allocation"), e.getMessage());
    assertThrows(ConfigValidationException.class, () -> train("train.exchange=barrier"));
    assertThrows(ConfigValidationException.class, () -> train("train.exchangePort=70000"));
  }

  @Test
  void aRoundIterationGetsAsManyAttemptsAsSparkGivesATask() {
    SparkConf plain = new SparkConf(false);
    assertEquals(1, ExchangePlan.maxTaskFailures(plain, "local[2]"));
    assertEquals(1, ExchangePlan.maxTaskFailures(plain, "local[*]"));
    assertEquals(1, ExchangePlan.maxTaskFailures(plain, "local"));
    assertEquals(3, ExchangePlan.maxTaskFailures(plain, "local[4, 3]"));
    assertEquals(2, ExchangePlan.maxTaskFailures(plain, "local[*,2]"));
    assertEquals(4, ExchangePlan.maxTaskFailures(plain, "yarn"));
    assertEquals(4, ExchangePlan.maxTaskFailures(plain, "local-cluster[2,1,1024]"));
    assertEquals(8, ExchangePlan.maxTaskFailures(new SparkConf(false).set("spark.task.maxFailures", "8"),
        "spark://master:7077"));
  }
}
