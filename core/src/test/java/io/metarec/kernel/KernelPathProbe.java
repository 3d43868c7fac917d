package io.metarec.kernel;

import io.metarec.model.Activation;
import java.util.SplittableRandom;

/**
 * A fixed MLP training step through the public kernel entry points, reduced to a fingerprint of its
 * result bits; {@link #main} prints the path the JVM chose and the fingerprint, for
 * {@link KernelPathTest}'s child JVMs.
 */
final class KernelPathProbe {
  private KernelPathProbe() {
  }

  /**
   * Three forward passes and fused SGD backward passes of a 40-30(relu)-70(relu)-1 MLP on 11 rows,
   * with the input gradient: shapes that reach full, one-vector and scalar column tiles.
   *
   * @return a hash of the bits of every weight, bias, prediction and input gradient afterwards
   */
  static long fingerprint() {
    SplittableRandom rng = new SplittableRandom(5);
    int in = 40;
    int[] hidden = {30, 70};
    int n = 11;
    float[][][] w = {TestMatrices.uniform(rng, in, 30, 0.3), TestMatrices.uniform(rng, 30, 70, 0.3)};
    float[][] b = {TestMatrices.uniform(rng, 1, 30, 0.1)[0], TestMatrices.uniform(rng, 1, 70, 0.1)[0]};
    float[] wOut = TestMatrices.uniform(rng, 1, 70, 0.3)[0];
    float[] bOut = {0.2f};
    float[][] x = TestMatrices.uniform(rng, n, in, 1.0);
    MlpKernel k = new MlpKernel(in, hidden, Activation.RELU);
    MlpBuffers buf = new MlpBuffers(in, hidden, n);
    float[] out = new float[n];
    float[][] dx = new float[n][in];
    long h = 1;
    for (int step = 0; step < 3; step++) {
      k.forwardInto(w, b, wOut, bOut, x, n, buf, out);
      for (int r = 0; r < n; r++) {
        buf.outputGradient()[r] = out[r] - (r % 5);
        h = mix(h, out[r]);
      }
      k.backwardSgdInPlace(w, b, wOut, bOut, 0.05f, x, n, buf, dx, 0, in);
    }
    for (float[][] layer : w) {
      for (float[] row : layer) {
        h = mix(h, row);
      }
    }
    for (float[] row : b) {
      h = mix(h, row);
    }
    for (float[] row : dx) {
      h = mix(h, row);
    }
    return mix(mix(h, wOut), bOut);
  }

  private static long mix(long h, float... v) {
    for (float f : v) {
      h = h * 1_000_003L + Float.floatToRawIntBits(f);
    }
    return h;
  }

  /** Prints {@code vectorized=<bool>}, {@code fingerprint=<hash>} and {@code path=<description>}. */
  public static void main(String[] args) {
    System.out.println("vectorized=" + KernelPath.vectorized());
    System.out.println("fingerprint=" + fingerprint());
    System.out.println("path=" + KernelPath.description());
  }
}
