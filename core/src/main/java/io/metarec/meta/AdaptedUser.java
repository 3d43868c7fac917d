package io.metarec.meta;

import io.metarec.kernel.LocalModel;
import io.metarec.kernel.TaskIndex;
import io.metarec.model.ParamGroup;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import io.metarec.model.Segment;

/**
 * One adapted user as {@link JvmAdaptationEngine#adaptUserInto} leaves it: everything that scoring
 * an item needs besides θ. The user part is the bias {@code b_u}, the vector of the linear term
 * {@code <u_lin, q_i>} and the vector fed to the MLP (they differ under the ridge solve); the
 * decision layers are copied when the inner loop adapts them (else θ's are the adapted ones); with
 * embedding adaptation, the table rows the task gathered (its items, their feature values, the
 * user's values) are copied with their global row ids, and every other row is θ's.
 *
 * <p>Mutable scratch for one thread, overwritten by every adaptation; buffers grow to the largest
 * support seen and are never shrunk. Readers get live arrays and must not change them.
 */
public final class AdaptedUser {
  private final ParamLayout layout;
  private float userBias;
  private final float[] linearUser;
  private final float[] mlpUser;
  private boolean decisionAdapted;
  private boolean embeddingAdapted;
  /** Per segment id: the adapted rows of a decision segment (allocated once), else null. */
  private final float[][][] dense;
  /** Per table segment id: the number of gathered rows, their global ids and values. */
  private final int[] tableCount;
  private final int[][] tableGlobal;
  private final float[][][] tableRows;

  /** Scratch for users of a model with {@code layout}. */
  public AdaptedUser(ParamLayout layout) {
    this.layout = layout;
    int ud = layout.spec().userDim();
    this.linearUser = new float[ud];
    this.mlpUser = new float[ud];
    int segs = layout.numSegments();
    this.dense = new float[segs][][];
    this.tableCount = new int[segs];
    this.tableGlobal = new int[segs][];
    this.tableRows = new float[segs][][];
    for (Segment s : layout.segments()) {
      if (s.group() == ParamGroup.DECISION) {
        dense[s.id()] = new float[s.rows()][s.cols()];
      } else if (s.table() && s.group() == ParamGroup.EMBEDDING) {
        tableGlobal[s.id()] = new int[16];
        tableRows[s.id()] = new float[16][s.cols()];
      }
    }
  }

  /** Copies the adapted state out of the engine's task-local model (see the class comment). */
  void captureInPlace(ParamLayout engineLayout, LocalModel phi, TaskIndex ti, float bu,
      float[] uLin, float[] uMlp, boolean decision, boolean embedding) {
    if (engineLayout.totalSize() != layout.totalSize()
        || engineLayout.numSegments() != layout.numSegments()) {
      throw new IllegalArgumentException("adapted-user scratch was built for a model of "
          + layout.totalSize() + " parameters, the engine's has " + engineLayout.totalSize());
    }
    userBias = bu;
    System.arraycopy(uLin, 0, linearUser, 0, linearUser.length);
    System.arraycopy(uMlp, 0, mlpUser, 0, mlpUser.length);
    decisionAdapted = decision;
    embeddingAdapted = embedding;
    for (Segment s : layout.segments()) {
      int id = s.id();
      if (decision && s.group() == ParamGroup.DECISION) {
        float[][] src = phi.segment(id);
        for (int r = 0; r < s.rows(); r++) {
          System.arraycopy(src[r], 0, dense[id][r], 0, s.cols());
        }
      } else if (s.table() && s.group() == ParamGroup.EMBEDDING) {
        int n = embedding ? ti.localRows(id) : 0;
        if (tableGlobal[id].length < n) {
          int cap = Math.max(n, 2 * tableGlobal[id].length);
          tableGlobal[id] = new int[cap];
          float[][] grown = new float[cap][];
          System.arraycopy(tableRows[id], 0, grown, 0, tableRows[id].length);
          for (int r = tableRows[id].length; r < cap; r++) {
            grown[r] = new float[s.cols()];
          }
          tableRows[id] = grown;
        }
        int[] glob = ti.globalRows(id);
        float[][] src = phi.segment(id);
        for (int r = 0; r < n; r++) {
          tableGlobal[id][r] = glob[r];
          System.arraycopy(src[r], 0, tableRows[id][r], 0, s.cols());
        }
        tableCount[id] = n;
      }
    }
  }

  /** @return the layout of the model this user was adapted on */
  public ParamLayout layout() {
    return layout;
  }

  /** @return the adapted user bias b_u */
  public float userBias() {
    return userBias;
  }

  /** @return the user vector of the linear term (live) */
  public float[] linearUser() {
    return linearUser;
  }

  /** @return the user vector fed to the MLP (live; used only when the model feeds it) */
  public float[] mlpUser() {
    return mlpUser;
  }

  /** @return whether the decision layers were adapted (else θ's are the user's) */
  public boolean decisionAdapted() {
    return decisionAdapted;
  }

  /** @return whether embedding rows were adapted (else every table row is θ's) */
  public boolean embeddingAdapted() {
    return embeddingAdapted;
  }

  /**
   * The user's rows of decision segment {@code id}: the adapted copy, or {@code theta}'s when the
   * decision layers are not adapted (live; do not change).
   */
  public float[][] decision(int id, Params theta) {
    return decisionAdapted ? dense[id] : theta.segment(id);
  }

  /** @return how many rows of table segment {@code id} were gathered (0 without embedding adaptation) */
  public int tableRowCount(int id) {
    return tableCount[id];
  }

  /** @return the global row ids of the gathered rows of table segment {@code id} (live) */
  public int[] tableGlobalRows(int id) {
    return tableGlobal[id];
  }

  /** @return the adapted values of the gathered rows of table segment {@code id} (live) */
  public float[][] tableRowValues(int id) {
    return tableRows[id];
  }
}
