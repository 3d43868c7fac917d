package io.metarec.train;

import io.metarec.config.TrainSettings;
import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.OuterOptimizer;
import io.metarec.model.Params;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta-training loop (Reptile, Nichol et al. 2018; first-order MAML, Finn et al. 2017): it owns
 * θ, the outer optimizer and the training state, and talks to the outside through a {@link
 * BatchSummer} (an iteration's meta-batch, adapted and summed wherever the tasks live), a {@link
 * Validator}, a {@link CheckpointSink} and a {@link TrainingListener}. The same loop runs in-process
 * and on Spark, so the two give the same θ for the same summed meta-gradients.
 *
 * <p>Per iteration: the summer's accumulator; a non-finite one is not applied, the step-size scale
 * halves and, after {@code maxDivergences} in a row, training fails ({@link
 * TrainingDivergedException}); otherwise the optimizer steps at {@link
 * TrainingPolicy#learningRate}. Then, where due ({@link TrainingPolicy#validatesAfter}), θ is
 * validated and the best θ kept (a fresh run validates its starting θ first, as iteration 0, so
 * that steps which only make it worse are never kept); {@code patience} validations without
 * improvement stop the run;
 * checkpoints follow {@link TrainingPolicy#checkpointsAfter}.
 *
 * <p>Life cycle: one trainer per run; {@link #train} once. Not thread-safe.
 */
public final class MetaTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(MetaTrainer.class);

  private final TrainSettings settings;
  private final TrainingPolicy policy;
  private final ValidationMetrics.Direction direction;
  private final BatchSummer summer;
  private final Validator validator;
  private final CheckpointSink checkpoints;
  private final TrainingListener listener;

  /**
   * @param settings the inner loop and outer-loop settings (the optimizer's kind and constants)
   * @param policy iterations, step sizes, validation, stopping and checkpoint cadence
   * @param direction whether lower or higher validation metrics are better
   */
  public MetaTrainer(TrainSettings settings, TrainingPolicy policy,
      ValidationMetrics.Direction direction, BatchSummer summer, Validator validator,
      CheckpointSink checkpoints, TrainingListener listener) {
    this.settings = settings;
    this.policy = policy;
    this.direction = direction;
    this.summer = summer;
    this.validator = validator;
    this.checkpoints = checkpoints;
    this.listener = listener;
  }

  /**
   * What a run did.
   *
   * @param state the state after the last iteration
   * @param theta θ after the last iteration
   * @param bestTheta the θ of the best validation (θ itself when never validated)
   * @param bestIteration the iteration of {@code bestTheta}
   * @param stoppedEarly whether patience ran out
   * @param trainSeconds seconds spent on iterations (validations not counted)
   * @param adaptations task adaptations of this run
   */
  public record Outcome(TrainingState state, Params theta, Params bestTheta, long bestIteration,
      boolean stoppedEarly, double trainSeconds, long adaptations) {}

  /**
   * θ's values as the best θ: written into the earlier best θ's arrays where there is one (not θ
   * itself), else a copy. A copy of a large catalog's θ is millions of row arrays that live on, and
   * every young collection after it copies them again (BENCHMARKS.md, catalog scale); overwriting
   * the old best allocates nothing.
   */
  static Params keep(Params theta, Params bestTheta) {
    if (bestTheta == null || bestTheta == theta || bestTheta.layout() != theta.layout()) {
      return theta.copy();
    }
    bestTheta.copyFromInPlace(theta);
    return bestTheta;
  }

  /** Trains from {@code start} (fresh or resumed); θ in it is updated in place. */
  public Outcome train(TrainingCheckpoint start) {
    long runStart = System.nanoTime();
    Params theta = start.theta();
    Params bestTheta = start.bestTheta();
    TrainingState s = start.state();
    OuterOptimizer optimizer = OuterOptimizer.create(
        settings.meta().withOuterLr((float) (settings.meta().outerLr() * s.lrScale())),
        theta.layout());
    if (start.optimizerState() != null) {
      optimizer.importStateInPlace(start.optimizerState());
    }
    long adaptations = 0;
    double trainSeconds = 0;
    boolean stoppedEarly = false;
    if (s.iteration() == 0 && s.best() == null && bestTheta == null) {
      // The starting θ (a popularity- or bias-initialized model, or a warm start) is a candidate
      // too: when no outer step beats it on the validation users, the run keeps it rather than
      // the least bad of the steps that made it worse.
      ValidationMetrics start0 = validator.validate(theta);
      if (start0.improvesOn(null, direction)) {
        bestTheta = theta.copy();
        s = new TrainingState(0, s.lrScale(), s.divergences(), start0, 0, 0, s.history());
        LOG.info("validation of the starting θ: {}", start0);
      }
    }
    while (s.iteration() < policy.iterations()) {
      long it = s.iteration();
      long t0 = System.nanoTime();
      MetaGradientAccumulator acc = summer.sum(it, theta);
      adaptations += acc.taskCount();
      double lrScale = s.lrScale();
      int divergences = s.divergences();
      if (!acc.isFinite()) {
        divergences++;
        lrScale *= 0.5;
        LOG.warn("iteration {}: non-finite meta-gradient, update skipped; outer step size halved "
            + "to {} x meta.outerLr ({} in a row)", it, lrScale, divergences);
        if (divergences >= policy.maxDivergences()) {
          throw new TrainingDivergedException("training diverged: " + divergences
              + " non-finite updates in a row at iteration " + it + " (train.maxDivergences = "
              + policy.maxDivergences() + "); lower meta.outerLr or the inner step sizes");
        }
      } else {
        divergences = 0;
        // The implicit solve's gradient through the factors' Gramian reaches every item row.
        acc.spreadGramianGradientInPlace(theta);
        optimizer.setLearningRateInPlace(policy.learningRate(it, lrScale));
        optimizer.stepInPlace(theta, acc);
      }
      long done = it + 1;
      boolean validate = policy.validatesAfter(done);
      if (validate) {
        summer.pause();
      }
      trainSeconds += (System.nanoTime() - t0) / 1e9;
      double trainLoss = acc.taskCount() == 0 ? Double.NaN : acc.meanLoss();
      ValidationMetrics best = s.best();
      long bestIteration = s.bestIteration();
      int sinceBest = s.sinceBest();
      ValidationMetrics vm = null;
      if (validate) {
        vm = validator.validate(theta);
        int gainSeg = theta.layout().logFoldIn;
        LOG.info("iteration {}: validation {}, prior strength λ {}{}", done, vm,
            String.format(java.util.Locale.ROOT, "%.4g",
                Math.exp(theta.segment(theta.layout().logLambda)[0][0])),
            gainSeg < 0 ? "" : String.format(java.util.Locale.ROOT, ", fold-in gain %.4g",
                Math.exp(theta.segment(gainSeg)[0][0])));
        if (vm.improvesOn(best, direction)) {
          best = vm;
          bestIteration = done;
          bestTheta = keep(theta, bestTheta);
          sinceBest = 0;
        } else {
          sinceBest++;
        }
      }
      TrainingState.Row row = new TrainingState.Row(done, (System.nanoTime() - runStart) / 1e9,
          acc.taskCount(), trainLoss, vm, lrScale);
      s = new TrainingState(done, lrScale, divergences, best, bestIteration, sinceBest,
          s.history().plus(row));
      listener.iterationDone(new IterationReport(s, policy.iterations(), acc.taskCount(),
          trainLoss, vm, trainSeconds, adaptations, summer.kernelNanos()));
      boolean stop = vm != null && policy.patience() > 0 && sinceBest >= policy.patience();
      if (policy.checkpointsAfter(done, stop)) {
        checkpoints.write(new TrainingCheckpoint(s, theta, bestTheta, null, optimizer));
      }
      if (stop) {
        stoppedEarly = true;
        LOG.info("early stop at iteration {}: no improvement in {} validations; best {} at {}",
            done, sinceBest, best, bestIteration);
        break;
      }
    }
    if (bestTheta == null) {
      bestTheta = theta.copy();
      s = new TrainingState(s.iteration(), s.lrScale(), s.divergences(), s.best(), s.iteration(),
          s.sinceBest(), s.history());
    }
    return new Outcome(s, theta, bestTheta, s.bestIteration(), stoppedEarly, trainSeconds,
        adaptations);
  }
}
