package data

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// GaussianMixture draws a balanced classification problem: class c has mean
// mu_c and identity covariance, x = mu_c + N(0, I_dim). Row i has label
// i mod classes, so every prefix (Head) is balanced to within one example.
//
// The means are sep/sqrt(2) times orthonormal directions (random ones, from
// Gram-Schmidt on Gaussian vectors) when classes <= dim, so every pair of
// means is exactly sep apart; with more classes than dimensions the
// directions are random unit vectors and the distances only about sep.
// GaussianMixtureMeans returns them.
//
// The Bayes-optimal classifier is the nearest mean. For two classes its
// accuracy is Phi(sep/2) (Phi the standard normal CDF). For K > 2 it has no
// closed form, but sep sets the difficulty: by the union bound the Bayes
// error is at most (K-1) * (1 - Phi(sep/2)), and it is at least the
// two-class error 1 - Phi(sep/2).
//
// It panics if n < 1, dim < 1, classes < 2 or sep is negative or not finite.
func GaussianMixture(n, dim, classes int, sep float64, seed uint64) *Dataset {
	if n < 1 {
		panic(fmt.Sprintf("data: GaussianMixture: n=%d", n))
	}
	mu := GaussianMixtureMeans(dim, classes, sep, seed)
	s := rng.New(seed, "synthetic-inputs", 0)
	x := make([]float32, n*dim)
	y := make([]int32, n)
	for i := range n {
		c := i % classes
		y[i] = int32(c)
		row := x[i*dim : (i+1)*dim]
		for j := range row {
			row[j] = float32(mu[c][j] + s.Normal())
		}
	}
	return &Dataset{
		Name: fmt.Sprintf("gaussian-mixture-%d-sep%g", classes, sep),
		X:    x, Y: y, N: n, Dim: dim, Classes: classes,
	}
}

// GaussianMixtureMeans returns the class means GaussianMixture uses for the
// same arguments: classes vectors of length dim, drawn from the stream
// (seed, "synthetic-means").
func GaussianMixtureMeans(dim, classes int, sep float64, seed uint64) [][]float64 {
	if dim < 1 || classes < 2 || !(sep >= 0) || math.IsInf(sep, 1) {
		panic(fmt.Sprintf("data: GaussianMixture(dim=%d, classes=%d, sep=%v): need dim >= 1, classes >= 2, finite sep >= 0", dim, classes, sep))
	}
	s := rng.New(seed, "synthetic-means", 0)
	mu := make([][]float64, classes)
	for c := range mu {
		v := make([]float64, dim)
		for {
			for j := range v {
				v[j] = s.Normal()
			}
			// Modified Gram-Schmidt against the earlier directions while
			// there is room for another orthogonal one.
			if c < dim {
				for _, u := range mu[:c] {
					d := dot(u, v)
					for j := range v {
						v[j] -= d * u[j]
					}
				}
			}
			// A draw (almost) inside the span of the others has no usable
			// direction left; drawing again keeps the set orthonormal.
			if nv := math.Sqrt(dot(v, v)); nv > 1e-6 {
				for j := range v {
					v[j] /= nv
				}
				break
			}
		}
		mu[c] = v
	}
	scale := sep / math.Sqrt2
	for _, v := range mu {
		for j := range v {
			v[j] *= scale
		}
	}
	return mu
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
