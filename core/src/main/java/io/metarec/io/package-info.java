/**
 * Binary model files: the flat parameter vector with its named segments ({@link io.metarec.io.ParamFile})
 * and training checkpoints ({@link io.metarec.io.CheckpointFile}), both little-endian, versioned and
 * CRC32-checked, read and written on plain streams so the Spark side can pass Hadoop streams. Every
 * problem found while reading is a {@link io.metarec.io.ModelFileException} naming the file and what is
 * wrong.
 */
package io.metarec.io;
