package io.metarec.io;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything needed to resume meta-training exactly: the meta-parameters θ, the outer optimizer's
 * state, the iteration, the random generator's state, the hash of the resolved config the run used,
 * and a small free-form map (best validation metric, current step size after halvings, ...).
 * Written and read by {@link CheckpointFile}.
 *
 * <p>The small parts (RNG state, buffer list, info map) are copied; the float arrays of θ and the
 * optimizer buffers are not. {@link #equals} compares all floats bit by bit.
 *
 * @param theta the meta-parameters with their segments
 * @param optimizerState named optimizer buffers, distinct names, at most {@link #MAX_BUFFERS}
 * @param iteration meta-iterations completed, {@code >= 0}
 * @param rngState the generator's state words, at most {@link #MAX_RNG_WORDS}
 * @param configHash hash of the resolved config, at most {@link #MAX_STRING_BYTES} UTF-8 bytes
 * @param info free-form entries in insertion order, at most {@link #MAX_INFO_ENTRIES}, keys and values
 *     at most {@link #MAX_STRING_BYTES} UTF-8 bytes each
 */
public record Checkpoint(ParamVector theta, List<StateBuffer> optimizerState, long iteration, long[] rngState,
    String configHash, Map<String, String> info) {
  /** Most optimizer buffers. */
  public static final int MAX_BUFFERS = 1024;
  /** Most RNG state words. */
  public static final int MAX_RNG_WORDS = 65_536;
  /** Most info entries. */
  public static final int MAX_INFO_ENTRIES = 65_536;
  /** Longest config hash, info key or info value, in UTF-8 bytes. */
  public static final int MAX_STRING_BYTES = 65_536;

  /** Validates every part and copies the small ones. */
  public Checkpoint {
    if (theta == null || optimizerState == null || rngState == null || configHash == null || info == null) {
      throw new IllegalArgumentException("no part of a checkpoint may be null, got theta=" + theta
          + ", optimizerState=" + optimizerState + ", rngState=" + Arrays.toString(rngState)
          + ", configHash=" + configHash + ", info=" + info);
    }
    if (iteration < 0) {
      throw new IllegalArgumentException("iteration must be >= 0, got " + iteration);
    }
    optimizerState = List.copyOf(optimizerState);
    if (optimizerState.size() > MAX_BUFFERS) {
      throw new IllegalArgumentException(
          "at most " + MAX_BUFFERS + " optimizer buffers, got " + optimizerState.size());
    }
    Set<String> names = new HashSet<>();
    for (StateBuffer b : optimizerState) {
      if (!names.add(b.name())) {
        throw new IllegalArgumentException("optimizer buffer names must be distinct, got " + b.name() + " twice");
      }
    }
    if (rngState.length > MAX_RNG_WORDS) {
      throw new IllegalArgumentException("at most " + MAX_RNG_WORDS + " RNG words, got " + rngState.length);
    }
    rngState = rngState.clone();
    checkString("configHash", configHash);
    if (info.size() > MAX_INFO_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_INFO_ENTRIES + " info entries, got " + info.size());
    }
    LinkedHashMap<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : info.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("info keys and values must not be null, got "
            + e.getKey() + "=" + e.getValue());
      }
      checkString("info key", e.getKey());
      checkString("info value of " + e.getKey(), e.getValue());
      copy.put(e.getKey(), e.getValue());
    }
    info = Collections.unmodifiableMap(copy);
  }

  private static void checkString(String what, String s) {
    int n = s.getBytes(StandardCharsets.UTF_8).length;
    if (n > MAX_STRING_BYTES) {
      throw new IllegalArgumentException(what + " must be at most " + MAX_STRING_BYTES + " UTF-8 bytes, got " + n);
    }
  }

  /** @return a copy of the RNG state words */
  @Override
  public long[] rngState() {
    return rngState.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c && iteration == c.iteration && Arrays.equals(rngState, c.rngState)
        && configHash.equals(c.configHash) && info.equals(c.info) && theta.equals(c.theta)
        && optimizerState.equals(c.optimizerState);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(iteration) * 31 + configHash.hashCode();
  }

  /** @return a summary without the floats */
  @Override
  public String toString() {
    return "Checkpoint[iteration=" + iteration + ", theta=" + theta + ", optimizerState=" + optimizerState
        + ", rngState=" + rngState.length + " words, configHash=" + configHash + ", info=" + info + "]";
  }
}
