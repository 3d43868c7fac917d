package io.metarec.jobs.pipeline;

import static io.metarec.testing.TestSpark.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.report.MethodResult;
import io.metarec.spark.JobFailedException;
import io.metarec.spark.Json;
import io.metarec.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on the embedded generator, and what a rerun skips. */
class PipelineJobTest {
  private static final SparkSession SPARK = TestSpark.session();

  private static String[] small(Path run, String... more) {
    return TestSpark.with(new String[] {"pipeline.run=" + run, "generate.size=tiny",
        "generate.users=250", "split.test=0.2", "tasks.supportSize=5",
        "model.embeddingDim=8", "model.hidden=[16]", "model.userDim=8",
        "meta.tasksPerIteration=64", "meta.iterations=10", "train.partitions=4",
        "train.validateEvery=5", "train.progressEvery=5", "evaluate.ks=[1, 5]",
        "evaluate.steps=[]", "evaluate.baselines=[global, bias]", "recommend.top=5"}, more);
  }

  private static Map<String, String> statuses(PipelineJob.Result r) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    r.stages().forEach(s -> m.put(s.stage(), s.status()));
    return m;
  }

  @Test
  void runsEveryStageThenSkipsWhatIsUnchangedAndRerunsWhatChanged(@TempDir Path dir)
      throws Exception {
    Path run = dir.resolve("run");
    PipelineJob.Result first = PipelineJob.run(SPARK, config(small(run)));
    assertEquals(Map.of("generate", "ran", "build-tasks", "ran", "train", "ran", "evaluate", "ran",
        "recommend", "ran"), statuses(first));
    for (String f : List.of("data/interactions", "tasks/features.json", "model/model.json",
        "report/metrics.json", "report/report.html", "recommendations/summary.json",
        "pipeline.json")) {
      assertTrue(Files.exists(run.resolve(f)), f);
    }
    assertNotNull(first.report());
    assertEquals(List.of("meta", "global", "bias"),
        first.report().methods().stream().map(MethodResult::name).toList());
    long modelTime = Files.getLastModifiedTime(run.resolve("model/params.bin")).toMillis();

    PipelineJob.Result again = PipelineJob.run(SPARK, config(small(run)));
    assertTrue(statuses(again).values().stream().allMatch("skipped"::equals), statuses(again).toString());
    assertNotNull(again.report(), "the summary of a skipped evaluation is read back");
    assertEquals(modelTime, Files.getLastModifiedTime(run.resolve("model/params.bin")).toMillis());

    // Evaluation settings touch the evaluation only...
    PipelineJob.Result rank = PipelineJob.run(SPARK, config(small(run, "evaluate.rankK=5")));
    assertEquals(Map.of("generate", "skipped", "build-tasks", "skipped", "train", "skipped",
        "evaluate", "ran", "recommend", "skipped"), statuses(rank));
    // ...but the support sizes are those training validates at (train.validationSupports follows
    // evaluate.ks), so they retrain as well; recommend follows the model.
    PipelineJob.Result ks = PipelineJob.run(SPARK, config(small(run, "evaluate.rankK=5",
        "evaluate.ks=[1, 3, 5]")));
    assertEquals(Map.of("generate", "skipped", "build-tasks", "skipped", "train", "ran",
        "evaluate", "ran", "recommend", "ran"), statuses(ks));
    assertEquals(List.of(1, 3, 5), ks.report().ks());

    // Other data: every stage after generate runs again, because its input files changed.
    PipelineJob.Result data = PipelineJob.run(SPARK, config(small(run, "evaluate.ks=[1, 3, 5]",
        "generate.noise=0.3")));
    assertTrue(statuses(data).values().stream().allMatch("ran"::equals), statuses(data).toString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void aFailedStageIsRecordedAndTheRerunStartsThere(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("run");
    String missing = dir.resolve("no-such-model").toString();
    JobFailedException e = assertThrows(JobFailedException.class, () -> PipelineJob.run(SPARK,
        config(small(run, "pipeline.stages=[generate, build-tasks, train, evaluate]",
            "evaluate.models=[\"older=" + missing + "\"]"))));
    assertTrue(e.getMessage().contains(missing), e.getMessage());
    Map<String, Object> state = Json.readObject(Files.readString(run.resolve("pipeline.json")));
    Map<String, Object> stages = (Map<String, Object>) state.get("stages");
    assertEquals(true, ((Map<String, Object>) stages.get("train")).get("done"));
    assertEquals(false, ((Map<String, Object>) stages.get("evaluate")).get("done"));
    assertFalse(Files.exists(run.resolve("report")), "no half-written report");

    PipelineJob.Result rerun = PipelineJob.run(SPARK, config(small(run,
        "pipeline.stages=[generate, build-tasks, train, evaluate]")));
    assertEquals(Map.of("generate", "skipped", "build-tasks", "skipped", "train", "skipped",
        "evaluate", "ran"), statuses(rerun));
  }

  @Test
  void withoutInputOrGenerateStageItSaysWhatIsMissing(@TempDir Path dir) {
    JobFailedException e = assertThrows(JobFailedException.class, () -> PipelineJob.run(SPARK,
        config(small(dir.resolve("run"), "pipeline.stages=[build-tasks, train]"))));
    assertTrue(e.getMessage().contains("input.path"), e.getMessage());
  }
}
