package io.metarec.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.metarec.model.FieldSpec;
import io.metarec.model.ModelSpec;
import io.metarec.task.ItemFeatureTable;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A model's vocabularies and item table as JSON lines, so that a reader without Spark (the serving
 * API) can map ids to indices: {@code vocab/text/} of a model folder, next to the Parquet tables
 * the jobs read. Written by {@code train} and {@code pretrain} with the model, and by
 * {@code metarec upgrade-model} into an older folder.
 *
 * <pre>
 *   manifest.json               {"formatVersion": 1, "kind": "metarec-vocab-text", "numItems": N,
 *                                "files": {"items.jsonl": {"rows": R, "crc32": C}, ...}}
 *   items.jsonl                 one item per line, every index 1..N-1 once:
 *                               {"index": 1, "id": "i42", "count": 17, "features": [[3], [2, 5]]}
 *                               (count: interactions in the task set; features: one list of
 *                               vocabulary indices per item field, in features.json order)
 *   values/user.F.jsonl, values/item.F.jsonl
 *                               one value of vocabulary user.F / item.F per line:
 *                               {"value": "M", "index": 1, "count": 670}
 * </pre>
 *
 * <p>The manifest is written last and lists every file with its row count and CRC32, so a folder
 * whose copy was cut short is refused, naming the file. UTF-8; ids are JSON strings, so any id
 * (tabs, quotes, line breaks) survives. Reading checks that indices are unique and in range, ids
 * and values unique, and the sizes those of the model.
 */
public final class VocabText {
  /** The folder under a model's {@code vocab/}. */
  public static final String FOLDER = "text";
  /** The manifest's file name. */
  public static final String MANIFEST = "manifest.json";
  /** The item table's file name. */
  public static final String ITEMS = "items.jsonl";
  /** The format this build writes, and the newest it reads. */
  public static final int FORMAT_VERSION = 1;
  /** The value of the manifest's {@code kind}. */
  public static final String KIND = "metarec-vocab-text";

  private static final ObjectMapper MAPPER = new ObjectMapper()
      // The reader drains and closes each file itself, after the last row, to check its CRC32.
      .disable(com.fasterxml.jackson.core.JsonParser.Feature.AUTO_CLOSE_SOURCE)
      .disable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private VocabText() {}

  /** @return the file name of vocabulary {@code name} ({@code user.F} or {@code item.F}) */
  public static String valuesFile(String name) {
    return "values/" + name + ".jsonl";
  }

  /**
   * One item of the item table.
   *
   * @param index the item index, {@code >= 1}
   * @param id the item id as in the input
   * @param count interactions with it in the task set
   * @param features per item field, its vocabulary indices
   */
  public record ItemRow(int index, String id, long count, int[][] features) {}

  /**
   * One value of a vocabulary.
   *
   * @param value the value as in the input
   * @param index its index, {@code >= 1}
   * @param count occurrences in the run that indexed it
   */
  public record ValueRow(String value, int index, long count) {}

  /** Creates files of one folder by relative name; the Spark side implements it on Hadoop. */
  public interface FolderWriter {
    /** @return a new stream for the file {@code name}, parents created; the caller closes it */
    OutputStream create(String name) throws IOException;
  }

  /** Writes the files of {@code vocab/text/}, the manifest last ({@link #finish}). */
  public static final class Writer {
    private final FolderWriter out;
    private final int numItems;
    private final Map<String, Map<String, Long>> files = new LinkedHashMap<>();

    /**
     * @param out the {@code vocab/text/} folder
     * @param numItems the model's item vocabulary size, index 0 included
     */
    public Writer(FolderWriter out, int numItems) {
      this.out = out;
      this.numItems = numItems;
    }

    /** Writes the item table. */
    public void items(Iterator<ItemRow> rows) throws IOException {
      write(ITEMS, rows);
    }

    /** Writes vocabulary {@code name} ({@code user.F} or {@code item.F}). */
    public void values(String name, Iterator<ValueRow> rows) throws IOException {
      write(valuesFile(name), rows);
    }

    private void write(String name, Iterator<?> rows) throws IOException {
      CRC32 crc = new CRC32();
      long n = 0;
      try (OutputStream os = new CheckedOutputStream(new BufferedOutputStream(out.create(name),
          1 << 16), crc)) {
        while (rows.hasNext()) {
          os.write(MAPPER.writeValueAsBytes(rows.next()));
          os.write('\n');
          n++;
        }
      }
      files.put(name, Map.of("rows", n, "crc32", crc.getValue()));
    }

    /** Writes the manifest, which makes the folder complete. */
    public void finish() throws IOException {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("formatVersion", FORMAT_VERSION);
      m.put("kind", KIND);
      m.put("numItems", numItems);
      m.put("files", files);
      try (OutputStream os = out.create(MANIFEST)) {
        os.write(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        os.write('\n');
      }
    }
  }

  /**
   * What a model needs of its vocabularies to take ids.
   *
   * @param itemIds item id by index ({@code itemIds[0]} is null: the unknown item)
   * @param itemIndex item index by id
   * @param items the item feature table with each item's count (the negative sampler's weights)
   * @param userValues per user field (in the model's order), value → index
   */
  public record Contents(String[] itemIds, Map<String, Integer> itemIndex, ItemFeatureTable items,
      List<Map<String, Integer>> userValues) {}

  /**
   * Reads and checks {@code vocab/text/} of a model folder against the model's spec.
   *
   * @param folder the model folder
   * @param spec the model's architecture (sizes, fields)
   * @throws ModelFolderException naming the file and what is wrong
   */
  public static Contents read(FolderReader folder, ModelSpec spec) {
    String dir = "vocab/" + FOLDER + "/";
    Map<String, long[]> listed = manifest(folder, dir, spec);
    int n = spec.numItems();
    List<FieldSpec> itemFields = spec.itemFields();
    String[] ids = new String[n];
    Map<String, Integer> index = new HashMap<>(Math.max(16, n * 4 / 3 + 1));
    int[][][] nested = new int[n][][];
    long[] counts = new long[n];
    String label = folder.label(dir + ITEMS);
    long rows = readRows(folder, dir + ITEMS, listed.get(ITEMS), ItemRow.class, (ItemRow r) -> {
      if (r.index() < 1 || r.index() >= n) {
        throw new ModelFolderException(label + ": item index " + r.index() + " (id " + r.id()
            + ") is outside [1, " + n + ") of the model's " + n + " item indices");
      }
      if (r.id() == null || ids[r.index()] != null || index.containsKey(r.id())) {
        throw new ModelFolderException(label + ": item index " + r.index() + " with id " + r.id()
            + (r.id() == null ? " has no id" : " repeats an index or an id"));
      }
      int[][] f = r.features() == null ? new int[0][] : r.features();
      if (f.length != itemFields.size()) {
        throw new ModelFolderException(label + ": item " + r.id() + " has " + f.length
            + " feature lists, the model has " + itemFields.size() + " item fields");
      }
      for (int k = 0; k < f.length; k++) {
        int vocab = itemFields.get(k).vocabSize();
        if (f[k] == null || f[k].length == 0) {
          f[k] = new int[] {0};
        }
        for (int v : f[k]) {
          if (v < 0 || v >= vocab) {
            throw new ModelFolderException(label + ": item " + r.id() + " has value " + v
                + " in field " + itemFields.get(k).name() + ", outside [0, " + vocab + ")");
          }
        }
      }
      if (r.count() < 0) {
        throw new ModelFolderException(label + ": item " + r.id() + " has count " + r.count());
      }
      ids[r.index()] = r.id();
      index.put(r.id(), r.index());
      nested[r.index()] = f;
      counts[r.index()] = r.count();
    });
    if (rows != n - 1) {
      throw new ModelFolderException(label + " lists " + rows + " items, the model has "
          + (n - 1) + " (indices 1.." + (n - 1) + ")");
    }
    nested[0] = new int[itemFields.size()][];
    for (int k = 0; k < itemFields.size(); k++) {
      nested[0][k] = new int[] {0};
    }
    ItemFeatureTable items = ItemFeatureTable.fromNested(itemFields.size(), nested)
        .withCounts(counts);
    List<Map<String, Integer>> userValues = new java.util.ArrayList<>();
    for (FieldSpec f : spec.userFields()) {
      String name = valuesFile("user." + f.name());
      userValues.add(Collections.unmodifiableMap(values(folder, dir + name, listed.get(name), f)));
    }
    return new Contents(ids, Collections.unmodifiableMap(index), items, List.copyOf(userValues));
  }

  private static Map<String, Integer> values(FolderReader folder, String path, long[] listed,
      FieldSpec field) {
    String label = folder.label(path);
    Map<String, Integer> m = new HashMap<>();
    boolean[] seen = new boolean[field.vocabSize()];
    readRows(folder, path, listed, ValueRow.class, (ValueRow r) -> {
      if (r.index() < 1 || r.index() >= field.vocabSize()) {
        throw new ModelFolderException(label + ": value " + r.value() + " has index " + r.index()
            + ", outside [1, " + field.vocabSize() + ") of field " + field.name());
      }
      if (r.value() == null || seen[r.index()] || m.containsKey(r.value())) {
        throw new ModelFolderException(label + ": value " + r.value() + " with index "
            + r.index() + " repeats an index or a value (indices must be unique and >= 1)");
      }
      seen[r.index()] = true;
      m.put(r.value(), r.index());
    });
    return m;
  }

  /** The files the manifest lists, name → {rows, crc32}; checks its version and size. */
  private static Map<String, long[]> manifest(FolderReader folder, String dir, ModelSpec spec) {
    String path = dir + MANIFEST;
    String label = folder.label(path);
    JsonNode root;
    try {
      if (!folder.exists(path)) {
        throw new ModelFolderException(folder.label(dir).replaceAll("/$", "") + " is missing: "
            + "the model folder predates the vocabularies in the form read without Spark; add "
            + "them once with `scripts/metarec upgrade-model --model "
            + folder.label("").replaceAll("/$", "") + "`");
      }
      try (InputStream in = folder.open(path)) {
        root = MAPPER.readTree(in);
      }
    } catch (JsonProcessingException e) {
      throw new ModelFolderException(label + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + label + ": " + e.getMessage(), e);
    }
    if (root == null || !KIND.equals(root.path("kind").asText(null))
        || !root.path("formatVersion").isInt() || !root.path("files").isObject()) {
      throw new ModelFolderException(label + " is not a MetaRec vocabulary manifest");
    }
    int version = root.get("formatVersion").asInt();
    if (version > FORMAT_VERSION) {
      throw new ModelFolderException(label + " has format version " + version
          + ", written by a newer MetaRec (this build reads up to " + FORMAT_VERSION + ")");
    }
    if (root.path("numItems").asInt(-1) != spec.numItems()) {
      throw new ModelFolderException(label + " was written for " + root.path("numItems")
          + " item indices, the model has " + spec.numItems());
    }
    Map<String, long[]> files = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("files").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      files.put(e.getKey(), new long[] {e.getValue().path("rows").asLong(-1),
          e.getValue().path("crc32").asLong(-1)});
    }
    return files;
  }

  /** Reads every row of a JSON-lines file into {@code sink}; checks rows and CRC32 against the manifest. */
  private static <T> long readRows(FolderReader folder, String path, long[] listed, Class<T> type,
      java.util.function.Consumer<T> sink) {
    String label = folder.label(path);
    if (listed == null) {
      throw new ModelFolderException(label + " is not listed in its folder's " + MANIFEST
          + ": the folder is incomplete");
    }
    CRC32 crc = new CRC32();
    long rows = 0;
    try (CheckedInputStream in = new CheckedInputStream(folder.open(path), crc);
        MappingIterator<T> it = MAPPER.readerFor(type).readValues(in)) {
      while (it.hasNextValue()) {
        sink.accept(it.nextValue());
        rows++;
      }
      in.transferTo(OutputStream.nullOutputStream());
    } catch (JsonProcessingException e) {
      throw new ModelFolderException(label + " is truncated or corrupt: row " + (rows + 1)
          + " does not parse as " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
      throw new ModelFolderException(label + " is missing (its folder's " + MANIFEST
          + " lists it)", e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + label + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (e instanceof ModelFolderException) {
        throw e;
      }
      throw new ModelFolderException(label + ": row " + (rows + 1) + " is not a "
          + type.getSimpleName() + ": " + e.getMessage(), e);
    }
    if (rows != listed[0] || crc.getValue() != listed[1]) {
      throw new ModelFolderException(label + " is truncated or corrupt: it has " + rows
          + " rows and CRC32 " + crc.getValue() + ", its manifest says " + listed[0] + " and "
          + listed[1]);
    }
    return rows;
  }
}
