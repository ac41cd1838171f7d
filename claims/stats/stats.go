package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Interval is an estimate with a two-sided confidence interval and the words
// that say how it was computed ("95% t-interval over 3 seeds").
type Interval struct {
	Estimate float64
	Lo, Hi   float64
	Level    float64 // e.g. 0.95
	N        int     // number of values it was computed from
	Method   string
}

// Contains reports whether x lies in [Lo, Hi].
func (iv Interval) Contains(x float64) bool { return iv.Lo <= x && x <= iv.Hi }

type intervalJSON struct {
	Estimate jsonfloat.Float `json:"estimate"`
	Lo       jsonfloat.Float `json:"lo"`
	Hi       jsonfloat.Float `json:"hi"`
	Level    jsonfloat.Float `json:"level"`
	N        int             `json:"n"`
	Method   string          `json:"method"`
}

// MarshalJSON writes NaN and infinities as jsonfloat.Float does.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{jsonfloat.Float(iv.Estimate), jsonfloat.Float(iv.Lo), jsonfloat.Float(iv.Hi), jsonfloat.Float(iv.Level), iv.N, iv.Method})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var j intervalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*iv = Interval{float64(j.Estimate), float64(j.Lo), float64(j.Hi), float64(j.Level), j.N, j.Method}
	return nil
}

// ErrTooFew is returned when there are not enough values for an interval.
var ErrTooFew = errors.New("stats: too few values")

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("stats: confidence level %g not in (0,1)", level)
	}
	return nil
}

func checkFinite(name string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("stats: %s[%d] = %g is not finite", name, i, x)
		}
	}
	return nil
}

// tQuantile returns the two-sided critical value t_{(1+level)/2, df}.
func tQuantile(level float64, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile((1 + level) / 2)
}

// MeanT returns the mean of xs with the Student-t interval
// mean ± t_{(1+level)/2, n-1} · s/√n, s the sample standard deviation
// (n-1 denominator). It needs at least two values.
func MeanT(xs []float64, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, err
	}
	n := len(xs)
	if n < 2 {
		return Interval{}, fmt.Errorf("%w: t-interval needs >= 2 values, have %d", ErrTooFew, n)
	}
	if err := checkFinite("x", xs); err != nil {
		return Interval{}, err
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	half := tQuantile(level, float64(n-1)) * sd / math.Sqrt(float64(n))
	return Interval{
		Estimate: mean, Lo: mean - half, Hi: mean + half, Level: level, N: n,
		Method: fmt.Sprintf("%g%% t-interval of the mean over %d values (df %d)", 100*level, n, n-1),
	}, nil
}

// Bootstrap returns statistic(xs) with a percentile-bootstrap interval:
// resamples draws of len(xs) values with replacement (stream "bootstrap"
// under seed), statistic of each, and the empirical (1-level)/2 and
// (1+level)/2 quantiles of those (gonum's stat.Empirical rule: the smallest
// value with at least that fraction at or below it). Deterministic for a seed.
func Bootstrap(xs []float64, statistic func([]float64) float64, resamples int, level float64, seed uint64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, err
	}
	n := len(xs)
	if n < 2 {
		return Interval{}, fmt.Errorf("%w: bootstrap needs >= 2 values, have %d", ErrTooFew, n)
	}
	if resamples < 10 {
		return Interval{}, fmt.Errorf("stats: bootstrap needs >= 10 resamples, have %d", resamples)
	}
	if err := checkFinite("x", xs); err != nil {
		return Interval{}, err
	}
	r := rng.New(seed, "bootstrap", 0)
	buf := make([]float64, n)
	reps := make([]float64, resamples)
	for b := range reps {
		for i := range buf {
			buf[i] = xs[r.IntN(n)]
		}
		reps[b] = statistic(buf)
	}
	slices.Sort(reps)
	lo := stat.Quantile((1-level)/2, stat.Empirical, reps, nil)
	hi := stat.Quantile((1+level)/2, stat.Empirical, reps, nil)
	return Interval{
		Estimate: statistic(slices.Clone(xs)), Lo: lo, Hi: hi, Level: level, N: n,
		Method: fmt.Sprintf("%g%% percentile bootstrap over %d values, %d resamples, seed %d", 100*level, n, resamples, seed),
	}, nil
}

// Mean is the arithmetic mean, for use as a Bootstrap statistic.
func Mean(xs []float64) float64 { return stat.Mean(xs, nil) }

// Median is the sample median (average of the two middle values for even n),
// for use as a Bootstrap statistic. It sorts a copy.
func Median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// GeoMeanT is the geometric mean of positive xs with the t interval of the
// mean of their logs, mapped back: the natural summary of a scale quantity
// (a curvature) over seeds.
func GeoMeanT(xs []float64, level float64) (Interval, error) {
	ls := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return Interval{}, fmt.Errorf("value %d (%g) is not positive and finite", i, x)
		}
		ls[i] = math.Log(x)
	}
	iv, err := MeanT(ls, level)
	if err != nil {
		return iv, err
	}
	iv.Estimate, iv.Lo, iv.Hi = math.Exp(iv.Estimate), math.Exp(iv.Lo), math.Exp(iv.Hi)
	iv.Method = "geometric mean; " + iv.Method + " of the logs, mapped back"
	return iv, nil
}
