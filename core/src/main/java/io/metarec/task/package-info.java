/**
 * User tasks for meta-learning: one user's interactions as primitive arrays split into a support
 * set (adapted on) and a query set (evaluated on), the global item side-feature table, and the
 * deterministic per-task random streams derived from (seed, iteration, task id).
 */
package io.metarec.task;
