//go:build !unix

package bench

// cpuSeconds is not measured here: the GFLOP/cpu-s metric is left out.
func cpuSeconds() float64 { return 0 }
