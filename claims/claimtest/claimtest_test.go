package claimtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// fake is a claim whose units are (seed, point): x = value plus
// seed-derived noise of 0.01 at each of two points; it holds when the mean
// x is inside [0.5, 1.5]. It is not registered.
type fake struct{ value float64 }

func (fake) Info() claims.Info {
	return claims.Info{ID: "fake", Name: "fake", Paper: "none", Statement: "x is near 1."}
}
func (fake) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 4, Data: "synthetic", Setup: []string{"nothing is trained"}, Config: map[string]int{"points": 2},
		Tolerance: claims.Tolerance{SameRel: 1e-9, CrossISARel: 0.1, Reason: "test"}}
}
func (f fake) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, f, spec)
}
func (fake) Units(spec claims.Spec) []claims.Unit {
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for p := range 2 {
			us = append(us, claims.Unit{Name: fmt.Sprintf("p=%d seed=%d", p, s), Seed: s, Point: p, Cost: float64(p)})
		}
	}
	return us
}
func (f fake) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	return jsonfloat.Float(f.value + 0.01*rng.New(u.Seed, "fake", uint64(u.Point)).Normal()), nil
}
func (f fake) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
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
	ev := &claims.Evidence{Seeds: seeds, Data: "none", Figures: map[string]float64{"x": stats.Mean(jsonfloat.Float64s(xs)), "nan": math.NaN()}}
	return ev, ev.SetMeasurements(xs)
}
func (fake) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	ck := claims.Check{Name: "x", Statistic: "mean x", Value: stats.MeanTOrNaN(xs, 0.95), Threshold: "inside [0.5, 1.5]", Reason: "test"}
	ck.Outcome = claims.Within(ck.Value, 0.5, 1.5)
	return &claims.Verdict{Outcome: claims.Combine([]claims.Check{ck}), Checks: []claims.Check{ck}}, nil
}

func TestSplitFramework(t *testing.T) {
	Split(t, fake{1}, fake{}.Spec(claims.Quick))
	spec, _ := claims.SpecAt(fake{1}, claims.Quick, 0)
	if _, err := claims.FindUnit(fake{1}, spec, "p=9 seed=1"); err == nil || !strings.Contains(err.Error(), `"p=0 seed=1"`) {
		t.Errorf("unknown unit: %v", err)
	}
	// RunClaim through Run gives a stamped, judged result.
	res, err := claims.RunClaim(context.Background(), fake{1}, claims.Quick, &claims.Env{Seeds: 3})
	if err != nil || res.Verdict.Outcome != claims.Holds || len(res.Evidence.Seeds) != 3 || res.Evidence.ISA == "" {
		t.Fatalf("RunClaim: %v %+v", err, res)
	}
	Evidence(t, fake{}, res)
	Info(t, fake{})
	if o := CheckOutcome(t, Judge(t, fake{}, []float64{3, 3.1, 2.9}), "x"); o != claims.DoesNotHold {
		t.Errorf("planted x = 3: %s", o)
	}
}

func TestGoldenCompare(t *testing.T) {
	run := func(value float64, env *claims.Env) *claims.Result {
		res, err := claims.RunClaim(context.Background(), fake{value}, claims.Quick, env)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(1, nil)
	dir := t.TempDir()
	if err := claims.WriteGolden(dir, claims.NewGolden(res)); err != nil {
		t.Fatal(err)
	}
	g, err := claims.ReadGolden(dir, "fake", res.Evidence.Spec.SetupID)
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Compare(res); d != "" {
		t.Fatalf("a run differs from its own golden:\n%s", d)
	}
	// A figure moved beyond the same-ISA tolerance is reported...
	moved := run(1.001, nil)
	if d := g.Compare(moved); !strings.Contains(d, "figures differ") || !strings.Contains(d, "same-ISA") {
		t.Errorf("moved figure not reported: %q", d)
	}
	// ...but passes the looser cross-ISA tolerance when the ISA differs.
	moved.Evidence.ISA = "other"
	if d := g.Compare(moved); d != "" {
		t.Errorf("cross-ISA rerun within tolerance reported: %q", d)
	}
	// A changed verdict is always reported.
	failing := run(3, nil)
	failing.Evidence.ISA = "other"
	if d := g.Compare(failing); !strings.Contains(d, "verdict differs") {
		t.Errorf("changed verdict not reported: %q", d)
	}
	// Other seeds make the run incomparable.
	if d := g.Compare(run(1, &claims.Env{Seeds: 5})); !strings.Contains(d, "seeds") {
		t.Errorf("different seeds not reported: %q", d)
	}
	// The golden file is readable JSON with the tolerance in it.
	b, _ := os.ReadFile(claims.GoldenPath(dir, "fake", res.Evidence.Spec.SetupID))
	if !strings.Contains(string(b), `"cross_isa_rel": 0.1`) || !strings.Contains(string(b), `"nan": null`) {
		t.Errorf("golden file lacks the tolerance or the NaN figure:\n%s", b)
	}
	if d := GoldenDir(t); filepath.Base(d) != "goldens" {
		t.Errorf("GoldenDir = %s", d)
	}
}
