package io.metarec.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Makes a folder look like a Spark distribution to the standalone workers of
 * {@code local-cluster}: {@code RELEASE} (any text) and {@code jars/} holding the given class path
 * (jars linked, class folders packed into jars), which becomes the executors' class path.
 */
final class ClusterClassPath {
  private ClusterClassPath() {}

  static void fill(Path sparkHome, String classPath) throws IOException {
    fill(sparkHome, classPath, p -> true);
  }

  /** As {@link #fill(Path, String)}, with only the class path entries {@code keep} accepts. */
  static void fill(Path sparkHome, String classPath, java.util.function.Predicate<Path> keep)
      throws IOException {
    Path jars = sparkHome.resolve("jars");
    if (Files.isDirectory(jars)) {
      try (Stream<Path> old = Files.list(jars)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(jars);
    Files.writeString(sparkHome.resolve("RELEASE"), "MetaRec test distribution of Spark (jars from "
        + "the Maven class path)\n");
    int n = 0;
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path p = Path.of(entry).toAbsolutePath();
      if (!keep.test(p)) {
        continue;
      }
      String name = String.format("%03d-%s", n++, p.getFileName());
      if (Files.isDirectory(p)) {
        pack(p, jars.resolve(name + ".jar"));
      } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
        Files.createSymbolicLink(jars.resolve(name), p);
      }
    }
  }

  private static void pack(Path folder, Path jar) throws IOException {
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
        Stream<Path> files = Files.walk(folder)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (Files.isRegularFile(f)) {
          j.putNextEntry(new JarEntry(folder.relativize(f).toString().replace('\\', '/')));
          Files.copy(f, j);
          j.closeEntry();
        }
      }
    }
  }
}
