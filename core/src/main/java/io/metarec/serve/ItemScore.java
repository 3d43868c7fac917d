package io.metarec.serve;

/**
 * One scored item.
 *
 * @param item the item id
 * @param score the predicted rating clipped to the model's label range (explicit feedback), or the
 *     logit of an interaction (implicit feedback)
 */
public record ItemScore(String item, float score) {}
