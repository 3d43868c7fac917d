/**
 * The project's own files, each read and written by one class: task sets ({@link
 * io.metarec.store.TaskSetLayout}, {@link io.metarec.store.TaskSet}, {@link
 * io.metarec.store.Vocabulary}), model folders ({@link io.metarec.store.ModelFiles}, with the typed
 * {@code model.json} of {@link io.metarec.io.ModelManifest}) and training checkpoints ({@link
 * io.metarec.store.Checkpoints}), on any Hadoop file system.
 */
package io.metarec.store;
