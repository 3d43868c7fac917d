package io.metarec.report;

import java.util.List;
import java.util.Map;

/**
 * A metric against the number of inner steps, for one method at one support size.
 *
 * @param method the method adapted
 * @param k the support size
 * @param steps the step counts tried
 * @param byMetric metric name → one value per entry of {@code steps}
 */
public record StepCurve(String method, int k, List<Integer> steps,
    Map<String, List<MetricValue>> byMetric) {}
