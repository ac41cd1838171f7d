// Package memorisation is claim C4: explicit regularisers slow
// memorisation (P2, Arpit et al. 2017, Secs. 4-5; thesis Sec. 3.3, Fig.
// 3.1b). With part of the labels randomised, dropout, weight decay and
// input noise each slow how fast a network fits the mislabelled rows
// without hindering learning from the clean ones; real data is learned
// before noise; the critical sample ratio is larger for networks trained
// on more label noise and stabilises after the first epoch. It is judged on
// two quick setups (the MLP on MNIST and on Fashion-MNIST) and, at the full
// scale, on P2's 2x4096 MLP on MNIST. What is measured, the setups and the
// checks with their reasons are written beside the constants in
// memorisation.go; the registered words in registration.go.
//
// The claim registers itself as "c4" (claims.Register); claims/all imports
// it. Its units are one training run per (seed, row).
//
//	memorisation.go  Info, the setups at both scales, Spec(s), the record, one seed's data
//	registration.go  the registered checks (v1, v2) and the change log
//	units.go         Units, RunUnit, Merge
//	train.go         one row's training run and its per-epoch measurements
//	verdict.go       the summary over seeds, the checks, the verdict
//	report.go        figures, tables, plots and notes
package memorisation
