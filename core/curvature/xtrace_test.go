package curvature

import (
	"context"
	"math"
	"strings"
	"testing"
)

// decaying returns n eigenvalues k^-p, k = 1..n, and their sum.
func decaying(n int, p float64) ([]float64, float64) {
	ev := make([]float64, n)
	sum := 0.0
	for k := range ev {
		ev[k] = math.Pow(float64(k+1), -p)
		sum += ev[k]
	}
	return ev, sum
}

// TestXTraceBeatsHutchPlusPlusOnDecayingSpectra checks the estimator's
// statistics on known spectra over many seeds: unbiased (the mean error
// within 4 standard errors of the mean), a root-mean-square error below
// Hutch++'s at the same budget where the spectrum decays (the paper's
// point), and an error bar that covers the truth about as often as a
// standard error should (|error| < 2 StdErr for at least 85% of seeds).
func TestXTraceBeatsHutchPlusPlusOnDecayingSpectra(t *testing.T) {
	const n, budget, seeds = 300, 60, 120
	for _, p := range []float64{1, 2} {
		ev, truth := decaying(n, p)
		op, err := NewDenseSpectrum(ev, 7)
		if err != nil {
			t.Fatal(err)
		}
		var sumX, ssX, ssH, ssS float64
		covered := 0
		for s := uint64(1); s <= seeds; s++ {
			x, err := XTrace(op, TraceConfig{Budget: budget, Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			xs, err := xtrace(context.Background(), op, TraceConfig{Budget: budget, Seed: s}, xtraceSigns)
			if err != nil {
				t.Fatal(err)
			}
			ssS += (xs.Value - truth) * (xs.Value - truth)
			h, err := HutchPlusPlus(op, TraceConfig{Budget: budget, Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			if x.Applications != budget || x.Rank != budget/2 {
				t.Fatalf("applications %d, rank %d", x.Applications, x.Rank)
			}
			ex, eh := x.Value-truth, h.Value-truth
			sumX += ex
			ssX += ex * ex
			ssH += eh * eh
			if math.Abs(ex) < 2*x.StdErr {
				covered++
			}
		}
		meanX, rmseX, rmseH := sumX/seeds, math.Sqrt(ssX/seeds), math.Sqrt(ssH/seeds)
		t.Logf("spectrum k^-%g (trace %.4g): XTrace bias %.2g, RMSE %.3g (with sign vectors %.3g); Hutch++ RMSE %.3g (ratio %.2f); error bar covers %d of %d",
			p, truth, meanX, rmseX, math.Sqrt(ssS/seeds), rmseH, rmseH/rmseX, covered, seeds)
		if math.Abs(meanX) > 4*rmseX/math.Sqrt(seeds) {
			t.Errorf("k^-%g: mean error %.3g is beyond 4 standard errors (%.3g): biased", p, meanX, 4*rmseX/math.Sqrt(seeds))
		}
		if !(rmseX < rmseH) {
			t.Errorf("k^-%g: XTrace RMSE %.3g not below Hutch++'s %.3g at the same budget", p, rmseX, rmseH)
		}
		if covered < seeds*85/100 {
			t.Errorf("k^-%g: the error bar covers the truth in %d of %d seeds", p, covered, seeds)
		}
	}
}

func TestXTraceRefusesWhatItCannotDo(t *testing.T) {
	ev := make([]float64, 100)
	for i := range ev[:5] {
		ev[i] = 1 // rank 5: the sketch of 20 vectors is rank-deficient
	}
	op, err := NewDenseSpectrum(ev, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := XTrace(op, TraceConfig{Budget: 40, Seed: 1}); err == nil || !strings.Contains(err.Error(), "HutchPlusPlus") {
		t.Errorf("rank-deficient sketch: %v", err)
	}
	if _, err := XTrace(op, TraceConfig{Budget: 120, Seed: 1}); err == nil || !strings.Contains(err.Error(), "at most Dim/2") {
		t.Errorf("too many test vectors: %v", err)
	}
	if _, err := XTrace(op, TraceConfig{Budget: 4, Seed: 1}); err == nil {
		t.Error("a budget of 4 accepted")
	}
}

func TestXTraceDeterministic(t *testing.T) {
	ev, _ := decaying(200, 1.5)
	op, err := NewDenseSpectrum(ev, 5)
	if err != nil {
		t.Fatal(err)
	}
	a, err := XTrace(op, TraceConfig{Budget: 40, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := XTrace(op, TraceConfig{Budget: 40, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if a.Value != b.Value || a.StdErr != b.StdErr {
		t.Errorf("two runs differ: %v vs %v", a, b)
	}
}
