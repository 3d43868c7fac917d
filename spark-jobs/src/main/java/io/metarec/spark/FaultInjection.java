package io.metarec.spark;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Test hooks for reliability tests, driven by Spark local properties of the submitting thread
 * (unset, they do nothing):
 * <ul>
 *   <li>{@value #FAIL_FIRST_ATTEMPT} = {@code "<iteration>:<partition>"}: the first attempt of that
 *       partition's task in that training iteration throws, as a crashed task would; Spark retries it
 *       (given {@code spark.task.maxFailures} > 1).
 *   <li>{@value #FAIL_EVERY_ATTEMPT} = {@code "<iteration>:<partition>"}: every attempt of that
 *       partition's task in that training iteration throws, so the job runs out of attempts.
 *   <li>{@value #KILL_EXECUTOR} = {@code "<iteration>:<marker file>"}: the first executor (never the
 *       driver) that runs a task of that training iteration and manages to create the marker file
 *       halts its JVM at once, as a lost node would. The marker makes it happen once per run even
 *       when Spark re-runs the stage.
 *   <li>{@value #CORRUPT_RESULT} = {@code "<iteration>:<partition>:junk|huge"}: in a training round,
 *       the first attempt of that partition's task sends a broken RESULT for that iteration instead
 *       of its accumulator: 16 bytes that are not an accumulator ({@code junk}), or a length of
 *       2³¹ − 1 bytes ({@code huge}), as a hostile or broken peer would.
 * </ul>
 */
public final class FaultInjection {
  /** The local property naming the task to fail once. */
  public static final String FAIL_FIRST_ATTEMPT = "metarec.faultInjection.failFirstAttempt";
  /** The local property naming the task to fail on every attempt. */
  public static final String FAIL_EVERY_ATTEMPT = "metarec.faultInjection.failEveryAttempt";
  /** The local property naming the round task that sends a broken result once. */
  public static final String CORRUPT_RESULT = "metarec.faultInjection.corruptResult";
  /** The local property naming the iteration in which one executor JVM dies. */
  public static final String KILL_EXECUTOR = "metarec.faultInjection.killExecutor";

  private FaultInjection() {}

  /** Throws or halts the executor if the current task is one a fault-injection property names. */
  public static void maybeFail(long iteration) {
    maybeFail(iteration, 0);
  }

  /**
   * As {@link #maybeFail(long)}, for a task that runs several iterations ({@code
   * train.exchange=rounds}): {@code earlierAttempts} is how often this iteration was already
   * attempted in rounds that failed, which Spark's attempt number of the new round's task does not
   * count.
   */
  public static void maybeFail(long iteration, int earlierAttempts) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null) {
      return;
    }
    String kill = ctx.getLocalProperty(KILL_EXECUTOR);
    if (kill != null && kill.startsWith(iteration + ":") && !"driver".equals(SparkEnv.get().executorId())) {
      try {
        Files.createFile(Path.of(kill.substring(kill.indexOf(':') + 1)));
        Runtime.getRuntime().halt(137);
      } catch (FileAlreadyExistsException alreadyKilledOnce) {
        // this run has lost its executor already
      } catch (IOException e) {
        throw new IllegalStateException("fault injection: cannot create the marker of " + kill, e);
      }
    }
    String always = ctx.getLocalProperty(FAIL_EVERY_ATTEMPT);
    if (always != null && always.equals(iteration + ":" + ctx.partitionId())) {
      throw new IllegalStateException("injected failure of iteration " + iteration
          + ", partition " + ctx.partitionId() + ", every attempt");
    }
    if (ctx.attemptNumber() > 0 || earlierAttempts > 0) {
      return;
    }
    String target = ctx.getLocalProperty(FAIL_FIRST_ATTEMPT);
    if (target != null && target.equals(iteration + ":" + ctx.partitionId())) {
      throw new IllegalStateException("injected failure of iteration " + iteration
          + ", partition " + ctx.partitionId() + ", attempt 0");
    }
  }

  /**
   * How the current round task should break its RESULT of {@code iteration}: {@code "junk"},
   * {@code "huge"}, or null to send it intact ({@value #CORRUPT_RESULT}; first attempt only).
   */
  public static String corruptResult(long iteration, int earlierAttempts) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null || ctx.attemptNumber() > 0 || earlierAttempts > 0) {
      return null;
    }
    String target = ctx.getLocalProperty(CORRUPT_RESULT);
    String prefix = iteration + ":" + ctx.partitionId() + ":";
    return target != null && target.startsWith(prefix) ? target.substring(prefix.length()) : null;
  }
}
