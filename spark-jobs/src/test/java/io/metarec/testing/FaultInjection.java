package io.metarec.testing;

import io.metarec.jobs.train.TaskFaults;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * The reliability tests' {@link TaskFaults}, named through {@link TaskFaults#PROPERTY} ({@link
 * #inject}). Its argument is {@code mode:iteration:rest}:
 * <ul>
 *   <li>{@code failFirst:<iteration>:<partition>}: the first attempt of that partition's task in
 *       that training iteration throws, as a crashed task would; Spark retries it (given {@code
 *       spark.task.maxFailures} > 1), or a new training round redoes the iteration.
 *   <li>{@code failEvery:<iteration>:<partition>}: every attempt throws, so the job runs out of
 *       attempts.
 *   <li>{@code kill:<iteration>:<marker file>}: the first executor (never the driver) that runs a
 *       task of that iteration and manages to create the marker file halts its JVM at once, as a
 *       lost node would. The marker makes it happen once per run even when Spark re-runs the stage.
 *   <li>{@code corrupt:<iteration>:<partition>:junk|huge}: in a training round, the first attempt of
 *       that partition's task sends a broken RESULT for that iteration.
 * </ul>
 */
public final class FaultInjection implements TaskFaults {
  private static final long serialVersionUID = 1L;
  private final String mode;
  private final long iteration;
  private final String rest;

  /** @param spec {@code mode:iteration:rest}, as above */
  public FaultInjection(String spec) {
    String[] f = spec.split(":", 3);
    this.mode = f[0];
    this.iteration = Long.parseLong(f[1]);
    this.rest = f[2];
  }

  /** Names {@code mode:iteration:rest} for the runs this thread starts; null clears it. */
  public static void inject(SparkContext sc, String spec) {
    sc.setLocalProperty(TaskFaults.PROPERTY,
        spec == null ? null : FaultInjection.class.getName() + ":" + spec);
  }

  @Override
  public void beforeIteration(long it, int earlierAttempts) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null || it != iteration) {
      return;
    }
    switch (mode) {
      case "kill" -> {
        if (!"driver".equals(SparkEnv.get().executorId())) {
          try {
            Files.createFile(Path.of(rest));
            Runtime.getRuntime().halt(137);
          } catch (FileAlreadyExistsException alreadyKilledOnce) {
            // this run has lost its executor already
          } catch (IOException e) {
            throw new IllegalStateException("fault injection: cannot create the marker " + rest, e);
          }
        }
      }
      case "failEvery" -> {
        if (rest.equals(String.valueOf(ctx.partitionId()))) {
          throw new IllegalStateException("injected failure of iteration " + it + ", partition "
              + ctx.partitionId() + ", every attempt");
        }
      }
      case "failFirst" -> {
        if (ctx.attemptNumber() == 0 && earlierAttempts == 0
            && rest.equals(String.valueOf(ctx.partitionId()))) {
          throw new IllegalStateException("injected failure of iteration " + it + ", partition "
              + ctx.partitionId() + ", attempt 0");
        }
      }
      default -> {
        // corrupt acts in corruptResult
      }
    }
  }

  @Override
  public String corruptResult(long it, int earlierAttempts) {
    TaskContext ctx = TaskContext.get();
    if (!mode.equals("corrupt") || ctx == null || it != iteration || ctx.attemptNumber() > 0
        || earlierAttempts > 0) {
      return null;
    }
    String prefix = ctx.partitionId() + ":";
    return rest.startsWith(prefix) ? rest.substring(prefix.length()) : null;
  }
}
