package claims

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// checkSplit is the contract of a claim that splits, on a (small) spec with
// at least three seeds:
//
//  1. the units run one by one in separate environments (one worker,
//     GOMAXPROCS 1, last unit first) and merged give bitwise the evidence
//     of RunUnits on two workers (what a sharded sweep gives equals what
//     one process gives);
//  2. a merge without the last seed's units (a sweep that is not finished)
//     uses the complete seeds only, says so, and equals a run planned with
//     that many seeds;
//  3. a merge with fewer than MinMergeSeeds complete seeds is refused.
func checkSplit(t *testing.T, s Splitter, spec Spec) {
	t.Helper()
	if spec.Seeds < 3 {
		t.Fatalf("checkSplit needs at least 3 seeds, got %d", spec.Seeds)
	}
	ctx := context.Background()
	whole, err := RunUnits(ctx, &Env{Workers: 2}, s, spec)
	if err != nil {
		t.Fatal(err)
	}
	units := s.Units(spec)
	parts := map[string]json.RawMessage{}
	func() {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		for i := len(units) - 1; i >= 0; i-- {
			b, err := RunUnit(ctx, &Env{Workers: 1}, s, spec, units[i].Name)
			if err != nil {
				t.Fatal(err)
			}
			parts[units[i].Name] = b
		}
	}()
	merged, cov, err := MergeUnits(s, nil, spec, parts, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !cov.Complete() || merged.Evidence.Coverage != nil {
		t.Errorf("complete merge reports coverage %+v", cov)
	}
	if !bytes.Equal(whole.Measurements, merged.Evidence.Measurements) {
		t.Errorf("units merged one by one differ from RunUnits:\n%s\n%s", whole.Measurements, merged.Evidence.Measurements)
	}
	if d := cmp.Diff(whole.Figures, merged.Evidence.Figures, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("figures differ (-RunUnits +merged):\n%s", d)
	}

	// Without the last seed.
	last := uint64(spec.Seeds)
	partial := map[string]json.RawMessage{}
	for _, u := range units {
		if u.Seed != last {
			partial[u.Name] = parts[u.Name]
		}
	}
	res, cov, err := MergeUnits(s, nil, spec, partial, "test")
	if err != nil {
		t.Fatal(err)
	}
	if cov.Complete() || !slices.Equal(cov.Left, []uint64{last}) || !slices.Equal(res.Evidence.Seeds, SeedList(spec.Seeds-1)) ||
		res.Evidence.Coverage == nil || !strings.Contains(res.Evidence.Notes[0], "Partial result") {
		t.Errorf("partial merge: coverage %+v, seeds %v, notes %q", cov, res.Evidence.Seeds, res.Evidence.Notes[:1])
	}
	fewer := spec
	fewer.Seeds--
	want, err := RunUnits(ctx, &Env{Workers: 2}, s, fewer)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want.Measurements, res.Evidence.Measurements) {
		t.Errorf("merge without seed %d differs from a run with %d seeds:\n%s\n%s", last, fewer.Seeds, want.Measurements, res.Evidence.Measurements)
	}

	// One complete seed is not enough.
	one := map[string]json.RawMessage{}
	for _, u := range units {
		if u.Seed == 1 {
			one[u.Name] = parts[u.Name]
		}
	}
	if _, _, err := MergeUnits(s, nil, spec, one, "test"); err == nil || !strings.Contains(err.Error(), "need 2") {
		t.Errorf("merge of one seed: %v", err)
	}
	if _, _, err := MergeUnits(s, nil, spec, map[string]json.RawMessage{"no such unit": nil}, "test"); err == nil {
		t.Error("a result for an unknown unit was accepted")
	}
}

// splitFake is a claim whose units are (seed, point): x = seed-derived
// noise around 1 at each of two points.
type splitFake struct{}

func (splitFake) Info() Info {
	return Info{ID: "splitfake", Name: "split fake", Paper: "none", Statement: "x is near 1."}
}
func (splitFake) Spec(s Scale) Spec {
	return Spec{Scale: s, Seeds: 4, Data: "synthetic", Setup: []string{"nothing is trained"}, Config: map[string]int{"points": 2}}
}
func (f splitFake) Run(ctx context.Context, env *Env, spec Spec) (*Evidence, error) {
	return RunUnits(ctx, env, f, spec)
}
func (splitFake) Units(spec Spec) []Unit {
	var us []Unit
	for _, s := range SeedList(spec.Seeds) {
		for p := range 2 {
			us = append(us, Unit{Name: fmt.Sprintf("p=%d seed=%d", p, s), Seed: s, Cost: float64(p)})
		}
	}
	return us
}
func (splitFake) RunUnit(ctx context.Context, env *Env, spec Spec, u Unit) (any, error) {
	return jsonfloat.Float(1 + 0.01*rng.New(u.Seed, "fake", 0).Normal()), nil
}
func (f splitFake) Merge(env *Env, spec Spec, seeds []uint64, results map[string]json.RawMessage) (*Evidence, error) {
	var xs []jsonfloat.Float
	for _, s := range seeds {
		for p := range 2 {
			var x jsonfloat.Float
			if err := json.Unmarshal(results[fmt.Sprintf("p=%d seed=%d", p, s)], &x); err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
	}
	ev := &Evidence{Seeds: seeds, Data: "none", Figures: map[string]float64{"n": float64(len(xs))}}
	return ev, ev.SetMeasurements(xs)
}
func (splitFake) Verdict(ev *Evidence) (*Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := Check{Name: "x", Statistic: "mean x", Value: m, Threshold: "inside [0.5, 1.5]", Reason: "test", Outcome: Within(m, 0.5, 1.5)}
	return &Verdict{Outcome: ck.Outcome, Checks: []Check{ck}}, nil
}

func TestSplitFramework(t *testing.T) {
	checkSplit(t, splitFake{}, splitFake{}.Spec(Quick))
	spec, _ := SpecAt(splitFake{}, Quick, 0)
	if _, err := FindUnit(splitFake{}, spec, "p=9 seed=1"); err == nil || !strings.Contains(err.Error(), `"p=0 seed=1"`) {
		t.Errorf("unknown unit: %v", err)
	}
	if _, err := RunUnit(context.Background(), nil, splitFake{}, spec, "nope"); err == nil {
		t.Error("RunUnit ran an unknown unit")
	}
	// RunClaim through Run gives a stamped, judged result.
	res, err := RunClaim(context.Background(), splitFake{}, Quick, &Env{Seeds: 3})
	if err != nil || res.Verdict.Outcome != Holds || len(res.Evidence.Seeds) != 3 || res.Evidence.ISA == "" {
		t.Fatalf("RunClaim: %v %+v", err, res)
	}
}
