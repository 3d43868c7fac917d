/**
 * The MeLU-style scorer (Lee et al. 2019) extended with biases, a meta-learned user vector and an
 * SVD++/FISM implicit term: its specification, the named parameter tensors (row arrays) and their
 * flat layout, parameter groups the inner loop adapts, and seeded initialization.
 */
package io.metarec.model;
