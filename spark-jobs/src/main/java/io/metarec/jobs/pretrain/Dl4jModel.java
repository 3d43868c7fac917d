package io.metarec.jobs.pretrain;

import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The MetaRec scorer ({@link ModelSpec}) as a Deeplearning4j {@link ComputationGraph}, and the exact
 * mapping of its parameters to and from MetaRec's {@link Params}.
 *
 * <pre>
 *   score = [itemBias(item) + mu] + &lt;u_eff, itemFactor(item)&gt; + out(MLP(x))
 *   u_eff = support · implicitItem + userVec          (DenseLayer "user": W = y_j, bias = u)
 *   x     = [itemEmb(item), itemField_f · W_f ..., userField_g · W_g ..., u_eff if userInMlp]
 * </pre>
 *
 * Every embedding table is a layer with identity activation and no bias of its own: the three
 * item-id tables are {@link EmbeddingLayer}s on the item index (exactly a dense layer on the
 * one-hot vector, without materializing it); every feature table is a {@link DenseLayer} on the
 * field's normalized multi-hot vector (count of each value / number of values, so the product is
 * the kernel's mean pooling); {@code user} is a dense layer on the support items' multi-hot vector
 * scaled by {@code |S|^-1/2} whose bias is {@code u}. The dot product is an element-wise product
 * vertex followed by {@code dot}, a 1-output dense layer whose weights are all ones and never
 * updated ({@link FrozenLayerWithBackprop}: gradients still flow through it to both factors). The
 * item-bias layer carries the one bias {@code mu + b_u} (a conventionally trained model has no
 * per-user bias to adapt, so {@code b_u} is folded into {@code mu}); {@code out}'s bias is
 * {@code out.b}. The three terms meet in an add vertex ({@value #SCORE}), then a {@link LossLayer}:
 * MSE with identity (explicit feedback) or cross-entropy with sigmoid (implicit; the score is then
 * the logit).
 *
 * <p>Without the implicit term the {@code support} input is one zero column, so {@code user} is
 * its bias {@code u}.
 */
public final class Dl4jModel {
  /** Name of the vertex holding the score (the prediction; the logit for implicit feedback). */
  public static final String SCORE = "score";

  private Dl4jModel() {}

  /** The graph's input names, in the order of the arrays of {@link Examples}. */
  public static List<String> inputs(ModelSpec spec) {
    List<String> in = new ArrayList<>();
    in.add("item");
    for (int f = 0; f < spec.itemFields().size(); f++) {
      in.add("itemFeat" + f);
    }
    for (int g = 0; g < spec.userFields().size(); g++) {
      in.add("userFeat" + g);
    }
    in.add("support");
    return in;
  }

  /** Width of the {@code support} input: the item count with the implicit term, else 1. */
  static int supportWidth(ModelSpec spec) {
    return spec.implicitTerm() ? spec.numItems() : 1;
  }

  /**
   * The graph configuration of {@code spec}, trained with Adam at {@code learningRate} (DL4J's
   * defaults beta1 0.9, beta2 0.999, epsilon 1e-8), float32.
   */
  public static ComputationGraphConfiguration configuration(ModelSpec spec, double learningRate,
      long seed) {
    return configuration(spec, new Adam(learningRate), seed);
  }

  /** The graph configuration with the given updater. */
  static ComputationGraphConfiguration configuration(ModelSpec spec, IUpdater updater, long seed) {
    int e = spec.embeddingDim();
    int ud = spec.userDim();
    int n = spec.numItems();
    ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
        .dataType(DataType.FLOAT)
        .seed(seed)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .graphBuilder()
        .addInputs(inputs(spec));
    g.addLayer("itemEmb", embedding(n, e, false), "item");
    g.addLayer("itemFactor", embedding(n, ud, false), "item");
    g.addLayer("itemBias", embedding(n, 1, true), "item");
    List<String> mlpIn = new ArrayList<>();
    mlpIn.add("itemEmb");
    for (int f = 0; f < spec.itemFields().size(); f++) {
      g.addLayer("itemField" + f, table(spec.itemFields().get(f).vocabSize(), e, false),
          "itemFeat" + f);
      mlpIn.add("itemField" + f);
    }
    for (int u = 0; u < spec.userFields().size(); u++) {
      g.addLayer("userField" + u, table(spec.userFields().get(u).vocabSize(), e, false),
          "userFeat" + u);
      mlpIn.add("userField" + u);
    }
    g.addLayer("user", table(supportWidth(spec), ud, true), "support");
    if (spec.userInMlp()) {
      mlpIn.add("user");
    }
    String prev;
    if (mlpIn.size() == 1) {
      prev = mlpIn.get(0);
    } else {
      g.addVertex("mlpIn", new MergeVertex(), mlpIn.toArray(new String[0]));
      prev = "mlpIn";
    }
    int in = spec.inputDim();
    Activation act = switch (spec.activation()) {
      case RELU -> Activation.RELU;
      case TANH -> Activation.TANH;
      case IDENTITY -> Activation.IDENTITY;
    };
    int[] hidden = spec.hiddenSizes();
    for (int l = 0; l < hidden.length; l++) {
      g.addLayer("mlp" + l, new DenseLayer.Builder().nIn(in).nOut(hidden[l]).activation(act)
          .build(), prev);
      prev = "mlp" + l;
      in = hidden[l];
    }
    g.addLayer("out", new DenseLayer.Builder().nIn(in).nOut(1).activation(Activation.IDENTITY)
        .build(), prev);
    g.addVertex("uq", new ElementWiseVertex(ElementWiseVertex.Op.Product), "user", "itemFactor");
    g.addLayer("dot", new FrozenLayerWithBackprop(new DenseLayer.Builder().nIn(ud).nOut(1)
        .hasBias(false).activation(Activation.IDENTITY).build()), "uq");
    g.addVertex(SCORE, new ElementWiseVertex(ElementWiseVertex.Op.Add), "out", "itemBias", "dot");
    g.addLayer("loss", spec.feedback() == Feedback.EXPLICIT
        ? new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build()
        : new LossLayer.Builder(LossFunctions.LossFunction.XENT).activation(Activation.SIGMOID).build(),
        SCORE);
    g.setOutputs("loss");
    return g.build();
  }

  private static EmbeddingLayer embedding(int rows, int cols, boolean bias) {
    return new EmbeddingLayer.Builder().nIn(rows).nOut(cols).hasBias(bias)
        .activation(Activation.IDENTITY).build();
  }

  private static DenseLayer table(int rows, int cols, boolean bias) {
    return new DenseLayer.Builder().nIn(rows).nOut(cols).hasBias(bias)
        .activation(Activation.IDENTITY).build();
  }

  /** A new initialized graph of {@code conf} holding {@code theta}. */
  public static ComputationGraph create(ComputationGraphConfiguration conf, Params theta) {
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    setParamsInPlace(net, theta);
    return net;
  }

  /**
   * Writes {@code theta} into the graph's parameters (and the all-ones weights of {@code dot}).
   * The user bias is folded into the item-bias layer's bias; the implicit table is left at zero
   * without the implicit term.
   */
  public static void setParamsInPlace(ComputationGraph net, Params theta) {
    ParamLayout l = theta.layout();
    ModelSpec spec = l.spec();
    put(net, "itemEmb", "W", theta.segment(l.itemEmb));
    put(net, "itemFactor", "W", theta.segment(l.itemFactor));
    put(net, "itemBias", "W", theta.segment(l.itemBias));
    float mu = theta.segment(l.mu)[0][0] + theta.segment(l.userBias)[0][0];
    put(net, "itemBias", "b", new float[][] {{mu}});
    for (int f = 0; f < spec.itemFields().size(); f++) {
      put(net, "itemField" + f, "W", theta.segment(l.itemField(f)));
    }
    for (int u = 0; u < spec.userFields().size(); u++) {
      put(net, "userField" + u, "W", theta.segment(l.userField(u)));
    }
    if (l.implicitItem >= 0) {
      put(net, "user", "W", theta.segment(l.implicitItem));
    } else {
      put(net, "user", "W", new float[1][spec.userDim()]);
    }
    put(net, "user", "b", theta.segment(l.userVec));
    for (int k = 0; k < l.numHidden(); k++) {
      put(net, "mlp" + k, "W", theta.segment(l.weight(k)));
      put(net, "mlp" + k, "b", theta.segment(l.bias(k)));
    }
    put(net, "out", "W", transpose(theta.segment(l.outW)));
    put(net, "out", "b", theta.segment(l.outB));
    float[][] ones = new float[spec.userDim()][1];
    for (float[] r : ones) {
      r[0] = 1f;
    }
    put(net, "dot", "W", ones);
  }

  /**
   * The graph's parameters as MetaRec parameters of {@code layout}: {@code b_u = 0} with the
   * item-bias layer's bias as {@code mu}, {@code u} = the bias of {@code user}, and
   * {@code logLambda = log(lambda)} (the ridge prior strength a conventional model does not learn).
   */
  public static Params toParams(ComputationGraph net, ParamLayout l, float lambda) {
    ModelSpec spec = l.spec();
    Params p = new Params(l);
    get(net, "itemEmb", "W", p.segment(l.itemEmb));
    get(net, "itemFactor", "W", p.segment(l.itemFactor));
    get(net, "itemBias", "W", p.segment(l.itemBias));
    get(net, "itemBias", "b", p.segment(l.mu));
    p.segment(l.userBias)[0][0] = 0f;
    for (int f = 0; f < spec.itemFields().size(); f++) {
      get(net, "itemField" + f, "W", p.segment(l.itemField(f)));
    }
    for (int u = 0; u < spec.userFields().size(); u++) {
      get(net, "userField" + u, "W", p.segment(l.userField(u)));
    }
    if (l.implicitItem >= 0) {
      get(net, "user", "W", p.segment(l.implicitItem));
    }
    get(net, "user", "b", p.segment(l.userVec));
    for (int k = 0; k < l.numHidden(); k++) {
      get(net, "mlp" + k, "W", p.segment(l.weight(k)));
      get(net, "mlp" + k, "b", p.segment(l.bias(k)));
    }
    float[][] outW = new float[spec.hiddenSizes()[l.numHidden() - 1]][1];
    get(net, "out", "W", outW);
    p.segment(l.outW)[0] = transpose(outW)[0];
    get(net, "out", "b", p.segment(l.outB));
    p.segment(l.logLambda)[0][0] = (float) Math.log(lambda);
    return p;
  }

  private static INDArray param(ComputationGraph net, String layer, String key) {
    Layer layerObj = net.getLayer(layer);
    if (layerObj == null) {
      throw new IllegalStateException("the graph has no layer '" + layer + "'");
    }
    return layerObj.getParam(key);
  }

  private static void put(ComputationGraph net, String layer, String key, float[][] values) {
    INDArray p = param(net, layer, key);
    long rows = p.rank() == 1 ? 1 : p.size(0);
    long cols = p.rank() == 1 ? p.length() : p.size(1);
    if (rows != values.length || cols != values[0].length) {
      throw new IllegalArgumentException(layer + "_" + key + " is [" + rows + ", " + cols
          + "], the MetaRec segment [" + values.length + ", " + values[0].length + "]");
    }
    p.assign(Nd4j.create(values).reshape(p.shape()));
  }

  private static void get(ComputationGraph net, String layer, String key, float[][] out) {
    INDArray p = param(net, layer, key);
    float[][] m = p.reshape(out.length, out[0].length).toFloatMatrix();
    for (int r = 0; r < out.length; r++) {
      System.arraycopy(m[r], 0, out[r], 0, out[r].length);
    }
  }

  private static float[][] transpose(float[][] m) {
    float[][] t = new float[m[0].length][m.length];
    for (int r = 0; r < m.length; r++) {
      for (int c = 0; c < m[0].length; c++) {
        t[c][r] = m[r][c];
      }
    }
    return t;
  }
}
