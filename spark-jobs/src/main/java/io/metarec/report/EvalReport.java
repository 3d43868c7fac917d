package io.metarec.report;

import java.util.List;
import java.util.Map;

/**
 * Everything an evaluation report shows; {@code metrics.json} holds exactly these fields.
 *
 * @param name run name (the report folder's name by default)
 * @param createdAt ISO-8601 time of the run
 * @param codeVersion the MetaRec version that produced it
 * @param dataset the task set, split, protocol and user counts
 * @param config the evaluation config and each model's training config
 * @param ks the support sizes, ascending
 * @param methods the methods, the meta-learned model first
 * @param steps the metric-vs-inner-steps curve, or null
 * @param training the models' training histories (may be empty)
 * @param run wall time, adaptations per second and other run figures
 * @param headline the meta-learned model against the best baseline per K and metric, with paired
 *     intervals (empty when the run has no meta-learned model or no baseline)
 */
public record EvalReport(String name, String createdAt, String codeVersion,
    Map<String, Object> dataset, Map<String, Object> config, List<Integer> ks,
    List<MethodResult> methods, StepCurve steps, List<TrainingCurve> training,
    Map<String, Object> run, List<HeadlineRow> headline) {

  /** A report without a headline. */
  public EvalReport(String name, String createdAt, String codeVersion,
      Map<String, Object> dataset, Map<String, Object> config, List<Integer> ks,
      List<MethodResult> methods, StepCurve steps, List<TrainingCurve> training,
      Map<String, Object> run) {
    this(name, createdAt, codeVersion, dataset, config, ks, methods, steps, training, run,
        List.of());
  }

  /** Whether a lower value of {@code metric} is better (errors and losses). */
  public static boolean lowerIsBetter(String metric) {
    return metric.startsWith("mae") || metric.startsWith("rmse") || metric.contains("loss");
  }
}
