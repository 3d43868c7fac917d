package io.metarec.kernel;

import static io.metarec.kernel.TestMatrices.copy;
import static io.metarec.kernel.TestMatrices.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vector API microkernels against the scalar loops, bit for bit, for both tile widths (4 vectors
 * as on AVX-512, 2 as on AVX2) whatever this machine would pick, on shapes that reach every tile:
 * full tiles, one-vector tiles, single rows, columns narrower than a vector and column offsets; the
 * element-wise loops of a step against theirs, on special values too. And
 * the steady state of the Vector API path allocates nothing, as the inner loop's must
 * ({@code EngineBehaviourTest}'s tiny model is narrower than a vector and never reaches these tiles).
 */
class VectorKernelsTest {
  /** {rows n, reduction k, first column, end column, row length}. */
  private static final int[][] PRODUCTS = {
      {20, 128, 0, 64, 64}, {20, 64, 0, 64, 64}, {7, 13, 0, 64, 64}, {9, 10, 3, 80, 80}, {1, 1, 0, 16, 16},
      {5, 200, 16, 144, 150}, {13, 33, 0, 40, 40}, {4, 4, 0, 8, 8}, {6, 5, 2, 2, 4}, {0, 3, 0, 32, 32},
      {3, 0, 0, 32, 32}, {11, 7, 5, 133, 140}};
  /** {rows n, output rows m, columns}. */
  private static final int[][] TRANSPOSED = {
      {20, 128, 64}, {20, 64, 64}, {7, 10, 9}, {1, 3, 5}, {4, 4, 8}, {9, 37, 80}, {3, 6, 130}, {0, 5, 16},
      {17, 9, 48}};

  @ParameterizedTest
  @ValueSource(ints = {4, 2})
  void productEqualsScalarLoopsBitForBit(int panel) {
    // Interpreted and, after the first few hundred rounds, compiled by C2.
    for (int round = 0; round < PRODUCT_ROUNDS; round++) {
      productRound(panel, new SplittableRandom(21));
    }
  }

  /** Rounds of the product tests, past C2's compilation of the tiles (about 1,000 calls of each). */
  private static final int PRODUCT_ROUNDS = 2_000;

  private static void productRound(int panel, SplittableRandom rng) {
    for (int[] s : PRODUCTS) {
      int n = s[0];
      int k = s[1];
      float[][] a = uniform(rng, n, k, 1.0);
      float[][] w = uniform(rng, k, s[4], 1.0);
      float[][] start = uniform(rng, n, s[4], 1.0);
      float[][] expected = copy(start);
      DenseKernels.scalarMatmulAddInPlace(a, n, k, w, s[2], s[3], expected);
      float[][] actual = copy(start);
      VectorKernels.matmulAddInPlace(panel, a, n, k, w, s[2], s[3], actual);
      assertSameBits(expected, actual, "product " + java.util.Arrays.toString(s) + ", panel " + panel);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {4, 2})
  void transposedProductEqualsScalarLoopsBitForBit(int panel) {
    for (int round = 0; round < PRODUCT_ROUNDS; round++) {
      transposedRound(panel, new SplittableRandom(22));
    }
  }

  private static void transposedRound(int panel, SplittableRandom rng) {
    for (int[] s : TRANSPOSED) {
      int n = s[0];
      int m = s[1];
      int cols = s[2];
      float[][] x = uniform(rng, n, m, 1.0);
      float[][] d = uniform(rng, n, cols, 1.0);
      float[][] start = uniform(rng, m, cols, 1.0);
      for (float scale : new float[] {1f, -0.005f}) {
        float[][] expected = copy(start);
        DenseKernels.scalarMatmulTransposedAddInPlace(scale, x, n, m, d, 0, cols, expected);
        float[][] actual = copy(start);
        VectorKernels.matmulTransposedAddInPlace(panel, scale, x, n, m, d, cols, actual);
        assertSameBits(expected, actual, "transposed " + java.util.Arrays.toString(s) + ", scale " + scale
            + ", panel " + panel);
      }
    }
  }

  @Test
  void elementWiseLoopsEqualScalarLoopsBitForBitWithSignedZerosSubnormalsAndNaN() {
    // Interpreted, the Vector API runs Java code; compiled, C2's vector instructions (min and max
    // with signed zeros and NaN among them). Repeat until C2 has compiled both sides.
    for (int round = 0; round < COMPILED_ROUNDS; round++) {
      elementWiseRound(new SplittableRandom(24));
    }
  }

  /** Rounds after which C2 has compiled the loops under test (its thresholds are a few thousand calls). */
  private static final int COMPILED_ROUNDS = 10_000;

  private static void elementWiseRound(SplittableRandom rng) {
    for (int[] s : new int[][] {{20, 64}, {3, 16}, {1, 13}, {7, 70}, {5, 5}, {0, 8}, {4, 0}}) {
      int n = s[0];
      int h = s[1];
      float[][] z = special(uniform(rng, n, h, 2.0));
      float[][] d = special(uniform(rng, n, h, 1.0));
      float[] v = uniform(rng, 1, h, 1.0)[0];
      float[] dr = uniform(rng, 1, n, 1.0)[0];
      String what = "n " + n + ", h " + h;

      float[][] a = copy(z);
      float[][] aV = copy(z);
      DenseKernels.scalarReluInPlace(a, n, h);
      VectorKernels.reluInPlace(aV, n, h);
      assertSameBits(a, aV, "relu " + what);

      float[][] g = copy(d);
      float[][] gV = copy(d);
      DenseKernels.scalarReluDerivativeMulInPlace(a, g, n, h);
      VectorKernels.reluDerivativeMulInPlace(a, gV, n, h);
      assertSameBits(g, gV, "relu derivative " + what);

      float[][] o = new float[n][h];
      float[][] oV = new float[n][h];
      DenseKernels.scalarReluOuterBackwardInto(dr, v, a, n, h, o);
      VectorKernels.reluOuterBackwardInto(dr, v, a, n, h, oV);
      assertSameBits(o, oV, "outer backward " + what);

      float[][] sums = uniform(rng, 1, h, 1.0);
      float[][] sumsV = copy(sums);
      DenseKernels.scalarScaledColumnSumAddInPlace(-0.005f, d, n, h, sums[0]);
      VectorKernels.scaledColumnSumAddInPlace(-0.005f, d, n, h, sumsV[0]);
      assertSameBits(sums, sumsV, "column sums " + what);

      float[][] y = copy(sums);
      float[][] yV = copy(sums);
      for (int r = 0; r < n; r++) {
        DenseKernels.scalarAxpyInPlace(dr[r], d[r], y[0], h);
        VectorKernels.axpyInPlace(dr[r], d[r], yV[0], h);
      }
      assertSameBits(y, yV, "axpy " + what);

      // An outer Adam step on each row (moments: v >= 0), gradient read at an offset.
      float[][] p = uniform(rng, n, h, 1.0);
      float[][] m = uniform(rng, n, h, 0.1);
      float[][] sq = uniform(rng, n, h, 0.01);
      for (float[] row : sq) {
        for (int c = 0; c < row.length; c++) {
          row[c] = Math.abs(row[c]);
        }
      }
      float[] grad = uniform(rng, 1, h + 3, 1.0)[0];
      float[][] pV = copy(p);
      float[][] mV = copy(m);
      float[][] sqV = copy(sq);
      for (int r = 0; r < n; r++) {
        DenseKernels.scalarAdamRowInPlace(p[r], m[r], sq[r], grad, 3, 0, 0.25f, 0.01f, 0.9f,
            0.999f, 0.003f, 1e-8f);
        VectorKernels.adamRowInPlace(pV[r], mV[r], sqV[r], grad, 3, 0.25f, 0.01f, 0.9f, 0.999f,
            0.003f, 1e-8f);
      }
      assertSameBits(p, pV, "adam parameters " + what);
      assertSameBits(m, mV, "adam first moments " + what);
      assertSameBits(sq, sqV, "adam second moments " + what);
    }
  }

  /** {@code m} with a few entries replaced by -0, +0, a subnormal, a huge value and NaN. */
  private static float[][] special(float[][] m) {
    float[] values = {-0f, 0f, Float.MIN_VALUE * 3, -Float.MIN_VALUE, 3e38f, Float.NaN};
    int k = 0;
    for (float[] row : m) {
      for (int c = 0; c < row.length; c += 7) {
        row[c] = values[k++ % values.length];
      }
    }
    return m;
  }

  private static void assertSameBits(float[][] expected, float[][] actual, String what) {
    for (int r = 0; r < expected.length; r++) {
      int[] e = new int[expected[r].length];
      int[] a = new int[actual[r].length];
      for (int c = 0; c < e.length; c++) {
        e[c] = Float.floatToRawIntBits(expected[r][c]);
        a[c] = Float.floatToRawIntBits(actual[r][c]);
      }
      assertArrayEquals(e, a, what + ", row " + r);
    }
  }
}
