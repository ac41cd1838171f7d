package claims

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// dumpResult writes res to $SGDCLAIMS_DUMP/<claim>.json when that variable
// names a directory: the whole evidence of a test run, for a look at the
// per-seed numbers without rerunning.
func dumpResult(t *testing.T, res *Result) {
	dir := os.Getenv("SGDCLAIMS_DUMP")
	if dir == "" {
		return
	}
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, res.Evidence.Info.ID+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

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
		if got := kendallTau(tc.x, tc.y); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("kendallTau(%v, %v) = %g, want %g", tc.x, tc.y, got, tc.want)
		}
	}
	if !math.IsNaN(kendallTau([]float64{1, 1}, []float64{1, 2})) {
		t.Error("constant x should give NaN")
	}
}

func TestMedian3(t *testing.T) {
	got := median3([]float64{1, 10, 2, 3, 30, 4})
	want := []float64{1, 2, 3, 3, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("median3 = %v, want %v", got, want)
		}
	}
}

func TestGeoMeanT(t *testing.T) {
	iv, err := geoMeanT([]float64{1, 4, 16}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(iv.Estimate-4) > 1e-12 || !(iv.Lo < 4 && iv.Hi > 4) || math.Abs(iv.Lo*iv.Hi-16) > 1e-9 {
		t.Errorf("geoMeanT = %v: want 4 with an interval symmetric in log", iv)
	}
	if _, err := geoMeanT([]float64{1, 0, 2}, 0.95); err == nil {
		t.Error("zero accepted")
	}
}

func TestZoomSteps(t *testing.T) {
	got := zoomSteps(97, 24)
	if got[0] != 1 || got[len(got)-1] != 97 || len(got) > 24 {
		t.Fatalf("zoomSteps(97, 24) = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("not increasing: %v", got)
		}
	}
	if zoomSteps(0, 5) != nil || zoomSteps(10, 0) != nil {
		t.Error("empty zoom expected")
	}
}

// TestCurvRunDeterministic: a tracked run gives bitwise the same record
// whatever GOMAXPROCS is, which is what lets claims run seeds in parallel.
func TestCurvRunDeterministic(t *testing.T) {
	d := data.GaussianMixture(1200, 20, 4, 3, 5)
	tr, val, err := d.Split(200, 1)
	if err != nil {
		t.Fatal(err)
	}
	parts := &mnistParts{Train: tr, Val: val, Probe: tr.Rows(0, 256), ProbeSel: "first 256"}
	run := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r := &curvRun{Spec: "mlp:20-32-32-4", InitSeed: 1, OrderSeed: 2, ProbeSeed: 3, LR: 0.1, Batch: 16, Epochs: 3,
			Parts: parts, Tol: 1e-3, ZoomEpochs: 1, ZoomPoints: 8, EveryEpoch: true, TraceBudget: 12}
		res, err := r.run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != len(zoomSteps(res.StepsPerEpoch, 8))+3 {
			t.Errorf("%d measurements", len(res.Points))
		}
		res.Seconds = 0
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := run(1), run(2)
	if string(a) != string(b) {
		t.Errorf("GOMAXPROCS 1 and 2 differ:\n%s\n%s", a, b)
	}
}
