package io.metarec.kernel;

import static io.metarec.kernel.TestMatrices.copy;
import static io.metarec.kernel.TestMatrices.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metarec.model.Activation;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kernel's fast paths against their plain forms: the weight-gradient product that reads the
 * layer input in row layout, and the backward pass fused with the SGD step.
 */
class MlpKernelTest {
  @Test
  void transposedProductEqualsProductOfTransposedCopyBitForBit() {
    SplittableRandom rng = new SplittableRandom(3);
    // Odd row count and output rows not a multiple of 4 exercise every tail loop.
    for (int[] shape : new int[][] {{7, 10, 9}, {20, 128, 64}, {1, 3, 5}, {4, 4, 8}}) {
      int n = shape[0];
      int m = shape[1];
      int cols = shape[2];
      float[][] x = uniform(rng, n, m, 1.0);
      float[][] d = uniform(rng, n, cols, 1.0);
      float[][] start = uniform(rng, m, cols, 1.0);
      float[][] xT = new float[m][n];
      DenseKernels.transposeInto(x, 0, n, m, xT);
      float[][] expected = copy(start);
      DenseKernels.matmulAddInPlace(xT, m, n, d, 0, cols, expected);
      float[][] actual = copy(start);
      DenseKernels.matmulTransposedAddInPlace(1f, x, n, m, d, cols, actual);
      for (int i = 0; i < m; i++) {
        assertArrayEquals(expected[i], actual[i], 0f, "shape " + n + "x" + m + "x" + cols + " row " + i);
      }
      float[][] scaled = copy(start);
      DenseKernels.matmulTransposedAddInPlace(-0.3f, x, n, m, d, cols, scaled);
      for (int i = 0; i < m; i++) {
        for (int c = 0; c < cols; c++) {
          double ref = start[i][c];
          for (int r = 0; r < n; r++) {
            ref += -0.3 * x[r][i] * d[r][c];
          }
          assertEquals(ref, scaled[i][c], 1e-5, "scaled, row " + i + " col " + c);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void fusedSgdBackwardEqualsGradientThenStep(Activation act) {
    SplittableRandom rng = new SplittableRandom(11);
    int in = 10;
    int[] hidden = {12, 8, 6};
    int n = 9;
    float lr = 0.05f;
    float[][][] w = {uniform(rng, in, 12, 1.0), uniform(rng, 12, 8, 1.0), uniform(rng, 8, 6, 1.0)};
    float[][] b = {uniform(rng, 1, 12, 1.0)[0], uniform(rng, 1, 8, 1.0)[0], uniform(rng, 1, 6, 1.0)[0]};
    float[] wOut = uniform(rng, 1, 6, 1.0)[0];
    float[] bOut = {0.1f};
    float[][] x = uniform(rng, n, in, 1.0);
    float[] dOut = uniform(rng, 1, n, 1.0)[0];
    MlpKernel k = new MlpKernel(in, hidden, act);

    // Plain: gradients into zeroed buffers, dx over columns [3, in), then w -= lr * g.
    MlpBuffers buf = new MlpBuffers(in, hidden, n);
    k.forwardInto(w, b, wOut, bOut, x, n, buf, new float[n]);
    System.arraycopy(dOut, 0, buf.outputGradient(), 0, n);
    float[][][] gw = {new float[in][12], new float[12][8], new float[8][6]};
    float[][] gb = {new float[12], new float[8], new float[6]};
    float[] gwOut = new float[6];
    float[] gbOut = new float[1];
    float[][] dxPlain = new float[n][in];
    k.backwardInPlace(w, wOut, x, n, buf, gw, gb, gwOut, gbOut, dxPlain, 3, in);

    // Fused, on copies of the same weights.
    float[][][] wf = {copy(w[0]), copy(w[1]), copy(w[2])};
    float[][] bf = copy(b);
    float[] wOutF = wOut.clone();
    float[] bOutF = bOut.clone();
    MlpBuffers bufF = new MlpBuffers(in, hidden, n);
    k.forwardInto(wf, bf, wOutF, bOutF, x, n, bufF, new float[n]);
    System.arraycopy(dOut, 0, bufF.outputGradient(), 0, n);
    float[][] dxFused = new float[n][in];
    k.backwardSgdInPlace(wf, bf, wOutF, bOutF, lr, x, n, bufF, dxFused, 3, in);

    // dx comes from the weights before the step: identical.
    for (int r = 0; r < n; r++) {
      assertArrayEquals(dxPlain[r], dxFused[r], 0f, "dx row " + r);
    }
    for (int l = 0; l < hidden.length; l++) {
      for (int i = 0; i < w[l].length; i++) {
        for (int c = 0; c < hidden[l]; c++) {
          assertEquals(w[l][i][c] - lr * gw[l][i][c], wf[l][i][c], 1e-6, "w" + l + "[" + i + "][" + c + "]");
        }
      }
      for (int c = 0; c < hidden[l]; c++) {
        assertEquals(b[l][c] - lr * gb[l][c], bf[l][c], 1e-6, "b" + l + "[" + c + "]");
      }
    }
    for (int c = 0; c < 6; c++) {
      assertEquals(wOut[c] - lr * gwOut[c], wOutF[c], 1e-6, "wOut[" + c + "]");
    }
    assertEquals(bOut[0] - lr * gbOut[0], bOutF[0], 1e-6, "bOut");
  }

  @Test
  void reluDerivativePassesEveryPositiveActivationIncludingSubnormals() {
    // One hidden unit with a pre-activation of exactly 0, one subnormal positive, one negative.
    float tiny = Float.MIN_VALUE * 8;
    float[][][] w = {{{1f, tiny, 1f}}};
    float[][] b = {{-1f, 0f, -2f}};
    float[][] x = {{1f}};
    float[] wOut = {1f, 1f, 1f};
    MlpKernel k = new MlpKernel(1, new int[] {3}, Activation.RELU);
    MlpBuffers buf = new MlpBuffers(1, new int[] {3}, 1);
    k.forwardInto(w, b, wOut, new float[] {0f}, x, 1, buf, new float[1]);
    assertEquals(tiny, buf.activations(0)[0][1], 0f, "subnormal activation kept");
    buf.outputGradient()[0] = 1f;
    float[][][] gw = {new float[1][3]};
    float[][] gb = {new float[3]};
    k.backwardInPlace(w, wOut, x, 1, buf, gw, gb, new float[3], new float[1], null, 0, 0);
    assertArrayEquals(new float[] {0f, 1f, 0f}, gb[0], 0f, "dReLU: 0 at z = 0, 1 at subnormal z > 0, 0 below");
  }
}
