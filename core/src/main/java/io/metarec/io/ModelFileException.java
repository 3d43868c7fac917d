package io.metarec.io;

import java.io.IOException;

/**
 * A model or checkpoint file could not be used: it is not a MetaRec file of the expected kind, was
 * written by a newer format, is truncated or corrupt, or does not match the layout the caller expects.
 * The message starts with the file's label ({@link #source()}) and says what is wrong, so it can be
 * shown to the user as it is; {@link #problem()} lets code react (for instance, a
 * {@link Problem#LAYOUT_MISMATCH} can be answered by a warm start, a {@link Problem#CHECKSUM_MISMATCH}
 * cannot).
 *
 * <p>It is an {@link IOException} because the file, not the caller, is at fault and callers already
 * handle I/O failures on these streams; bad arguments from the caller (a data array that does not
 * match its segments, say) are {@link IllegalArgumentException}s instead.
 */
public final class ModelFileException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the file. */
  public enum Problem {
    /** The magic bytes are not those of the expected kind of MetaRec file (or the file is empty). */
    NOT_A_MODEL_FILE,
    /** The format version is newer than this build reads (or not a known version at all). */
    UNSUPPORTED_VERSION,
    /** A header field is out of range or the header checksum does not match. */
    CORRUPT_HEADER,
    /** The file ends before the header, the data or the checksum is complete. */
    TRUNCATED,
    /** The checksum over header and data does not match: some byte changed. */
    CHECKSUM_MISMATCH,
    /** There are bytes after the final checksum. */
    TRAILING_BYTES,
    /** The file is intact but its segments differ from those the caller expects. */
    LAYOUT_MISMATCH
  }

  /** The file's label. */
  private final String source;
  /** What kind of problem it is. */
  private final Problem problem;

  /**
   * @param source the file's label, as the caller passed it to the reader
   * @param problem what kind of problem it is
   * @param detail what is wrong, with the values involved
   */
  public ModelFileException(String source, Problem problem, String detail) {
    super(source + ": " + detail);
    this.source = source;
    this.problem = problem;
  }

  /** @return the file's label, as the caller passed it to the reader */
  public String source() {
    return source;
  }

  /** @return what kind of problem it is */
  public Problem problem() {
    return problem;
  }
}
