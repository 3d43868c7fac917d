package io.metarec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaRecConfigTest {

  private static ConfigValidationException rejected(String... sets) {
    return assertThrows(ConfigValidationException.class,
        () -> MetaRecConfig.load(null, List.of(sets), Map.of()));
  }

  @Test
  void defaultsLoadAndMatchTheDocumentedValues() {
    MetaRecConfig c = MetaRecConfig.load();
    assertEquals(0.1, c.split().validation());
    assertEquals(0.1, c.split().test());
    assertEquals(10, c.tasks().supportSize());
    assertEquals(0.01, c.input().maxRejectFraction());
    assertEquals("local[*]", c.spark().master());
    assertEquals(11, c.tasks().effectiveMinInteractions());
  }

  @Test
  void setOverridesParseNumbersStringsAndLists() {
    MetaRecConfig c = MetaRecConfig.load(null,
        List.of("split.test=0.2", "spark.master=local[2]", "input.userFeatures.columns=[a, b]",
            "tasks.ordering=random"),
        Map.of());
    assertEquals(0.2, c.split().test());
    assertEquals("local[2]", c.spark().master());
    assertEquals(List.of("a", "b"), c.input().userFeatures().columns());
    assertEquals("random", c.tasks().ordering());
  }

  @Test
  void theFoldInGainIsLearnedForImplicitFeedbackInRandomOrderUnlessSet() {
    io.metarec.model.Feedback imp = io.metarec.model.Feedback.IMPLICIT;
    io.metarec.model.Feedback exp = io.metarec.model.Feedback.EXPLICIT;
    ModelConfig auto = MetaRecConfig.load().model();
    assertTrue(auto.learnedFoldInFor(imp, true));
    assertEquals(false, auto.learnedFoldInFor(imp, false), "time order: off");
    assertEquals(false, auto.learnedFoldInFor(exp, true));
    assertTrue(auto.spec(5, List.of(), List.of(), imp, true).learnedFoldIn());
    assertEquals(false, auto.spec(5, List.of(), List.of(), imp).learnedFoldIn());
    ModelConfig off = MetaRecConfig.load(null, List.of("model.learnedFoldIn=false"), Map.of())
        .model();
    assertEquals(false, off.learnedFoldInFor(imp, true));
    ModelConfig on = MetaRecConfig.load(null, List.of("model.learnedFoldIn=true"), Map.of())
        .model();
    assertTrue(on.learnedFoldInFor(imp, false));
    ConfigValidationException e = assertThrows(ConfigValidationException.class,
        () -> on.learnedFoldInFor(exp, true));
    assertTrue(e.getMessage().contains("model.learnedFoldIn = true is for implicit feedback"),
        e.getMessage());
  }

  @Test
  void implicitTermIsOnForExplicitAndOffForImplicitFeedbackUnlessSet() {
    ModelConfig auto = MetaRecConfig.load().model();
    assertTrue(auto.implicitTermFor(io.metarec.model.Feedback.EXPLICIT));
    assertEquals(false, auto.implicitTermFor(io.metarec.model.Feedback.IMPLICIT));
    ModelConfig on = MetaRecConfig.load(null, List.of("model.implicitTerm=true"), Map.of()).model();
    assertTrue(on.implicitTermFor(io.metarec.model.Feedback.IMPLICIT));
    ModelConfig off = MetaRecConfig.load(null, List.of("model.implicitTerm=false"), Map.of())
        .model();
    assertEquals(false, off.implicitTermFor(io.metarec.model.Feedback.EXPLICIT));
    ConfigValidationException e = rejected("model.implicitTerm=yes");
    assertTrue(e.getMessage().contains("model.implicitTerm must be auto, true or false"),
        e.getMessage());
  }

  @Test
  void theGeneratedChoiceIsSharperForImplicitFeedbackUnlessSet() {
    GenerateConfig explicit = MetaRecConfig.load().generate();
    assertEquals(2.5, explicit.effectiveChoiceSharpness());
    assertEquals(0.0, explicit.effectiveChoiceThreshold());
    GenerateConfig implicit = MetaRecConfig.load(null, List.of("input.feedback=implicit"), Map.of())
        .generate();
    assertEquals(6.0, implicit.effectiveChoiceSharpness());
    assertEquals(0.5, implicit.effectiveChoiceThreshold());
    GenerateConfig set = MetaRecConfig.load(null, List.of("generate.feedback=implicit",
        "generate.choiceSharpness=3", "generate.choiceThreshold=-0.25"), Map.of()).generate();
    assertEquals(3.0, set.effectiveChoiceSharpness());
    assertEquals(-0.25, set.effectiveChoiceThreshold());
    assertTrue(rejected("generate.choiceSharpness=sharp").getMessage()
        .contains("generate.choiceSharpness must be auto or a number, got 'sharp'"));
    assertTrue(rejected("generate.choiceThreshold=9").getMessage()
        .contains("generate.choiceThreshold"));
  }

  @Test
  void neighbourWeightsAreTriedForImplicitFeedbackOnlyAndFollowTheItemKnnBaseline() {
    TrainConfig auto = MetaRecConfig.load().train();
    assertEquals(TrainConfig.AUTO_NEIGHBOUR_WEIGHTS,
        auto.neighbourWeights(io.metarec.model.Feedback.IMPLICIT));
    assertEquals(List.of(), auto.neighbourWeights(io.metarec.model.Feedback.EXPLICIT));
    assertEquals(100, auto.neighbours());
    assertEquals(500, auto.neighbourMaxUserItems());
    assertEquals(0f, MetaRecConfig.load().engine().inner().neighbourWeight(), 0f);
    TrainConfig set = MetaRecConfig.load(null, List.of("train.selectAdaptation.neighbourWeights="
        + "[2, 8]", "evaluate.itemKnn.neighbours=30"), Map.of()).train();
    assertEquals(List.of(2.0, 8.0), set.neighbourWeights(io.metarec.model.Feedback.IMPLICIT));
    assertEquals(30, set.neighbours(), "the baseline's neighbours unless set");
    ConfigValidationException explicit = assertThrows(ConfigValidationException.class,
        () -> set.neighbourWeights(io.metarec.model.Feedback.EXPLICIT));
    assertTrue(explicit.getMessage().contains("train.selectAdaptation.neighbourWeights is for "
        + "implicit feedback"), explicit.getMessage());
    assertTrue(rejected("train.selectAdaptation.neighbourWeights=[1, -2]").getMessage()
        .contains("train.selectAdaptation.neighbourWeights[1] must be a positive number, got -2"));
    assertTrue(rejected("train.selectAdaptation.neighbourWeights=some").getMessage()
        .contains("must be auto or a list of numbers, got 'some'"));
    assertTrue(rejected("inner.neighbourWeight=-1").getMessage()
        .contains("inner.neighbourWeight must be a finite number >= 0, got -1"));
    assertEquals(0.0, auto.selectMinGainStdErrors(), 0.0, "the best mean by default");
    assertTrue(rejected("train.selectAdaptation.minGainStdErrors=-0.5").getMessage()
        .contains("train.selectAdaptation.minGainStdErrors must be a number >= 0, got -0.5"));
    assertEquals(0.0, auto.selectNeighbourMinGainStdErrors(), 0.0,
        "the neighbourhood term by the best mean by default");
    assertTrue(rejected("train.selectAdaptation.neighbourMinGainStdErrors=-1").getMessage()
        .contains("train.selectAdaptation.neighbourMinGainStdErrors must be a number >= 0, got -1"));
    assertEquals(3, auto.selectWidenings(), "the grid widens at its edges by default");
    assertTrue(rejected("train.selectAdaptation.widenings=11").getMessage()
        .contains("train.selectAdaptation.widenings must be in [0, 10], got 11"));
  }

  @Test
  void unknownKeyIsNamedWithItsSiblings() {
    ConfigValidationException e = rejected("split.tset=0.2");
    assertTrue(e.getMessage().contains("unknown key 'split.tset'"), e.getMessage());
    assertTrue(e.getMessage().contains("split.test"), e.getMessage());
  }

  @Test
  void wrongTypeNamesKeyAndValue() {
    ConfigValidationException e = rejected("tasks.supportSize=ten");
    assertTrue(e.getMessage().contains("tasks.supportSize must be an integer"), e.getMessage());
    assertTrue(e.getMessage().contains("ten"), e.getMessage());
  }

  @Test
  void outOfRangeNamesKeyRangeAndValue() {
    assertEquals("split.test must be a number in [0.0, 1.0], got 1.5",
        rejected("split.test=1.5").getMessage());
    assertEquals("input.maxRejectFraction must be a number in [0.0, 1.0], got -0.1",
        rejected("input.maxRejectFraction=-0.1").getMessage());
    assertTrue(rejected("tasks.ordering=sideways").getMessage()
        .contains("tasks.ordering must be one of time|random, got 'sideways'"));
  }

  @Test
  void lockStalenessHasADefaultAndARange() {
    assertEquals(600, MetaRecConfig.load().output().lockStaleSeconds());
    assertEquals("output.lockStaleSeconds must be in [10, 604800], got 5",
        rejected("output.lockStaleSeconds=5").getMessage());
    assertEquals(30, MetaRecConfig.load(null, List.of("output.lockStaleSeconds=30"), Map.of())
        .output().lockStaleSeconds());
  }

  @Test
  void crossFieldRulesAreChecked() {
    assertTrue(rejected("split.test=0.6", "split.validation=0.5").getMessage()
        .contains("split.validation + split.test must be < 1"));
    assertTrue(rejected("tasks.querySize=10").getMessage()
        .contains("exactly one of tasks.supportSize and tasks.querySize"));
    assertTrue(rejected("tasks.minInteractions=5").getMessage()
        .contains("tasks.minInteractions must be 0 (auto) or >= 11"));
  }

  @Test
  void sectionCannotBeReplacedByAValue() {
    assertTrue(rejected("split=3").getMessage().contains("split is a section"));
  }

  @Test
  void malformedSetIsRejected() {
    assertTrue(rejected("split.test").getMessage().contains("--set expects key=value"));
  }

  @Test
  void confFileAndPrecedence(@TempDir Path dir) throws Exception {
    Path hocon = dir.resolve("my.conf");
    Files.writeString(hocon, "split { test = 0.3 }\ntasks.supportSize = 5\n");
    MetaRecConfig c = MetaRecConfig.load(hocon.toFile(), List.of("split.test=0.25"),
        Map.of("tasks.supportSize", 7));
    assertEquals(0.25, c.split().test(), "--set wins over the file");
    assertEquals(7, c.tasks().supportSize(), "command options win over everything");

    Path props = dir.resolve("my.properties");
    Files.writeString(props, "split.validation=0.05\n");
    assertEquals(0.05, MetaRecConfig.load(props.toFile(), List.of(), Map.of()).split().validation());

    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, "tasks { suportSize = 5 }\n");
    ConfigValidationException e = assertThrows(ConfigValidationException.class,
        () -> MetaRecConfig.load(bad.toFile(), List.of(), Map.of()));
    assertTrue(e.getMessage().contains("unknown key 'tasks.suportSize' in --conf"), e.getMessage());

    ConfigValidationException missing = assertThrows(ConfigValidationException.class,
        () -> MetaRecConfig.load(new File(dir.toFile(), "nope.conf"), List.of(), Map.of()));
    assertTrue(missing.getMessage().contains("no such file"));
  }

  @Test
  void everyDefaultKeyIsReadByTheRecords() {
    // A key in conf/metarec.conf that no record reads would be documented but ignored.
    MetaRecConfig c = MetaRecConfig.load();
    for (String key : MetaRecConfig.knownKeys().keySet()) {
      assertTrue(c.raw().hasPathOrNull(key), key);
    }
    assertTrue(MetaRecConfig.knownKeys().containsKey("tasks.maxInteractions"));
  }

  @Test
  void hashChangesWithTheSectionsItCovers() {
    MetaRecConfig a = MetaRecConfig.load();
    MetaRecConfig b = a.with("split.test", 0.2);
    assertTrue(!a.hash("split").equals(b.hash("split")));
    assertEquals(a.hash("tasks"), b.hash("tasks"));
  }

  @Test
  void engineSettingsFollowTheRunSeedAndAreValidatedUpFront() {
    MetaRecConfig c = MetaRecConfig.load(null, List.of("seed=7", "meta.algorithm=reptile"), Map.of());
    assertEquals(7L, c.engine().meta().seed(), "meta.seed = ${seed}");
    assertEquals("REPTILE", c.engine().meta().algorithm().name());
    assertTrue(rejected("meta.outerLr=0").getMessage().contains("meta.outerLr"));
    assertTrue(rejected("model.hidden=[]").getMessage().contains("model.hidden"));
    assertTrue(rejected("inner.steps=-1").getMessage().contains("inner.steps"));
    assertEquals("train.lrDecay must be in (0, 1], got 0.0", rejected("train.lrDecay=0").getMessage());
    // A resume of a warm-started run (a night rerun): the checkpoint wins when there is one.
    MetaRecConfig both = MetaRecConfig.load(null, List.of("train.resume=true", "train.initFrom=/m"),
        Map.of());
    assertTrue(both.train().resume());
  }

  @Test
  void integerKeysRefuseFractionsAndValuesOutOfRange() {
    assertEquals("seed must be an integer, got 1.5", rejected("seed=1.5").getMessage());
    assertEquals("seed must be an integer in [-9223372036854775808, 9223372036854775807], got "
        + "\"99999999999999999999\"", rejected("seed=99999999999999999999").getMessage());
    assertEquals("inner.steps must be an integer in [-2147483648, 2147483647], got 3000000000",
        rejected("inner.steps=3000000000").getMessage());
    assertEquals("train.validateEvery must be an integer, got 2.5",
        rejected("train.validateEvery=2.5").getMessage());
    assertEquals("model.hidden must be a list of integers, e.g. [1, 3, 5], got [64,1.5]",
        rejected("model.hidden=[64, 1.5]").getMessage());
    assertEquals("meta.iterations must be an integer, got 2.5",
        rejected("meta.iterations=2.5").getMessage());
    assertEquals(7L, MetaRecConfig.load(null, List.of("seed=7.0"), Map.of()).seed(),
        "an integral number is an integer");
    assertEquals(12L, MetaRecConfig.load(null, List.of("seed=\"12\""), Map.of()).seed());
  }

  @Test
  void trainEngineIsOneOfJvmNd4jAutoWithAPositiveBlockSize() {
    MetaRecConfig d = MetaRecConfig.load();
    assertEquals(EngineKind.AUTO, d.train().engine());
    assertEquals(1024, d.train().engineBlockSize());
    assertEquals(EngineKind.ND4J, MetaRecConfig.load(null, List.of("train.engine=ND4J"), Map.of()).train().engine());
    assertEquals("train.engine must be one of jvm|nd4j|auto, got 'gpu'",
        rejected("train.engine=gpu").getMessage());
    assertEquals("train.engineBlockSize must be >= 1, got 0", rejected("train.engineBlockSize=0").getMessage());
  }
}
