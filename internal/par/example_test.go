package par_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// A dot product split over goroutines that gives the same bits for any
// GOMAXPROCS: each chunk writes its own partial sum, and the partial sums
// are added in chunk order after the loop.
func Example() {
	const n, grain = 10000, 1024
	x := make([]float64, n)
	for i := range x {
		x[i] = 1 / float64(i+1)
	}
	partial := make([]float64, (n+grain-1)/grain)
	par.For(n, grain, func(lo, hi int) {
		s := 0.0
		for _, v := range x[lo:hi] {
			s += v * v
		}
		partial[lo/grain] = s
	})
	sum := 0.0
	for _, s := range partial {
		sum += s
	}
	fmt.Printf("%.6f\n", sum)
	// Output: 1.644834
}
