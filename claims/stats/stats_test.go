package stats

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (tol %g)", name, got, want, tol)
	}
}

// Hand values: mean 3, s = sqrt(2.5), t_{0.975,4} = 2.7764451 (tables),
// half-width 2.7764451*sqrt(2.5)/sqrt(5) = 1.9632432.
func TestMeanT(t *testing.T) {
	iv, err := MeanT([]float64{1, 2, 3, 4, 5}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "estimate", iv.Estimate, 3, 1e-12)
	near(t, "lo", iv.Lo, 3-1.9632432, 1e-6)
	near(t, "hi", iv.Hi, 3+1.9632432, 1e-6)
	if iv.N != 5 || iv.Level != 0.95 {
		t.Errorf("N, Level = %d, %g", iv.N, iv.Level)
	}
	if _, err := MeanT([]float64{1}, 0.95); !errors.Is(err, ErrTooFew) {
		t.Errorf("one value: err = %v, want ErrTooFew", err)
	}
	if _, err := MeanT([]float64{1, math.NaN()}, 0.95); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := MeanT([]float64{1, 2}, 1); err == nil {
		t.Error("level 1 accepted")
	}
}

// For xs = {0, 1} the bootstrap mean is 0, 1/2, 1 with probabilities 1/4,
// 1/2, 1/4. At level 0.4 both quantiles (0.3 and 0.7) fall on 1/2; at 0.95
// they are 0 and 1. With 4000 resamples the empirical frequencies are within
// a few tenths of a percent of those, far from any boundary.
func TestBootstrapTwoPoints(t *testing.T) {
	xs := []float64{0, 1}
	iv, err := Bootstrap(xs, Mean, 4000, 0.4, 7)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Lo != 0.5 || iv.Hi != 0.5 || iv.Estimate != 0.5 {
		t.Errorf("level 0.4: %v, want 0.5 [0.5, 0.5]", iv)
	}
	iv, err = Bootstrap(xs, Mean, 4000, 0.95, 7)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Lo != 0 || iv.Hi != 1 {
		t.Errorf("level 0.95: %v, want [0, 1]", iv)
	}
}

func TestBootstrapDeterministic(t *testing.T) {
	xs := []float64{3.1, 2.7, 5.5, 4.0, 3.3, 2.9, 4.4}
	a, _ := Bootstrap(xs, Median, 500, 0.9, 42)
	b, _ := Bootstrap(xs, Median, 500, 0.9, 42)
	if a != b {
		t.Errorf("same seed, different intervals: %v vs %v", a, b)
	}
	if a.Estimate != 3.3 {
		t.Errorf("median = %g, want 3.3", a.Estimate)
	}
	if !(a.Lo <= a.Estimate && a.Estimate <= a.Hi) {
		t.Errorf("interval %v does not contain the estimate", a)
	}
	if _, err := Bootstrap(xs, Mean, 5, 0.9, 1); err == nil {
		t.Error("5 resamples accepted")
	}
}

func TestRanksTies(t *testing.T) {
	got := Ranks([]float64{10, 20, 20, 5})
	want := []float64{2, 3.5, 3.5, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Ranks = %v, want %v", got, want)
		}
	}
}

// Without ties rho = 1 - 6Σd²/(n(n²-1)): d = (1,-1,1,-1,0), Σd² = 4,
// rho = 1 - 24/120 = 0.8. With ties (y ranks 1,2,3.5,5,3.5) the Pearson
// correlation of ranks is 8/sqrt(10*9.5) = 0.8207827.
func TestSpearman(t *testing.T) {
	near(t, "rho", Spearman([]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}), 0.8, 1e-12)
	near(t, "rho ties", Spearman([]float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}), 0.8207826817, 1e-9)
	near(t, "rho invariant to monotone maps", Spearman([]float64{1, 10, 100, 1000}, []float64{-1, -2, -3, -4}), -1, 1e-12)
}

// Fisher z for rho = 0.8, n = 5: atanh(0.8) ± 1.959964*sqrt(1.06/2), through
// tanh: [-0.3169592, 0.9872753] (computed by hand with a calculator).
// Exact permutation p: of the 120 orderings of y, those with |rho| >= 0.8 are
// counted; for the perfectly monotone n = 4 case only 2 of 24 reach |rho| = 1.
func TestSpearmanTest(t *testing.T) {
	c, err := SpearmanTest([]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}, 0.95, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "lo", c.CI.Lo, -0.3169591696, 1e-8)
	near(t, "hi", c.CI.Hi, 0.9872753053, 1e-8)
	if !c.Exact {
		t.Error("n=5 not exact")
	}
	// Orderings of 1..5 with Σd² <= 4 give rho >= 0.8: the identity (Σd²=0),
	// 4 adjacent swaps (Σd²=2), and 3 pairs of disjoint adjacent swaps (Σd²=4);
	// mirrored, their reversals give rho <= -0.8. 16 of 120.
	near(t, "p", c.P, 16.0/120, 1e-12)

	m, err := SpearmanTest([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, 0.95, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "rho", m.Rho, -1, 1e-12)
	near(t, "p monotone n=4", m.P, 2.0/24, 1e-12)

	// Monte Carlo branch: 12 independent-looking points; p must be in (0, 1]
	// and the same for the same seed.
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	y := []float64{3, 1, 4, 1.5, 5, 9, 2, 6, 5.5, 3.5, 8, 9.7}
	a, err := SpearmanTest(x, y, 0.95, 999, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SpearmanTest(x, y, 0.95, 999, 3)
	if a.P != b.P || a.Exact || a.P <= 0 || a.P > 1 {
		t.Errorf("Monte Carlo p = %g, %g (exact %v)", a.P, b.P, a.Exact)
	}
	if _, err := SpearmanTest(x, y, 0.95, 10, 3); err == nil {
		t.Error("10 permutations accepted for n = 12")
	}
	if _, err := SpearmanTest([]float64{1, 2, 3}, []float64{1, 2, 3}, 0.95, 0, 1); !errors.Is(err, ErrTooFew) {
		t.Errorf("n=3: %v", err)
	}
}

// x = 1..4, y = (2,4,5,4): x̄ = 2.5, Sxx = 5, Sxy = 3.5, slope 0.7, intercept
// 2.0, residuals (-0.7, 0.6, 0.9, -0.8), RSS 2.3, SE sqrt(2.3/2/5) = 0.4795832,
// t_{0.975,2} = 4.3026527, half-width 2.0634797; Syy = 4.75, R² = 1-2.3/4.75.
func TestLinearFit(t *testing.T) {
	f, err := LinearFit([]float64{1, 2, 3, 4}, []float64{2, 4, 5, 4}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, 0.7, 1e-12)
	near(t, "intercept", f.Intercept, 2.0, 1e-12)
	near(t, "se", f.SlopeSE, 0.4795831523, 1e-9)
	near(t, "lo", f.SlopeCI.Lo, 0.7-2.0634797, 1e-6)
	near(t, "hi", f.SlopeCI.Hi, 0.7+2.0634797, 1e-6)
	near(t, "r2", f.R2, 1-2.3/4.75, 1e-12)
	if _, err := LinearFit([]float64{1, 1, 1}, []float64{1, 2, 3}, 0.95); err == nil {
		t.Error("constant x accepted")
	}
}

func TestLogLogSlope(t *testing.T) {
	x := []float64{1e-4, 3e-4, 1e-3, 3e-3}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 3 * v * v
	}
	f, err := LogLogSlope(x, y, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, 2, 1e-9)
	near(t, "intercept", f.Intercept, math.Log(3), 1e-9)
	if f.SlopeCI.Hi-f.SlopeCI.Lo > 1e-6 {
		t.Errorf("exact power law: interval %v should be a point", f.SlopeCI)
	}
	if _, err := LogLogSlope([]float64{1, 2, 0}, []float64{1, 2, 3}, 0.95); err == nil {
		t.Error("x = 0 accepted on a log axis")
	}
}

func TestSpreadGap(t *testing.T) {
	r, err := SpreadGap([]float64{1, 1.2, 0.9}, []float64{2, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "spread", r.Spread, 0.3, 1e-12)
	near(t, "gap", r.Gap, 1.0+1.0/30-0.2, 1e-12) // mean 31/30, nearest control 0.2
	near(t, "ratio", r.Ratio, 0.3/(1.0+1.0/30-0.2), 1e-12)
	if _, err := SpreadGap([]float64{1}, []float64{2}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one family value: %v", err)
	}
}

func TestJSONNonFinite(t *testing.T) {
	iv := Interval{Estimate: math.NaN(), Lo: math.Inf(-1), Hi: math.Inf(1), Level: 0.95, N: 3, Method: "m"}
	b, err := json.Marshal(iv)
	if err != nil {
		t.Fatal(err)
	}
	var back Interval
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Estimate) || !math.IsInf(back.Lo, -1) || !math.IsInf(back.Hi, 1) || back.N != 3 || back.Method != "m" {
		t.Errorf("round trip: %s -> %+v", b, back)
	}
}

// Two groups on x = 0,1,2: y = (0,1,3) and (5,7,8). Centred within groups:
// x' = (-1,0,1) twice, y' = (-4/3,-1/3,5/3) and (-5/3,1/3,4/3); Σx'y' = 6,
// Σx'² = 4, slope 1.5; residuals ±1/6, ±1/3 with RSS 1/3; df = 6-2-1 = 3;
// SE = sqrt(1/3/3/4) = 1/6; t_{0.975,3} = 3.1824463, half-width 0.5304077.
func TestGroupedLinearFit(t *testing.T) {
	f, err := GroupedLinearFit([]float64{0, 1, 2, 0, 1, 2}, []float64{0, 1, 3, 5, 7, 8}, []int{0, 0, 0, 1, 1, 1}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, 1.5, 1e-12)
	near(t, "se", f.SlopeSE, 1.0/6, 1e-12)
	near(t, "lo", f.SlopeCI.Lo, 1.5-0.5304077, 1e-6)
	near(t, "hi", f.SlopeCI.Hi, 1.5+0.5304077, 1e-6)

	// A power law y = k_g x^0.5 with a different k per group is fitted
	// exactly: the group factor drops out.
	x := []float64{1, 10, 100, 1, 10, 100}
	y := []float64{2, 2 * math.Sqrt(10), 20, 7, 7 * math.Sqrt(10), 70}
	g, err := GroupedLogLogSlope(x, y, []int{0, 0, 0, 1, 1, 1}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "power-law slope", g.Slope, 0.5, 1e-12)
	// 3 points in 2 groups: one intercept each plus the slope leave df 0.
	if _, err := GroupedLinearFit([]float64{0, 1, 0}, []float64{0, 1, 0}, []int{0, 0, 1}, 0.95); !errors.Is(err, ErrTooFew) {
		t.Errorf("df 0: err = %v, want ErrTooFew", err)
	}
}
