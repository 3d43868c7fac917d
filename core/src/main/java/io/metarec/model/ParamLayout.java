package io.metarec.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The named segments of a {@link ModelSpec}'s parameters, in a fixed order, and their offsets in
 * the flat {@code float[]} used for broadcast, aggregation and checkpoint files. Segment names:
 * {@code mu, itemBias, logLambda} and, last, {@code logFoldIn} (if learned) (group GLOBAL); {@code userBias, userVec} (USER, the meta-learned
 * initial values); {@code itemEmb, itemFactor, implicitItem} (if enabled), {@code userField.<name>},
 * {@code itemField.<name>} (EMBEDDING tables); {@code mlp.W<l>, mlp.b<l>, out.w, out.b} (DECISION).
 * Matrices {@code mlp.W<l>} have one row per layer input ({@code in x out}); {@code out.w} is
 * {@code 1 x lastHidden}; scalars and bias vectors are one row.
 */
public final class ParamLayout implements Serializable {
  private final ModelSpec spec;
  private final List<Segment> segments;
  private final long totalSize;

  /** Segment ids of the fixed parts. */
  public final int mu;
  public final int itemBias;
  public final int logLambda;
  public final int userBias;
  public final int userVec;
  public final int itemEmb;
  public final int itemFactor;
  /** -1 when the implicit term is off. */
  public final int implicitItem;
  private final int[] userField;
  private final int[] itemField;
  private final int[] weight;
  private final int[] bias;
  public final int outW;
  public final int outB;
  /** The learned log gain of the implicit fold-in's score; -1 when the spec has none. */
  public final int logFoldIn;

  /** Builds the layout of {@code spec}. */
  public ParamLayout(ModelSpec spec) {
    this.spec = spec;
    List<Segment> segs = new ArrayList<>();
    long[] off = {0};
    mu = add(segs, off, "mu", 1, 1, ParamGroup.GLOBAL, false);
    itemBias = add(segs, off, "itemBias", spec.numItems(), 1, ParamGroup.GLOBAL, true);
    logLambda = add(segs, off, "logLambda", 1, 1, ParamGroup.GLOBAL, false);
    userBias = add(segs, off, "userBias", 1, 1, ParamGroup.USER, false);
    userVec = add(segs, off, "userVec", 1, spec.userDim(), ParamGroup.USER, false);
    itemEmb = add(segs, off, "itemEmb", spec.numItems(), spec.embeddingDim(), ParamGroup.EMBEDDING, true);
    itemFactor = add(segs, off, "itemFactor", spec.numItems(), spec.userDim(), ParamGroup.EMBEDDING, true);
    implicitItem = spec.implicitTerm()
        ? add(segs, off, "implicitItem", spec.numItems(), spec.userDim(), ParamGroup.EMBEDDING, true) : -1;
    userField = new int[spec.userFields().size()];
    for (int g = 0; g < userField.length; g++) {
      FieldSpec f = spec.userFields().get(g);
      userField[g] = add(segs, off, "userField." + f.name(), f.vocabSize(), spec.embeddingDim(), ParamGroup.EMBEDDING, true);
    }
    itemField = new int[spec.itemFields().size()];
    for (int g = 0; g < itemField.length; g++) {
      FieldSpec f = spec.itemFields().get(g);
      itemField[g] = add(segs, off, "itemField." + f.name(), f.vocabSize(), spec.embeddingDim(), ParamGroup.EMBEDDING, true);
    }
    int[] hidden = spec.hiddenSizes();
    weight = new int[hidden.length];
    bias = new int[hidden.length];
    int in = spec.inputDim();
    for (int l = 0; l < hidden.length; l++) {
      weight[l] = add(segs, off, "mlp.W" + l, in, hidden[l], ParamGroup.DECISION, false);
      bias[l] = add(segs, off, "mlp.b" + l, 1, hidden[l], ParamGroup.DECISION, false);
      in = hidden[l];
    }
    outW = add(segs, off, "out.w", 1, in, ParamGroup.DECISION, false);
    outB = add(segs, off, "out.b", 1, 1, ParamGroup.DECISION, false);
    // Last, so that every other segment keeps its place in the layout of models without it.
    logFoldIn = spec.learnedFoldIn()
        ? add(segs, off, "logFoldIn", 1, 1, ParamGroup.GLOBAL, false) : -1;
    this.segments = Collections.unmodifiableList(segs);
    this.totalSize = off[0];
  }

  private static int add(List<Segment> segs, long[] off, String name, int rows, int cols, ParamGroup g, boolean table) {
    Segment s = new Segment(segs.size(), name, rows, cols, g, table, off[0]);
    segs.add(s);
    off[0] += s.size();
    return s.id();
  }

  public ModelSpec spec() {
    return spec;
  }

  /** @return all segments in layout order */
  public List<Segment> segments() {
    return segments;
  }

  public Segment segment(int id) {
    return segments.get(id);
  }

  /** @return the segment called {@code name} */
  public Segment segment(String name) {
    for (Segment s : segments) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no segment named '" + name + "'");
  }

  public int numSegments() {
    return segments.size();
  }

  /** @return length of the flat parameter vector */
  public long totalSize() {
    return totalSize;
  }

  /** @return length of the flat vector as an int, failing if it does not fit one Java array */
  public int flatSize() {
    if (totalSize > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("parameters (" + totalSize + " floats) do not fit one float[]");
    }
    return (int) totalSize;
  }

  /** @return segment id of user field {@code g}'s embedding table */
  public int userField(int g) {
    return userField[g];
  }

  /** @return segment id of item field {@code f}'s embedding table */
  public int itemField(int f) {
    return itemField[f];
  }

  /** @return number of hidden layers */
  public int numHidden() {
    return weight.length;
  }

  /** @return segment id of hidden layer {@code l}'s weights ({@code in x out}) */
  public int weight(int l) {
    return weight[l];
  }

  /** @return segment id of hidden layer {@code l}'s bias */
  public int bias(int l) {
    return bias[l];
  }
}
