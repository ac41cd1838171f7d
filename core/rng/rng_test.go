package rng

import (
	"math"
	"testing"
)

func TestDeriveSeparatesPurposes(t *testing.T) {
	seen := map[uint64]string{}
	for _, p := range []string{"init", "order", "dropout", "probe", "split", "noise"} {
		for i := uint64(0); i < 4; i++ {
			d := Derive(1, p, i)
			if prev, ok := seen[d]; ok {
				t.Fatalf("Derive(1,%q,%d) collides with %s", p, i, prev)
			}
			seen[d] = p
		}
	}
	if Derive(1, "init", 0) == Derive(2, "init", 0) {
		t.Fatal("different roots gave the same seed")
	}
}

func TestStreamReproducible(t *testing.T) {
	a, b := New(7, "x", 0), New(7, "x", 0)
	for i := 0; i < 1000; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatalf("streams with equal seeds diverged at draw %d", i)
		}
	}
}

func TestNormalMoments(t *testing.T) {
	s := New(3, "normal", 0)
	const n = 200000
	var sum, sum2 float64
	for i := 0; i < n; i++ {
		x := s.Normal()
		sum += x
		sum2 += x * x
	}
	mean, vr := sum/n, sum2/n-(sum/n)*(sum/n)
	// Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032;
	// 5 standard errors keeps false alarms negligible.
	if math.Abs(mean) > 0.011 || math.Abs(vr-1) > 0.016 {
		t.Fatalf("normal moments off: mean %.4f var %.4f", mean, vr)
	}
}

func TestPermIsPermutation(t *testing.T) {
	p := New(1, "perm", 0).Perm(1000)
	seen := make([]bool, len(p))
	for _, v := range p {
		if seen[v] {
			t.Fatalf("value %d twice", v)
		}
		seen[v] = true
	}
}
