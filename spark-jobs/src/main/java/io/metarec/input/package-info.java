/**
 * Reading interaction logs and feature tables the way every job that takes raw input does
 * (build-tasks, recommend): every supported layout (Parquet, CSV per RFC 4180, JSON lines,
 * MovieLens folders), one-line errors naming an unreadable file, row validation with a reason
 * for every rejected row, and the counts the reject threshold is checked against.
 */
package io.metarec.input;
