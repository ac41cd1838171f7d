package claims

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

func iv(lo, hi float64) stats.Interval {
	return stats.Interval{Estimate: (lo + hi) / 2, Lo: lo, Hi: hi}
}

func TestDecisions(t *testing.T) {
	for _, tc := range []struct {
		iv   stats.Interval
		want Outcome
	}{
		{iv(0.95, 1.05), Holds},
		{iv(0.85, 1.05), Inconclusive}, // straddles 0.9
		{iv(1.11, 1.3), DoesNotHold},
		{iv(0.9, 1.1), Holds}, // the margin's ends belong to it
	} {
		if got := Within(tc.iv, 0.9, 1.1); got != tc.want {
			t.Errorf("Within(%v, 0.9, 1.1) = %s, want %s", tc.iv, got, tc.want)
		}
	}
	if Above(iv(0.2, 0.4), 0.1) != Holds || Above(iv(0.05, 0.4), 0.1) != Inconclusive || Above(iv(0, 0.05), 0.1) != DoesNotHold {
		t.Error("Above")
	}
	if Below(iv(0.2, 0.4), 0.5) != Holds || Below(iv(0.2, 0.6), 0.5) != Inconclusive || Below(iv(0.6, 0.7), 0.5) != DoesNotHold {
		t.Error("Below")
	}
	if o, i := AllOf([]Outcome{Holds, Inconclusive, DoesNotHold, Inconclusive}); o != DoesNotHold || i != 2 {
		t.Errorf("AllOf = %s at %d, want does not hold at 2", o, i)
	}
	if o, i := AllOf([]Outcome{Holds, Inconclusive, Holds}); o != Inconclusive || i != 1 {
		t.Errorf("AllOf = %s at %d, want inconclusive at 1", o, i)
	}
	if o, i := AllOf([]Outcome{Holds, Holds}); o != Holds || i != -1 {
		t.Errorf("AllOf = %s at %d", o, i)
	}
	if o, _ := AllOf(nil); o != Inconclusive {
		t.Error("AllOf(nil) should be inconclusive: nothing was shown")
	}
	mk := func(os ...Outcome) []Check {
		var cs []Check
		for _, o := range os {
			cs = append(cs, Check{Outcome: o})
		}
		return cs
	}
	if Combine(mk(Holds, Holds)) != Holds || Combine(mk(Holds, Inconclusive)) != Inconclusive ||
		Combine(mk(Inconclusive, DoesNotHold)) != DoesNotHold || Combine(nil) != Inconclusive {
		t.Error("Combine")
	}
}

// fakeClaim is a tiny claim for framework tests; it is not registered.
type fakeClaim struct{ value float64 }

func (fakeClaim) Info() Info {
	return Info{ID: "fake", Name: "fake", Paper: "none", Statement: "x is near 1"}
}
func (fakeClaim) Spec(s Scale) Spec {
	return Spec{Scale: s, Seeds: 3, Data: "synthetic", Setup: []string{"nothing"},
		Tolerance: Tolerance{SameRel: 1e-9, CrossISARel: 0.1, Reason: "test"}, Config: map[string]int{"k": 1}}
}
func (f fakeClaim) Run(ctx context.Context, env *Env, spec Spec) (*Evidence, error) {
	xs := make([]float64, spec.Seeds)
	err := env.ForEach(ctx, len(xs), func(i int) error { xs[i] = f.value + 0.01*float64(i); return nil })
	if err != nil {
		return nil, err
	}
	ev := &Evidence{Figures: map[string]float64{"x": f.value, "nan": math.NaN()}}
	return ev, ev.SetMeasurements(xs)
}
func (fakeClaim) Verdict(ev *Evidence) (*Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := Check{Name: "x", Statistic: "mean x", Value: m, Threshold: "inside [0.5, 1.5]", Reason: "test", Outcome: Within(m, 0.5, 1.5)}
	return &Verdict{Outcome: Combine([]Check{ck}), Checks: []Check{ck}}, nil
}

func TestForEach(t *testing.T) {
	env := &Env{Workers: 3}
	out := make([]int, 50)
	if err := env.ForEach(context.Background(), len(out), func(i int) error { out[i] = i * i; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
	// The error returned is the lowest-index one among those that ran, and
	// work stops being handed out after a failure.
	var ran atomic.Int32
	err := env.ForEach(context.Background(), 1000, func(i int) error {
		ran.Add(1)
		if i >= 5 {
			return errors.New("boom")
		}
		return nil
	})
	if err == nil || err.Error() != "boom" || ran.Load() > 100 {
		t.Errorf("err = %v after %d calls", err, ran.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := env.ForEach(ctx, 10, func(int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestResultsFile(t *testing.T) {
	res, err := RunClaim(context.Background(), fakeClaim{1}, Quick, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := SaveResults(path, &Results{Scale: Quick, Results: []Result{*res}}); err != nil {
		t.Fatal(err)
	}
	back, err := LoadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Results[0].Evidence.Figures["nan"]; !math.IsNaN(got) {
		t.Errorf("NaN figure read back as %g", got)
	}
	if back.Results[0].Verdict.Outcome != Holds {
		t.Errorf("verdict read back as %s", back.Results[0].Verdict.Outcome)
	}
}

// MNIST is loaded once per process and shared.
func TestEnvMNISTCached(t *testing.T) {
	env := &Env{}
	tr, te, err := env.MNIST()
	if err != nil {
		t.Skipf("MNIST not available here: %v", err)
	}
	if tr.N != 60000 || te.N != 10000 || tr.Dim != 784 {
		t.Errorf("MNIST sizes %d/%d x %d", tr.N, te.N, tr.Dim)
	}
	tr2, _, err := (&Env{Data: "mnist"}).MNIST()
	if err != nil || tr2 != tr {
		t.Errorf("second load did not hit the cache: %v", err)
	}
	if _, _, err := (&Env{Data: t.TempDir()}).MNIST(); err == nil {
		t.Error("an empty directory loaded as MNIST")
	}
}
