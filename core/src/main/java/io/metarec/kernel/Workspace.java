package io.metarec.kernel;

import io.metarec.model.ModelSpec;

/**
 * Per-thread scratch of {@link ModelKernel}: the batch input matrix and its gradient, predictions,
 * output gradients, pooled user-field embeddings, user-side gradients and the MLP buffers. Sized for
 * the largest batch seen so far and grown only when a larger one arrives ({@link #ensureRowsInPlace}),
 * so steady-state steps allocate nothing. Never share one instance between threads.
 */
public final class Workspace {
  final int inputDim;
  float[][] x;
  float[][] dx;
  float[] pred;
  float[] dPred;
  final MlpBuffers mlp;
  final float[][] userPool;
  final float[][] dUserPool;
  /** Gradient of the loss w.r.t. the user bias b_u (index 0), accumulated by backward. */
  public final float[] dBu = new float[1];
  /** Gradient w.r.t. the user vector in the linear term {@code <u_lin, q_i>}, accumulated. */
  public final float[] dULin;
  /** Gradient w.r.t. the user vector fed to the MLP, accumulated. */
  public final float[] dUMlp;
  final float[][][] wView;
  final float[][] bView;
  final float[][][] gwView;
  final float[][] gbView;
  private int capacity;

  Workspace(ModelSpec spec, int initialRows) {
    this.inputDim = spec.inputDim();
    int[] hidden = spec.hiddenSizes();
    this.mlp = new MlpBuffers(inputDim, hidden, initialRows);
    int fu = spec.userFields().size();
    this.userPool = new float[fu][spec.embeddingDim()];
    this.dUserPool = new float[fu][spec.embeddingDim()];
    this.dULin = new float[spec.userDim()];
    this.dUMlp = new float[spec.userDim()];
    this.wView = new float[hidden.length][][];
    this.bView = new float[hidden.length][];
    this.gwView = new float[hidden.length][][];
    this.gbView = new float[hidden.length][];
    allocate(Math.max(4, initialRows));
  }

  private void allocate(int rows) {
    x = new float[rows][inputDim];
    dx = new float[rows][inputDim];
    pred = new float[rows];
    dPred = new float[rows];
    capacity = rows;
  }

  /** Grows every row buffer to hold at least {@code rows} rows. */
  public void ensureRowsInPlace(int rows) {
    if (rows > capacity) {
      allocate(Math.max(rows, capacity * 2));
    }
    mlp.ensureRowsInPlace(rows);
  }

  /** @return predictions of the last forward, index = row - from (live) */
  public float[] predictions() {
    return pred;
  }

  /** @return dLoss/dprediction per row, index = row - from (live; written by loss, read by backward) */
  public float[] predictionGradient() {
    return dPred;
  }

  /** Zeroes the accumulated user-side gradients. */
  public void zeroUserGradientsInPlace() {
    dBu[0] = 0f;
    java.util.Arrays.fill(dULin, 0f);
    java.util.Arrays.fill(dUMlp, 0f);
  }
}
