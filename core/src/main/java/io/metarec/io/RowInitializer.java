package io.metarec.io;

import java.util.SplittableRandom;

/**
 * Gives the initial values of a row that a vocabulary extension adds to an embedding table (see
 * {@link EmbeddingGrowth}). Implementations should depend only on the row index (and their own
 * settings such as a seed), so that a grown table does not depend on how many rows are added at once.
 */
@FunctionalInterface
public interface RowInitializer {
  /**
   * Fills the values of new row {@code row} into {@code out}.
   *
   * @param row the row's index in the grown table ({@code >= } the old row count)
   * @param out the row, {@code dim} floats, all zero on entry; a scratch array reused across calls
   */
  void initRow(int row, float[] out);

  /** @return an initializer that leaves new rows at zero */
  static RowInitializer zeros() {
    return (row, out) -> { };
  }

  /**
   * Independent normal values with mean 0 and standard deviation {@code stddev}. Each row draws from
   * its own stream derived from {@code (seed, row)}, so row {@code r} gets the same values whatever the
   * old and new row counts are.
   *
   * @param seed the seed; use a different one per table (e.g. derived from the run seed and table name)
   * @param stddev standard deviation, finite and {@code >= 0}
   * @return the initializer
   */
  static RowInitializer gaussian(long seed, float stddev) {
    if (!(stddev >= 0) || Float.isInfinite(stddev)) {
      throw new IllegalArgumentException("stddev must be finite and >= 0, got " + stddev);
    }
    return (row, out) -> {
      SplittableRandom rng = new SplittableRandom(mix(seed ^ mix(row + 0x632BE59BD9B4E019L)));
      for (int j = 0; j < out.length; j++) {
        out[j] = (float) (rng.nextGaussian() * stddev);
      }
    };
  }

  /** MurmurHash3's 64-bit finalizer: a bijection that spreads every input bit over the output. */
  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
