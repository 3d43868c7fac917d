package io.metarec.serve;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A user adapted by {@link MetaRecModel#adapt}: the adapted user vector and bias, the decision
 * layers when the inner loop adapts them, the embedding rows it moved, the pooled user features
 * and the items the user has. Immutable once returned (the fields are written only while the state
 * is being built, by the thread building it); score it with the model that made it, from any
 * thread.
 */
public final class UserState {
  /** Override tables: item embeddings, item factors, then one per item field. */
  static final int ITEM_EMB = 0;
  static final int ITEM_FACTOR = 1;
  static final int ITEM_FIELD0 = 2;

  final MetaRecModel model;
  float userBias;
  final float[] linearUser;
  final float[] mlpUser;
  /** Per user field, the pooled (mean) embedding of the user's values. */
  final float[][] userPool;
  /** Per hidden layer the weights and biases, then the output layer: adapted copies or θ's. */
  final float[][][] weights;
  final float[][] biases;
  float[] outWeights;
  float[] outBias;
  /** Rows the inner loop moved (embedding adaptation), per override table. */
  boolean embeddingAdapted;
  final int[] overrideCount;
  final int[][] overrideIds;
  final float[][][] overrideRows;
  /** The known items of the history (excluded by default from its lists), and how many were unknown. */
  int[] seen;
  int seenCount;
  int unknown;
  /** The weight of the neighbourhood term the model's settings give this history (0: none). */
  float neighbourWeight;

  UserState(MetaRecModel model) {
    this.model = model;
    int ud = model.spec().userDim();
    int e = model.spec().embeddingDim();
    int layers = model.spec().hidden().size();
    int tables = ITEM_FIELD0 + model.spec().itemFields().size();
    this.linearUser = new float[ud];
    this.mlpUser = new float[ud];
    this.userPool = new float[model.spec().userFields().size()][e];
    this.weights = new float[layers][][];
    this.biases = new float[layers][];
    this.overrideCount = new int[tables];
    this.overrideIds = new int[tables][];
    this.overrideRows = new float[tables][][];
    this.seen = new int[16];
  }

  /** A deep copy of what this state owns (θ's arrays stay shared: nobody writes them). */
  UserState snapshot(boolean decisionOwned) {
    UserState s = new UserState(model);
    s.userBias = userBias;
    System.arraycopy(linearUser, 0, s.linearUser, 0, linearUser.length);
    System.arraycopy(mlpUser, 0, s.mlpUser, 0, mlpUser.length);
    for (int g = 0; g < userPool.length; g++) {
      System.arraycopy(userPool[g], 0, s.userPool[g], 0, userPool[g].length);
    }
    for (int l = 0; l < weights.length; l++) {
      s.weights[l] = decisionOwned ? copy(weights[l]) : weights[l];
      s.biases[l] = decisionOwned ? biases[l].clone() : biases[l];
    }
    s.outWeights = decisionOwned ? outWeights.clone() : outWeights;
    s.outBias = decisionOwned ? outBias.clone() : outBias;
    s.embeddingAdapted = embeddingAdapted;
    for (int t = 0; t < overrideCount.length; t++) {
      int n = overrideCount[t];
      s.overrideCount[t] = n;
      if (n > 0) {
        s.overrideIds[t] = java.util.Arrays.copyOf(overrideIds[t], n);
        s.overrideRows[t] = new float[n][];
        for (int r = 0; r < n; r++) {
          s.overrideRows[t][r] = overrideRows[t][r].clone();
        }
      }
    }
    s.seen = java.util.Arrays.copyOf(seen, seenCount);
    s.seenCount = seenCount;
    s.unknown = unknown;
    s.neighbourWeight = neighbourWeight;
    return s;
  }

  private static float[][] copy(float[][] m) {
    float[][] c = new float[m.length][];
    for (int r = 0; r < m.length; r++) {
      c[r] = m[r].clone();
    }
    return c;
  }

  /** @return how many interactions of the history the model knows (adapted on) */
  public int knownItems() {
    return seenCount;
  }

  /** @return how many interactions of the history were with items the model does not know */
  public int unknownItems() {
    return unknown;
  }

  /** @return the known items of the history, in history order (repeats kept) */
  public List<String> seenItems() {
    List<String> out = new ArrayList<>(seenCount);
    for (int k = 0; k < seenCount; k++) {
      out.add(model.itemId(seen[k]));
    }
    return Collections.unmodifiableList(out);
  }

  /** @return the version of the model that adapted this user */
  public String modelVersion() {
    return model.version();
  }
}
