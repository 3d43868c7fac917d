package io.metarec.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.config.AdaptationPlan;
import io.metarec.config.Checks;
import io.metarec.config.InnerLoopConfig;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Segment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code model.json}, the description of a model folder, as typed records: read and written here
 * and nowhere else. Reading checks every known field and names the file and the field that is
 * wrong ({@link ModelManifestException}); the architecture's segments must be the ones listed.
 *
 * @param formatVersion version of model.json and the folder layout ({@link #FORMAT_VERSION})
 * @param kind always {@value #KIND}
 * @param trainedBy who made the model when not meta-training, e.g. {@code pretrain/dl4j-spark};
 *     null for meta-trained models
 * @param createdAt ISO-8601 instant
 * @param codeVersion the MetaRec build that wrote it
 * @param architecture the model's shape
 * @param labelMin smallest label of the training data
 * @param labelMax largest label of the training data
 * @param segments the parameter segments of {@code params.bin}, in file order
 * @param training the resolved configuration sections that made the model, by section name
 *     ({@code model}, {@code inner}, {@code meta}, {@code train}, {@code seed}, ...): configuration
 *     is open-ended, so it stays JSON, read through {@link #innerLoop}
 * @param configHash hash of the settings that made the model
 * @param data the task set it was trained on
 * @param metrics what training measured
 * @param run how the run went
 * @param adaptation the inner-loop settings chosen for this model after training (on validation
 *     users), or null: evaluate and recommend use them unless told otherwise. Either one inner
 *     section, or {@code {"bySupport": [{"support": K, "label": ..., "inner": {...}}, ...]}}: one
 *     per support size, read as an {@link AdaptationPlan} ({@link #adaptationPlan})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelManifest(int formatVersion, String kind, String trainedBy, String createdAt,
    String codeVersion, Architecture architecture, double labelMin, double labelMax,
    List<SegmentShape> segments, JsonNode training, String configHash, DataInfo data,
    Metrics metrics, RunStats run, JsonNode adaptation) {

  /** The version this build writes and the newest it reads. */
  public static final int FORMAT_VERSION = 1;
  /** The value of {@code kind}. */
  public static final String KIND = "metarec-model";

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * The architecture (the {@link ModelSpec} as JSON, enums in lower case).
   *
   * @param numItems item vocabulary size including index 0
   * @param userFields user feature fields
   * @param itemFields item feature fields
   * @param embeddingDim embedding width
   * @param hidden MLP layer sizes
   * @param activation {@code relu|tanh|identity}
   * @param userDim user vector and item factor width
   * @param feedback {@code explicit|implicit}
   * @param implicitTerm whether u_eff includes the SVD++ term
   * @param userInMlp whether u_eff is an MLP input
   * @param learnedFoldIn whether the implicit fold-in's gain is a learned segment (null, as in
   *     model.json files written before it: false)
   */
  public record Architecture(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      int embeddingDim, List<Integer> hidden, String activation, int userDim, String feedback,
      boolean implicitTerm, boolean userInMlp, Boolean learnedFoldIn) {

    /** The architecture of {@code spec}. */
    public static Architecture of(ModelSpec spec) {
      return new Architecture(spec.numItems(), spec.userFields(), spec.itemFields(),
          spec.embeddingDim(), spec.hidden(), spec.activation().name().toLowerCase(Locale.ROOT),
          spec.userDim(), spec.feedback().name().toLowerCase(Locale.ROOT), spec.implicitTerm(),
          spec.userInMlp(), spec.learnedFoldIn());
    }

    /** The model spec, its values checked. */
    public ModelSpec spec(String source) {
      try {
        return new ModelSpec(numItems, userFields, itemFields, embeddingDim, hidden,
            Checks.enumValue(source + ": architecture.activation", activation, Activation.class),
            userDim, Checks.enumValue(source + ": architecture.feedback", feedback, Feedback.class),
            implicitTerm, userInMlp, Boolean.TRUE.equals(learnedFoldIn));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new ModelManifestException(source + " has an unreadable architecture: "
            + e.getMessage(), e);
      }
    }
  }

  /**
   * One segment of {@code params.bin}.
   *
   * @param name the segment's name
   * @param shape its dimensions
   */
  public record SegmentShape(String name, int[] shape) {
    @Override
    public String toString() {
      return name + java.util.Arrays.toString(shape);
    }
  }

  /**
   * The task set a model was trained on.
   *
   * @param tasks its folder
   * @param fingerprint its input fingerprint and config hash
   * @param trainTasks training tasks in it
   */
  public record DataInfo(String tasks, String fingerprint, long trainTasks) {}

  /**
   * A validation's numbers as written (NaN as absent).
   *
   * @param tasks tasks scored
   * @param interactions query interactions scored
   * @param loss mean query loss
   * @param mae mean absolute error (explicit)
   * @param rmse root mean squared error (explicit)
   * @param auc mean per-user AUC (implicit)
   * @param ndcg mean per-user full-ranking nDCG@10 (implicit)
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Validation(long tasks, long interactions, Double loss, Double mae, Double rmse,
      Double auc, Double ndcg) {
    /** A validation's numbers, NaN written as null. */
    public static Validation of(long tasks, long interactions, double loss, double mae,
        double rmse, double auc, double ndcg) {
      return new Validation(tasks, interactions, orNull(loss), orNull(mae), orNull(rmse),
          orNull(auc), orNull(ndcg));
    }

    private static Double orNull(double d) {
      return Double.isNaN(d) ? null : d;
    }

    /** A value as a double, NaN for absent. */
    public static double value(Double d) {
      return d == null ? Double.NaN : d;
    }
  }

  /**
   * What training measured; fields that do not apply are absent.
   *
   * @param bestIteration the iteration of the saved θ (meta-training)
   * @param validation the saved θ's validation
   * @param trainLoss mean loss over all training interactions (pretraining)
   * @param validationInnerSteps inner steps of {@code validation} (pretraining: 0)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Metrics(Long bestIteration, Validation validation, Double trainLoss,
      Integer validationInnerSteps) {}

  /**
   * How the run went; fields that do not apply are absent.
   *
   * @param wallSeconds wall time
   * @param iterations outer iterations (meta-training)
   * @param metaEpochs iterations × meta-batch / training tasks
   * @param adaptationsPerSecond task adaptations per second of iteration time
   * @param stoppedEarly whether patience ran out
   * @param kernelSeconds seconds the executors spent in the kernel
   * @param outsideKernelShare share of task-slot time outside the kernel
   * @param cachedBytesPerInteraction executor memory per cached training interaction
   * @param epochs passes over the data (pretraining)
   * @param interactions training interactions (pretraining)
   * @param workers training-master workers (pretraining)
   * @param finalDl4jScore DL4J's score after the last epoch (pretraining)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RunStats(Double wallSeconds, Long iterations, Double metaEpochs,
      Double adaptationsPerSecond, Boolean stoppedEarly, Double kernelSeconds,
      Double outsideKernelShare, Double cachedBytesPerInteraction, Integer epochs,
      Long interactions, Integer workers, Double finalDl4jScore) {}

  /** The segments {@code layout} writes to {@code params.bin}, in order. */
  public static List<SegmentShape> segmentsOf(ParamLayout layout) {
    List<SegmentShape> out = new ArrayList<>();
    for (Segment s : layout.segments()) {
      out.add(new SegmentShape(s.name(), new int[] {s.rows(), s.cols()}));
    }
    return out;
  }

  /** Whether a conventional trainer ({@code metarec pretrain}) made this model. */
  public boolean pretrained() {
    return trainedBy != null && trainedBy.startsWith("pretrain");
  }

  /** The model spec of the architecture. */
  public ModelSpec spec() {
    return architecture.spec("model.json");
  }

  /**
   * The inner-loop settings to adapt this model with: the ones chosen after training ({@link
   * #adaptation}) when present, else the ones it was trained with ({@code training.inner}), else
   * {@code defaults}, each key falling back to {@code defaults}.
   *
   * @param defaults the {@code inner} section of the defaults
   * @param source the file's label, for messages
   */
  public InnerLoopConfig innerLoop(com.typesafe.config.Config defaults, String source) {
    if (adaptation != null && adaptation.has("bySupport")) {
      return adaptationPlan(defaults, source).largest();
    }
    JsonNode inner = adaptation != null ? adaptation
        : training != null && training.has("inner") ? training.get("inner") : null;
    @SuppressWarnings("unchecked")
    Map<String, Object> m = inner != null && inner.isObject()
        ? MAPPER.convertValue(inner, Map.class) : Map.of();
    try {
      return InnerLoopConfig.fromSection(m, defaults);
    } catch (RuntimeException e) {
      throw new ModelManifestException(source + ": its " + (adaptation != null ? "adaptation"
          : "training.inner") + " settings are invalid: " + e.getMessage(), e);
    }
  }

  /**
   * How to adapt this model's users: the settings chosen per support size after training when
   * {@link #adaptation} has them, else one setting ({@link #innerLoop}) for every size.
   *
   * @param defaults the {@code inner} section of the defaults
   * @param source the file's label, for messages
   */
  public AdaptationPlan adaptationPlan(com.typesafe.config.Config defaults, String source) {
    JsonNode by = adaptation == null ? null : adaptation.get("bySupport");
    if (by == null) {
      return AdaptationPlan.of(innerLoop(defaults, source));
    }
    if (!by.isArray() || by.isEmpty()) {
      throw new ModelManifestException(source + ": adaptation.bySupport must be a non-empty list");
    }
    int[] supports = new int[by.size()];
    List<InnerLoopConfig> settings = new ArrayList<>();
    for (int i = 0; i < by.size(); i++) {
      JsonNode e = by.get(i);
      if (!e.path("support").canConvertToInt() || !e.path("inner").isObject()) {
        throw new ModelManifestException(source + ": adaptation.bySupport[" + i + "] needs a "
            + "support size and an inner section, got " + e);
      }
      supports[i] = e.get("support").asInt();
      @SuppressWarnings("unchecked")
      Map<String, Object> m = MAPPER.convertValue(e.get("inner"), Map.class);
      try {
        settings.add(InnerLoopConfig.fromSection(m, defaults));
      } catch (RuntimeException x) {
        throw new ModelManifestException(source + ": adaptation.bySupport[" + i + "] is invalid: "
            + x.getMessage(), x);
      }
    }
    try {
      return new AdaptationPlan(supports, settings);
    } catch (IllegalArgumentException x) {
      throw new ModelManifestException(source + ": " + x.getMessage(), x);
    }
  }

  /**
   * Whether the model scores with the neighbourhood term: an {@code inner.neighbourWeight > 0} in
   * its chosen adaptation or, without one, in the settings it was trained with (then its folder
   * must hold {@code neighbours.bin}).
   */
  public boolean usesNeighbours() {
    return usesNeighbours(adaptation != null ? adaptation
        : training != null && training.has("inner") ? training.get("inner") : null);
  }

  /**
   * Whether adaptation settings (an {@code inner} section or {@code {"bySupport": [...]}}, as
   * model.json records them; null: none) score with the neighbourhood term.
   */
  public static boolean usesNeighbours(Object settings) {
    if (settings == null) {
      return false;
    }
    JsonNode inner = settings instanceof JsonNode j ? j : MAPPER.valueToTree(settings);
    for (JsonNode w : inner.findValues("neighbourWeight")) {
      if (w.isNumber() ? w.asDouble() > 0 : w.isTextual() && w.asText().matches(".*[1-9].*")) {
        return true;
      }
    }
    return false;
  }

  /** This manifest with the chosen adaptation settings (an {@code inner} section as JSON). */
  public ModelManifest withAdaptation(Map<String, Object> inner) {
    return new ModelManifest(formatVersion, kind, trainedBy, createdAt, codeVersion, architecture,
        labelMin, labelMax, segments, training, configHash, data, metrics, run,
        MAPPER.valueToTree(inner));
  }

  /** Pretty-printed JSON, as written to model.json. */
  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("model.json of " + data + " cannot be written", e);
    }
  }

  /** A JSON tree of config sections (maps, lists, numbers, strings), for {@link #training}. */
  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /**
   * Reads and checks a model.json.
   *
   * @param source the file's label for messages, e.g. its path
   * @throws ModelManifestException naming {@code source} and what is wrong: not JSON, not a
   *     MetaRec model, a newer format, a missing or mistyped field, segments that are not the
   *     architecture's
   */
  public static ModelManifest parse(String json, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ModelManifestException(source + " is not valid JSON: "
          + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject() || !root.path("formatVersion").isNumber()
        || !KIND.equals(root.path("kind").asText(null))) {
      throw new ModelManifestException(source + " is not a MetaRec model description");
    }
    int version = root.get("formatVersion").asInt();
    if (version > FORMAT_VERSION) {
      throw new ModelManifestException(source + " has format version " + version
          + ", written by a newer MetaRec (this build reads up to " + FORMAT_VERSION + ")");
    }
    for (String key : new String[] {"labelMin", "labelMax"}) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) {
        throw new ModelManifestException(source + ": " + key + " must be a number, it is missing");
      }
      if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
        throw new ModelManifestException(source + ": " + key + " must be a number, got "
            + (v.isTextual() ? "\"" + v.asText() + "\"" : v.toString()));
      }
    }
    if (!root.path("architecture").isObject()) {
      throw new ModelManifestException(source + " has no architecture");
    }
    ModelManifest m;
    try {
      m = MAPPER.treeToValue(dropNullsOf((ObjectNode) root.deepCopy()), ModelManifest.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new ModelManifestException(source + " has a field of the wrong type: "
          + firstLine(e.getMessage()), e);
    }
    if (!(m.labelMin() <= m.labelMax())) {
      throw new ModelManifestException(source + ": labelMin " + m.labelMin()
          + " exceeds labelMax " + m.labelMax());
    }
    ModelSpec spec = m.architecture().spec(source);
    List<SegmentShape> expected = segmentsOf(new ParamLayout(spec));
    if (m.segments() == null || !m.segments().toString().equals(expected.toString())) {
      throw new ModelManifestException(source + ": its segments " + m.segments()
          + " are not the ones its architecture makes " + expected);
    }
    return m;
  }

  /** Top-level nulls are absent fields (so records' defaults apply to nothing required). */
  private static ObjectNode dropNullsOf(ObjectNode o) {
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      if (it.next().getValue().isNull()) {
        it.remove();
      }
    }
    return o;
  }

  private static String firstLine(String s) {
    String m = String.valueOf(s);
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** What is wrong with a model.json, naming the file. */
  public static final class ModelManifestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ModelManifestException(String message) {
      super(message);
    }

    ModelManifestException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
