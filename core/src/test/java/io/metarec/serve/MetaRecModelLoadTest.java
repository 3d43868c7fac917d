package io.metarec.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.io.ModelFolderException;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.serve.History.Interaction;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a model folder without Spark: the same model as in memory, damage named by file. */
class MetaRecModelLoadTest {
  private static final ModelSpec SPEC = TestFixtures.tinySpec(Feedback.EXPLICIT, true,
      Activation.RELU);

  private static MetaRecModel.Parts parts() {
    return ServingFixtures.parts(SPEC, TestFixtures.randomParams(SPEC, 2),
        TestFixtures.tinyItems(SPEC.numItems()));
  }

  @Test
  void aModelJsonWrittenBeforeTheLearnedFoldInGainReadsAsAModelWithoutIt() {
    ModelSpec implicit = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.RELU);
    String json = ServingFixtures.manifest(implicit, 0, 1).toJson();
    assertTrue(json.contains("\"learnedFoldIn\" : false"), json);
    String old = json.replace("\"learnedFoldIn\" : false,", "")
        .replace(",\n    \"learnedFoldIn\" : false", "");
    assertTrue(!old.contains("learnedFoldIn"), old);
    ModelSpec read = io.metarec.io.ModelManifest.parse(old, "old").spec();
    assertEquals(implicit, read);
    // A model with the gain lists the segment and reads back with it.
    ModelSpec learned = new ModelSpec(implicit.numItems(), implicit.userFields(),
        implicit.itemFields(), implicit.embeddingDim(), implicit.hidden(), implicit.activation(),
        implicit.userDim(), implicit.feedback(), implicit.implicitTerm(), implicit.userInMlp(), true);
    String withGain = ServingFixtures.manifest(learned, 0, 1).toJson();
    assertTrue(withGain.contains("logFoldIn"));
    assertEquals(learned, io.metarec.io.ModelManifest.parse(withGain, "new").spec());
  }

  @Test
  void aWrittenFolderLoadsAsTheModelItHolds(@TempDir Path dir) throws Exception {
    ServingFixtures.writeFolder(dir.resolve("model"), parts());
    MetaRecModel loaded = MetaRecModel.load(dir.resolve("model"));
    MetaRecModel inMemory = MetaRecModel.of(parts(), MetaRecModel.Options.DEFAULTS
        .withVersion(loaded.version()));
    History h = History.of(Interaction.rating("item-3", 5), Interaction.rating("item-5", 2))
        .withUserFeature("genres", "genres-2");
    assertEquals(inMemory.recommend(h, 5), loaded.recommend(h, 5));
    assertEquals("model@2026-12-01T00:00:00Z", loaded.version());
    assertEquals(11, loaded.itemCount());
  }

  @Test
  void damagedOrOlderFoldersAreRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model");
    ServingFixtures.writeFolder(model, parts());
    Path text = model.resolve("vocab/text");

    Path items = text.resolve("items.jsonl");
    byte[] whole = Files.readAllBytes(items);
    Files.write(items, java.util.Arrays.copyOf(whole, whole.length - 7));
    ModelFolderException cut = assertThrows(ModelFolderException.class,
        () -> MetaRecModel.load(model));
    assertTrue(cut.getMessage().startsWith(items + " is truncated or corrupt"), cut.getMessage());
    Files.write(items, whole);

    byte[] params = Files.readAllBytes(model.resolve("params.bin"));
    try (RandomAccessFile f = new RandomAccessFile(model.resolve("params.bin").toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x5a);
    }
    ModelFolderException flipped = assertThrows(ModelFolderException.class,
        () -> MetaRecModel.load(model));
    assertTrue(flipped.getMessage().contains("params.bin")
        && flipped.getMessage().toLowerCase(java.util.Locale.ROOT).contains("checksum"),
        flipped.getMessage());
    Files.write(model.resolve("params.bin"), params);

    Files.delete(text.resolve("manifest.json"));
    ModelFolderException older = assertThrows(ModelFolderException.class,
        () -> MetaRecModel.load(model));
    assertTrue(older.getMessage().contains("scripts/metarec upgrade-model --model " + model),
        older.getMessage());

    Files.delete(model.resolve("model.json"));
    assertEquals(model + " is not a MetaRec model: it has no model.json",
        assertThrows(ModelFolderException.class, () -> MetaRecModel.load(model)).getMessage());
  }

  @Test
  void aFolderWithNeighbourhoodsScoresWithThemAndOneThatLacksThemIsRefused(@TempDir Path dir)
      throws Exception {
    ModelSpec spec = TestFixtures.tinySpec(Feedback.IMPLICIT, true, Activation.RELU);
    io.metarec.model.ItemNeighbours nb = MetaRecModelTest.randomNeighbours(spec.numItems(), 5);
    MetaRecModel.Parts plain = ServingFixtures.parts(spec, TestFixtures.randomParams(spec, 2),
        TestFixtures.tinyItems(spec.numItems()));
    // model.json as train writes it when the selection chose the term.
    java.util.Map<String, Object> inner = new java.util.LinkedHashMap<>();
    inner.put("neighbourWeight", 4.0);
    String json = io.metarec.io.ModelManifest.parse(plain.manifestJson(), "m")
        .withAdaptation(inner).toJson();
    MetaRecModel.Parts parts = new MetaRecModel.Parts(plain.dir(), json, plain.theta(),
        plain.itemIds(), plain.items().withNeighbours(nb), plain.userValues());
    Path model = dir.resolve("model");
    ServingFixtures.writeFolder(model, parts);
    try (java.io.OutputStream os = Files.newOutputStream(model.resolve("neighbours.bin"))) {
      io.metarec.io.NeighbourFile.write(os, nb);
    }
    MetaRecModel loaded = MetaRecModel.load(model);
    MetaRecModel inMemory = MetaRecModel.of(parts, MetaRecModel.Options.DEFAULTS
        .withVersion(loaded.version()));
    History h = History.events("item-3", "item-5", "item-7");
    assertEquals(inMemory.recommend(h, 5), loaded.recommend(h, 5));
    assertTrue(!MetaRecModel.of(plain, MetaRecModel.Options.DEFAULTS.withVersion(loaded.version()))
        .recommend(h, 11).equals(loaded.recommend(h, 11)), "the term is applied");

    Files.delete(model.resolve("neighbours.bin"));
    ModelFolderException missing = assertThrows(ModelFolderException.class,
        () -> MetaRecModel.load(model));
    assertEquals("model " + model + " is incomplete: it scores with the neighbourhood term "
        + "(inner.neighbourWeight > 0 in model.json) but has no neighbours.bin",
        missing.getMessage());
  }
}
