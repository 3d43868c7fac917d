package io.metarec.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Read access to the files of one folder by relative name ({@code "model.json"},
 * {@code "vocab/text/items.jsonl"}), so one parser serves the local file system (here) and Hadoop's
 * (the Spark side implements it over {@code FileSystem}).
 */
public interface FolderReader {
  /** @return whether the file or folder {@code name} exists */
  boolean exists(String name) throws IOException;

  /** @return a new stream over the file {@code name}; the caller closes it */
  InputStream open(String name) throws IOException;

  /** @return the file's label for messages: the folder's path and the name */
  String label(String name);

  /** A reader of the local folder {@code dir}. */
  static FolderReader local(Path dir) {
    return new FolderReader() {
      @Override
      public boolean exists(String name) {
        return Files.exists(dir.resolve(name));
      }

      @Override
      public InputStream open(String name) throws IOException {
        return Files.newInputStream(dir.resolve(name));
      }

      @Override
      public String label(String name) {
        return dir.resolve(name).toString();
      }
    };
  }
}
