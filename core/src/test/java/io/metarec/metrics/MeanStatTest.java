package io.metarec.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The mean, standard deviation and confidence interval against direct computation. */
class MeanStatTest {
  private static MeanStat of(double... vs) {
    MeanStat s = new MeanStat();
    for (double v : vs) {
      s.add(v);
    }
    return s;
  }

  @Test
  void twoValues() {
    // mean 2, sd = sqrt(((1-2)^2 + (3-2)^2) / 1) = sqrt(2); ci = t(1) 12.706 * sqrt(2) / sqrt(2)
    MeanStat s = of(1, 3);
    assertEquals(2, s.mean(), 1e-12);
    assertEquals(Math.sqrt(2), s.stdDev(), 1e-12);
    assertEquals(12.706, s.ci95(), 1e-9);
  }

  @Test
  void fiveValuesAndNaNIgnored() {
    // 2, 4, 4, 5, 5 (NaN skipped): mean 4, squared deviations 4 + 0 + 0 + 1 + 1 = 6, sd sqrt(6/4)
    MeanStat s = of(2, 4, Double.NaN, 4, 5, 5);
    assertEquals(5, s.count());
    assertEquals(4, s.mean(), 1e-12);
    assertEquals(Math.sqrt(1.5), s.stdDev(), 1e-12);
    assertEquals(2.776 * Math.sqrt(1.5) / Math.sqrt(5), s.ci95(), 1e-9);
  }

  @Test
  void thirtyOneValuesUseTheTableEnd() {
    double[] v = new double[31];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    MeanStat s = of(v);
    // mean 15; sum of squared deviations = 2 * (1^2 + ... + 15^2) = 2480; sd = sqrt(2480/30)
    assertEquals(15, s.mean(), 1e-12);
    assertEquals(Math.sqrt(2480.0 / 30), s.stdDev(), 1e-12);
    assertEquals(2.042 * Math.sqrt(2480.0 / 30) / Math.sqrt(31), s.ci95(), 1e-9);
    // Large n tends to the normal quantile.
    MeanStat big = new MeanStat();
    for (int i = 0; i < 100_000; i++) {
      big.add(i % 2);
    }
    assertEquals(1.96 * big.stdDev() / Math.sqrt(100_000), big.ci95(), 1e-6);
  }

  @Test
  void mergingEqualsAddingEverythingToOne() {
    MeanStat a = of(1, 2, 3.5);
    MeanStat b = of(10, -4);
    MeanStat all = of(1, 2, 3.5, 10, -4);
    a.mergeInPlace(b).mergeInPlace(new MeanStat());
    assertEquals(all.count(), a.count());
    assertEquals(all.mean(), a.mean(), 1e-12);
    assertEquals(all.stdDev(), a.stdDev(), 1e-12);
    MeanStat empty = new MeanStat().mergeInPlace(of(7, 9));
    assertEquals(8, empty.mean(), 1e-12);
  }

  @Test
  void emptyAndSingleAreUndefined() {
    assertTrue(Double.isNaN(new MeanStat().mean()));
    assertTrue(Double.isNaN(of(3).ci95()));
    assertTrue(Double.isNaN(of(3).stdDev()));
  }
}
