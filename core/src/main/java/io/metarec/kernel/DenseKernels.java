package io.metarec.kernel;

/**
 * Primitive dense loops on row arrays. Every inner loop reads and writes distinct row arrays at the
 * same index, the shape HotSpot C2 auto-vectorizes (AVX2/FMA on the reference machine); the matrix
 * product works on four output rows per pass over two weight rows (register blocking) with fused
 * multiply-adds, against 2.6 GFLOP/s for a flat-array-with-offsets loop (see NOTES.md). The matrix
 * products and the per-step element-wise loops run on the Vector API kernels of {@link VectorKernels}
 * instead where {@link KernelPath} found the module, with bit-identical results. Stateless; dimensions are
 * checked by callers at API boundaries, not here.
 */
public final class DenseKernels {
  /**
   * The ReLU derivative as arithmetic: with {@code a = max(z, 0) >= 0}, {@code min(a * 1e30 * 1e30, 1)} is
   * exactly 1 for every positive float (denormals included; large ones overflow to infinity) and 0 for
   * 0. C2 vectorizes multiply and min but not the select {@code a > 0 ? d : 0}, which it compiles to
   * a branch that mispredicts on about half the units (8% of a kernel step in a JFR profile).
   */
  static final float RELU_MASK_SCALE = 1e30f;

  private DenseKernels() {
  }

  /**
   * Accumulates a matrix product into {@code y}, in place:
   * {@code y[r][c] += sum_{i<k} a[r][i] * w[i][c]} for {@code r < n}, {@code c0 <= c < c1}.
   * Used for forward layers ({@code w} = weights, {@code in x out}), for {@code dX = dZ W^T}
   * ({@code w} = transposed weights) and for {@code dW += X^T dZ} ({@code a} = transposed input).
   */
  public static void matmulAddInPlace(float[][] a, int n, int k, float[][] w, int c0, int c1, float[][] y) {
    if (KernelPath.VECTOR) {
      VectorKernels.matmulAddInPlace(a, n, k, w, c0, c1, y);
    } else {
      scalarMatmulAddInPlace(a, n, k, w, c0, c1, y);
    }
  }

  /** The scalar loops of {@link #matmulAddInPlace}, whatever {@link KernelPath} chose. */
  static void scalarMatmulAddInPlace(float[][] a, int n, int k, float[][] w, int c0, int c1, float[][] y) {
    int r = 0;
    for (; r + 4 <= n; r += 4) {
      float[] x0 = a[r];
      float[] x1 = a[r + 1];
      float[] x2 = a[r + 2];
      float[] x3 = a[r + 3];
      float[] y0 = y[r];
      float[] y1 = y[r + 1];
      float[] y2 = y[r + 2];
      float[] y3 = y[r + 3];
      int i = 0;
      // Four output rows x two weight rows per pass, nested fused multiply-adds: each y element is
      // loaded and stored once per two inputs. Measured 16-22 GFLOP/s for 20x128x64 against 12-13 for
      // the one-weight-row form with separate multiply and add (C2 vectorizes Math.fma as vfmadd).
      for (; i + 2 <= k; i += 2) {
        float a0 = x0[i];
        float a1 = x1[i];
        float a2 = x2[i];
        float a3 = x3[i];
        float b0 = x0[i + 1];
        float b1 = x1[i + 1];
        float b2 = x2[i + 1];
        float b3 = x3[i + 1];
        fma4x2(a0, a1, a2, a3, b0, b1, b2, b3, w[i], w[i + 1], c0, c1, y0, y1, y2, y3);
      }
      for (; i < k; i++) {
        float a0 = x0[i];
        float a1 = x1[i];
        float a2 = x2[i];
        float a3 = x3[i];
        fma4x1(a0, a1, a2, a3, w[i], c0, c1, y0, y1, y2, y3);
      }
    }
    for (; r < n; r++) {
      float[] x0 = a[r];
      float[] y0 = y[r];
      for (int i = 0; i < k; i++) {
        float a0 = x0[i];
        float[] wi = w[i];
        for (int c = c0; c < c1; c++) {
          y0[c] = Math.fma(a0, wi[c], y0[c]);
        }
      }
    }
  }

  /**
   * Accumulates a scaled transposed-input product into {@code y}, in place:
   * {@code y[i][c] += scale * sum_{r<n} x[r][i] * d[r][c]} for {@code i < m}, {@code c < cols} — the
   * weight gradient {@code dW += X^T dZ} (times {@code scale}) of a dense layer, reading {@code X} in
   * its row layout. The same four-output-rows-by-two-input-rows blocking and summation order as
   * {@link #matmulAddInPlace} on a transposed copy of {@code x} (bit-identical for {@code scale = 1}),
   * without writing the copy: the scalars of a pass are picked from two rows of {@code x}.
   */
  public static void matmulTransposedAddInPlace(float scale, float[][] x, int n, int m, float[][] d, int cols,
      float[][] y) {
    if (KernelPath.VECTOR) {
      VectorKernels.matmulTransposedAddInPlace(scale, x, n, m, d, cols, y);
    } else {
      scalarMatmulTransposedAddInPlace(scale, x, n, m, d, 0, cols, y);
    }
  }

  /**
   * The scalar loops of {@link #matmulTransposedAddInPlace} on columns {@code [c0, c1)}, whatever
   * {@link KernelPath} chose.
   */
  static void scalarMatmulTransposedAddInPlace(float scale, float[][] x, int n, int m, float[][] d, int c0, int c1,
      float[][] y) {
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      float[] y0 = y[i];
      float[] y1 = y[i + 1];
      float[] y2 = y[i + 2];
      float[] y3 = y[i + 3];
      int r = 0;
      for (; r + 2 <= n; r += 2) {
        float[] xr = x[r];
        float[] xs = x[r + 1];
        float a0 = scale * xr[i];
        float a1 = scale * xr[i + 1];
        float a2 = scale * xr[i + 2];
        float a3 = scale * xr[i + 3];
        float b0 = scale * xs[i];
        float b1 = scale * xs[i + 1];
        float b2 = scale * xs[i + 2];
        float b3 = scale * xs[i + 3];
        fma4x2(a0, a1, a2, a3, b0, b1, b2, b3, d[r], d[r + 1], c0, c1, y0, y1, y2, y3);
      }
      for (; r < n; r++) {
        float[] xr = x[r];
        float a0 = scale * xr[i];
        float a1 = scale * xr[i + 1];
        float a2 = scale * xr[i + 2];
        float a3 = scale * xr[i + 3];
        fma4x1(a0, a1, a2, a3, d[r], c0, c1, y0, y1, y2, y3);
      }
    }
    for (; i < m; i++) {
      float[] y0 = y[i];
      for (int r = 0; r < n; r++) {
        float a0 = scale * x[r][i];
        float[] wi = d[r];
        for (int c = c0; c < c1; c++) {
          y0[c] = Math.fma(a0, wi[c], y0[c]);
        }
      }
    }
  }

  /**
   * The register-blocked core of both products: {@code yj[c] += aj * wi[c] + bj * wj[c]} for the four
   * output rows {@code j}, {@code c0 <= c < c1}, as nested fused multiply-adds (each y element loaded
   * and stored once per two inputs). Small enough for C2 to inline into its callers and vectorize
   * there; a deeper chain (three or four weight rows) exceeds C2's default loop-unroll limit and is
   * not vectorized at all (BENCHMARKS.md).
   */
  private static void fma4x2(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3,
      float[] wi, float[] wj, int c0, int c1, float[] y0, float[] y1, float[] y2, float[] y3) {
    for (int c = c0; c < c1; c++) {
      float wc = wi[c];
      float vc = wj[c];
      y0[c] = Math.fma(b0, vc, Math.fma(a0, wc, y0[c]));
      y1[c] = Math.fma(b1, vc, Math.fma(a1, wc, y1[c]));
      y2[c] = Math.fma(b2, vc, Math.fma(a2, wc, y2[c]));
      y3[c] = Math.fma(b3, vc, Math.fma(a3, wc, y3[c]));
    }
  }

  /** The one-weight-row tail of {@link #fma4x2}: {@code yj[c] += aj * wi[c]}. */
  private static void fma4x1(float a0, float a1, float a2, float a3, float[] wi, int c0, int c1, float[] y0,
      float[] y1, float[] y2, float[] y3) {
    for (int c = c0; c < c1; c++) {
      float wc = wi[c];
      y0[c] = Math.fma(a0, wc, y0[c]);
      y1[c] = Math.fma(a1, wc, y1[c]);
      y2[c] = Math.fma(a2, wc, y2[c]);
      y3[c] = Math.fma(a3, wc, y3[c]);
    }
  }

  /**
   * Writes {@code t[c][r] = m[r][c]} for {@code r0 <= r < r1, c < cols}; four source rows per pass so
   * each destination row gets four adjacent writes (about twice as fast as one row per pass).
   */
  public static void transposeInto(float[][] m, int r0, int r1, int cols, float[][] t) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
      float[] m0 = m[r];
      float[] m1 = m[r + 1];
      float[] m2 = m[r + 2];
      float[] m3 = m[r + 3];
      for (int c = 0; c < cols; c++) {
        float[] tc = t[c];
        tc[r] = m0[c];
        tc[r + 1] = m1[c];
        tc[r + 2] = m2[c];
        tc[r + 3] = m3[c];
      }
    }
    for (; r < r1; r++) {
      float[] mr = m[r];
      for (int c = 0; c < cols; c++) {
        t[c][r] = mr[c];
      }
    }
  }

  /** Sets every row {@code y[r]} ({@code r < n}) to {@code b[0..cols)}. */
  public static void broadcastRowsInto(float[] b, int n, int cols, float[][] y) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(b, 0, y[r], 0, cols);
    }
  }

  /** Zeroes {@code y[r][c0..c1)} for {@code r < n}. */
  public static void zeroInPlace(float[][] y, int n, int c0, int c1) {
    for (int r = 0; r < n; r++) {
      java.util.Arrays.fill(y[r], c0, c1, 0f);
    }
  }

  /** Applies ReLU in place: {@code a[r][c] = max(a[r][c], 0)} for {@code r < n, c < h}. */
  public static void reluInPlace(float[][] a, int n, int h) {
    if (KernelPath.VECTOR) {
      VectorKernels.reluInPlace(a, n, h);
    } else {
      scalarReluInPlace(a, n, h);
    }
  }

  /** The scalar loops of {@link #reluInPlace}, whatever {@link KernelPath} chose. */
  static void scalarReluInPlace(float[][] a, int n, int h) {
    for (int r = 0; r < n; r++) {
      float[] ar = a[r];
      for (int c = 0; c < h; c++) {
        ar[c] = Math.max(ar[c], 0f);
      }
    }
  }

  /**
   * Multiplies a gradient by the ReLU derivative in place, {@code d[r][c] *= relu'(a[r][c])} for
   * {@code r < n, c < h}, from the activations {@code a = relu(z)} ({@link #RELU_MASK_SCALE}).
   */
  public static void reluDerivativeMulInPlace(float[][] a, float[][] d, int n, int h) {
    if (KernelPath.VECTOR) {
      VectorKernels.reluDerivativeMulInPlace(a, d, n, h);
    } else {
      scalarReluDerivativeMulInPlace(a, d, n, h);
    }
  }

  /** The scalar loops of {@link #reluDerivativeMulInPlace}, whatever {@link KernelPath} chose. */
  static void scalarReluDerivativeMulInPlace(float[][] a, float[][] d, int n, int h) {
    for (int r = 0; r < n; r++) {
      float[] ar = a[r];
      float[] dr = d[r];
      for (int c = 0; c < h; c++) {
        dr[c] *= Math.min(ar[c] * RELU_MASK_SCALE * RELU_MASK_SCALE, 1f);
      }
    }
  }

  /**
   * Writes {@code y[r][c] = (d[r] * v[c]) * relu'(a[r][c])} for {@code r < n, c < h}: the gradient
   * flowing from a one-output layer with weights {@code v} back through a ReLU layer with activations
   * {@code a}, with the roundings of the product and then the derivative.
   */
  public static void reluOuterBackwardInto(float[] d, float[] v, float[][] a, int n, int h, float[][] y) {
    if (KernelPath.VECTOR) {
      VectorKernels.reluOuterBackwardInto(d, v, a, n, h, y);
    } else {
      scalarReluOuterBackwardInto(d, v, a, n, h, y);
    }
  }

  /** The scalar loops of {@link #reluOuterBackwardInto}, whatever {@link KernelPath} chose. */
  static void scalarReluOuterBackwardInto(float[] d, float[] v, float[][] a, int n, int h, float[][] y) {
    for (int r = 0; r < n; r++) {
      float dr = d[r];
      float[] ar = a[r];
      float[] yr = y[r];
      for (int c = 0; c < h; c++) {
        yr[c] = (dr * v[c]) * Math.min(ar[c] * RELU_MASK_SCALE * RELU_MASK_SCALE, 1f);
      }
    }
  }

  /**
   * Accumulates scaled column sums in place: {@code s[c] += scale * sum_{r<n} y[r][c]} (bias gradients;
   * {@code scale = 1} is exact, so plain sums need no second loop).
   */
  public static void scaledColumnSumAddInPlace(float scale, float[][] y, int n, int cols, float[] s) {
    if (KernelPath.VECTOR) {
      VectorKernels.scaledColumnSumAddInPlace(scale, y, n, cols, s);
    } else {
      scalarScaledColumnSumAddInPlace(scale, y, n, cols, s);
    }
  }

  /** The scalar loops of {@link #scaledColumnSumAddInPlace}, whatever {@link KernelPath} chose. */
  static void scalarScaledColumnSumAddInPlace(float scale, float[][] y, int n, int cols, float[] s) {
    for (int r = 0; r < n; r++) {
      float[] yr = y[r];
      for (int c = 0; c < cols; c++) {
        s[c] += scale * yr[c];
      }
    }
  }

  /** {@code y[c] += a * x[c]} for {@code c < len} (axpy, in place). */
  public static void axpyInPlace(float a, float[] x, float[] y, int len) {
    if (KernelPath.VECTOR) {
      VectorKernels.axpyInPlace(a, x, y, len);
    } else {
      scalarAxpyInPlace(a, x, y, len);
    }
  }

  /** The scalar loops of {@link #axpyInPlace}, whatever {@link KernelPath} chose. */
  static void scalarAxpyInPlace(float a, float[] x, float[] y, int len) {
    for (int c = 0; c < len; c++) {
      y[c] += a * x[c];
    }
  }

  /**
   * One row of an Adam step (Kingma and Ba 2015), in place, for {@code c < p.length}: {@code gc =
   * g[off + c] * inv + l2 * p[c]}, the moments {@code m = b1 m + (1 - b1) gc}, {@code v = b2 v +
   * (1 - b2) gc gc}, and {@code p -= stepSize m / (sqrt(v) + epsHat)}, each a float multiply, add,
   * divide or square root in that order (no fused multiply-add), so both paths give the same bits.
   */
  public static void adamRowInPlace(float[] p, float[] m, float[] v, float[] g, int off, float inv,
      float l2, float b1, float b2, float stepSize, float epsHat) {
    if (KernelPath.VECTOR) {
      VectorKernels.adamRowInPlace(p, m, v, g, off, inv, l2, b1, b2, stepSize, epsHat);
    } else {
      scalarAdamRowInPlace(p, m, v, g, off, 0, inv, l2, b1, b2, stepSize, epsHat);
    }
  }

  /** The scalar loop of {@link #adamRowInPlace} from column {@code c0}, whatever {@link KernelPath} chose. */
  static void scalarAdamRowInPlace(float[] p, float[] m, float[] v, float[] g, int off, int c0,
      float inv, float l2, float b1, float b2, float stepSize, float epsHat) {
    float a1 = 1 - b1;
    float a2 = 1 - b2;
    for (int c = c0; c < p.length; c++) {
      float gc = g[off + c] * inv + l2 * p[c];
      float mc = b1 * m[c] + a1 * gc;
      float vc = b2 * v[c] + a2 * gc * gc;
      m[c] = mc;
      v[c] = vc;
      p[c] -= stepSize * mc / ((float) Math.sqrt(vc) + epsHat);
    }
  }

  /**
   * Writes {@code out[r] = bias + dot(a[r], v, len)} for {@code r < n} (a layer with one output).
   * Four rows per pass over {@code v}: four independent sums instead of one chain of dependent adds,
   * each row's sum in the order of {@link #dot} (bit for bit).
   */
  public static void dotRowsInto(float bias, float[][] a, int n, float[] v, int len, float[] out) {
    int r = 0;
    for (; r + 4 <= n; r += 4) {
      float[] a0 = a[r];
      float[] a1 = a[r + 1];
      float[] a2 = a[r + 2];
      float[] a3 = a[r + 3];
      float s0 = 0f;
      float s1 = 0f;
      float s2 = 0f;
      float s3 = 0f;
      for (int c = 0; c < len; c++) {
        float vc = v[c];
        s0 += a0[c] * vc;
        s1 += a1[c] * vc;
        s2 += a2[c] * vc;
        s3 += a3[c] * vc;
      }
      out[r] = bias + s0;
      out[r + 1] = bias + s1;
      out[r + 2] = bias + s2;
      out[r + 3] = bias + s3;
    }
    for (; r < n; r++) {
      out[r] = bias + dot(a[r], v, len);
    }
  }

  /** @return {@code sum_c x[c] * y[c]} for {@code c < len} */
  public static float dot(float[] x, float[] y, int len) {
    float s = 0f;
    for (int c = 0; c < len; c++) {
      s += x[c] * y[c];
    }
    return s;
  }
}
