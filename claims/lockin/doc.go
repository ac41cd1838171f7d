// Package lockin is claim C3: early-phase curvature lock-in (P3,
// Jastrzebski et al. 2018, with P2; thesis Sec. 3.4, Fig. 3.1c).
// lambda_max grows at first, peaks or plateaus within the first few epochs
// at a level set by eta and S, and keeps that order to the end of
// training. What is measured, the checks and their thresholds with the
// reasons are written beside the constants in lockin.go.
//
// The claim registers itself as "c3" (claims.Register); claims/all imports
// it. Its units are one SGD run per (eta, S) and seed with lambda_max
// tracked along it (claims.GridUnits over a claims.CurvGrid, shared with
// C1).
//
//	lockin.go   Info, the grid at both scales, Spec, the record, Merge
//	verdict.go  trajectories reduced per run and over seeds, the checks, the figures
//	report.go   tables, plots and notes
package lockin
