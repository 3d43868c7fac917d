package io.metarec.jobs.train;

import io.metarec.meta.OuterOptimizer;
import io.metarec.config.TrainSettings;
import io.metarec.model.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The driver-side state of a training run: everything a checkpoint holds, so that a run resumed
 * from it continues exactly as the uninterrupted run would have.
 */
final class TrainState {
  Params theta;
  long iteration;
  double lrScale = 1.0;
  int divergences;
  Validation.Metrics best;
  long bestIteration;
  Params bestTheta;
  int sinceBest;
  float[] optimizerState;
  final List<Row> history = new ArrayList<>();

  /** One line of metrics.csv. */
  record Row(long iteration, double elapsedSeconds, long tasks, double trainLoss,
      Validation.Metrics validation, double lrScale) {
    static final String HEADER =
        "iteration,elapsed_s,tasks,train_loss,val_loss,val_mae,val_rmse,val_auc,lr_scale";

    String csv() {
      Validation.Metrics v = validation;
      return String.format(Locale.ROOT, "%d,%.3f,%d,%s,%s,%s,%s,%s,%s", iteration, elapsedSeconds,
          tasks, num(trainLoss), v == null ? "" : num(v.loss()), v == null ? "" : num(v.mae()),
          v == null ? "" : num(v.rmse()), v == null ? "" : num(v.auc()), num(lrScale));
    }

    private static String num(double d) {
      return Double.isNaN(d) ? "" : Double.toString(d);
    }
  }

  static TrainState fresh(Params theta) {
    TrainState s = new TrainState();
    s.theta = theta;
    return s;
  }

  /** A new optimizer at the current step size, with the state a checkpoint held (if any). */
  OuterOptimizer optimizer(TrainSettings settings) {
    OuterOptimizer o = OuterOptimizer.create(
        settings.meta().withOuterLr((float) (settings.meta().outerLr() * lrScale)),
        theta.layout());
    if (optimizerState != null) {
      o.importStateInPlace(optimizerState);
    }
    return o;
  }

  boolean improves(Validation.Metrics m, Validation.Direction d) {
    if (best == null) {
      return !Double.isNaN(m.primary());
    }
    return d == Validation.Direction.LOWER ? m.primary() < best.primary()
        : m.primary() > best.primary();
  }

  Validation.Metrics lastValidation() {
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).validation() != null) {
        return history.get(i).validation();
      }
    }
    return null;
  }

  /** metrics.csv of the run so far. */
  String metricsCsv() {
    StringBuilder sb = new StringBuilder(Row.HEADER).append('\n');
    for (Row r : history) {
      sb.append(r.csv()).append('\n');
    }
    return sb.toString();
  }
}
