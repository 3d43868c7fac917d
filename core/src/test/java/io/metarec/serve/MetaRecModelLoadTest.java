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
}
