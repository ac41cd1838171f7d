package curvature_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/curvature"
)

// Lanczos on a matrix with a known spectrum: the two largest eigenvalues
// and the smallest, each with its residual bound.
func ExampleLanczos() {
	eig := []float64{9, 7, -3}
	for i := 0; i < 97; i++ {
		eig = append(eig, float64(i%5)) // a bulk in [0, 4]
	}
	op, err := curvature.NewDenseSpectrum(eig, 1)
	if err != nil {
		panic(err)
	}
	res, err := curvature.Lanczos(op, curvature.LanczosConfig{Top: 2, Bottom: 1, Tol: 1e-8})
	if err != nil {
		panic(err)
	}
	for _, p := range append(res.Top, res.Bottom...) {
		fmt.Printf("%.6f (residual below 1e-8 relative: %v)\n", p.Value, p.Residual <= 1e-8*abs(p.Value))
	}
	// Output:
	// 9.000000 (residual below 1e-8 relative: true)
	// 7.000000 (residual below 1e-8 relative: true)
	// -3.000000 (residual below 1e-8 relative: true)
}

// Hutch++ against Hutchinson at the same budget, on a spectrum dominated by
// a few large eigenvalues.
func ExampleHutchPlusPlus() {
	eig := make([]float64, 300)
	exact := 0.0
	for i := range eig {
		eig[i] = 0.01
		if i < 5 {
			eig[i] = float64(int(100) >> i) // 100, 50, 25, 12, 6
		}
		exact += eig[i]
	}
	op, err := curvature.NewDenseSpectrum(eig, 2)
	if err != nil {
		panic(err)
	}
	cfg := curvature.TraceConfig{Budget: 30, Seed: 1}
	hpp, err := curvature.HutchPlusPlus(op, cfg)
	if err != nil {
		panic(err)
	}
	hut, err := curvature.Hutchinson(op, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Printf("exact %.2f\n", exact)
	fmt.Printf("Hutch++ within 0.5: %v\n", abs(hpp.Value-exact) < 0.5)
	fmt.Printf("Hutch++ standard error 100x smaller: %v\n", hpp.StdErr*100 < hut.StdErr)
	// Output:
	// exact 195.95
	// Hutch++ within 0.5: true
	// Hutch++ standard error 100x smaller: true
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
