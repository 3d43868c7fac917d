package io.metarec.meta;

/**
 * Exact inner solve of the linear user part (bias b and vector w = u_eff) in double precision:
 * minimize {@code sum_r (res_r - b - <w, q_r>)^2 + lambda ||z - z0||^2} over {@code z = (b, w)},
 * i.e. ridge regression with the meta-learned initial values {@code z0} as prior mean. With rows
 * {@code a_r = (1, q_r)}, {@code M = A^T A + lambda I} and {@code z* = M^-1 (A^T res + lambda z0)}.
 *
 * <p>Backward (implicit differentiation of the closed form): given {@code g = dL/dz*} and
 * {@code v = M^-1 g}: {@code dL/dres_r = <a_r, v>}, {@code dL/dz0 = lambda v},
 * {@code dL/dlambda = <v, z0 - z*>}, {@code dL/da_r = e_r v - <a_r, v> z*} with the support
 * residual {@code e_r = res_r - <a_r, z*>}. First-order MAML cannot give these terms; here they are
 * exact. Single-threaded scratch.
 */
final class RidgeSolver {
  private final int d;
  private final double[][] m;
  private final double[] rhs;
  final double[] z;
  final double[] z0;
  final double[] v;
  double lambda;

  RidgeSolver(int userDim) {
    this.d = userDim + 1;
    this.m = new double[d][d];
    this.rhs = new double[d];
    this.z = new double[d];
    this.z0 = new double[d];
    this.v = new double[d];
  }

  /**
   * Solves for rows {@code r < n}: {@code q[li[r]]} the item factors, {@code res[r]} the residuals.
   * {@code z0} must be set first. Leaves the Cholesky factor for {@link #backwardInPlace}.
   */
  void solveInPlace(float[][] q, int[] li, float[] res, int n, double lam) {
    this.lambda = lam;
    for (int i = 0; i < d; i++) {
      java.util.Arrays.fill(m[i], 0.0);
      m[i][i] = lam;
      rhs[i] = lam * z0[i];
    }
    double[] a = v; // scratch row
    for (int r = 0; r < n; r++) {
      float[] qr = q[li[r]];
      a[0] = 1.0;
      for (int k = 1; k < d; k++) {
        a[k] = qr[k - 1];
      }
      double y = res[r];
      for (int i = 0; i < d; i++) {
        double ai = a[i];
        rhs[i] += ai * y;
        double[] mi = m[i];
        for (int k = 0; k <= i; k++) {
          mi[k] += ai * a[k];
        }
      }
    }
    // In-place Cholesky M = L L^T (lower triangle).
    for (int j = 0; j < d; j++) {
      double s = m[j][j];
      for (int k = 0; k < j; k++) {
        s -= m[j][k] * m[j][k];
      }
      if (!(s > 0)) {
        throw new IllegalStateException("ridge system not positive definite (lambda=" + lam + ")");
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
    System.arraycopy(rhs, 0, z, 0, d);
    cholSolveInPlace(z);
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
