package io.metarec.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The run-time choice between the Vector API microkernels and the scalar loops: made from the module
 * graph and {@code metarec.kernel.vector}, and never visible in the results. Child JVMs run
 * {@link KernelPathProbe} with and without the module.
 */
class KernelPathTest {
  @Test
  void theBuildsTestJvmRunsTheVectorPath() {
    // Surefire passes --add-modules=jdk.incubator.vector (pom.xml), as the scripts and Spark do.
    assertTrue(ModuleLayer.boot().findModule(KernelPath.VECTOR_MODULE).isPresent(), "module in the test JVM");
    assertTrue(KernelPath.vectorized(), KernelPath.description());
    assertTrue(KernelPath.description().startsWith("Vector API, Species[float"), KernelPath.description());
  }

  @Test
  void withoutTheModuleOrSwitchedOffTheScalarLoopsRunWithTheSameBits() throws Exception {
    long here = KernelPathProbe.fingerprint();
    Map<String, String> without = probe(List.of());
    assertEquals("false", without.get("vectorized"), without.toString());
    assertTrue(without.get("path").contains("not in the module graph"), without.toString());
    assertEquals(Long.toString(here), without.get("fingerprint"), "scalar loops without the module");

    Map<String, String> off = probe(List.of("--add-modules=" + KernelPath.VECTOR_MODULE,
        "-D" + KernelPath.PROPERTY + "=off"));
    assertEquals("false", off.get("vectorized"), off.toString());
    assertEquals(Long.toString(here), off.get("fingerprint"), "scalar loops switched off by the property");

    Map<String, String> with = probe(List.of("--add-modules=" + KernelPath.VECTOR_MODULE));
    assertEquals("true", with.get("vectorized"), with.toString());
    assertEquals(Long.toString(here), with.get("fingerprint"), "Vector API path in another JVM");
  }

  @Test
  void aSettingOtherThanAutoOrOffStopsTheJvm() throws Exception {
    Map<String, String> bad = probe(List.of("-D" + KernelPath.PROPERTY + "=on"));
    assertTrue(bad.get("output").contains("metarec.kernel.vector must be auto or off, got 'on'"),
        bad.get("output"));
  }

  /** Runs {@link KernelPathProbe} in a child JVM with {@code options}; its key=value lines and output. */
  private static Map<String, String> probe(List<String> options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(KernelPathProbe.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe finished");
    Map<String, String> m = new HashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith("SLF4J")) {
        m.putIfAbsent(line.substring(0, eq), line.substring(eq + 1).trim());
      }
    }
    m.put("output", out);
    return m;
  }
}
