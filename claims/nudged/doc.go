// Package nudged is claim C7: Nudged SGD (P3, Jastrzebski et al. 2018;
// thesis Sec. 3.4): SGD whose step along the top-K Hessian eigenvectors is
// scaled by gamma, step = -eta [(I - P_K) g + gamma P_K g], ends in a
// sharper region for gamma < 1 and a flatter one for gamma > 1 than plain
// SGD (gamma = 1), while validation accuracy stays within a margin fixed in
// advance: the curvature of the endpoint does not determine
// generalisation. What is measured, the checks and their thresholds with
// the reasons are written beside the constants in nudged.go.
//
// The claim registers itself as "c7" (claims.Register); claims/all imports
// it. It is judged on several setups (claims.MultiSetup): MLPs on MNIST and
// Fashion-MNIST at both scales, and P3's SimpleCNN on Fashion-MNIST at the
// full scale. Its units are one run per (gamma, seed), through
// core/curvature's Nudger (P_K refreshed every M steps by warm-started
// Lanczos) set as train.Config.Transform.
//
//	nudged.go        Info, the constants with their reasons, the setups, Spec
//	units.go         Units, RunUnit (the run and its measurements), Merge, the record
//	registration.go  the registered checks and the change log
//	verdict.go       runs paired by seed, the checks, the figures
//	report.go        tables, plots and notes
package nudged
