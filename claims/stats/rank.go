package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Ranks returns the 1-based ranks of xs, ties sharing their average rank
// (the convention that makes Spearman's rho the Pearson correlation of ranks).
func Ranks(xs []float64) []float64 {
	n := len(xs)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	r := make([]float64, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks. It is NaN when either has all values equal.
func Spearman(x, y []float64) float64 {
	return stat.Correlation(Ranks(x), Ranks(y), nil)
}

// Correlation is a rank correlation with its interval and a permutation
// p-value for the null hypothesis of no association.
type Correlation struct {
	Rho    float64
	CI     Interval // Fisher-z interval
	P      float64  // two-sided permutation p-value
	Exact  bool     // P enumerates all n! permutations (n <= 8)
	Perms  int      // permutations used when not exact
	N      int
	Method string
}

type correlationJSON struct {
	Rho    jsonfloat.Float `json:"rho"`
	CI     Interval        `json:"ci"`
	P      jsonfloat.Float `json:"p"`
	Exact  bool            `json:"exact"`
	Perms  int             `json:"perms,omitempty"`
	N      int             `json:"n"`
	Method string          `json:"method"`
}

// MarshalJSON writes NaN and infinities as jsonfloat.Float does.
func (c Correlation) MarshalJSON() ([]byte, error) {
	return json.Marshal(correlationJSON{jsonfloat.Float(c.Rho), c.CI, jsonfloat.Float(c.P), c.Exact, c.Perms, c.N, c.Method})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Correlation) UnmarshalJSON(b []byte) error {
	var j correlationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Correlation{float64(j.Rho), j.CI, float64(j.P), j.Exact, j.Perms, j.N, j.Method}
	return nil
}

// SpearmanTest returns Spearman's rho of x and y with
//
//   - a Fisher-z interval: z = atanh(rho) ± q·sqrt(1.06/(n-3)), q the normal
//     quantile, mapped back with tanh. The 1.06 is Fieller, Hartley & Pearson
//     (1957)'s variance inflation for rank correlations; it needs n >= 4.
//   - a two-sided permutation p-value: the fraction of permutations of y
//     whose |rho| is at least the observed |rho|. For n <= 8 all n!
//     permutations are enumerated (exact); otherwise perms random ones (stream
//     "spearman-perm" under seed) plus the observed one, (1+hits)/(1+perms),
//     which never reports p = 0.
func SpearmanTest(x, y []float64, level float64, perms int, seed uint64) (Correlation, error) {
	if err := checkLevel(level); err != nil {
		return Correlation{}, err
	}
	n := len(x)
	if n != len(y) {
		return Correlation{}, fmt.Errorf("stats: spearman: %d x values, %d y values", n, len(y))
	}
	if n < 4 {
		return Correlation{}, fmt.Errorf("%w: spearman interval needs >= 4 pairs, have %d", ErrTooFew, n)
	}
	if err := checkFinite("x", x); err != nil {
		return Correlation{}, err
	}
	if err := checkFinite("y", y); err != nil {
		return Correlation{}, err
	}
	rx, ry := Ranks(x), Ranks(y)
	rho := stat.Correlation(rx, ry, nil)
	if math.IsNaN(rho) {
		return Correlation{}, fmt.Errorf("stats: spearman: x or y has all values equal")
	}
	q := distuv.UnitNormal.Quantile((1 + level) / 2)
	se := math.Sqrt(1.06 / float64(n-3))
	z := math.Atanh(math.Max(-1+1e-15, math.Min(1-1e-15, rho)))
	ci := Interval{
		Estimate: rho, Lo: math.Tanh(z - q*se), Hi: math.Tanh(z + q*se), Level: level, N: n,
		Method: fmt.Sprintf("%g%% Fisher-z interval, se sqrt(1.06/(n-3)), n=%d", 100*level, n),
	}
	c := Correlation{Rho: rho, CI: ci, N: n}
	obs := math.Abs(rho) - 1e-12 // ties with the observed count as "at least as extreme"
	perm := slices.Clone(ry)
	if n <= 8 {
		hits, total := 0, 0
		permute(perm, 0, func(p []float64) {
			total++
			if math.Abs(stat.Correlation(rx, p, nil)) >= obs {
				hits++
			}
		})
		c.P, c.Exact = float64(hits)/float64(total), true
		c.Method = fmt.Sprintf("Spearman rho; exact permutation p over %d! orderings; %s", n, ci.Method)
		return c, nil
	}
	if perms < 99 {
		return Correlation{}, fmt.Errorf("stats: spearman: need >= 99 permutations for n > 8, have %d", perms)
	}
	r := rng.New(seed, "spearman-perm", 0)
	idx := make([]int, n)
	hits := 0
	for b := 0; b < perms; b++ {
		for i := range idx {
			idx[i] = i
		}
		r.Shuffle(idx)
		for i, j := range idx {
			perm[i] = ry[j]
		}
		if math.Abs(stat.Correlation(rx, perm, nil)) >= obs {
			hits++
		}
	}
	c.P, c.Perms = float64(1+hits)/float64(1+perms), perms
	c.Method = fmt.Sprintf("Spearman rho; Monte Carlo permutation p over %d shuffles (seed %d); %s", perms, seed, ci.Method)
	return c, nil
}

// permute calls f with every permutation of p[k:] (Heap-free recursive swap).
func permute(p []float64, k int, f func([]float64)) {
	if k == len(p) {
		f(p)
		return
	}
	for i := k; i < len(p); i++ {
		p[k], p[i] = p[i], p[k]
		permute(p, k+1, f)
		p[k], p[i] = p[i], p[k]
	}
}

// KendallTau is Kendall's tau-b of x and y (ties in either corrected for);
// NaN when x or y is constant.
func KendallTau(x, y []float64) float64 {
	var conc, disc, tx, ty float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			a, b := sign(x[i]-x[j]), sign(y[i]-y[j])
			switch {
			case a == 0 && b == 0:
			case a == 0:
				tx++
			case b == 0:
				ty++
			case a == b:
				conc++
			default:
				disc++
			}
		}
	}
	den := math.Sqrt((conc + disc + tx) * (conc + disc + ty))
	if den == 0 {
		return math.NaN()
	}
	return (conc - disc) / den
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// Median3 smooths a series by the median of each value and its neighbours
// (the ends keep their own value): one fluctuation, up or down, does not
// move a peak or a plateau.
func Median3(x []float64) []float64 {
	out := slices.Clone(x)
	for i := 1; i+1 < len(x); i++ {
		w := []float64{x[i-1], x[i], x[i+1]}
		slices.Sort(w)
		out[i] = w[1]
	}
	return out
}
