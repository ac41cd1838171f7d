package stats

import (
	"fmt"
	"math"
)

// The number formats of tables, check details and reports, written once.
// A figure that could not be measured is NaN and reads "n/a".

// String formats the estimate and its interval with 3 significant digits,
// "1.02 [0.98, 1.06]" (see Format).
func (iv Interval) String() string { return iv.Format("%.3g", 1) }

// Format formats the estimate and its interval as "est [lo, hi]", each
// number multiplied by scale (100 for percent) and written with verb
// ("%.2f"): "n/a" when the estimate is NaN, the estimate alone when a bound
// is NaN (an interval that could not be formed around a value that could).
func (iv Interval) Format(verb string, scale float64) string {
	if math.IsNaN(iv.Estimate) {
		return "n/a"
	}
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return fmt.Sprintf(verb, scale*iv.Estimate)
	}
	return fmt.Sprintf(verb+" ["+verb+", "+verb+"]", scale*iv.Estimate, scale*iv.Lo, scale*iv.Hi)
}

// G3 formats x with 3 significant digits, "n/a" for NaN.
func G3(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3g", x)
}

// NaNInterval is the interval of a figure that could not be computed.
func NaNInterval() Interval {
	return Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
}

// MeanTOrNaN is MeanT, or NaNInterval with MeanT's error in Method when
// the interval cannot be formed (fewer than two finite values): for tables
// and checks that show "n/a" and say why rather than stop.
func MeanTOrNaN(xs []float64, level float64) Interval {
	iv, err := MeanT(xs, level)
	if err != nil {
		iv = NaNInterval()
		iv.Method = err.Error()
	}
	return iv
}
