package io.metarec.meta;

/**
 * What every outer optimizer shares: the step size, set through {@link
 * OuterOptimizer#checkedLearningRate} (the one check of a runtime step size), and the step count,
 * which leads every exported state as two float words ({@link #stepWords}, {@link #stepsOf}).
 */
abstract class StepCountingOptimizer implements OuterOptimizer {
  /** The current step size. */
  protected float lr;
  /** Steps taken. */
  protected long steps;

  protected StepCountingOptimizer(float lr) {
    this.lr = OuterOptimizer.checkedLearningRate(lr);
  }

  @Override
  public final void setLearningRateInPlace(float newLr) {
    this.lr = OuterOptimizer.checkedLearningRate(newLr);
  }

  @Override
  public final long steps() {
    return steps;
  }

  /** {@code steps} as the first two floats of {@code out} (its raw bits, low word first). */
  protected static void stepWords(long steps, float[] out) {
    out[0] = Float.intBitsToFloat((int) steps);
    out[1] = Float.intBitsToFloat((int) (steps >>> 32));
  }

  /** The step count of an exported state's first two floats. */
  protected static long stepsOf(float[] state) {
    return (Float.floatToRawIntBits(state[0]) & 0xFFFFFFFFL)
        | ((long) Float.floatToRawIntBits(state[1]) << 32);
  }
}
