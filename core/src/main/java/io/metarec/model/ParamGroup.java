package io.metarec.model;

/**
 * Parameter groups, used to say what the inner loop adapts. {@link #DECISION} is MeLU's local
 * update (the MLP and output layer, Lee et al. 2019); {@link #USER} the user bias and vector;
 * {@link #EMBEDDING} all embedding tables (touched rows only); {@link #GLOBAL} (global mean, item
 * biases, ridge prior strength) is learned in the outer loop only and never adapted.
 */
public enum ParamGroup {
  DECISION, USER, EMBEDDING, GLOBAL;
}
