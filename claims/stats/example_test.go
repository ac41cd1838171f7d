package stats_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// A ratio measured once per seed, summarised with its t-interval: three
// seeds give a wide interval (t = 4.30 on 2 degrees of freedom).
func ExampleMeanT() {
	iv, err := stats.MeanT([]float64{1.01, 0.98, 1.04}, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f [%.3f, %.3f]\n", iv.Estimate, iv.Lo, iv.Hi)
	// Output: 1.010 [0.935, 1.085]
}

// Excess loss proportional to eta/S has log-log slope 1.
func ExampleLogLogSlope() {
	x := []float64{2e-4, 5e-4, 1e-3, 2e-3}
	y := []float64{1.1e-3, 2.6e-3, 5.4e-3, 1.05e-2}
	f, err := stats.LogLogSlope(x, y, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("slope %.2f [%.2f, %.2f]\n", f.Slope, f.SlopeCI.Lo, f.SlopeCI.Hi)
	// Output: slope 0.99 [0.92, 1.05]
}
