package io.metarec.kernel;

/**
 * Scratch of {@link MlpKernel} for a batch of up to {@link #capacity()} rows: activations and their
 * gradients per hidden layer, and the transposed weights. Owned by one
 * thread; grown (never shrunk) by {@link #ensureRowsInPlace(int)}, so steady-state steps allocate
 * nothing.
 */
public final class MlpBuffers {
  final int inputDim;
  final int[] hidden;
  float[][][] act;
  float[][][] grad;
  final float[][][] weightT;
  float[] dOut;
  private int capacity;

  /** Buffers for an MLP with {@code inputDim} inputs and {@code hidden} layer sizes. */
  public MlpBuffers(int inputDim, int[] hidden, int initialRows) {
    this.inputDim = inputDim;
    this.hidden = hidden.clone();
    this.weightT = new float[hidden.length][][];
    int in = inputDim;
    for (int l = 0; l < hidden.length; l++) {
      weightT[l] = new float[hidden[l]][in];
      in = hidden[l];
    }
    this.act = new float[hidden.length][][];
    this.grad = new float[hidden.length][][];
    allocate(Math.max(4, initialRows));
  }

  private void allocate(int rows) {
    for (int l = 0; l < hidden.length; l++) {
      act[l] = new float[rows][hidden[l]];
      grad[l] = new float[rows][hidden[l]];
    }
    dOut = new float[rows];
    capacity = rows;
  }

  /** Grows the buffers to hold at least {@code rows} rows (amortized doubling). */
  public void ensureRowsInPlace(int rows) {
    if (rows > capacity) {
      allocate(Math.max(rows, capacity * 2));
    }
  }

  /** @return rows the buffers can hold */
  public int capacity() {
    return capacity;
  }

  /** @return activations of hidden layer {@code l} after the last forward (row arrays, live) */
  public float[][] activations(int l) {
    return act[l];
  }

  /** @return the per-row output gradient buffer the caller fills before backward (live) */
  public float[] outputGradient() {
    return dOut;
  }
}
