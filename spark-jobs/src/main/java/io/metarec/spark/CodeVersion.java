package io.metarec.spark;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of this build, as models and reports record it: "0.1.0 (commit[, modified])". */
public final class CodeVersion {
  private CodeVersion() {}

  /** @return the project version and the git commit it was built from, when known */
  public static String get() {
    Properties p = new Properties();
    try (InputStream in = CodeVersion.class.getResourceAsStream("/io/metarec/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    String v = p.getProperty("version", "unknown");
    String commit = p.getProperty("commit", "");
    if (commit.isBlank() || commit.startsWith("${")) {
      return v;
    }
    return v + " (" + commit + ("true".equals(p.getProperty("dirty")) ? ", modified" : "") + ")";
  }
}
