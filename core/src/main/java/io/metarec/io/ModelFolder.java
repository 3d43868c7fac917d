package io.metarec.io;

import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads a model folder written by {@code train} or {@code pretrain}: {@code model.json}
 * ({@link ModelManifest}), {@code params.bin} ({@link ParamFile}), {@code neighbours.bin} ({@link
 * NeighbourFile}) when there is one, and the presence of the parts of
 * {@code vocab/} the caller needs, with the checks and messages of every loader: the Spark jobs
 * (over Hadoop's file system, needing the Parquet tables) and the serving API (on the local file
 * system, needing {@link VocabText}).
 */
public final class ModelFolder {
  /** The model description. */
  public static final String MODEL_JSON = "model.json";
  /** The parameters. */
  public static final String PARAMS = "params.bin";
  /** The item neighbourhoods of the neighbourhood term (implicit feedback; optional). */
  public static final String NEIGHBOURS = NeighbourFile.NAME;

  private ModelFolder() {}

  /**
   * A model folder's description and parameters.
   *
   * @param manifest its model.json
   * @param spec the architecture
   * @param theta the parameters, checked against the architecture
   * @param neighbours the item neighbourhoods ({@code neighbours.bin}), or null when the folder
   *     has none
   */
  public record Contents(ModelManifest manifest, ModelSpec spec, Params theta,
      io.metarec.model.ItemNeighbours neighbours) {}

  /**
   * Reads and checks {@code model.json} and {@code params.bin}, after checking that every one of
   * {@code requiredParts} exists.
   *
   * @param folder the model folder
   * @param dir the folder's name in messages
   * @param requiredParts relative names that must exist (the vocabularies the caller reads)
   * @throws ModelFolderException naming the file and what is wrong: no model.json, an unreadable
   *     or newer model.json, a missing part, a truncated, corrupt or mis-shaped params.bin
   */
  public static Contents read(FolderReader folder, String dir, List<String> requiredParts) {
    String jsonLabel = folder.label(MODEL_JSON);
    ModelManifest manifest;
    try {
      if (!folder.exists(MODEL_JSON)) {
        throw new ModelFolderException(dir + " is not a MetaRec model: it has no " + MODEL_JSON);
      }
      String json;
      try (InputStream in = folder.open(MODEL_JSON)) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      manifest = ModelManifest.parse(json, jsonLabel);
    } catch (ModelManifest.ModelManifestException e) {
      throw new ModelFolderException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + jsonLabel + ": " + e.getMessage(), e);
    }
    ModelSpec spec;
    try {
      spec = manifest.architecture().spec(jsonLabel);
    } catch (ModelManifest.ModelManifestException e) {
      throw new ModelFolderException(e.getMessage(), e);
    }
    ParamLayout layout = new ParamLayout(spec);
    for (String part : requiredParts) {
      boolean there;
      try {
        there = folder.exists(part);
      } catch (IOException e) {
        throw new ModelFolderException("cannot read " + folder.label(part) + ": "
            + e.getMessage(), e);
      }
      if (!there) {
        throw new ModelFolderException("model " + dir + " is incomplete: it has no " + part
            + " (the vocabularies a model is trained on are part of its folder)");
      }
    }
    String paramsLabel = folder.label(PARAMS);
    float[] flat;
    try (InputStream in = folder.open(PARAMS)) {
      flat = ParamFile.read(in, paramsLabel, ParamSegment.list(layout));
    } catch (ModelFileException e) {
      throw new ModelFolderException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + paramsLabel + ": " + e.getMessage(), e);
    }
    io.metarec.model.ItemNeighbours neighbours = null;
    String nbLabel = folder.label(NEIGHBOURS);
    try {
      if (folder.exists(NEIGHBOURS)) {
        try (InputStream in = folder.open(NEIGHBOURS)) {
          neighbours = NeighbourFile.read(in, nbLabel, spec.numItems());
        }
      } else if (manifest.usesNeighbours()) {
        throw new ModelFolderException("model " + dir + " is incomplete: it scores with the "
            + "neighbourhood term (inner.neighbourWeight > 0 in " + MODEL_JSON + ") but has no "
            + NEIGHBOURS);
      }
    } catch (ModelFileException e) {
      throw new ModelFolderException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + nbLabel + ": " + e.getMessage(), e);
    }
    return new Contents(manifest, spec, Params.unflatten(layout, flat), neighbours);
  }
}
