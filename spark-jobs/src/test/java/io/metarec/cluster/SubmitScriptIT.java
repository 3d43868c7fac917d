package io.metarec.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/submit.sh} end to end through Spark's own launcher: a Spark "distribution" made
 * from the Maven jars (without MetaRec's classes, which must come from the application jar) with a
 * {@code bin/spark-submit} that runs {@code org.apache.spark.launcher.Main} as Spark's script does,
 * so the merged properties file, the driver's Java options and the application jar are handled
 * by spark-submit itself. The standalone recipe runs on {@code local-cluster} (a standalone master
 * and two executor JVMs).
 */
@Tag("local-cluster")
class SubmitScriptIT {
  @TempDir static Path dir;
  private static Path root;
  private static Path sparkHome;

  @BeforeAll
  static void distribution() throws IOException {
    Assumptions.assumeFalse(Boolean.getBoolean("metarec.skipAppJar"),
        "the application jar is not built (-Dmetarec.skipAppJar=true)");
    root = Path.of(System.getProperty("metarec.root"));
    Path appJar = Path.of(System.getProperty("metarec.appJar"));
    assertTrue(Files.isRegularFile(appJar), appJar + " missing: mvn package builds it");
    // Not under the JUnit temp folder, whose cleanup complains about every link to ~/.m2.
    sparkHome = appJar.getParent().resolve("spark-dist");
    ClusterClassPath.fill(sparkHome, System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")), p -> !Files.isDirectory(p)
            && !p.getFileName().toString().startsWith("metarec-"));
    Path bin = Files.createDirectories(sparkHome.resolve("bin"));
    // What Spark's bin/spark-submit and bin/spark-class do: ask the launcher for the command line
    // (after a NUL and a newline, NUL-separated; then the launcher's exit status) and run it.
    script(bin.resolve("spark-submit"), "#!/usr/bin/env bash\n"
        + "exec \"$(dirname \"$0\")/spark-class\" org.apache.spark.deploy.SparkSubmit \"$@\"\n");
    script(bin.resolve("spark-class"), String.join("\n",
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        "SPARK_HOME=\"$(cd \"$(dirname \"$0\")/..\" && pwd)\"; export SPARK_HOME",
        "args=()",
        "while IFS= read -r -d '' a; do args+=(\"$a\"); done < <(java -Xmx128m -cp "
            + "\"$SPARK_HOME/jars/*\" org.apache.spark.launcher.Main \"$@\"; printf '%d\\0' $?)",
        "status=\"${args[${#args[@]}-1]}\"",
        "[ \"$status\" = 0 ] || exit \"$status\"",
        "unset 'args[${#args[@]}-1]'",
        "args=(\"${args[@]:1}\")",
        "args[0]=\"${args[0]#$'\\n'}\"",
        "exec \"${args[@]}\"", ""));
  }

  private static void script(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static String submit(String submitArgs, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("scripts/submit.sh").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Path log = Files.createTempFile(dir, "submit", ".log");
    pb.redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("METAREC_APP_JAR", System.getProperty("metarec.appJar"));
    env.put("METAREC_SUBMIT_ARGS", submitArgs);
    Process p = pb.start();
    boolean finished = p.waitFor(5, TimeUnit.MINUTES);
    String out = Files.readString(log);
    if (!finished) {
      // spark-submit's JVM is a child of the script: end it too, or it outlives the test.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    assertTrue(finished, "submit.sh timed out:\n" + out);
    assertEquals(0, p.exitValue(), "submit.sh " + String.join(" ", args) + " failed:\n" + out);
    return out;
  }

  @Test
  void localAndStandaloneRecipesRunThroughSparkSubmit() throws Exception {
    Path data = dir.resolve("data");
    submit("--master local[2] --driver-memory 1g", "--target", "local", "generate",
        "--size", "tiny", "--out", data.toString(), "--set", "generate.users=200");
    assertTrue(Files.isDirectory(data.resolve("interactions")));

    Path run = dir.resolve("run");
    String out = submit("--master local-cluster[2,1,1024] --conf spark.executor.memory=1g --conf spark.executor.cores=1 --driver-memory 1g",
        "--target", "standalone", "pipeline", "--run", run.toString(), "--stages",
        "build-tasks,train", "--input", data.resolve("interactions").toString(),
        "--set", "meta.iterations=5", "--set", "model.hidden=[16]", "--set", "train.partitions=4");
    assertTrue(Files.exists(run.resolve("model/model.json")), out);
    assertTrue(out.contains("pipeline:"), out);
  }
}
