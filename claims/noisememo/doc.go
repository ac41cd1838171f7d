// Package noisememo is claim C6: with part of the labels randomised, a
// higher ratio of learning rate to batch size memorises less at equal fit
// of the clean part (extended P1, Jastrzebski et al. 2017, "Three Factors
// Influencing Minima in SGD"; thesis Sec. 3.2: "its positive impact on the
// final robustness of the model to memorization"). Each run is stopped
// when its accuracy on the clean training rows first reaches a level fixed
// in advance; there, its accuracy on the mislabelled rows (against the
// labels it is trained on) must fall with eta/S. What is measured, the
// checks and their thresholds with the reasons are written beside the
// constants in noisememo.go.
//
// The claim registers itself as "c6" (claims.Register); claims/all imports
// it. It is judged on two setups, an MLP on MNIST and on Fashion-MNIST;
// its units are one training run per (setup, grid point, seed).
//
//	noisememo.go  Info, the setups at both scales, Specs, the registration, the record
//	units.go      Units, RunUnit (the training run and its measurements), Merge
//	verdict.go    the summary over runs, the checks, the verdict
//	report.go     figures, tables, plots and notes
package noisememo
