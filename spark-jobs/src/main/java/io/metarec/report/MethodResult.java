package io.metarec.report;

import java.util.Map;
import java.util.SortedMap;

/**
 * The results of one method.
 *
 * @param name name in the report ("meta", "bias", ...)
 * @param description one line on what it is
 * @param byK support size K → metric name ("mae", "ndcg@10", ...) → value
 */
public record MethodResult(String name, String description,
    SortedMap<Integer, Map<String, MetricValue>> byK) {}
