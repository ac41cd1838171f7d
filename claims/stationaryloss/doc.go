// Package stationaryloss is claim C2: the expected loss of SGD at its
// stationary distribution around a minimum, E[L - L*] = eta/(4S) Tr(C)
// (= eta/(4S) Tr(H) when C = H), P1's Eq. (3.3) (thesis Sec. 3.2). Three
// synthetic tiers of problems with a true minimum (anisotropic least
// squares, softmax regression, a ReLU MLP with weight decay; setup
// "synthetic") and a ReLU MLP on MNIST and on Fashion-MNIST subsets
// (setups "mlp-mnist", "mlp-fashion-mnist") are set up per seed, H and C
// computed exactly there, and constant-step SGD run from the minimum over
// a decade of eta/S, plus one point of tier a in the discrete regime (eta
// lambda_max ~ 0.76). What is measured, the checks and their thresholds
// with the reasons are written beside the constants in stationaryloss.go;
// the registered words are in registration.go.
//
// The claim registers itself as "c2" (claims.Register); claims/all imports
// it. Its units are one per (tier, seed) of a setup.
//
//	stationaryloss.go  Info, the setups and tiers at both scales, Specs, the record
//	registration.go    the registered checks (v1, v2) and the change log
//	units.go           Units, RunUnit, Merge, the cost estimate
//	setup.go           one seed's problem at its minimum, and the plan of each run
//	sgd.go             the SGD runs and how the minimum is found
//	theory.go          the quadratic model the predictions come from
//	verdict.go         the summary over seeds, the checks, the verdict
//	report.go          figures, tables, plots and notes
package stationaryloss
