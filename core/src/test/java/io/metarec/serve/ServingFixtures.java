package io.metarec.serve;

import com.typesafe.config.ConfigFactory;
import io.metarec.config.TrainSettings;
import io.metarec.io.FolderReader;
import io.metarec.io.ModelManifest;
import io.metarec.io.ParamFile;
import io.metarec.io.ParamSegment;
import io.metarec.io.VocabText;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.model.Params;
import io.metarec.task.ItemFeatureTable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Serving models made in memory or written as model folders, for the serving tests. */
public final class ServingFixtures {
  private ServingFixtures() {}

  /** Item id of index {@code i}. */
  public static String id(int i) {
    return "item-" + i;
  }

  /** User field value {@code v} of field {@code f}. */
  public static String value(FieldSpec f, int v) {
    return f.name() + "-" + v;
  }

  /** model.json of a meta-trained model of {@code spec}, trained with the default inner loop. */
  public static ModelManifest manifest(ModelSpec spec, double labelMin, double labelMax) {
    Map<String, Object> training = new HashMap<>();
    training.put("inner", TrainSettings.withDefaults(ConfigFactory.empty()).getConfig("inner")
        .root().unwrapped());
    return new ModelManifest(ModelManifest.FORMAT_VERSION, ModelManifest.KIND, null,
        "2026-12-01T00:00:00Z", "test", ModelManifest.Architecture.of(spec), labelMin, labelMax,
        ModelManifest.segmentsOf(new io.metarec.model.ParamLayout(spec)),
        ModelManifest.tree(training), "hash", new ModelManifest.DataInfo("tasks", "fp", 1), null,
        null, null);
  }

  /** The parts of a model: ids {@link #id}, user values {@link #value}. */
  public static MetaRecModel.Parts parts(ModelSpec spec, Params theta, ItemFeatureTable items) {
    String[] ids = new String[spec.numItems()];
    for (int i = 1; i < ids.length; i++) {
      ids[i] = id(i);
    }
    List<Map<String, Integer>> values = new ArrayList<>();
    for (FieldSpec f : spec.userFields()) {
      Map<String, Integer> m = new HashMap<>();
      for (int v = 1; v < f.vocabSize(); v++) {
        m.put(value(f, v), v);
      }
      values.add(m);
    }
    long[] counts = new long[spec.numItems()];
    for (int i = 1; i < counts.length; i++) {
      counts[i] = 1 + (i * 7L) % 5;
    }
    ItemFeatureTable withCounts = items.counts() != null ? items : items.withCounts(counts);
    return new MetaRecModel.Parts("mem/model", manifest(spec, 1, 5).toJson(), theta.flatten(),
        ids, withCounts, values);
  }

  /** Writes a model folder as train does (model.json, params.bin, vocab/text/). */
  public static void writeFolder(Path dir, MetaRecModel.Parts p) throws IOException {
    ModelManifest m = ModelManifest.parse(p.manifestJson(), "fixture");
    ModelSpec spec = m.spec();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("model.json"), m.toJson());
    try (OutputStream os = Files.newOutputStream(dir.resolve("params.bin"))) {
      ParamFile.write(os, "params.bin", ParamSegment.list(new io.metarec.model.ParamLayout(spec)),
          p.theta());
    }
    Path text = dir.resolve("vocab").resolve(VocabText.FOLDER);
    VocabText.Writer w = new VocabText.Writer(name -> {
      Path f = text.resolve(name);
      Files.createDirectories(f.getParent());
      return Files.newOutputStream(f);
    }, spec.numItems());
    List<VocabText.ItemRow> items = new ArrayList<>();
    ItemFeatureTable t = p.items();
    for (int i = 1; i < spec.numItems(); i++) {
      int[][] f = new int[t.numFields()][];
      for (int k = 0; k < f.length; k++) {
        f[k] = java.util.Arrays.copyOfRange(t.indices(k), t.start(k, i), t.end(k, i));
      }
      items.add(new VocabText.ItemRow(i, p.itemIds()[i], t.counts()[i], f));
    }
    w.items(items.iterator());
    for (int g = 0; g < spec.userFields().size(); g++) {
      List<VocabText.ValueRow> rows = new ArrayList<>();
      for (Map.Entry<String, Integer> e : p.userValues().get(g).entrySet()) {
        rows.add(new VocabText.ValueRow(e.getKey(), e.getValue(), 1));
      }
      Iterator<VocabText.ValueRow> it = rows.iterator();
      w.values("user." + spec.userFields().get(g).name(), it);
    }
    w.finish();
  }

  /** A reader of a folder, for the low-level readers. */
  public static FolderReader reader(Path dir) {
    return FolderReader.local(dir);
  }
}
