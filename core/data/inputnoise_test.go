package data

import (
	"math"
	"slices"
	"testing"
)

func TestWithInputNoise(t *testing.T) {
	d := &Dataset{Name: "t", N: 400, Dim: 50, Classes: 2, X: make([]float32, 400*50), Y: make([]int32, 400)}
	for i := range d.X {
		d.X[i] = float32(i%7) / 7
	}
	orig := slices.Clone(d.X)
	n := InputNoise{Std: 0.2}
	a, err := d.WithInputNoise(n, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.X, orig) {
		t.Fatal("the source dataset's inputs changed")
	}
	if &a.Y[0] != &d.Y[0] || a.N != d.N || a.Dim != d.Dim {
		t.Error("labels not shared or shape changed")
	}
	// The noise has mean 0 and standard deviation Std, unclipped.
	var s, s2 float64
	neg := 0
	for i := range a.X {
		e := float64(a.X[i] - d.X[i])
		s += e
		s2 += e * e
		if a.X[i] < 0 {
			neg++
		}
	}
	k := float64(len(a.X))
	mean, sd := s/k, math.Sqrt(s2/k-(s/k)*(s/k))
	if math.Abs(mean) > 0.005 || math.Abs(sd-0.2) > 0.005 {
		t.Errorf("noise mean %.4f, sd %.4f; want 0 and 0.2", mean, sd)
	}
	if neg == 0 {
		t.Error("no negative input: the noise looks clipped")
	}
	// Same seed, same copy (also into a reused buffer); another seed differs.
	buf := make([]float32, len(d.X))
	b, err := d.WithInputNoise(n, 3, buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.X, b.X) || &b.X[0] != &buf[0] {
		t.Error("same seed gave another copy, or the buffer was not reused")
	}
	c, _ := d.WithInputNoise(n, 4, nil)
	if slices.Equal(a.X, c.X) {
		t.Error("seeds 3 and 4 gave the same noise")
	}
	// Off: the dataset itself. Bad settings and aliasing are refused.
	if z, err := d.WithInputNoise(InputNoise{}, 3, nil); err != nil || z != d {
		t.Errorf("zero noise: %v, same dataset %v", err, z == d)
	}
	for _, bad := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if _, err := d.WithInputNoise(InputNoise{Std: bad}, 3, nil); err == nil {
			t.Errorf("std %v accepted", bad)
		}
	}
	if _, err := d.WithInputNoise(n, 3, d.X); err == nil {
		t.Error("the dataset's own inputs accepted as the buffer")
	}
}
