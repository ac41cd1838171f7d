package claims

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

func TestZoomSteps(t *testing.T) {
	got := ZoomSteps(97, 24)
	if got[0] != 1 || got[len(got)-1] != 97 || len(got) > 24 {
		t.Fatalf("ZoomSteps(97, 24) = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("not increasing: %v", got)
		}
	}
	if ZoomSteps(0, 5) != nil || ZoomSteps(10, 0) != nil {
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
	parts := &MNISTParts{Train: tr, Val: val, Probe: tr.Rows(0, 256), ProbeSel: "first 256"}
	run := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r := &CurvRun{Spec: "mlp:20-32-32-4", InitSeed: 1, OrderSeed: 2, ProbeSeed: 3, LR: 0.1, Batch: 16, Epochs: 3,
			Parts: parts, Tol: 1e-3, ZoomEpochs: 1, ZoomPoints: 8, EveryEpoch: true, TraceBudget: 12}
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != len(ZoomSteps(res.StepsPerEpoch, 8))+3 {
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
