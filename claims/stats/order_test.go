package stats

import (
	"math"
	"testing"
)

func TestKendallTau(t *testing.T) {
	for _, tc := range []struct {
		x, y []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50}, 1},
		{[]float64{1, 2, 3, 4, 5}, []float64{5, 4, 3, 2, 1}, -1},
		{[]float64{1, 2, 3, 4, 5}, []float64{2, 1, 3, 4, 5}, 0.8},  // one swapped pair of 10
		{[]float64{1, 2, 3}, []float64{1, 1, 2}, 2 / math.Sqrt(6)}, // tau-b: (2-0)/sqrt(3*2)
	} {
		if got := KendallTau(tc.x, tc.y); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("KendallTau(%v, %v) = %g, want %g", tc.x, tc.y, got, tc.want)
		}
	}
	if !math.IsNaN(KendallTau([]float64{1, 1}, []float64{1, 2})) {
		t.Error("constant x should give NaN")
	}
}

func TestMedian3(t *testing.T) {
	got := Median3([]float64{1, 10, 2, 3, 30, 4})
	want := []float64{1, 2, 3, 3, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Median3 = %v, want %v", got, want)
		}
	}
}

func TestGeoMeanT(t *testing.T) {
	iv, err := GeoMeanT([]float64{1, 4, 16}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(iv.Estimate-4) > 1e-12 || !(iv.Lo < 4 && iv.Hi > 4) || math.Abs(iv.Lo*iv.Hi-16) > 1e-9 {
		t.Errorf("GeoMeanT = %v: want 4 with an interval symmetric in log", iv)
	}
	if _, err := GeoMeanT([]float64{1, 0, 2}, 0.95); err == nil {
		t.Error("zero accepted")
	}
}
