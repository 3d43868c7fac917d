package io.metarec.model;

import java.io.Serializable;

/**
 * A categorical feature field: its name, vocabulary size (index 0 = unknown/missing) and whether a
 * row may hold several values (then their embeddings are mean-pooled).
 */
public record FieldSpec(String name, int vocabSize, boolean multiValued) implements Serializable {
  public FieldSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("field name must be non-blank, got '" + name + "'");
    }
    if (vocabSize < 1) {
      throw new IllegalArgumentException("field " + name + ": vocabSize must be >= 1, got " + vocabSize);
    }
  }
}
