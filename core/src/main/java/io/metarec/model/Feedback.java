package io.metarec.model;


/** Kind of label, which fixes the output link and the loss. */
public enum Feedback {
  /** Ratings: identity output, squared loss {@code (p - y)^2}. */
  EXPLICIT,
  /** 0/1 interactions: the output is a logit, loss is sigmoid binary cross-entropy. */
  IMPLICIT;
}
