package io.metarec.config;

/** The outer (meta) optimizer. */
public enum OuterOptimizerKind {
  /** Plain SGD on the mean task meta-gradient. */
  SGD,
  /** Adam; lazy (touched rows only) on embedding tables. */
  ADAM;
}
