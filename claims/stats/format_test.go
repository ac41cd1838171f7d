package stats

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		iv    Interval
		verb  string
		scale float64
		want  string
	}{
		{Interval{Estimate: 1.0234, Lo: 0.98, Hi: 1.0612}, "%.3g", 1, "1.02 [0.98, 1.06]"},
		{Interval{Estimate: nan, Lo: 0, Hi: 1}, "%.3g", 1, "n/a"},
		{Interval{Estimate: 2, Lo: nan, Hi: nan}, "%.3g", 1, "2"},
		{Interval{Estimate: 0.9712, Lo: 0.96, Hi: 0.98}, "%.2f", 100, "97.12 [96.00, 98.00]"},
		{Interval{Estimate: 0.5, Lo: nan, Hi: 0.6}, "%.1f", 100, "50.0"},
	} {
		if got := tc.iv.Format(tc.verb, tc.scale); got != tc.want {
			t.Errorf("Format(%v, %q, %g) = %q, want %q", tc.iv, tc.verb, tc.scale, got, tc.want)
		}
	}
	if got := (Interval{Estimate: 1.0234, Lo: 0.98, Hi: 1.0612}).String(); got != "1.02 [0.98, 1.06]" {
		t.Errorf("String = %q", got)
	}
	if G3(12345) != "1.23e+04" || G3(nan) != "n/a" {
		t.Errorf("G3: %q %q", G3(12345), G3(nan))
	}
	if iv := MeanTOrNaN([]float64{1}, 0.95); !math.IsNaN(iv.Estimate) || iv.Method == "" {
		t.Errorf("MeanTOrNaN of one value: %+v; want NaN with the reason", iv)
	}
}
