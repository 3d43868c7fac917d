package io.metarec.kernel;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which implementation the matrix products of {@link DenseKernels} run, chosen once per JVM when the
 * kernel is first used and logged: the Vector API microkernels ({@link VectorKernels}) when the
 * incubating module {@code jdk.incubator.vector} is in the boot layer ({@code java --add-modules
 * jdk.incubator.vector}, as the scripts, the Spark configuration and the test runs pass it), else the
 * scalar loops that C2 auto-vectorizes. Both give bit-identical results, so the choice changes speed,
 * never a number.
 *
 * <p>System property {@code metarec.kernel.vector}: {@code auto} (default) as above, {@code off} the
 * scalar loops even where the module is present (to compare the two in one build).
 */
public final class KernelPath {
  private static final Logger LOG = LoggerFactory.getLogger(KernelPath.class);
  /** The module that holds the Vector API (incubating in Java 17). */
  public static final String VECTOR_MODULE = "jdk.incubator.vector";
  /** The system property that can switch the Vector API path off. */
  public static final String PROPERTY = "metarec.kernel.vector";
  /** True when the products run on {@link VectorKernels}; a constant for C2, which folds the branch. */
  static final boolean VECTOR;
  private static final String DESCRIPTION;

  static {
    String setting = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    if (!setting.equals("auto") && !setting.equals("off")) {
      throw new IllegalArgumentException(PROPERTY + " must be auto or off, got '" + setting + "'");
    }
    boolean vector = false;
    String why;
    if (setting.equals("off")) {
      why = "scalar loops (" + PROPERTY + "=off)";
    } else if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      why = "scalar loops (" + VECTOR_MODULE + " not in the module graph; java --add-modules " + VECTOR_MODULE
          + " enables the Vector API path)";
    } else {
      // The first touch of the Vector API class; guarded so an unusable module degrades to scalar.
      String described;
      int lanes;
      try {
        described = VectorKernels.describe();
        lanes = VectorKernels.lanes();
      } catch (LinkageError e) {
        described = e.toString();
        lanes = 0;
      }
      if (lanes >= 4) {
        vector = true;
        why = "Vector API, " + described;
      } else {
        why = "scalar loops (Vector API preferred species too narrow or unusable: " + described + ")";
      }
    }
    VECTOR = vector;
    DESCRIPTION = why;
    LOG.info("MetaRec kernel: {}", DESCRIPTION);
  }

  private KernelPath() {
  }

  /** @return true when the matrix products run on the Vector API */
  public static boolean vectorized() {
    return VECTOR;
  }

  /** @return the chosen path in words (species and tile shape, or why the scalar loops run) */
  public static String description() {
    return DESCRIPTION;
  }
}
