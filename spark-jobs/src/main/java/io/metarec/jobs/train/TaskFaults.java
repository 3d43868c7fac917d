package io.metarec.jobs.train;

import java.io.Serializable;
import java.lang.reflect.Constructor;
import org.apache.spark.SparkContext;

/**
 * Faults a training run's executor tasks act out, for reliability tests; production runs use
 * {@link #NONE}, which does nothing. The test implementations live with the tests, not in the
 * application jar: a test names one in the Spark local property {@value #PROPERTY} as {@code
 * class:argument} (a public class with a public constructor taking the argument string), the
 * driver instantiates it once per run ({@link #of}) and ships it in the tasks' closure.
 */
public interface TaskFaults extends Serializable {
  /** The Spark local property a test names its faults in. */
  String PROPERTY = "metarec.test.taskFaults";

  /** No faults. */
  TaskFaults NONE = new None();

  /**
   * Called on an executor before a task adapts its share of {@code iteration}.
   *
   * @param earlierAttempts how often this iteration was attempted before in rounds that failed
   *     (Spark's attempt number of a new round's task does not count them)
   */
  void beforeIteration(long iteration, int earlierAttempts);

  /**
   * How a training-round task should break its RESULT of {@code iteration}: {@code "junk"} (16
   * bytes that are not an accumulator), {@code "huge"} (a length of 2³¹ − 1), or null to send it
   * intact.
   */
  default String corruptResult(long iteration, int earlierAttempts) {
    return null;
  }

  /** The faults the submitting thread's {@value #PROPERTY} names, or {@link #NONE}. */
  static TaskFaults of(SparkContext sc) {
    String spec = sc.getLocalProperty(PROPERTY);
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    int colon = spec.indexOf(':');
    String cls = colon < 0 ? spec : spec.substring(0, colon);
    String arg = colon < 0 ? "" : spec.substring(colon + 1);
    try {
      Constructor<?> c = Class.forName(cls, true, Thread.currentThread().getContextClassLoader())
          .getConstructor(String.class);
      return (TaskFaults) c.newInstance(arg);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException(PROPERTY + " = " + spec + ": not a TaskFaults class with a "
          + "public (String) constructor: " + e, e);
    }
  }

  /** {@link #NONE}'s class: serializable, and the same singleton after deserialization. */
  final class None implements TaskFaults {
    private static final long serialVersionUID = 1L;

    private None() {}

    @Override
    public void beforeIteration(long iteration, int earlierAttempts) {
      // no faults
    }

    private Object readResolve() {
      return NONE;
    }
  }
}
