package io.metarec.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster recipes as {@code scripts/submit.sh --dry-run} resolves them (no Spark needed), and
 * the GPU discovery script. {@link SubmitScriptIT} runs the local and standalone recipes for real.
 */
class SubmitScriptTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  private record Run(int status, String out) {}

  private static Run bash(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Run(p.exitValue(), out);
  }

  /** The merged Spark properties a dry run prints. */
  private static Map<String, String> properties(String out) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("spark.")) {
        int sp = line.indexOf(' ');
        m.put(line.substring(0, sp), line.substring(sp + 1));
      }
    }
    return m;
  }

  private static Run submit(String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of(ROOT.resolve("scripts/submit.sh").toString()));
    a.addAll(List.of(args));
    return bash(Map.of("METAREC_SUBMIT_ARGS", "--num-executors 3"), a.toArray(new String[0]));
  }

  @Test
  void everyTargetKeepsTheJavaOptionsKryoAndNoDynamicAllocation() throws Exception {
    for (String target : List.of("local", "standalone", "yarn", "k8s")) {
      Run r = submit("--target", target, "--dry-run", "train", "--tasks", "t", "--model", "m");
      assertEquals(0, r.status(), r.out());
      Map<String, String> p = properties(r.out());
      assertTrue(p.get("spark.driver.extraJavaOptions").contains("--add-opens=java.base/sun.nio.ch"));
      assertTrue(p.get("spark.executor.extraJavaOptions").contains("--add-opens=java.base/java.nio"));
      assertTrue(p.get("spark.driver.extraJavaOptions").contains("log4j2.configurationFile"));
      // The kernel's Vector API path on the driver (evaluation) and the executors (the inner loop).
      assertTrue(p.get("spark.driver.extraJavaOptions").contains("--add-modules=jdk.incubator.vector"));
      assertTrue(p.get("spark.executor.extraJavaOptions").contains("--add-modules=jdk.incubator.vector"));
      assertEquals("io.metarec.spark.MetaRecKryoRegistrator", p.get("spark.kryo.registrator"));
      assertEquals("false", p.get("spark.dynamicAllocation.enabled"));
      assertTrue(r.out().contains("--class io.metarec.cli.MetaRecCli"), r.out());
      assertTrue(r.out().contains("--num-executors 3"), r.out());
      assertTrue(r.out().trim().endsWith("train --tasks t --model m"), r.out());
    }
    assertEquals("yarn", properties(submit("--target", "yarn", "--dry-run", "train").out())
        .get("spark.master"));
    assertTrue(properties(submit("--target", "k8s", "--dry-run", "train").out())
        .get("spark.master").startsWith("k8s://"));
  }

  @Test
  void gpuAddsResourceSchedulingAndShipsTheDiscoveryScript() throws Exception {
    Run r = submit("--target", "yarn", "--gpu", "--dry-run", "train");
    assertEquals(0, r.status(), r.out());
    Map<String, String> p = properties(r.out());
    assertEquals("1", p.get("spark.executor.resource.gpu.amount"));
    assertEquals("0.25", p.get("spark.task.resource.gpu.amount"));
    assertEquals("./gpu-discovery.sh", p.get("spark.executor.resource.gpu.discoveryScript"));
    assertTrue(r.out().contains("--files " + ROOT.resolve("scripts/gpu-discovery.sh")), r.out());
  }

  @Test
  void anUnknownTargetOrNoCommandIsRefused() throws Exception {
    Run r = submit("--target", "mesos", "--dry-run", "train");
    assertEquals(2, r.status());
    assertTrue(r.out().contains("spark-mesos.conf not found"), r.out());
    assertEquals(2, submit("--dry-run").status());
  }

  @Test
  void discoveryReportsTheVisibleGpusAsCudaOrdinals(@TempDir Path dir) throws Exception {
    String script = ROOT.resolve("scripts/gpu-discovery.sh").toString();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path smi = bin.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\nprintf '0\\n1\\n2\\n'\n");
    Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
    String path = bin + ":/usr/bin:/bin";
    assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\", \"2\"]}",
        bash(Map.of("PATH", path), script).out().trim());
    assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}",
        bash(Map.of("PATH", path, "CUDA_VISIBLE_DEVICES", "5,7"), script).out().trim());
    assertEquals("{\"name\": \"gpu\", \"addresses\": []}",
        bash(Map.of("PATH", Files.createDirectories(dir.resolve("empty")).toString()), script)
            .out().trim());
  }

}
