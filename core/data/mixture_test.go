package data

import (
	"math"
	"slices"
	"testing"
)

func TestGaussianMixtureMeans(t *testing.T) {
	const sep = 3
	for _, tc := range []struct{ dim, classes int }{{10, 4}, {5, 5}} {
		mu := GaussianMixtureMeans(tc.dim, tc.classes, sep, 1)
		for a := range mu {
			if n := math.Sqrt(dot(mu[a], mu[a])); math.Abs(n-sep/math.Sqrt2) > 1e-12 {
				t.Fatalf("|mu_%d| = %v, want sep/sqrt2", a, n)
			}
			for b := range a {
				if d := dot(mu[a], mu[b]); math.Abs(d) > 1e-12 {
					t.Fatalf("dim %d: means %d and %d not orthogonal: %v", tc.dim, a, b, d)
				}
			}
		}
	}
	// More classes than dimensions still gives unit directions.
	for _, m := range GaussianMixtureMeans(2, 5, 1, 1) {
		if n := math.Sqrt(dot(m, m)); math.Abs(n-1/math.Sqrt2) > 1e-12 {
			t.Fatalf("norm %v", n)
		}
	}
}

func TestGaussianMixture(t *testing.T) {
	d := GaussianMixture(1001, 6, 3, 2, 4)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	var hist [3]int
	for _, y := range d.Y {
		hist[y]++
	}
	if hist != [3]int{334, 334, 333} {
		t.Fatalf("labels not balanced: %v", hist)
	}
	if !slices.Equal(d.X, GaussianMixture(1001, 6, 3, 2, 4).X) {
		t.Fatal("same seed, different data")
	}
	if slices.Equal(d.X, GaussianMixture(1001, 6, 3, 2, 5).X) {
		t.Fatal("different seeds, same data")
	}
}

// With two classes the nearest-mean rule is Bayes-optimal with accuracy
// Phi(sep/2). On 20000 draws its empirical accuracy has a standard error of
// 0.0026, so 0.012 (4.6 standard errors) fails only for a wrong generator.
func TestGaussianMixtureBayesAccuracy(t *testing.T) {
	const n, dim, sep = 20000, 8, 2.0
	d := GaussianMixture(n, dim, 2, sep, 3)
	mu := GaussianMixtureMeans(dim, 2, sep, 3)
	correct := 0
	for i := range n {
		x := d.Row(i)
		var d0, d1 float64
		for j, v := range x {
			d0 += (float64(v) - mu[0][j]) * (float64(v) - mu[0][j])
			d1 += (float64(v) - mu[1][j]) * (float64(v) - mu[1][j])
		}
		if (d0 < d1) == (d.Y[i] == 0) {
			correct++
		}
	}
	want := 0.5 * (1 + math.Erf(sep/2/math.Sqrt2))
	t.Logf("nearest-mean accuracy %.4f, Phi(sep/2) = %.4f", float64(correct)/n, want)
	if acc := float64(correct) / n; math.Abs(acc-want) > 0.012 {
		t.Fatalf("nearest-mean accuracy %.4f, Bayes accuracy Phi(sep/2) = %.4f", acc, want)
	}
}
