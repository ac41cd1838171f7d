// Package overshoot is claim C8: the SGD step is too large along the
// sharpest directions (P3, Jastrzebski et al. 2018/2019; thesis Sec. 3.4
// and Fig. 3.1c, with Song, Ahn & Yun 2025). After the early phase, the
// loss-minimising fraction of the SGD step along the top Hessian
// eigenvector e_1 is at most one half (the step crosses the bowl's minimum
// and climbs past it), while along random directions and along the step
// with its top-K part removed the full step still descends; the part of the
// update inside the top-K eigenspace does not lower the loss while the rest
// does. What is measured, the checks and their thresholds with the reasons
// are written beside the constants in overshoot.go.
//
// The claim registers itself as "c8" (claims.Register); claims/all imports
// it. It is judged on several setups (claims.MultiSetup): MLPs on MNIST and
// Fashion-MNIST at both scales, and P3's SimpleCNN on Fashion-MNIST at the
// full scale. Its units are one SGD run per seed, measured at a few steps
// along its trajectory (core/curvature: EigenTracker, SplitStep).
//
//	overshoot.go     Info, the constants with their reasons, the setups, Spec
//	units.go         Units, RunUnit (the run and its measurements), Merge, the record
//	registration.go  the registered checks and the change log
//	verdict.go       the record reduced per seed and over seeds, the checks, the figures
//	report.go        tables, plots and notes
package overshoot
