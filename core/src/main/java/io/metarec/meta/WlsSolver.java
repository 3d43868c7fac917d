package io.metarec.meta;

import io.metarec.kernel.Losses;

/**
 * Exact inner solve of the user vector for implicit feedback, in double precision: implicit ALS's
 * fold-in of a new user (Hu, Koren and Volinsky 2008) with the meta-learned initial vector as prior
 * mean. Every item is a target, 1 for the user's positives (the support) and 0 for all others,
 * weighted {@code c_r = 1 + confidence w_r} for a positive (w_r its label: 1, or its count's
 * weight {@code log2(1 + count)}) and 1 otherwise:
 *
 * <pre>
 *   u* = argmin  sum_i c_i (p_i - &lt;u, q_i&gt;)^2 + lambda ||u - u0||^2
 *      = M^-1 b,  M = G + sum_{r in S} (c_r - 1) q_r q_r^T + lambda I,  b = sum_{r in S} c_r q_r + lambda u0
 * </pre>
 *
 * where {@code G = sum_i q_i q_i^T} over every item index {@code i >= 1} (the Gramian trick: G is
 * computed once per θ, {@link #gramianInto}, and corrected by the user's positives, so a solve costs
 * {@code O(d^2 |S| + d^3)}). With a model whose other terms are zero and {@code u0 = 0} the scores
 * {@code <u*, q_i>} are exactly implicit ALS's fold-in.
 *
 * <p>Backward (implicit differentiation of the closed form): given {@code g = dL/du*} and {@code v =
 * M^-1 g}: {@code dL/du0 = lambda v}, {@code dL/dlambda = <v, u0 - u*>}, for a positive row {@code
 * dL/dq_r = c_r v - (c_r - 1) (<q_r, u*> v + <q_r, v> u*)}, and through G for every
 * item {@code dL/dq_i -= (<q_i, u*> v + <q_i, v> u*)}: the caller adds {@code -(v u*^T + u* v^T)}
 * to the accumulator's Gramian gradient ({@link MetaGradientAccumulator#addGramianGradientInPlace}).
 * Single-threaded scratch.
 */
final class WlsSolver {
  private final int d;
  private final double[][] m;
  private final double[] rhs;
  final double[] u;
  final double[] u0;
  final double[] v;
  double lambda;
  double confidence;

  WlsSolver(int userDim) {
    this.d = userDim;
    this.m = new double[d][d];
    this.rhs = new double[d];
    this.u = new double[d];
    this.u0 = new double[d];
    this.v = new double[d];
  }

  /** {@code gram = sum_{i >= 1} q_i q_i^T} (lower triangle and diagonal) of the global factors. */
  static void gramianInto(float[][] q, double[][] gram) {
    int d = gram.length;
    for (double[] row : gram) {
      java.util.Arrays.fill(row, 0.0);
    }
    for (int i = 1; i < q.length; i++) {
      float[] qi = q[i];
      for (int a = 0; a < d; a++) {
        double qa = qi[a];
        double[] ga = gram[a];
        for (int b = 0; b <= a; b++) {
          ga[b] += qa * qi[b];
        }
      }
    }
  }

  /**
   * Solves for the positive rows {@code r < positives} of the task, {@code q[li[r]]} their local
   * factor rows and {@code weights[r]} their weights (the labels: 1, or a count's confidence), a
   * row's confidence being {@code 1 + conf * weights[r]}. {@code u0} must be set first. Leaves
   * the Cholesky factor for {@link
   * #backwardInPlace}.
   */
  void solveInPlace(double[][] gram, float[][] q, int[] li, float[] weights, int positives,
      double conf, double lam) {
    this.lambda = lam;
    this.confidence = conf;
    for (int a = 0; a < d; a++) {
      System.arraycopy(gram[a], 0, m[a], 0, a + 1);
      m[a][a] += lam;
      rhs[a] = lam * u0[a];
    }
    for (int r = 0; r < positives; r++) {
      float[] qr = q[li[r]];
      double cw = conf * Losses.weightOf(weights[r]);
      double c = 1 + cw;
      for (int a = 0; a < d; a++) {
        double qa = qr[a];
        rhs[a] += c * qa;
        double[] ma = m[a];
        for (int b = 0; b <= a; b++) {
          ma[b] += cw * qa * qr[b];
        }
      }
    }
    for (int j = 0; j < d; j++) {
      double s = m[j][j];
      for (int k = 0; k < j; k++) {
        s -= m[j][k] * m[j][k];
      }
      if (!(s > 0)) {
        throw new IllegalStateException("implicit user system not positive definite (lambda="
            + lam + ")");
      }
      double ljj = Math.sqrt(s);
      m[j][j] = ljj;
      for (int i = j + 1; i < d; i++) {
        double t = m[i][j];
        for (int k = 0; k < j; k++) {
          t -= m[i][k] * m[j][k];
        }
        m[i][j] = t / ljj;
      }
    }
    System.arraycopy(rhs, 0, u, 0, d);
    cholSolveInPlace(u);
  }

  /** Sets {@code v = M^-1 g} using the factor of the last solve. */
  void backwardInPlace(double[] g) {
    System.arraycopy(g, 0, v, 0, d);
    cholSolveInPlace(v);
  }

  private void cholSolveInPlace(double[] x) {
    for (int i = 0; i < d; i++) {
      double s = x[i];
      for (int k = 0; k < i; k++) {
        s -= m[i][k] * x[k];
      }
      x[i] = s / m[i][i];
    }
    for (int i = d - 1; i >= 0; i--) {
      double s = x[i];
      for (int k = i + 1; k < d; k++) {
        s -= m[k][i] * x[k];
      }
      x[i] = s / m[i][i];
    }
  }
}
