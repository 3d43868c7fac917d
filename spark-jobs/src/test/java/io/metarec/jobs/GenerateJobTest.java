package io.metarec.jobs;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateJobTest {
  private final SparkSession spark = TestSpark.session();

  private List<Row> sorted(Path p) {
    var df = spark.read().parquet(p.toString());
    return df.orderBy(df.columns()[0], df.columns()[1]).collectAsList();
  }

  @Test
  void outputDoesNotDependOnPartitioning(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    GenerateJob.run(spark, config("generate.out=" + a, "generate.size=tiny", "generate.partitions=1"));
    GenerateJob.run(spark, config("generate.out=" + b, "generate.size=tiny", "generate.partitions=5"));
    assertEquals(sorted(a.resolve("interactions")), sorted(b.resolve("interactions")));
    assertEquals(sorted(a.resolve("users")), sorted(b.resolve("users")));
    assertEquals(200, spark.read().parquet(a.resolve("users").toString()).count());
    assertEquals(100, spark.read().parquet(a.resolve("items").toString()).count());
    long n = spark.read().parquet(a.resolve("interactions").toString()).count();
    assertTrue(n > 3000 && n < 10000, "about 200 x 30 interactions, got " + n);
    assertTrue(Files.readString(a.resolve("generate.json")).contains("\"interactions\" : " + n));
  }

  @Test
  void seedChangesTheData(@TempDir Path dir) {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    GenerateJob.run(spark, config("generate.out=" + a, "generate.size=tiny", "seed=1"));
    GenerateJob.run(spark, config("generate.out=" + b, "generate.size=tiny", "seed=2"));
    assertTrue(!sorted(a.resolve("interactions")).equals(sorted(b.resolve("interactions"))));
  }
}
