package stats

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"gonum.org/v1/gonum/stat"
)

// Fit is a straight line fitted by ordinary least squares, with a t interval
// on the slope.
type Fit struct {
	Slope, Intercept float64
	SlopeSE          float64  // standard error of the slope
	SlopeCI          Interval // t interval, n-2 degrees of freedom
	R2               float64
	N                int
	Method           string
}

type fitJSON struct {
	Slope     jsonfloat.Float `json:"slope"`
	Intercept jsonfloat.Float `json:"intercept"`
	SlopeSE   jsonfloat.Float `json:"slope_se"`
	SlopeCI   Interval        `json:"slope_ci"`
	R2        jsonfloat.Float `json:"r2"`
	N         int             `json:"n"`
	Method    string          `json:"method"`
}

// MarshalJSON writes NaN and infinities as jsonfloat.Float does.
func (f Fit) MarshalJSON() ([]byte, error) {
	return json.Marshal(fitJSON{jsonfloat.Float(f.Slope), jsonfloat.Float(f.Intercept), jsonfloat.Float(f.SlopeSE), f.SlopeCI, jsonfloat.Float(f.R2), f.N, f.Method})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Fit) UnmarshalJSON(b []byte) error {
	var j fitJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fit{float64(j.Slope), float64(j.Intercept), float64(j.SlopeSE), j.SlopeCI, float64(j.R2), j.N, j.Method}
	return nil
}

// LinearFit fits y = Intercept + Slope·x by OLS (gonum stat.LinearRegression)
// and gives the slope the interval Slope ± t_{(1+level)/2, n-2}·SE with
// SE = sqrt(RSS/(n-2) / Σ(x-x̄)²). It needs three points with at least two
// distinct x.
func LinearFit(x, y []float64, level float64) (Fit, error) {
	if err := checkLevel(level); err != nil {
		return Fit{}, err
	}
	n := len(x)
	if n != len(y) {
		return Fit{}, fmt.Errorf("stats: fit: %d x values, %d y values", n, len(y))
	}
	if n < 3 {
		return Fit{}, fmt.Errorf("%w: a slope interval needs >= 3 points, have %d", ErrTooFew, n)
	}
	if err := checkFinite("x", x); err != nil {
		return Fit{}, err
	}
	if err := checkFinite("y", y); err != nil {
		return Fit{}, err
	}
	xm := stat.Mean(x, nil)
	var sxx float64
	for _, v := range x {
		sxx += (v - xm) * (v - xm)
	}
	if sxx == 0 {
		return Fit{}, fmt.Errorf("stats: fit: all x values are equal")
	}
	a, b := stat.LinearRegression(x, y, nil, false)
	var rss float64
	for i := range x {
		r := y[i] - a - b*x[i]
		rss += r * r
	}
	se := math.Sqrt(rss / float64(n-2) / sxx)
	half := tQuantile(level, float64(n-2)) * se
	return Fit{
		Slope: b, Intercept: a, SlopeSE: se, R2: stat.RSquaredFrom(fitted(x, a, b), y, nil), N: n,
		SlopeCI: Interval{Estimate: b, Lo: b - half, Hi: b + half, Level: level, N: n,
			Method: fmt.Sprintf("%g%% t-interval of the OLS slope, %d points (df %d)", 100*level, n, n-2)},
		Method: "ordinary least squares",
	}, nil
}

func fitted(x []float64, a, b float64) []float64 {
	f := make([]float64, len(x))
	for i, v := range x {
		f[i] = a + b*v
	}
	return f
}

// LogLogSlope fits log y = c + slope·log x (natural logs) with LinearFit. A
// slope of 1 means y ∝ x. Every x and y must be positive.
func LogLogSlope(x, y []float64, level float64) (Fit, error) {
	if len(x) != len(y) {
		return Fit{}, fmt.Errorf("stats: log-log fit: %d x values, %d y values", len(x), len(y))
	}
	lx, ly := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) {
			return Fit{}, fmt.Errorf("stats: log-log fit: point %d (%g, %g) is not positive", i, x[i], y[i])
		}
		lx[i], ly[i] = math.Log(x[i]), math.Log(y[i])
	}
	f, err := LinearFit(lx, ly, level)
	if err != nil {
		return Fit{}, err
	}
	f.Method = "OLS of log y on log x"
	f.SlopeCI.Method = fmt.Sprintf("%g%% t-interval of the log-log OLS slope, %d points (df %d)", 100*level, f.N, f.N-2)
	return f, nil
}

// SpreadGap compares a family of values that a claim says should agree with
// control values that it says should differ:
//
//	Spread = max(family) - min(family)
//	Gap    = min over controls c of |c - mean(family)|
//	Ratio  = Spread / Gap
//
// A ratio well below 1 means the family is tight compared with how far the
// controls sit from it. Gap 0 gives Ratio +Inf.
type SpreadGapResult struct {
	Spread, Gap, Ratio float64
	FamilyMean         float64
}

// MarshalJSON writes NaN and infinities as jsonfloat.Float does.
func (s SpreadGapResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]jsonfloat.Float{"spread": jsonfloat.Float(s.Spread), "gap": jsonfloat.Float(s.Gap), "ratio": jsonfloat.Float(s.Ratio), "family_mean": jsonfloat.Float(s.FamilyMean)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *SpreadGapResult) UnmarshalJSON(b []byte) error {
	var m map[string]jsonfloat.Float
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = SpreadGapResult{float64(m["spread"]), float64(m["gap"]), float64(m["ratio"]), float64(m["family_mean"])}
	return nil
}

// SpreadGap computes SpreadGapResult. It needs at least two family values and
// one control.
func SpreadGap(family, controls []float64) (SpreadGapResult, error) {
	if len(family) < 2 || len(controls) < 1 {
		return SpreadGapResult{}, fmt.Errorf("%w: spread/gap needs >= 2 family values and >= 1 control, have %d and %d", ErrTooFew, len(family), len(controls))
	}
	if err := checkFinite("family", family); err != nil {
		return SpreadGapResult{}, err
	}
	if err := checkFinite("controls", controls); err != nil {
		return SpreadGapResult{}, err
	}
	lo, hi := family[0], family[0]
	for _, v := range family {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	m := stat.Mean(family, nil)
	gap := math.Inf(1)
	for _, c := range controls {
		gap = math.Min(gap, math.Abs(c-m))
	}
	r := SpreadGapResult{Spread: hi - lo, Gap: gap, FamilyMean: m}
	if gap == 0 {
		r.Ratio = math.Inf(1)
	} else {
		r.Ratio = r.Spread / gap
	}
	return r, nil
}

// GroupedLogLogSlope fits log y = a_g + slope·log x with one intercept per
// group (fixed effects) and a common slope: the within-group OLS slope
//
//	slope = Σ x'y' / Σ x'²,  x' = log x - mean_g(log x), y' likewise,
//
// with the t interval on n - G - 1 degrees of freedom, G the number of
// groups. Use it when replicates (seeds) each measure the same x grid and
// differ by a constant factor (their own minimum, their own data): the
// factor drops out instead of inflating the residuals.
func GroupedLogLogSlope(x, y []float64, group []int, level float64) (Fit, error) {
	if len(x) != len(y) || len(x) != len(group) {
		return Fit{}, fmt.Errorf("stats: grouped fit: %d x, %d y, %d group values", len(x), len(y), len(group))
	}
	lx, ly := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return Fit{}, fmt.Errorf("stats: grouped log-log fit: point %d (%g, %g) is not positive and finite", i, x[i], y[i])
		}
		lx[i], ly[i] = math.Log(x[i]), math.Log(y[i])
	}
	return GroupedLinearFit(lx, ly, group, level)
}

// GroupedLinearFit is GroupedLogLogSlope without the logs.
func GroupedLinearFit(x, y []float64, group []int, level float64) (Fit, error) {
	if err := checkLevel(level); err != nil {
		return Fit{}, err
	}
	n := len(x)
	if n != len(y) || n != len(group) {
		return Fit{}, fmt.Errorf("stats: grouped fit: %d x, %d y, %d group values", n, len(y), len(group))
	}
	if err := checkFinite("x", x); err != nil {
		return Fit{}, err
	}
	if err := checkFinite("y", y); err != nil {
		return Fit{}, err
	}
	sx, sy, cnt := map[int]float64{}, map[int]float64{}, map[int]int{}
	for i, g := range group {
		sx[g] += x[i]
		sy[g] += y[i]
		cnt[g]++
	}
	df := n - len(cnt) - 1
	if df < 1 {
		return Fit{}, fmt.Errorf("%w: grouped fit of %d points in %d groups leaves no degrees of freedom", ErrTooFew, n, len(cnt))
	}
	var sxx, sxy float64
	xd, yd := make([]float64, n), make([]float64, n)
	for i, g := range group {
		xd[i] = x[i] - sx[g]/float64(cnt[g])
		yd[i] = y[i] - sy[g]/float64(cnt[g])
		sxx += xd[i] * xd[i]
		sxy += xd[i] * yd[i]
	}
	if sxx == 0 {
		return Fit{}, fmt.Errorf("stats: grouped fit: x does not vary inside any group")
	}
	b := sxy / sxx
	var rss, syy float64
	for i := range xd {
		r := yd[i] - b*xd[i]
		rss += r * r
		syy += yd[i] * yd[i]
	}
	se := math.Sqrt(rss / float64(df) / sxx)
	half := tQuantile(level, float64(df)) * se
	r2 := math.NaN()
	if syy > 0 {
		r2 = 1 - rss/syy
	}
	return Fit{
		Slope: b, Intercept: math.NaN(), SlopeSE: se, R2: r2, N: n,
		SlopeCI: Interval{Estimate: b, Lo: b - half, Hi: b + half, Level: level, N: n,
			Method: fmt.Sprintf("%g%% t-interval of the within-group OLS slope, %d points in %d groups (df %d)", 100*level, n, len(cnt), df)},
		Method: "OLS with one intercept per group (within R²)",
	}, nil
}
