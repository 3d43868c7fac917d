package io.metarec.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The training run's state after an iteration, immutable: the {@link MetaTrainer} makes a new one
 * per iteration, and a checkpoint holds one (with θ, the best θ and the optimizer state, {@link
 * TrainingCheckpoint}) so that a resumed run continues exactly as the uninterrupted run would.
 *
 * @param iteration iterations completed
 * @param lrScale the step-size scale, halved at every divergence
 * @param divergences non-finite updates in a row, 0 after a finite one
 * @param best the best validation so far, null before the first
 * @param bestIteration the iteration of {@code best} (of the best θ)
 * @param sinceBest validations since the best one
 * @param history one row per iteration, oldest first (metrics.csv)
 */
public record TrainingState(long iteration, double lrScale, int divergences,
    ValidationMetrics best, long bestIteration, int sinceBest, History history) {

  /** The state before the first iteration. */
  public static TrainingState start() {
    return new TrainingState(0, 1.0, 0, null, 0, 0, History.EMPTY);
  }

  /** The last validation in the history, or null. */
  public ValidationMetrics lastValidation() {
    return history.lastValidation();
  }

  /** metrics.csv of the run so far. */
  public String metricsCsv() {
    StringBuilder sb = new StringBuilder(Row.HEADER).append('\n');
    for (Row r : history.rows()) {
      sb.append(r.csv()).append('\n');
    }
    return sb.toString();
  }

  /**
   * One line of metrics.csv.
   *
   * @param iteration iterations completed
   * @param elapsedSeconds wall seconds since the run (not the resume) started
   * @param tasks tasks in the iteration's meta-batch
   * @param trainLoss the meta-batch's mean query loss, NaN for an empty batch
   * @param validation the validation after this iteration, or null
   * @param lrScale the step-size scale after this iteration
   */
  public record Row(long iteration, double elapsedSeconds, long tasks, double trainLoss,
      ValidationMetrics validation, double lrScale) {
    /** The header line of metrics.csv. */
    public static final String HEADER =
        "iteration,elapsed_s,tasks,train_loss,val_loss,val_mae,val_rmse,val_auc,lr_scale,val_ndcg";

    /** The row as a metrics.csv line (NaN and missing values empty). */
    public String csv() {
      ValidationMetrics v = validation;
      return String.format(Locale.ROOT, "%d,%.3f,%d,%s,%s,%s,%s,%s,%s,%s", iteration,
          elapsedSeconds, tasks, num(trainLoss), v == null ? "" : num(v.loss()),
          v == null ? "" : num(v.mae()), v == null ? "" : num(v.rmse()),
          v == null ? "" : num(v.auc()), num(lrScale), v == null ? "" : num(v.ndcg()));
    }

    /**
     * Parses a {@link #csv} line (validation task and interaction counts are not kept there); a
     * line of 9 fields, written before {@code val_ndcg}, is read too.
     */
    public static Row parse(String line) {
      String[] f = line.split(",", -1);
      if (f.length != 9 && f.length != 10) {
        throw new IllegalArgumentException("a metrics.csv row has 10 fields, got " + f.length
            + ": " + line);
      }
      String ndcg = f.length > 9 ? f[9] : "";
      ValidationMetrics v = f[4].isEmpty() && f[7].isEmpty() && ndcg.isEmpty() ? null
          : new ValidationMetrics(0, 0, dbl(f[4]), dbl(f[5]), dbl(f[6]), dbl(f[7]), dbl(ndcg));
      return new Row(Long.parseLong(f[0]), Double.parseDouble(f[1]), Long.parseLong(f[2]),
          dbl(f[3]), v, dbl(f[8]));
    }

    private static String num(double d) {
      return Double.isNaN(d) ? "" : Double.toString(d);
    }

    private static double dbl(String s) {
      return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }
  }

  /** The rows of a run, an immutable list that grows by one at O(1) per iteration. */
  public static final class History {
    /** No rows. */
    public static final History EMPTY = new History(null, null, 0);
    private final Row last;
    private final History before;
    private final int size;

    private History(Row last, History before, int size) {
      this.last = last;
      this.before = before;
      this.size = size;
    }

    /** This history with {@code row} appended. */
    public History plus(Row row) {
      return new History(row, this, size + 1);
    }

    /** A history of {@code rows}, oldest first. */
    public static History of(List<Row> rows) {
      History h = EMPTY;
      for (Row r : rows) {
        h = h.plus(r);
      }
      return h;
    }

    /** Number of rows. */
    public int size() {
      return size;
    }

    /** The rows, oldest first. */
    public List<Row> rows() {
      List<Row> out = new ArrayList<>(size);
      for (History h = this; h.size > 0; h = h.before) {
        out.add(h.last);
      }
      Collections.reverse(out);
      return Collections.unmodifiableList(out);
    }

    ValidationMetrics lastValidation() {
      for (History h = this; h.size > 0; h = h.before) {
        if (h.last.validation() != null) {
          return h.last.validation();
        }
      }
      return null;
    }
  }
}
