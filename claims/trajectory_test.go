package claims

import (
	"context"
	"encoding/json"
	"math"
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
			Parts: parts, Tol: 1e-3, ZoomEpochs: 1, ZoomPoints: 8, EveryEpoch: true, TraceBudget: 12,
			AtSteps: []int{77}, LossChecks: 10, LossTargets: LossLadder, SharpBatches: 3, SharpLambda: true}
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != len(ZoomSteps(res.StepsPerEpoch, 8))+3+1 {
			t.Errorf("%d measurements", len(res.Points))
		}
		checkMatched(t, res)
		for _, q := range res.Points {
			sharp := q.Step%res.StepsPerEpoch == 0 || q.Step == 77
			if sharp != (q.Sharp != 0) || sharp != (q.SharpLambda != 0) || !(float64(q.Loss) > 0) {
				t.Errorf("step %d: batch sharpness %g / %g, loss %g", q.Step, float64(q.Sharp), float64(q.SharpLambda), float64(q.Loss))
			}
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

// checkMatched: each matched point is at or below its targets, was the
// first evaluation to reach them (above the next higher rung's point), and
// the targets come in descending order, each once.
func checkMatched(t *testing.T, res *CurvResult) {
	t.Helper()
	if len(res.Matched) == 0 {
		t.Fatal("no matched-loss measurement")
	}
	prev := math.Inf(1)
	for i, q := range res.Matched {
		for _, tg := range q.Targets {
			if !(float64(q.Loss) <= tg) || !(tg < prev) {
				t.Errorf("matched point %d at step %d: loss %g for target %g (previous target %g)", i, q.Step, float64(q.Loss), tg, prev)
			}
			prev = tg
		}
		if i > 0 && q.Step <= res.Matched[i-1].Step {
			t.Errorf("matched points not in step order: %d after %d", q.Step, res.Matched[i-1].Step)
		}
	}
	if !(float64(res.MinLoss) <= float64(res.Matched[len(res.Matched)-1].Loss)) {
		t.Errorf("min loss %g above the last matched loss", float64(res.MinLoss))
	}
}

// A run without a trajectory (C1's) still measures its matched-loss
// points, from the loss checks alone.
func TestCurvRunMatchedOnly(t *testing.T) {
	d := data.GaussianMixture(1200, 20, 4, 3, 5)
	tr, val, err := d.Split(200, 1)
	if err != nil {
		t.Fatal(err)
	}
	parts := &MNISTParts{Train: tr, Val: val, Probe: tr.Rows(0, 256), ProbeSel: "first 256"}
	r := &CurvRun{Spec: "mlp:20-32-32-4", InitSeed: 1, OrderSeed: 2, ProbeSeed: 3, LR: 0.1, Batch: 16, Epochs: 3,
		Parts: parts, Tol: 1e-3, LossChecks: 8, LossTargets: []float64{0.5, 2, 0.05}}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkMatched(t, res)
	if p, ok := res.MatchedAt(2); !ok || res.Matched[0].Targets[0] != 2 || !(float64(p.Loss) <= 2) {
		t.Errorf("target 2 not matched first: %+v", res.Matched)
	}
	a := &CurvResult{Matched: []CurvPoint{{Targets: []float64{2, 1}}, {Targets: []float64{0.5}}}}
	b := &CurvResult{Matched: []CurvPoint{{Targets: []float64{2}}, {Targets: []float64{1, 0.5, 0.3}}}}
	if got, ok := MatchedTarget([]*CurvResult{a, b}, LossLadder); !ok || got != 0.5 {
		t.Errorf("MatchedTarget = %g, %v; want 0.5", got, ok)
	}
	if _, ok := MatchedTarget([]*CurvResult{a, {Diverged: true}}, LossLadder); ok {
		t.Error("a diverged run has a matched target")
	}
	if _, ok := MatchedTarget([]*CurvResult{a, {}}, LossLadder); ok {
		t.Error("a run that reached no rung has a matched target")
	}
}
