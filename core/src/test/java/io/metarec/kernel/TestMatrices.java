package io.metarec.kernel;

import java.util.SplittableRandom;

/** Random and copied row-major matrices for the kernel tests. */
final class TestMatrices {
  private TestMatrices() {}

  /** A {@code rows x cols} matrix of values uniform in {@code [-scale, scale)}. */
  static float[][] uniform(SplittableRandom rng, int rows, int cols, double scale) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int c = 0; c < cols; c++) {
        row[c] = (float) ((rng.nextDouble() * 2 - 1) * scale);
      }
    }
    return m;
  }

  /** A deep copy of {@code m}. */
  static float[][] copy(float[][] m) {
    float[][] c = new float[m.length][];
    for (int r = 0; r < m.length; r++) {
      c[r] = m[r].clone();
    }
    return c;
  }
}
