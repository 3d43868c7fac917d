package io.metarec.io;

import java.io.IOException;

/**
 * A run of floats written in order without being one array (θ's rows, an optimizer's moments), so
 * that a model whose tables are gigabytes is written straight from where its values live: a second
 * copy the size of θ (or twice, for Adam's moments) is never made.
 */
public interface FloatRun {
  /** Receives pieces of the run in order. */
  interface Sink {
    void write(float[] data, int off, int len) throws IOException;
  }

  /** @return the number of floats */
  long length();

  /** Passes every float to {@code sink}, in order, in pieces. */
  void writeTo(Sink sink) throws IOException;

  /** The floats of {@code data}. */
  static FloatRun of(float[] data) {
    return new FloatRun() {
      @Override
      public long length() {
        return data.length;
      }

      @Override
      public void writeTo(Sink sink) throws IOException {
        sink.write(data, 0, data.length);
      }
    };
  }
}
