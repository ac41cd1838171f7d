// Package memorisation is claim C4: explicit regularisers slow
// memorisation (P2, Arpit et al. 2017, Secs. 4-5; thesis Sec. 3.3, Fig.
// 3.1b). With part of the MNIST labels randomised, dropout slows how fast
// a network fits the mislabelled rows without hindering learning from the
// clean ones; real data is learned before noise; the critical sample ratio
// is higher when the network memorises. What is measured, the checks and
// their thresholds with the reasons are written beside the constants in
// memorisation.go.
//
// The claim registers itself as "c4" (claims.Register); claims/all imports
// it. Its units are one training run per (seed, regulariser row).
//
//	memorisation.go  Info, the setup at both scales, Spec, the record, one seed's data
//	units.go         Units, RunUnit, Merge
//	train.go         one row's training run and its per-epoch measurements
//	verdict.go       the summary over seeds, the checks, the verdict
//	report.go        figures, tables, plots and notes
package memorisation
