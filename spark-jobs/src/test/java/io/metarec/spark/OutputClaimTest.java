package io.metarec.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.OutputConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an output may replace, which inputs it must stay apart from, the marker its commit writes
 * and the leftovers of earlier runs it removes, on the local Hadoop file system without Spark.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutputClaimTest {
  private static final Configuration CONF = new Configuration();
  private static final OutputConfig SETTINGS = new OutputConfig(600);
  @TempDir Path dir;

  private static OutputClaim claim(OutputKind kind, String key, Path out,
      OutputClaim.Input... inputs) {
    return OutputClaim.acquire(CONF, SETTINGS, kind, key, out.toString(), inputs);
  }

  /** Writes an output of {@code kind} holding {@code file.txt} = {@code text}. */
  private static void write(OutputKind kind, Path out, String text) {
    try (OutputClaim c = claim(kind, "test.out", out); StagedOutput s = StagedOutput.begin(c)) {
      s.writeText("file.txt", text);
      s.commit();
    }
  }

  private static String kindOf(Path out) throws Exception {
    return OutputMarker.kindOf(FileSystem.getLocal(CONF), new org.apache.hadoop.fs.Path(
        out.toUri().toString()));
  }

  private static void touch(Path p, Instant when) throws Exception {
    Files.setLastModifiedTime(p, FileTime.from(when));
  }

  @Test
  void aFolderMetaRecDidNotWriteIsRefusedAndKept() throws Exception {
    Path out = dir.resolve("p");
    Files.createDirectories(out);
    Files.writeString(out.resolve("notes.txt"), "mine");
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> claim(OutputKind.TASKS, "buildTasks.out", out));
    String m = e.getMessage();
    assertTrue(m.startsWith("buildTasks.out ") && m.contains(out.toString())
        && m.contains("not written by MetaRec") && m.contains("it holds notes.txt"), m);
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
    assertFalse(Files.exists(dir.resolve("p" + OutputLock.SUFFIX)), "the lock is released");
  }

  @Test
  void aRegularFileIsRefused() throws Exception {
    Path out = dir.resolve("f");
    Files.writeString(out, "a user's file");
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> claim(OutputKind.RECOMMENDATIONS, "recommend.out", out));
    assertTrue(e.getMessage().contains("recommend.out ") && e.getMessage().contains(
        "is a file (13 bytes)"), e.getMessage());
    assertEquals("a user's file", Files.readString(out));
  }

  @Test
  void anOutputReplacesAnEmptyFolderAndItsOwnKindButNotAnotherKind() throws Exception {
    Path out = dir.resolve("t");
    Files.createDirectories(out);
    write(OutputKind.TASKS, out, "one");
    assertEquals("tasks", kindOf(out));
    write(OutputKind.TASKS, out, "two");
    assertEquals("two", Files.readString(out.resolve("file.txt")));
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> claim(OutputKind.MODEL, "train.model", out));
    assertTrue(e.getMessage().contains("holds a task set, not a model"), e.getMessage());
    assertEquals("two", Files.readString(out.resolve("file.txt")));
  }

  @Test
  void outputsOfEarlierBuildsWithoutAMarkerAreRecognisedByTheirFiles() throws Exception {
    Path tasks = dir.resolve("tasks");
    Files.createDirectories(tasks);
    Files.writeString(tasks.resolve("features.json"), "{}");
    Files.writeString(tasks.resolve("stats.json"), "{}");
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    Files.writeString(model.resolve("model.json"), "{\"formatVersion\": 1, \"kind\": \"metarec-model\"}");
    Path report = dir.resolve("report");
    Files.createDirectories(report);
    Files.writeString(report.resolve("metrics.json"), "{}");
    Files.writeString(report.resolve("report.html"), "<html>");
    Path recs = dir.resolve("recs");
    Files.createDirectories(recs.resolve("recommendations"));
    Files.writeString(recs.resolve("summary.json"), "{}");
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("interactions"));
    Files.writeString(data.resolve("generate.json"), "{}");

    write(OutputKind.TASKS, tasks, "t");
    write(OutputKind.MODEL, model, "m");
    write(OutputKind.REPORT, report, "r");
    write(OutputKind.RECOMMENDATIONS, recs, "s");
    write(OutputKind.DATA, data, "d");
    assertEquals("model", kindOf(model));

    // A model.json of someone else's is not a MetaRec model; an old task set is not a model.
    Path other = dir.resolve("other");
    Files.createDirectories(other);
    Files.writeString(other.resolve("model.json"), "{\"name\": \"resnet\"}");
    assertThrows(JobFailedException.class, () -> claim(OutputKind.MODEL, "train.model", other));
    Path oldTasks = dir.resolve("old-tasks");
    Files.createDirectories(oldTasks);
    Files.writeString(oldTasks.resolve("features.json"), "{}");
    Files.writeString(oldTasks.resolve("stats.json"), "{}");
    JobFailedException e = assertThrows(JobFailedException.class,
        () -> claim(OutputKind.MODEL, "train.model", oldTasks));
    assertTrue(e.getMessage().contains("holds a task set written by an earlier build, not a model"),
        e.getMessage());
  }

  @Test
  void anOutputThatIsContainsOrLiesInsideAnInputIsRefusedNamingBoth() throws Exception {
    Path tasks = dir.resolve("tasks");
    write(OutputKind.TASKS, tasks, "t");
    JobFailedException same = assertThrows(JobFailedException.class, () -> claim(OutputKind.MODEL,
        "train.model", tasks, OutputClaim.input("train.tasks", tasks.toString())));
    assertTrue(same.getMessage().startsWith("train.model ")
        && same.getMessage().contains("is the input train.tasks " + tasks), same.getMessage());
    JobFailedException inside = assertThrows(JobFailedException.class, () -> claim(
        OutputKind.REPORT, "evaluate.report", tasks.resolve("report"),
        OutputClaim.input("evaluate.tasks", tasks.toString())));
    assertTrue(inside.getMessage().contains("lies inside the input evaluate.tasks"),
        inside.getMessage());
    JobFailedException contains = assertThrows(JobFailedException.class, () -> claim(
        OutputKind.TASKS, "buildTasks.out", dir, OutputClaim.input("input.path",
            dir.resolve("logs/*.csv").toString())));
    assertTrue(contains.getMessage().contains("contains the input input.path"),
        contains.getMessage());
    // Through a symbolic link, the same folder is still the same folder.
    Path link = Files.createSymbolicLink(dir.resolve("link"), tasks);
    JobFailedException linked = assertThrows(JobFailedException.class, () -> claim(
        OutputKind.TASKS, "buildTasks.out", link, OutputClaim.input("input.path", tasks.toString())));
    assertTrue(linked.getMessage().contains("is the input input.path"), linked.getMessage());
    // A sibling with a common prefix is apart; an input that may be the output is allowed.
    claim(OutputKind.TASKS, "buildTasks.out", dir.resolve("tasks2"),
        OutputClaim.input("input.path", tasks.toString())).close();
    claim(OutputKind.TASKS, "buildTasks.out", tasks,
        OutputClaim.inputMayBeOutput("tasks.vocabFrom", tasks + "/")).close();
    assertEquals("t", Files.readString(tasks.resolve("file.txt")));
  }

  @Test
  void leftoversOfEarlierRunsAreRemovedButNotTheStagingOfARunStillAlive() throws Exception {
    Path out = dir.resolve("model");
    write(OutputKind.MODEL, out, "one");
    Instant earlier = Instant.now().minus(Duration.ofMinutes(5));
    Path deadStaging = Files.createDirectories(dir.resolve("model._staging-dead"));
    Path movedAside = Files.createDirectories(dir.resolve("model._old-1234"));
    Path export = Files.createDirectories(dir.resolve("model.export-5678"));
    Path failed = Files.createDirectories(dir.resolve("model.failed"));
    Path unrelated = Files.createDirectories(dir.resolve("models._staging-x"));
    for (Path p : new Path[] {deadStaging, movedAside, export, failed, unrelated}) {
      touch(p, earlier);
    }
    try (OutputClaim alive = claim(OutputKind.MODEL, "train.model", out);
        StagedOutput staging = StagedOutput.begin(alive)) {
      assertFalse(Files.exists(deadStaging) || Files.exists(movedAside) || Files.exists(export));
      assertTrue(Files.exists(failed) && Files.exists(unrelated));
      Path own = dir.resolve("model._staging-" + alive.runId());
      assertTrue(Files.isDirectory(own));
      // A second run of the same output is refused by the lock before it removes anything.
      assertThrows(JobFailedException.class, () -> claim(OutputKind.MODEL, "train.model", out));
      assertTrue(Files.isDirectory(own), "the live run's staging folder is kept");
      staging.writeText("file.txt", "two");
      staging.commit();
    }
    assertEquals("two", Files.readString(out.resolve("file.txt")));
    assertFalse(Files.exists(failed), "a finished run removes the earlier failed run's folder");
    assertTrue(Files.exists(unrelated));
  }

  @Test
  void anOutputAnInterruptedCommitMovedAsideIsPutBack() throws Exception {
    Path out = dir.resolve("report");
    write(OutputKind.REPORT, out, "kept");
    Files.move(out, dir.resolve("report._old-abcd"));
    try (OutputClaim c = claim(OutputKind.REPORT, "evaluate.report", out)) {
      assertEquals("kept", Files.readString(out.resolve("file.txt")));
    }
  }

  @Test
  void aRunThatLostItsLockDoesNotCommit() throws Exception {
    Path out = dir.resolve("recs");
    write(OutputKind.RECOMMENDATIONS, out, "one");
    try (OutputClaim c = claim(OutputKind.RECOMMENDATIONS, "recommend.out", out);
        StagedOutput s = StagedOutput.begin(c)) {
      s.writeText("file.txt", "two");
      Files.delete(dir.resolve("recs" + OutputLock.SUFFIX));
      JobFailedException e = assertThrows(JobFailedException.class, s::commit);
      assertTrue(e.getMessage().contains("lost its lock"), e.getMessage());
    }
    assertEquals("one", Files.readString(out.resolve("file.txt")));
    try (var left = Files.list(dir)) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("recs._staging-")));
    }
  }

  @Test
  void aFolderThatBecameForeignDuringTheRunIsNotReplaced() throws Exception {
    Path out = dir.resolve("gen");
    try (OutputClaim c = claim(OutputKind.DATA, "generate.out", out);
        StagedOutput s = StagedOutput.begin(c)) {
      s.writeText("file.txt", "data");
      Files.createDirectories(out);
      Files.writeString(out.resolve("notes.txt"), "written meanwhile");
      assertThrows(JobFailedException.class, s::commit);
    }
    assertEquals("written meanwhile", Files.readString(out.resolve("notes.txt")));
  }
}
