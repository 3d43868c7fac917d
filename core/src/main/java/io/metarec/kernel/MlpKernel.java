package io.metarec.kernel;

import io.metarec.model.Activation;

/**
 * Forward and backward of the decision MLP ({@code hidden} dense layers with an activation, then one
 * linear output) over a batch of rows at once, as in MeLU's decision layers (Lee et al. 2019).
 * Weights are passed as row arrays: layer {@code l} weights {@code w[l]} are {@code in x out} (one
 * row per input), biases {@code b[l]}, output weights {@code wOut} (length last hidden) and
 * {@code bOut[0]}. Stateless and thread-safe; all scratch lives in the caller's {@link MlpBuffers}.
 */
public final class MlpKernel {
  private final int inputDim;
  private final int[] hidden;
  private final Activation activation;

  public MlpKernel(int inputDim, int[] hidden, Activation activation) {
    if (inputDim < 1 || hidden.length < 1) {
      throw new IllegalArgumentException("MLP needs inputDim >= 1 and >= 1 hidden layer, got " + inputDim + ", "
          + hidden.length);
    }
    this.inputDim = inputDim;
    this.hidden = hidden.clone();
    this.activation = activation;
  }

  public int inputDim() {
    return inputDim;
  }

  /**
   * Computes {@code out[r] = MLP(x[r])} for {@code r < n}; keeps activations in {@code buf} for
   * {@link #backwardInPlace}.
   */
  public void forwardInto(float[][][] w, float[][] b, float[] wOut, float[] bOut, float[][] x, int n,
      MlpBuffers buf, float[] out) {
    float[][] in = x;
    int inDim = inputDim;
    for (int l = 0; l < hidden.length; l++) {
      int h = hidden[l];
      float[][] a = buf.act[l];
      DenseKernels.broadcastRowsInto(b[l], n, h, a);
      DenseKernels.matmulAddInPlace(in, n, inDim, w[l], 0, h, a);
      activateInPlace(a, n, h);
      in = a;
      inDim = h;
    }
    DenseKernels.dotRowsInto(bOut[0], in, n, wOut, inDim, out);
  }

  private void activateInPlace(float[][] a, int n, int h) {
    switch (activation) {
      case RELU -> DenseKernels.reluInPlace(a, n, h);
      case TANH -> {
        for (int r = 0; r < n; r++) {
          float[] ar = a[r];
          for (int c = 0; c < h; c++) {
            ar[c] = (float) Math.tanh(ar[c]);
          }
        }
      }
      case IDENTITY -> {
      }
    }
  }

  private void activationBackwardInPlace(float[][] a, float[][] d, int n, int h) {
    switch (activation) {
      case RELU -> DenseKernels.reluDerivativeMulInPlace(a, d, n, h);
      case TANH -> {
        for (int r = 0; r < n; r++) {
          float[] ar = a[r];
          float[] dr = d[r];
          for (int c = 0; c < h; c++) {
            dr[c] = dr[c] * (1f - ar[c] * ar[c]);
          }
        }
      }
      case IDENTITY -> {
      }
    }
  }

  /**
   * Writes the last hidden layer's pre-activation gradient, {@code dL[r][c] = (dOut[r] * wOut[c]) *
   * act'(aL[r][c])}: the output layer's backward and the activation's in one pass, with the
   * roundings of the two passes it replaces.
   */
  private void outputBackwardInto(float[] dOut, float[] wOut, float[][] aL, int n, int h, float[][] dL) {
    if (activation == Activation.RELU) {
      DenseKernels.reluOuterBackwardInto(dOut, wOut, aL, n, h, dL);
      return;
    }
    for (int r = 0; r < n; r++) {
      float d = dOut[r];
      float[] ar = aL[r];
      float[] dr = dL[r];
      if (activation == Activation.TANH) {
        for (int c = 0; c < h; c++) {
          dr[c] = (d * wOut[c]) * (1f - ar[c] * ar[c]);
        }
      } else {
        for (int c = 0; c < h; c++) {
          dr[c] = d * wOut[c];
        }
      }
    }
  }

  /**
   * Backward pass from {@code buf.outputGradient()[r] = dLoss/dout[r]} (after {@link #forwardInto} on
   * the same {@code x, n}). When {@code gw != null} accumulates ({@code +=}) weight gradients into
   * {@code gw, gb, gwOut, gbOut}; when {@code dx != null} overwrites columns {@code [dx0, dx1)} of
   * {@code dx[r]} with {@code dLoss/dx[r]}. Mutates the activation-gradient and transposed buffers of
   * {@code buf}.
   */
  public void backwardInPlace(float[][][] w, float[] wOut, float[][] x, int n, MlpBuffers buf,
      float[][][] gw, float[][] gb, float[] gwOut, float[] gbOut, float[][] dx, int dx0, int dx1) {
    backward(w, wOut, x, n, buf, gw, gb, gwOut, gbOut, 1f, dx, dx0, dx1);
  }

  /**
   * Backward pass fused with one SGD step of the MLP: like {@link #backwardInPlace} with the weights
   * as their own gradient buffers, {@code w -= lr * dLoss/dw} for every weight and bias, while
   * {@code dx} is computed from the weights before the step (each layer's weights are transposed
   * before they move). Saves the gradient buffers' zeroing and the separate update pass over them;
   * equal to gradient-then-update up to float rounding ({@code -lr} scales the layer input rather than
   * the summed gradient).
   */
  public void backwardSgdInPlace(float[][][] w, float[][] b, float[] wOut, float[] bOut, float lr, float[][] x,
      int n, MlpBuffers buf, float[][] dx, int dx0, int dx1) {
    backward(w, wOut, x, n, buf, w, b, wOut, bOut, -lr, dx, dx0, dx1);
  }

  /** Gradients scaled by {@code scale} and accumulated into {@code gw...} ({@code gw == w}: an SGD step). */
  private void backward(float[][][] w, float[] wOut, float[][] x, int n, MlpBuffers buf,
      float[][][] gw, float[][] gb, float[] gwOut, float[] gbOut, float scale, float[][] dx, int dx0, int dx1) {
    int last = hidden.length - 1;
    int hl = hidden[last];
    float[] dOut = buf.dOut;
    float[][] aL = buf.act[last];
    float[][] dL = buf.grad[last];
    outputBackwardInto(dOut, wOut, aL, n, hl, dL);
    if (gw != null) {
      // After every row's dL: with gwOut == wOut the step must not move wOut under the loop above.
      float sumD = 0f;
      for (int r = 0; r < n; r++) {
        DenseKernels.axpyInPlace(scale * dOut[r], aL[r], gwOut, hl);
        sumD += dOut[r];
      }
      gbOut[0] += scale * sumD;
    }
    for (int l = last; l >= 0; l--) {
      int h = hidden[l];
      float[][] d = buf.grad[l];
      if (l < last) {
        activationBackwardInPlace(buf.act[l], d, n, h);
      }
      float[][] in = l == 0 ? x : buf.act[l - 1];
      int inDim = l == 0 ? inputDim : hidden[l - 1];
      // Transposed weights for dX before the weight gradient, which may be the weights themselves.
      boolean needDx = l > 0 || (dx != null && dx1 > dx0);
      if (l > 0) {
        DenseKernels.transposeInto(w[l], 0, inDim, h, buf.weightT[l]);
      } else if (needDx) {
        DenseKernels.transposeInto(w[0], dx0, dx1, h, buf.weightT[0]);
      }
      if (gw != null) {
        DenseKernels.scaledColumnSumAddInPlace(scale, d, n, h, gb[l]);
        DenseKernels.matmulTransposedAddInPlace(scale, in, n, inDim, d, h, gw[l]);
      }
      if (l > 0) {
        float[][] prev = buf.grad[l - 1];
        DenseKernels.zeroInPlace(prev, n, 0, inDim);
        DenseKernels.matmulAddInPlace(d, n, h, buf.weightT[l], 0, inDim, prev);
      } else if (needDx) {
        DenseKernels.zeroInPlace(dx, n, dx0, dx1);
        DenseKernels.matmulAddInPlace(d, n, h, buf.weightT[0], dx0, dx1, dx);
      }
    }
  }
}
