/**
 * The project's files as core reads and writes them: the flat parameter vector with its named
 * segments ({@link io.metarec.io.ParamFile}) and training checkpoints ({@link
 * io.metarec.io.CheckpointFile}), little-endian, versioned and CRC32-checked, on plain streams so the
 * Spark side can pass Hadoop streams; the typed {@code model.json} ({@link io.metarec.io.ModelManifest});
 * a model folder read through any file system ({@link io.metarec.io.ModelFolder}, {@link
 * io.metarec.io.FolderReader}) and its vocabularies as JSON lines ({@link io.metarec.io.VocabText}).
 * Every problem found while reading names the file and what is wrong.
 */
package io.metarec.io;
