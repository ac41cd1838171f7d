// Package bench holds the project's Go benchmarks: the float32 kernels of
// core/kernels for every implementation this CPU can run (kernels_test.go),
// and the training step and Hessian-vector products of core/nn
// (trainstep_test.go and hvp_test.go, to come).
//
// Every benchmark that compares implementations names the ISA in its last
// sub-benchmark element (BenchmarkGemm/128x784x512/avx512), switches with
// kernels.Use and restores the previous choice, and reports its figure of
// merit with b.ReportMetric (GFLOP/s, samples/s) next to ns/op. See
// README.md for how to run them and compare ISAs and commits with benchstat.
package bench
