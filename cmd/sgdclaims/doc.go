// Command sgdclaims is the command-line face of the project: it trains models
// on the project's own training core, measures curvature, and verifies the
// claims of the thesis "Deep Networks Generalization and Optimization
// Trajectory".
//
//	sgdclaims verify     run the claims, print a verdict table, write DIR/report.md with plots
//	sgdclaims report     re-render a report from the results.json that verify wrote
//	sgdclaims train      train a model with SGD; writes DIR/run.json and DIR/model.safetensors
//	sgdclaims curvature  Hessian spectra and traces for a model's weights (safetensors)
//
// Every command takes its inputs as flags (`sgdclaims <command> -h` lists
// them). Exit status: 0 success (all claims hold), 1 a claim does not hold or
// a training run diverged, 2 a usage or input error, reported as one line on
// stderr with nothing half-written.
//
// The kernels are chosen from the CPU's features at start-up; set
// SGDCLAIMS_ISA=generic|avx2|avx512 to force one. Every run records the ISA
// it used.
package main
