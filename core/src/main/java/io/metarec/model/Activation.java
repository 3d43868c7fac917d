package io.metarec.model;


/** Hidden-layer activation of the decision MLP. */
public enum Activation {
  /** max(0, z). */
  RELU,
  /** tanh(z). */
  TANH,
  /** z. */
  IDENTITY;
}
