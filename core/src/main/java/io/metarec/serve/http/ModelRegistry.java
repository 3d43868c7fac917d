package io.metarec.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.io.ModelFolderException;
import io.metarec.serve.MetaRecModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The model registry of {@code metarec nightly} read from the local file system: {@code
 * latest.json} names the promoted version ({@code {"version": "2026-11-27", "model":
 * ".../versions/2026-11-27/model", ...}}), replaced atomically by each promotion.
 */
final class ModelRegistry {
  private final Path root;
  private final MetaRecModel.Options options;
  private byte[] lastSeen;

  /**
   * @param root the registry folder
   * @param options how its models are served (the version name is the registry's)
   */
  ModelRegistry(Path root, MetaRecModel.Options options) {
    this.root = root;
    this.options = options;
  }

  Path latestJson() {
    return root.resolve("latest.json");
  }

  /** Loads the version latest.json names now; fails naming what is wrong. */
  MetaRecModel loadLatest() {
    byte[] bytes = read();
    MetaRecModel m = load(bytes);
    lastSeen = bytes;
    return m;
  }

  /**
   * The model latest.json names if it changed since the last successful load, else null. A
   * version that fails to load is tried again at the next poll.
   */
  MetaRecModel loadIfChanged() {
    byte[] bytes = read();
    if (Arrays.equals(bytes, lastSeen)) {
      return null;
    }
    MetaRecModel m = load(bytes);
    lastSeen = bytes;
    return m;
  }

  private byte[] read() {
    try {
      return Files.readAllBytes(latestJson());
    } catch (NoSuchFileException e) {
      throw new ModelFolderException("the registry " + root + " has no latest.json: no night has "
          + "promoted a model yet (metarec nightly --root " + root + ")", e);
    } catch (IOException e) {
      throw new ModelFolderException("cannot read " + latestJson() + ": " + e.getMessage(), e);
    }
  }

  private MetaRecModel load(byte[] bytes) {
    JsonNode j;
    try {
      j = Requests.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new ModelFolderException(latestJson() + " is not valid JSON: " + e.getMessage(), e);
    }
    if (j == null || !j.path("version").isTextual() || !j.path("model").isTextual()) {
      throw new ModelFolderException(latestJson() + " has no \"version\" and \"model\" strings; "
          + "the registry is damaged (restore latest.json from a versions/<date>/nightly.json)");
    }
    String version = j.get("version").textValue();
    return MetaRecModel.load(modelPath(j.get("model").textValue(), version),
        options.withVersion(version));
  }

  /** The model folder: latest.json's path (local, {@code file:} or plain), else the version's. */
  private Path modelPath(String model, String version) {
    String p = model;
    if (p.startsWith("file://")) {
      p = p.substring("file://".length());
    } else if (p.startsWith("file:")) {
      p = p.substring("file:".length());
    } else if (p.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      throw new ModelFolderException(latestJson() + " names the model " + model + " on a file "
          + "system serve cannot read (it reads local folders): copy the registry to a local disk");
    }
    Path named = Path.of(p);
    if (Files.isDirectory(named)) {
      return named;
    }
    // A registry written with a relative root, or moved since: its own layout.
    return root.resolve("versions").resolve(version).resolve("model");
  }
}
