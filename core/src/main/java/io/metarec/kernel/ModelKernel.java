package io.metarec.kernel;

import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;

/**
 * Forward, loss and backward of the whole scorer ({@link ModelSpec}) over rows {@code [from, to)} of a
 * gathered task at once, on task-local parameters ({@link LocalModel}). The user part is passed in
 * explicitly as a bias {@code bu}, the vector {@code uLin} of the linear term {@code <uLin, q_i>} and
 * the vector {@code uMlp} fed to the MLP, so the meta layer can realize both SGD adaptation
 * ({@code uLin = uMlp = u + implicit}) and the ridge solve on the linear part. Gradients are computed
 * only for the groups in the mask. Stateless and thread-safe; scratch is in the {@link Workspace}.
 */
public final class ModelKernel {
  /** Gradient of the MLP and output layer. */
  public static final int GRAD_DECISION = 1;
  /** Gradients of the embedding and factor tables (touched rows). */
  public static final int GRAD_EMBEDDING = 2;
  /** Gradients of mu and the item biases. */
  public static final int GRAD_GLOBAL = 4;
  /** Gradients w.r.t. bu, uLin, uMlp (into the workspace). */
  public static final int GRAD_USER = 8;
  /** Everything. */
  public static final int GRAD_ALL = 15;

  private final ModelSpec spec;
  private final ParamLayout layout;
  private final MlpKernel mlp;
  private final int e;
  private final int ud;
  private final int inputDim;
  private final int uOff;
  private final int nItemFields;
  private final int nUserFields;

  public ModelKernel(ModelSpec spec, ParamLayout layout) {
    this.spec = spec;
    this.layout = layout;
    this.mlp = new MlpKernel(spec.inputDim(), spec.hiddenSizes(), spec.activation());
    this.e = spec.embeddingDim();
    this.ud = spec.userDim();
    this.inputDim = spec.inputDim();
    this.uOff = spec.userInputOffset();
    this.nItemFields = spec.itemFields().size();
    this.nUserFields = spec.userFields().size();
  }

  /** @return a new workspace for this model, for one thread */
  public Workspace newWorkspace(int initialRows) {
    return new Workspace(spec, initialRows);
  }

  public ParamLayout layout() {
    return layout;
  }

  private void bindViews(LocalModel m, Workspace ws) {
    for (int l = 0; l < ws.wView.length; l++) {
      ws.wView[l] = m.segment(layout.weight(l));
      ws.bView[l] = m.segment(layout.bias(l))[0];
    }
  }

  /**
   * Computes predictions of rows {@code [from, to)} into {@code ws.predictions()[r - from]}.
   * Keeps the batch input and activations in {@code ws} for {@link #backwardInPlace}.
   */
  public void forwardInto(LocalModel m, TaskIndex ti, int from, int to, float bu, float[] uLin, float[] uMlp,
      Workspace ws) {
    int n = to - from;
    ws.ensureRowsInPlace(n);
    float[][] x = ws.x;
    int[] li = ti.localItem;
    float[][] itemEmb = m.segment(layout.itemEmb);
    for (int g = 0; g < nUserFields; g++) {
      float[][] t = m.segment(layout.userField(g));
      float[] pool = ws.userPool[g];
      java.util.Arrays.fill(pool, 0f);
      int cnt = ti.userCount[g];
      int[] loc = ti.userLocal[g];
      for (int k = 0; k < cnt; k++) {
        DenseKernels.axpyInPlace(1f, t[loc[k]], pool, e);
      }
      float inv = 1f / cnt;
      for (int c = 0; c < e; c++) {
        pool[c] *= inv;
      }
    }
    for (int r = from; r < to; r++) {
      float[] xr = x[r - from];
      int it = li[r];
      System.arraycopy(itemEmb[it], 0, xr, 0, e);
      for (int f = 0; f < nItemFields; f++) {
        float[][] t = m.segment(layout.itemField(f));
        int off = (1 + f) * e;
        int s = ti.featStart[f][it];
        int end = ti.featStart[f][it + 1];
        int[] loc = ti.featLocal[f];
        if (end - s == 1) {
          System.arraycopy(t[loc[s]], 0, xr, off, e);
        } else {
          java.util.Arrays.fill(xr, off, off + e, 0f);
          float inv = 1f / (end - s);
          for (int k = s; k < end; k++) {
            float[] row = t[loc[k]];
            for (int c = 0; c < e; c++) {
              xr[off + c] += inv * row[c];
            }
          }
        }
      }
      for (int g = 0; g < nUserFields; g++) {
        System.arraycopy(ws.userPool[g], 0, xr, (1 + nItemFields + g) * e, e);
      }
      if (uOff >= 0) {
        System.arraycopy(uMlp, 0, xr, uOff, ud);
      }
    }
    bindViews(m, ws);
    float[] pred = ws.pred;
    mlp.forwardInto(ws.wView, ws.bView, m.segment(layout.outW)[0], m.segment(layout.outB)[0], x, n, ws.mlp, pred);
    float mu = m.segment(layout.mu)[0][0];
    float[][] ib = m.segment(layout.itemBias);
    float[][] q = m.segment(layout.itemFactor);
    for (int r = from; r < to; r++) {
      int it = li[r];
      pred[r - from] += mu + ib[it][0] + bu + DenseKernels.dot(uLin, q[it], ud);
    }
  }

  /**
   * Computes the mean loss of rows {@code [from, to)} from {@code ws.predictions()} and the labels, and
   * writes {@code dMeanLoss/dPrediction} into {@code ws.predictionGradient()}. Squared loss
   * {@code (p - y)^2} for explicit feedback, sigmoid binary cross-entropy on the logit for implicit.
   *
   * @return the mean loss (0 for an empty range)
   */
  public double lossInto(TaskIndex ti, int from, int to, Workspace ws) {
    return Losses.meanLossInto(spec.feedback(), ws.pred, ti.labels, from, to - from, ws.dPred);
  }

  /** @return the loss of a single prediction (explicit: squared error; implicit: BCE on the logit) */
  public double rowLoss(float pred, float label) {
    return Losses.rowLoss(spec.feedback(), pred, label);
  }

  /**
   * Backward pass from {@code ws.predictionGradient()} after {@link #forwardInto} on the same rows.
   * Accumulates ({@code +=}) into the rows of {@code g} for the groups in {@code mask}
   * ({@link #GRAD_DECISION}, {@link #GRAD_EMBEDDING} (item/field embeddings and item factors; the
   * implicit table is the caller's, via {@code dULin}/{@code dUMlp}), {@link #GRAD_GLOBAL}) and, with
   * {@link #GRAD_USER}, into {@code ws.dBu, ws.dULin, ws.dUMlp}.
   */
  public void backwardInPlace(LocalModel m, TaskIndex ti, int from, int to, float[] uLin, Workspace ws, int mask,
      LocalModel g) {
    backwardInPlace(m, ti, from, to, uLin, ws, mask, g, Float.NaN);
  }

  /**
   * As {@link #backwardInPlace(LocalModel, TaskIndex, int, int, float[], Workspace, int, LocalModel)}, but
   * with a finite {@code decisionSgdLr} and {@link #GRAD_DECISION} in the mask the decision MLP's
   * gradient is not accumulated into {@code g}: {@code m}'s MLP and output layer take the SGD step
   * {@code -decisionSgdLr * gradient} in place ({@link MlpKernel#backwardSgdInPlace}); every other
   * gradient is computed from {@code m} before that step.
   */
  public void backwardInPlace(LocalModel m, TaskIndex ti, int from, int to, float[] uLin, Workspace ws, int mask,
      LocalModel g, float decisionSgdLr) {
    int n = to - from;
    if (n == 0) {
      return;
    }
    boolean dec = (mask & GRAD_DECISION) != 0;
    boolean emb = (mask & GRAD_EMBEDDING) != 0;
    boolean glob = (mask & GRAD_GLOBAL) != 0;
    boolean usr = (mask & GRAD_USER) != 0;
    float[] d = ws.dPred;
    int[] li = ti.localItem;
    float[][] q = m.segment(layout.itemFactor);
    if (glob) {
      float[][] gib = g.segment(layout.itemBias);
      float s = 0f;
      for (int r = 0; r < n; r++) {
        s += d[r];
        gib[li[from + r]][0] += d[r];
      }
      g.segment(layout.mu)[0][0] += s;
    }
    if (usr) {
      float s = 0f;
      for (int r = 0; r < n; r++) {
        s += d[r];
        DenseKernels.axpyInPlace(d[r], q[li[from + r]], ws.dULin, ud);
      }
      ws.dBu[0] += s;
    }
    if (emb) {
      float[][] gq = g.segment(layout.itemFactor);
      for (int r = 0; r < n; r++) {
        DenseKernels.axpyInPlace(d[r], uLin, gq[li[from + r]], ud);
      }
    }
    int dx0;
    if (emb) {
      dx0 = 0;
    } else if (usr && uOff >= 0) {
      dx0 = uOff;
    } else {
      dx0 = inputDim;
    }
    if (!dec && dx0 == inputDim) {
      return;
    }
    System.arraycopy(d, 0, ws.mlp.dOut, 0, n);
    bindViews(m, ws);
    if (dec && !Float.isNaN(decisionSgdLr)) {
      mlp.backwardSgdInPlace(ws.wView, ws.bView, m.segment(layout.outW)[0], m.segment(layout.outB)[0], decisionSgdLr,
          ws.x, n, ws.mlp, ws.dx, dx0, inputDim);
    } else {
      backwardMlpInPlace(m, ws, n, dec, dx0, g);
    }
    if (dx0 == inputDim) {
      return;
    }
    float[][] dx = ws.dx;
    if (uOff >= 0 && usr) {
      for (int r = 0; r < n; r++) {
        float[] dr = dx[r];
        float[] du = ws.dUMlp;
        for (int c = 0; c < ud; c++) {
          du[c] += dr[uOff + c];
        }
      }
    }
    if (!emb) {
      return;
    }
    float[][] gItem = g.segment(layout.itemEmb);
    for (int g2 = 0; g2 < nUserFields; g2++) {
      java.util.Arrays.fill(ws.dUserPool[g2], 0f);
    }
    for (int r = 0; r < n; r++) {
      float[] dr = dx[r];
      int it = li[from + r];
      float[] gi = gItem[it];
      for (int c = 0; c < e; c++) {
        gi[c] += dr[c];
      }
      for (int f = 0; f < nItemFields; f++) {
        float[][] gt = g.segment(layout.itemField(f));
        int off = (1 + f) * e;
        int s = ti.featStart[f][it];
        int end = ti.featStart[f][it + 1];
        float inv = 1f / (end - s);
        int[] loc = ti.featLocal[f];
        for (int k = s; k < end; k++) {
          float[] gr = gt[loc[k]];
          for (int c = 0; c < e; c++) {
            gr[c] += inv * dr[off + c];
          }
        }
      }
      for (int g2 = 0; g2 < nUserFields; g2++) {
        float[] dp = ws.dUserPool[g2];
        int off = (1 + nItemFields + g2) * e;
        for (int c = 0; c < e; c++) {
          dp[c] += dr[off + c];
        }
      }
    }
    for (int g2 = 0; g2 < nUserFields; g2++) {
      float[][] gt = g.segment(layout.userField(g2));
      int cnt = ti.userCount[g2];
      float inv = 1f / cnt;
      int[] loc = ti.userLocal[g2];
      for (int k = 0; k < cnt; k++) {
        DenseKernels.axpyInPlace(inv, ws.dUserPool[g2], gt[loc[k]], e);
      }
    }
  }

  private void backwardMlpInPlace(LocalModel m, Workspace ws, int n, boolean dec, int dx0, LocalModel g) {
    if (dec) {
      for (int l = 0; l < ws.gwView.length; l++) {
        ws.gwView[l] = g.segment(layout.weight(l));
        ws.gbView[l] = g.segment(layout.bias(l))[0];
      }
    }
    mlp.backwardInPlace(ws.wView, m.segment(layout.outW)[0], ws.x, n, ws.mlp,
        dec ? ws.gwView : null, ws.gbView, dec ? g.segment(layout.outW)[0] : null,
        dec ? g.segment(layout.outB)[0] : null, ws.dx, dx0, inputDim);
  }
}
