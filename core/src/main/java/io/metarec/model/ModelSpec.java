package io.metarec.model;

import java.io.Serializable;
import java.util.List;

/**
 * Specification of the MeLU-style scorer (Lee et al. 2019), extended with biases, a per-user
 * vector and an SVD++/FISM implicit term:
 *
 * <pre>
 *   p(u, i) = mu + b_i + b_u + &lt;u_eff, q_i&gt; + MLP(x)
 *   u_eff   = u + |S|^-1/2 * sum_{j in S} y_j          (only if implicitTerm; S = support items)
 *   x       = [e_item(i), pool(item fields of i)..., pool(user fields)..., u_eff (if userInMlp)]
 * </pre>
 *
 * {@code q_i} is a separate item factor table of width {@code userDim} (not the item-id embedding of
 * width {@code embeddingDim}), so the two widths are independent and the linear user part is a
 * clean matrix factorization term. Multi-valued fields are mean-pooled; index 0 of every vocabulary
 * is the unknown value. With {@link Feedback#IMPLICIT} p is a logit.
 *
 * @param numItems number of item indices
 * @param userFields user feature fields (order = order of {@code Task.userFeatures()})
 * @param itemFields item feature fields (order = fields of the ItemFeatureTable)
 * @param embeddingDim width of every categorical embedding (default 16)
 * @param hidden hidden layer sizes of the MLP, at least one (default [64, 64])
 * @param activation hidden activation (default relu)
 * @param userDim width of u, q_i and y_j (default 16)
 * @param feedback explicit (squared loss) or implicit (sigmoid BCE)
 * @param implicitTerm whether u_eff includes the implicit term over the support items
 * @param userInMlp whether u_eff is also an MLP input
 * @param learnedFoldIn implicit feedback: whether the gain on the weighted fold-in's score is a
 *     learned parameter ({@code logFoldIn}, log of the gain, like {@code logLambda}); false keeps
 *     the layout of models written before it (gain 1, or the inner loop's factor alone)
 */
public record ModelSpec(
    int numItems,
    List<FieldSpec> userFields,
    List<FieldSpec> itemFields,
    int embeddingDim,
    List<Integer> hidden,
    Activation activation,
    int userDim,
    Feedback feedback,
    boolean implicitTerm,
    boolean userInMlp,
    boolean learnedFoldIn) implements Serializable {

  /** A spec without the learned fold-in gain. */
  public ModelSpec(int numItems, List<FieldSpec> userFields, List<FieldSpec> itemFields,
      int embeddingDim, List<Integer> hidden, Activation activation, int userDim,
      Feedback feedback, boolean implicitTerm, boolean userInMlp) {
    this(numItems, userFields, itemFields, embeddingDim, hidden, activation, userDim, feedback,
        implicitTerm, userInMlp, false);
  }

  public ModelSpec {
    if (numItems < 1) {
      throw new IllegalArgumentException("numItems must be >= 1, got " + numItems);
    }
    if (userFields == null || itemFields == null) {
      throw new IllegalArgumentException("userFields and itemFields must be non-null (may be empty)");
    }
    userFields = List.copyOf(userFields);
    itemFields = List.copyOf(itemFields);
    if (embeddingDim < 1) {
      throw new IllegalArgumentException("model.embeddingDim must be >= 1, got " + embeddingDim);
    }
    if (hidden == null || hidden.isEmpty()) {
      throw new IllegalArgumentException("model.hidden must list at least one layer size, got " + hidden);
    }
    hidden = List.copyOf(hidden);
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("model.hidden sizes must be >= 1, got " + hidden);
      }
    }
    if (activation == null || feedback == null) {
      throw new IllegalArgumentException("model.activation and model.feedback must be non-null");
    }
    if (userDim < 1) {
      throw new IllegalArgumentException("model.userDim must be >= 1, got " + userDim);
    }
    if (learnedFoldIn && feedback != Feedback.IMPLICIT) {
      throw new IllegalArgumentException("a learned fold-in gain is for implicit feedback (the "
          + "weighted least-squares fold-in), the model is " + feedback);
    }
  }

  /** @return hidden sizes as an array */
  public int[] hiddenSizes() {
    return hidden.stream().mapToInt(Integer::intValue).toArray();
  }

  /** @return number of embedding blocks in the MLP input (item id + item fields + user fields) */
  public int embeddingBlocks() {
    return 1 + itemFields.size() + userFields.size();
  }

  /** @return width of the MLP input */
  public int inputDim() {
    return embeddingBlocks() * embeddingDim + (userInMlp ? userDim : 0);
  }

  /** @return offset of the user vector inside the MLP input, or -1 if it is not an input */
  public int userInputOffset() {
    return userInMlp ? embeddingBlocks() * embeddingDim : -1;
  }
}
