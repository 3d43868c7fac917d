/**
 * The embedded default data set: a seeded synthetic world of users, items and ratings with planted
 * structure (taste clusters, noisy demographic signals, genres, popularity skew), generated one
 * user at a time so that Spark can spread users over partitions.
 */
package io.metarec.synthetic;
