package io.metarec.spark;

import org.apache.spark.TaskContext;

/**
 * Test hook for reliability tests: when the Spark local property {@value #FAIL_FIRST_ATTEMPT} of
 * the submitting thread is {@code "<iteration>:<partition>"}, the first attempt of that partition's
 * task in that training iteration throws, as a crashed executor task would. Spark then retries it
 * (given {@code spark.task.maxFailures} > 1). Unset, it does nothing.
 */
public final class FaultInjection {
  /** The local property naming the task to fail once. */
  public static final String FAIL_FIRST_ATTEMPT = "metarec.faultInjection.failFirstAttempt";

  private FaultInjection() {}

  /** Throws if the current task is the one {@link #FAIL_FIRST_ATTEMPT} names, on its first attempt. */
  public static void maybeFail(long iteration) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null || ctx.attemptNumber() > 0) {
      return;
    }
    String target = ctx.getLocalProperty(FAIL_FIRST_ATTEMPT);
    if (target != null && target.equals(iteration + ":" + ctx.partitionId())) {
      throw new IllegalStateException("injected failure of iteration " + iteration
          + ", partition " + ctx.partitionId() + ", attempt 0");
    }
  }
}
