package io.metarec.kernel;

import static io.metarec.kernel.TestMatrices.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metarec.model.Feedback;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The dense part of the scorer (MLP on the concatenated embedding vector, then loss) against the same
 * network in DL4J 1.0.0-M2 with the same weights: outputs, loss and every weight gradient must agree
 * to float tolerance, for squared loss (identity output, DL4J MSE) and sigmoid BCE (DL4J sigmoid +
 * XENT), with relu and tanh hidden layers.
 */
class Dl4jParityTest {
  private static final int IN = 4 * 8;
  private static final int[] HIDDEN = {16, 12};
  private static final int N = 13;

  @BeforeAll
  @SuppressWarnings("deprecation") // the only switch DL4J M2 offers; its default checks every op
  static void quietNd4j() {
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
  }

  @ParameterizedTest
  @CsvSource({"EXPLICIT, RELU", "EXPLICIT, TANH", "IMPLICIT, RELU", "IMPLICIT, TANH"})
  void outputsLossAndGradientsMatchDl4j(Feedback fb, io.metarec.model.Activation act) {
    SplittableRandom rng = new SplittableRandom(5);
    float[][][] w = {uniform(rng, IN, HIDDEN[0], 0.3), uniform(rng, HIDDEN[0], HIDDEN[1], 0.3)};
    float[][] b = {uniform(rng, 1, HIDDEN[0], 0.1)[0], uniform(rng, 1, HIDDEN[1], 0.1)[0]};
    float[] wOut = uniform(rng, 1, HIDDEN[1], 0.3)[0];
    float[] bOut = {0.2f};
    float[][] x = uniform(rng, N, IN, 1.0);
    float[] y = new float[N];
    for (int r = 0; r < N; r++) {
      y[r] = fb == Feedback.EXPLICIT ? (float) (rng.nextDouble() * 4 - 2) : rng.nextInt(2);
    }

    // Ours.
    MlpKernel k = new MlpKernel(IN, HIDDEN, act);
    MlpBuffers buf = new MlpBuffers(IN, HIDDEN, N);
    float[] out = new float[N];
    k.forwardInto(w, b, wOut, bOut, x, N, buf, out);
    double loss = Losses.meanLossInto(fb, out, y, 0, N, buf.outputGradient());
    float[][][] gw = {new float[IN][HIDDEN[0]], new float[HIDDEN[0]][HIDDEN[1]]};
    float[][] gb = {new float[HIDDEN[0]], new float[HIDDEN[1]]};
    float[] gwOut = new float[HIDDEN[1]];
    float[] gbOut = new float[1];
    float[][] dx = new float[N][IN];
    k.backwardInPlace(w, wOut, x, N, buf, gw, gb, gwOut, gbOut, dx, 0, IN);

    // DL4J.
    Activation dlAct = act == io.metarec.model.Activation.RELU ? Activation.RELU : Activation.TANH;
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .dataType(DataType.FLOAT).seed(1).updater(new NoOp()).list()
        .layer(new DenseLayer.Builder().nIn(IN).nOut(HIDDEN[0]).activation(dlAct).build())
        .layer(new DenseLayer.Builder().nIn(HIDDEN[0]).nOut(HIDDEN[1]).activation(dlAct).build())
        .layer(fb == Feedback.EXPLICIT
            ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(HIDDEN[1]).nOut(1)
                .activation(Activation.IDENTITY).build()
            : new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nIn(HIDDEN[1]).nOut(1)
                .activation(Activation.SIGMOID).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    net.getParam("0_W").assign(Nd4j.create(w[0]));
    net.getParam("0_b").assign(Nd4j.create(new float[][] {b[0]}));
    net.getParam("1_W").assign(Nd4j.create(w[1]));
    net.getParam("1_b").assign(Nd4j.create(new float[][] {b[1]}));
    net.getParam("2_W").assign(Nd4j.create(new float[][] {wOut}).transpose());
    net.getParam("2_b").assign(Nd4j.create(new float[][] {bOut}));
    INDArray xs = Nd4j.create(x);
    INDArray ys = Nd4j.create(y, new long[] {N, 1});
    INDArray dlOut = net.output(xs);
    for (int r = 0; r < N; r++) {
      float ours = fb == Feedback.EXPLICIT ? out[r] : (float) (1 / (1 + Math.exp(-out[r])));
      assertEquals(dlOut.getFloat(r, 0), ours, 1e-5f, "output row " + r);
    }
    net.setInput(xs);
    net.setLabels(ys);
    net.computeGradientAndScore();
    assertEquals(net.score(), loss, 1e-5 * Math.max(1, Math.abs(loss)), "loss");
    Gradient g = net.gradient();
    // DL4J's gradient here is of the summed (not averaged) per-example loss: its updater divides by
    // the minibatch size later. Ours is of the mean, so compare N * ours.
    assertClose(g.getGradientFor("0_W"), gw[0], N, "0_W");
    assertClose(g.getGradientFor("0_b"), new float[][] {gb[0]}, N, "0_b");
    assertClose(g.getGradientFor("1_W"), gw[1], N, "1_W");
    assertClose(g.getGradientFor("1_b"), new float[][] {gb[1]}, N, "1_b");
    float[][] gwOutCol = new float[HIDDEN[1]][1];
    for (int j = 0; j < HIDDEN[1]; j++) {
      gwOutCol[j][0] = gwOut[j];
    }
    assertClose(g.getGradientFor("2_W"), gwOutCol, N, "2_W");
    assertClose(g.getGradientFor("2_b"), new float[][] {gbOut}, N, "2_b");
  }

  private static void assertClose(INDArray dl, float[][] ours, float scale, String name) {
    float[][] d = dl.reshape(ours.length, ours[0].length).toFloatMatrix();
    for (int i = 0; i < ours.length; i++) {
      for (int j = 0; j < ours[i].length; j++) {
        float o = ours[i][j] * scale;
        assertEquals(d[i][j], o, 2e-5f + 2e-4f * Math.abs(o), name + "[" + i + "][" + j + "]");
      }
    }
  }
}
