package io.metarec.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two matrix products of {@link DenseKernels} as register-blocked microkernels, and its
 * element-wise loops that run once per step, on the Vector API ({@code jdk.incubator.vector}) at
 * the machine's preferred width ({@link FloatVector#SPECIES_PREFERRED}). Loaded only when
 * {@link KernelPath} found the module; only {@link DenseKernels} and {@link KernelPath} refer to it.
 *
 * <p>A product's pass keeps a tile of four output rows by {@code P} vectors of columns in registers for the
 * whole reduction (the scalar loops load and store every output element once per two inputs) and
 * per reduction index loads {@code P} weight vectors and broadcasts four scalars: {@code 4 P} fused
 * multiply-adds per {@code P + 4} loads. {@code P} = 4 where the machine has 32 vector registers
 * (AVX-512, AArch64), else 2 (AVX2: 16 registers; a 4 x 4 tile spills there and runs at half the
 * speed). Then tiles of four rows by one vector, single rows, and the last columns narrower than
 * a vector with the scalar loops.
 *
 * <p>Every output element sees the same operations in the same order as in the scalar loops (for the
 * products one {@code fma(a[r][i], w[i][c], y)} per reduction index, in increasing index, each
 * rounded once; for the element-wise loops the same multiplies, adds and min/max). Lanes only
 * compute elements side by side, so the results are bit-identical to the scalar path on any vector
 * width and tile shape (tested), and bit-reproducible from run to run.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Vectors of columns per tile: 4 with 32 vector registers, 2 with 16. */
  static final int PANEL = panelVectors();

  private VectorKernels() {
  }

  private static int panelVectors() {
    String arch = System.getProperty("os.arch", "");
    boolean wideRegisterFile = arch.equals("aarch64") || S.vectorBitSize() >= 512;
    return wideRegisterFile ? 4 : 2;
  }

  /** @return the species in words, e.g. {@code "Species[float, 16, S_512_BIT]"}, and the tile width */
  static String describe() {
    return S + ", tiles of 4 rows x " + PANEL + " vectors";
  }

  /** @return lanes of the preferred float species */
  static int lanes() {
    return L;
  }

  /** As {@link DenseKernels#matmulAddInPlace}, bit for bit. */
  static void matmulAddInPlace(float[][] a, int n, int k, float[][] w, int c0, int c1, float[][] y) {
    matmulAddInPlace(PANEL, a, n, k, w, c0, c1, y);
  }

  /** The same product with tiles {@code panel} (4 or 2) vectors wide, whatever the machine's {@link #PANEL}. */
  static void matmulAddInPlace(int panel, float[][] a, int n, int k, float[][] w, int c0, int c1, float[][] y) {
    int c = c0;
    if (panel == 4) {
      for (; c + 4 * L <= c1; c += 4 * L) {
        int r = 0;
        for (; r + 4 <= n; r += 4) {
          rows4x4(a[r], a[r + 1], a[r + 2], a[r + 3], k, w, c, y[r], y[r + 1], y[r + 2], y[r + 3]);
        }
        for (; r < n; r++) {
          row1x4(a[r], k, w, c, y[r]);
        }
      }
    } else {
      for (; c + 2 * L <= c1; c += 2 * L) {
        int r = 0;
        for (; r + 4 <= n; r += 4) {
          rows4x2(a[r], a[r + 1], a[r + 2], a[r + 3], k, w, c, y[r], y[r + 1], y[r + 2], y[r + 3]);
        }
        for (; r < n; r++) {
          row1x2(a[r], k, w, c, y[r]);
        }
      }
    }
    for (; c + L <= c1; c += L) {
      int r = 0;
      for (; r + 4 <= n; r += 4) {
        rows4x1(a[r], a[r + 1], a[r + 2], a[r + 3], k, w, c, y[r], y[r + 1], y[r + 2], y[r + 3]);
      }
      for (; r < n; r++) {
        row1x1(a[r], k, w, c, y[r]);
      }
    }
    if (c < c1) {
      DenseKernels.scalarMatmulAddInPlace(a, n, k, w, c, c1, y);
    }
  }

  /** As {@link DenseKernels#matmulTransposedAddInPlace}, bit for bit. */
  static void matmulTransposedAddInPlace(float scale, float[][] x, int n, int m, float[][] d, int cols,
      float[][] y) {
    matmulTransposedAddInPlace(PANEL, scale, x, n, m, d, cols, y);
  }

  /** The same product with tiles {@code panel} (4 or 2) vectors wide, whatever the machine's {@link #PANEL}. */
  static void matmulTransposedAddInPlace(int panel, float scale, float[][] x, int n, int m, float[][] d, int cols,
      float[][] y) {
    int c = 0;
    if (panel == 4) {
      for (; c + 4 * L <= cols; c += 4 * L) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
          transposed4x4(scale, x, n, i, d, c, y[i], y[i + 1], y[i + 2], y[i + 3]);
        }
        for (; i < m; i++) {
          transposed1x4(scale, x, n, i, d, c, y[i]);
        }
      }
    } else {
      for (; c + 2 * L <= cols; c += 2 * L) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
          transposed4x2(scale, x, n, i, d, c, y[i], y[i + 1], y[i + 2], y[i + 3]);
        }
        for (; i < m; i++) {
          transposed1x2(scale, x, n, i, d, c, y[i]);
        }
      }
    }
    for (; c + L <= cols; c += L) {
      int i = 0;
      for (; i + 4 <= m; i += 4) {
        transposed4x1(scale, x, n, i, d, c, y[i], y[i + 1], y[i + 2], y[i + 3]);
      }
      for (; i < m; i++) {
        transposed1x1(scale, x, n, i, d, c, y[i]);
      }
    }
    if (c < cols) {
      DenseKernels.scalarMatmulTransposedAddInPlace(scale, x, n, m, d, c, cols, y);
    }
  }

  // ---- Element-wise loops of a step. C2's own vectorization of these short rows (64 floats) runs
  // mostly in its scalar pre- and post-loops at 16 lanes; here whole vectors, then a scalar tail with
  // the same operations.

  /** As {@link DenseKernels#reluInPlace}, bit for bit. */
  static void reluInPlace(float[][] a, int n, int h) {
    FloatVector zero = FloatVector.zero(S);
    for (int r = 0; r < n; r++) {
      float[] ar = a[r];
      int c = 0;
      for (; c + L <= h; c += L) {
        FloatVector.fromArray(S, ar, c).max(zero).intoArray(ar, c);
      }
      for (; c < h; c++) {
        ar[c] = Math.max(ar[c], 0f);
      }
    }
  }

  /** As {@link DenseKernels#reluDerivativeMulInPlace}, bit for bit. */
  static void reluDerivativeMulInPlace(float[][] a, float[][] d, int n, int h) {
    float big = DenseKernels.RELU_MASK_SCALE;
    for (int r = 0; r < n; r++) {
      float[] ar = a[r];
      float[] dr = d[r];
      int c = 0;
      for (; c + L <= h; c += L) {
        FloatVector m = FloatVector.fromArray(S, ar, c).mul(big).mul(big).min(1f);
        FloatVector.fromArray(S, dr, c).mul(m).intoArray(dr, c);
      }
      for (; c < h; c++) {
        dr[c] *= Math.min(ar[c] * big * big, 1f);
      }
    }
  }

  /** As {@link DenseKernels#reluOuterBackwardInto}, bit for bit. */
  static void reluOuterBackwardInto(float[] d, float[] v, float[][] a, int n, int h, float[][] y) {
    float big = DenseKernels.RELU_MASK_SCALE;
    for (int r = 0; r < n; r++) {
      float dr = d[r];
      float[] ar = a[r];
      float[] yr = y[r];
      int c = 0;
      for (; c + L <= h; c += L) {
        FloatVector m = FloatVector.fromArray(S, ar, c).mul(big).mul(big).min(1f);
        FloatVector.fromArray(S, v, c).mul(dr).mul(m).intoArray(yr, c);
      }
      for (; c < h; c++) {
        yr[c] = (dr * v[c]) * Math.min(ar[c] * big * big, 1f);
      }
    }
  }

  /** As {@link DenseKernels#scaledColumnSumAddInPlace}: each column's sum stays in a register over the rows. */
  static void scaledColumnSumAddInPlace(float scale, float[][] y, int n, int cols, float[] s) {
    int c = 0;
    for (; c + L <= cols; c += L) {
      FloatVector acc = FloatVector.fromArray(S, s, c);
      for (int r = 0; r < n; r++) {
        acc = acc.add(FloatVector.fromArray(S, y[r], c).mul(scale));
      }
      acc.intoArray(s, c);
    }
    for (; c < cols; c++) {
      float sc = s[c];
      for (int r = 0; r < n; r++) {
        sc += scale * y[r][c];
      }
      s[c] = sc;
    }
  }

  /** As {@link DenseKernels#axpyInPlace}, bit for bit (a multiply and an add, not a fused multiply-add). */
  static void axpyInPlace(float a, float[] x, float[] y, int len) {
    int c = 0;
    for (; c + L <= len; c += L) {
      FloatVector.fromArray(S, x, c).mul(a).add(FloatVector.fromArray(S, y, c)).intoArray(y, c);
    }
    for (; c < len; c++) {
      y[c] += a * x[c];
    }
  }

  /** As {@link DenseKernels#adamRowInPlace}, bit for bit. */
  static void adamRowInPlace(float[] p, float[] m, float[] v, float[] g, int off, float inv,
      float l2, float b1, float b2, float stepSize, float epsHat) {
    float a1 = 1 - b1;
    float a2 = 1 - b2;
    int n = p.length;
    int c = 0;
    for (; c + L <= n; c += L) {
      FloatVector pc = FloatVector.fromArray(S, p, c);
      FloatVector gc = FloatVector.fromArray(S, g, off + c).mul(inv).add(pc.mul(l2));
      FloatVector mc = FloatVector.fromArray(S, m, c).mul(b1).add(gc.mul(a1));
      FloatVector vc = FloatVector.fromArray(S, v, c).mul(b2).add(gc.mul(a2).mul(gc));
      mc.intoArray(m, c);
      vc.intoArray(v, c);
      pc.sub(mc.mul(stepSize).div(vc.sqrt().add(epsHat))).intoArray(p, c);
    }
    DenseKernels.scalarAdamRowInPlace(p, m, v, g, off, c, inv, l2, b1, b2, stepSize, epsHat);
  }

  // ---- y rows += a rows . w, columns [c, c + P L): the reduction runs over the rows of w.

  private static void rows4x4(float[] x0, float[] x1, float[] x2, float[] x3, int k, float[][] w, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    int c1 = c + L;
    int c2 = c + 2 * L;
    int c3 = c + 3 * L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s02 = FloatVector.fromArray(S, y0, c2);
    FloatVector s03 = FloatVector.fromArray(S, y0, c3);
    FloatVector s10 = FloatVector.fromArray(S, y1, c);
    FloatVector s11 = FloatVector.fromArray(S, y1, c1);
    FloatVector s12 = FloatVector.fromArray(S, y1, c2);
    FloatVector s13 = FloatVector.fromArray(S, y1, c3);
    FloatVector s20 = FloatVector.fromArray(S, y2, c);
    FloatVector s21 = FloatVector.fromArray(S, y2, c1);
    FloatVector s22 = FloatVector.fromArray(S, y2, c2);
    FloatVector s23 = FloatVector.fromArray(S, y2, c3);
    FloatVector s30 = FloatVector.fromArray(S, y3, c);
    FloatVector s31 = FloatVector.fromArray(S, y3, c1);
    FloatVector s32 = FloatVector.fromArray(S, y3, c2);
    FloatVector s33 = FloatVector.fromArray(S, y3, c3);
    for (int i = 0; i < k; i++) {
      float[] wi = w[i];
      FloatVector w0 = FloatVector.fromArray(S, wi, c);
      FloatVector w1 = FloatVector.fromArray(S, wi, c1);
      FloatVector w2 = FloatVector.fromArray(S, wi, c2);
      FloatVector w3 = FloatVector.fromArray(S, wi, c3);
      FloatVector b = FloatVector.broadcast(S, x0[i]);
      s00 = w0.fma(b, s00);
      s01 = w1.fma(b, s01);
      s02 = w2.fma(b, s02);
      s03 = w3.fma(b, s03);
      b = FloatVector.broadcast(S, x1[i]);
      s10 = w0.fma(b, s10);
      s11 = w1.fma(b, s11);
      s12 = w2.fma(b, s12);
      s13 = w3.fma(b, s13);
      b = FloatVector.broadcast(S, x2[i]);
      s20 = w0.fma(b, s20);
      s21 = w1.fma(b, s21);
      s22 = w2.fma(b, s22);
      s23 = w3.fma(b, s23);
      b = FloatVector.broadcast(S, x3[i]);
      s30 = w0.fma(b, s30);
      s31 = w1.fma(b, s31);
      s32 = w2.fma(b, s32);
      s33 = w3.fma(b, s33);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s02.intoArray(y0, c2);
    s03.intoArray(y0, c3);
    s10.intoArray(y1, c);
    s11.intoArray(y1, c1);
    s12.intoArray(y1, c2);
    s13.intoArray(y1, c3);
    s20.intoArray(y2, c);
    s21.intoArray(y2, c1);
    s22.intoArray(y2, c2);
    s23.intoArray(y2, c3);
    s30.intoArray(y3, c);
    s31.intoArray(y3, c1);
    s32.intoArray(y3, c2);
    s33.intoArray(y3, c3);
  }

  private static void row1x4(float[] x0, int k, float[][] w, int c, float[] y0) {
    int c1 = c + L;
    int c2 = c + 2 * L;
    int c3 = c + 3 * L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s02 = FloatVector.fromArray(S, y0, c2);
    FloatVector s03 = FloatVector.fromArray(S, y0, c3);
    for (int i = 0; i < k; i++) {
      float[] wi = w[i];
      FloatVector b = FloatVector.broadcast(S, x0[i]);
      s00 = FloatVector.fromArray(S, wi, c).fma(b, s00);
      s01 = FloatVector.fromArray(S, wi, c1).fma(b, s01);
      s02 = FloatVector.fromArray(S, wi, c2).fma(b, s02);
      s03 = FloatVector.fromArray(S, wi, c3).fma(b, s03);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s02.intoArray(y0, c2);
    s03.intoArray(y0, c3);
  }

  private static void rows4x2(float[] x0, float[] x1, float[] x2, float[] x3, int k, float[][] w, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    int c1 = c + L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s10 = FloatVector.fromArray(S, y1, c);
    FloatVector s11 = FloatVector.fromArray(S, y1, c1);
    FloatVector s20 = FloatVector.fromArray(S, y2, c);
    FloatVector s21 = FloatVector.fromArray(S, y2, c1);
    FloatVector s30 = FloatVector.fromArray(S, y3, c);
    FloatVector s31 = FloatVector.fromArray(S, y3, c1);
    for (int i = 0; i < k; i++) {
      float[] wi = w[i];
      FloatVector w0 = FloatVector.fromArray(S, wi, c);
      FloatVector w1 = FloatVector.fromArray(S, wi, c1);
      FloatVector b = FloatVector.broadcast(S, x0[i]);
      s00 = w0.fma(b, s00);
      s01 = w1.fma(b, s01);
      b = FloatVector.broadcast(S, x1[i]);
      s10 = w0.fma(b, s10);
      s11 = w1.fma(b, s11);
      b = FloatVector.broadcast(S, x2[i]);
      s20 = w0.fma(b, s20);
      s21 = w1.fma(b, s21);
      b = FloatVector.broadcast(S, x3[i]);
      s30 = w0.fma(b, s30);
      s31 = w1.fma(b, s31);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s10.intoArray(y1, c);
    s11.intoArray(y1, c1);
    s20.intoArray(y2, c);
    s21.intoArray(y2, c1);
    s30.intoArray(y3, c);
    s31.intoArray(y3, c1);
  }

  private static void row1x2(float[] x0, int k, float[][] w, int c, float[] y0) {
    int c1 = c + L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    for (int i = 0; i < k; i++) {
      float[] wi = w[i];
      FloatVector b = FloatVector.broadcast(S, x0[i]);
      s00 = FloatVector.fromArray(S, wi, c).fma(b, s00);
      s01 = FloatVector.fromArray(S, wi, c1).fma(b, s01);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
  }

  private static void rows4x1(float[] x0, float[] x1, float[] x2, float[] x3, int k, float[][] w, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    FloatVector s0 = FloatVector.fromArray(S, y0, c);
    FloatVector s1 = FloatVector.fromArray(S, y1, c);
    FloatVector s2 = FloatVector.fromArray(S, y2, c);
    FloatVector s3 = FloatVector.fromArray(S, y3, c);
    for (int i = 0; i < k; i++) {
      FloatVector w0 = FloatVector.fromArray(S, w[i], c);
      s0 = w0.fma(FloatVector.broadcast(S, x0[i]), s0);
      s1 = w0.fma(FloatVector.broadcast(S, x1[i]), s1);
      s2 = w0.fma(FloatVector.broadcast(S, x2[i]), s2);
      s3 = w0.fma(FloatVector.broadcast(S, x3[i]), s3);
    }
    s0.intoArray(y0, c);
    s1.intoArray(y1, c);
    s2.intoArray(y2, c);
    s3.intoArray(y3, c);
  }

  private static void row1x1(float[] x0, int k, float[][] w, int c, float[] y0) {
    FloatVector s0 = FloatVector.fromArray(S, y0, c);
    for (int i = 0; i < k; i++) {
      s0 = FloatVector.fromArray(S, w[i], c).fma(FloatVector.broadcast(S, x0[i]), s0);
    }
    s0.intoArray(y0, c);
  }

  // ---- y rows i.. += scale x[.][i..]^T d, columns [c, c + P L): the reduction runs over the rows of x and d.

  private static void transposed4x4(float scale, float[][] x, int n, int i, float[][] d, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    int c1 = c + L;
    int c2 = c + 2 * L;
    int c3 = c + 3 * L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s02 = FloatVector.fromArray(S, y0, c2);
    FloatVector s03 = FloatVector.fromArray(S, y0, c3);
    FloatVector s10 = FloatVector.fromArray(S, y1, c);
    FloatVector s11 = FloatVector.fromArray(S, y1, c1);
    FloatVector s12 = FloatVector.fromArray(S, y1, c2);
    FloatVector s13 = FloatVector.fromArray(S, y1, c3);
    FloatVector s20 = FloatVector.fromArray(S, y2, c);
    FloatVector s21 = FloatVector.fromArray(S, y2, c1);
    FloatVector s22 = FloatVector.fromArray(S, y2, c2);
    FloatVector s23 = FloatVector.fromArray(S, y2, c3);
    FloatVector s30 = FloatVector.fromArray(S, y3, c);
    FloatVector s31 = FloatVector.fromArray(S, y3, c1);
    FloatVector s32 = FloatVector.fromArray(S, y3, c2);
    FloatVector s33 = FloatVector.fromArray(S, y3, c3);
    for (int r = 0; r < n; r++) {
      float[] xr = x[r];
      float[] dr = d[r];
      FloatVector d0 = FloatVector.fromArray(S, dr, c);
      FloatVector d1 = FloatVector.fromArray(S, dr, c1);
      FloatVector d2 = FloatVector.fromArray(S, dr, c2);
      FloatVector d3 = FloatVector.fromArray(S, dr, c3);
      FloatVector b = FloatVector.broadcast(S, scale * xr[i]);
      s00 = d0.fma(b, s00);
      s01 = d1.fma(b, s01);
      s02 = d2.fma(b, s02);
      s03 = d3.fma(b, s03);
      b = FloatVector.broadcast(S, scale * xr[i + 1]);
      s10 = d0.fma(b, s10);
      s11 = d1.fma(b, s11);
      s12 = d2.fma(b, s12);
      s13 = d3.fma(b, s13);
      b = FloatVector.broadcast(S, scale * xr[i + 2]);
      s20 = d0.fma(b, s20);
      s21 = d1.fma(b, s21);
      s22 = d2.fma(b, s22);
      s23 = d3.fma(b, s23);
      b = FloatVector.broadcast(S, scale * xr[i + 3]);
      s30 = d0.fma(b, s30);
      s31 = d1.fma(b, s31);
      s32 = d2.fma(b, s32);
      s33 = d3.fma(b, s33);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s02.intoArray(y0, c2);
    s03.intoArray(y0, c3);
    s10.intoArray(y1, c);
    s11.intoArray(y1, c1);
    s12.intoArray(y1, c2);
    s13.intoArray(y1, c3);
    s20.intoArray(y2, c);
    s21.intoArray(y2, c1);
    s22.intoArray(y2, c2);
    s23.intoArray(y2, c3);
    s30.intoArray(y3, c);
    s31.intoArray(y3, c1);
    s32.intoArray(y3, c2);
    s33.intoArray(y3, c3);
  }

  private static void transposed1x4(float scale, float[][] x, int n, int i, float[][] d, int c, float[] y0) {
    int c1 = c + L;
    int c2 = c + 2 * L;
    int c3 = c + 3 * L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s02 = FloatVector.fromArray(S, y0, c2);
    FloatVector s03 = FloatVector.fromArray(S, y0, c3);
    for (int r = 0; r < n; r++) {
      float[] dr = d[r];
      FloatVector b = FloatVector.broadcast(S, scale * x[r][i]);
      s00 = FloatVector.fromArray(S, dr, c).fma(b, s00);
      s01 = FloatVector.fromArray(S, dr, c1).fma(b, s01);
      s02 = FloatVector.fromArray(S, dr, c2).fma(b, s02);
      s03 = FloatVector.fromArray(S, dr, c3).fma(b, s03);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s02.intoArray(y0, c2);
    s03.intoArray(y0, c3);
  }

  private static void transposed4x2(float scale, float[][] x, int n, int i, float[][] d, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    int c1 = c + L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    FloatVector s10 = FloatVector.fromArray(S, y1, c);
    FloatVector s11 = FloatVector.fromArray(S, y1, c1);
    FloatVector s20 = FloatVector.fromArray(S, y2, c);
    FloatVector s21 = FloatVector.fromArray(S, y2, c1);
    FloatVector s30 = FloatVector.fromArray(S, y3, c);
    FloatVector s31 = FloatVector.fromArray(S, y3, c1);
    for (int r = 0; r < n; r++) {
      float[] xr = x[r];
      float[] dr = d[r];
      FloatVector d0 = FloatVector.fromArray(S, dr, c);
      FloatVector d1 = FloatVector.fromArray(S, dr, c1);
      FloatVector b = FloatVector.broadcast(S, scale * xr[i]);
      s00 = d0.fma(b, s00);
      s01 = d1.fma(b, s01);
      b = FloatVector.broadcast(S, scale * xr[i + 1]);
      s10 = d0.fma(b, s10);
      s11 = d1.fma(b, s11);
      b = FloatVector.broadcast(S, scale * xr[i + 2]);
      s20 = d0.fma(b, s20);
      s21 = d1.fma(b, s21);
      b = FloatVector.broadcast(S, scale * xr[i + 3]);
      s30 = d0.fma(b, s30);
      s31 = d1.fma(b, s31);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
    s10.intoArray(y1, c);
    s11.intoArray(y1, c1);
    s20.intoArray(y2, c);
    s21.intoArray(y2, c1);
    s30.intoArray(y3, c);
    s31.intoArray(y3, c1);
  }

  private static void transposed1x2(float scale, float[][] x, int n, int i, float[][] d, int c, float[] y0) {
    int c1 = c + L;
    FloatVector s00 = FloatVector.fromArray(S, y0, c);
    FloatVector s01 = FloatVector.fromArray(S, y0, c1);
    for (int r = 0; r < n; r++) {
      float[] dr = d[r];
      FloatVector b = FloatVector.broadcast(S, scale * x[r][i]);
      s00 = FloatVector.fromArray(S, dr, c).fma(b, s00);
      s01 = FloatVector.fromArray(S, dr, c1).fma(b, s01);
    }
    s00.intoArray(y0, c);
    s01.intoArray(y0, c1);
  }

  private static void transposed4x1(float scale, float[][] x, int n, int i, float[][] d, int c,
      float[] y0, float[] y1, float[] y2, float[] y3) {
    FloatVector s0 = FloatVector.fromArray(S, y0, c);
    FloatVector s1 = FloatVector.fromArray(S, y1, c);
    FloatVector s2 = FloatVector.fromArray(S, y2, c);
    FloatVector s3 = FloatVector.fromArray(S, y3, c);
    for (int r = 0; r < n; r++) {
      float[] xr = x[r];
      FloatVector d0 = FloatVector.fromArray(S, d[r], c);
      s0 = d0.fma(FloatVector.broadcast(S, scale * xr[i]), s0);
      s1 = d0.fma(FloatVector.broadcast(S, scale * xr[i + 1]), s1);
      s2 = d0.fma(FloatVector.broadcast(S, scale * xr[i + 2]), s2);
      s3 = d0.fma(FloatVector.broadcast(S, scale * xr[i + 3]), s3);
    }
    s0.intoArray(y0, c);
    s1.intoArray(y1, c);
    s2.intoArray(y2, c);
    s3.intoArray(y3, c);
  }

  private static void transposed1x1(float scale, float[][] x, int n, int i, float[][] d, int c, float[] y0) {
    FloatVector s0 = FloatVector.fromArray(S, y0, c);
    for (int r = 0; r < n; r++) {
      s0 = FloatVector.fromArray(S, d[r], c).fma(FloatVector.broadcast(S, scale * x[r][i]), s0);
    }
    s0.intoArray(y0, c);
  }
}
