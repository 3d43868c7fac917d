package io.metarec.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole pipeline in one run folder ({@code pipeline.*}; see {@code conf/metarec.conf}).
 *
 * @param run the run folder every stage writes under ({@code pipeline.run})
 * @param stages the stages to run, a subset of {@link #STAGES}, kept in pipeline order
 * @param force rerun stages whose recorded fingerprint matches ({@code pipeline.force})
 */
public record PipelineConfig(String run, List<String> stages, boolean force) implements Serializable {
  /** Every stage, in the order they run. */
  public static final List<String> STAGES =
      List.of("generate", "build-tasks", "train", "pretrain", "evaluate", "recommend");

  public PipelineConfig {
    List<String> ordered = new ArrayList<>();
    for (String s : stages) {
      Checks.oneOf("pipeline.stages", s, STAGES);
    }
    for (String s : STAGES) {
      if (stages.contains(s)) {
        ordered.add(s);
      }
    }
    if (ordered.isEmpty()) {
      throw new ConfigValidationException("pipeline.stages must name at least one of " + STAGES
          + ", got " + stages);
    }
    stages = List.copyOf(ordered);
  }

  static PipelineConfig from(ConfigReader r) {
    return new PipelineConfig(r.getString("pipeline.run"), r.getStringList("pipeline.stages"),
        r.getBoolean("pipeline.force"));
  }
}
