/**
 * The whole pipeline in one run folder with stage fingerprints ({@code metarec pipeline}), and
 * nightly retraining with a promotion gate and a model registry ({@code metarec nightly}).
 */
package io.metarec.jobs.pipeline;
