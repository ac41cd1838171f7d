// Package rng derives independent, reproducible random streams from one root
// seed, one stream per purpose ("init", "order", "dropout", "probe", ...).
//
// DESIGN.md asks that seeds be split by purpose so that, for example, turning
// dropout on does not change the data order or the initial weights. A stream
// is a PCG generator (math/rand/v2, whose output for a given seed is fixed)
// seeded from a hash of (root seed, purpose, index). Normal variates use the
// Box-Muller transform written here, so that no sequence depends on the
// standard library's choice of algorithm for NormFloat64.
package rng
