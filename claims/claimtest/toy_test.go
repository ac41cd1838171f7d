package claimtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"github.com/sgdclaims/sgdclaims/reports"
	"github.com/sgdclaims/sgdclaims/runner"
)

// The one-folder promise, checked: a claim written in this file alone
// (registered from its init, as a claim package registers itself) is run
// by the framework's verify path, planned, run and merged as a sweep by the
// runner, split and merged by the harness, and compared with its golden
// (testdata/toy.json), with no edit anywhere else.

func init() { claims.Register(toy{}) }

// toy claims that a measured x is on target at every point of a grid: the
// measurement of point p for seed s is target[p] plus noise 0.02 N(0,1)
// from the stream (s, "toy", p).
type toy struct{}

type toyConfig struct {
	Targets []float64 `json:"targets"`
	Margin  float64   `json:"margin"`
}

// toyRecord is the toy's measurements: X[point][seed index].
type toyRecord struct {
	Targets []float64           `json:"targets"`
	Margin  float64             `json:"margin"`
	X       [][]jsonfloat.Float `json:"x"`
}

func (toy) Info() claims.Info {
	return claims.Info{ID: "toy", Name: "a toy claim", Paper: "none (a test)", Statement: "x is on target at every grid point."}
}

func (toy) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 4, Data: "synthetic", Setup: []string{"x = target + 0.02 N(0,1) per point and seed"},
		Budget: "milliseconds", Config: toyConfig{Targets: []float64{1, 2, 4}, Margin: toyMargin},
		Tolerance: claims.Tolerance{SameRel: 1e-12, CrossISARel: 1e-12, Reason: "no floating-point kernel is involved: the same on every ISA"}}
}

func (c toy) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

func toyUnit(target float64, seed uint64) string {
	return fmt.Sprintf("target=%g seed=%d", target, seed)
}

func (toy) Units(spec claims.Spec) []claims.Unit {
	cfg, err := claims.ConfigOf[toyConfig](spec)
	if err != nil {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for p, target := range cfg.Targets {
			us = append(us, claims.Unit{Name: toyUnit(target, s), Seed: s, Point: p, Cost: target})
		}
	}
	return us
}

func (toy) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := claims.ConfigOf[toyConfig](spec)
	if err != nil {
		return nil, err
	}
	return jsonfloat.Float(cfg.Targets[u.Point] + 0.02*rng.New(u.Seed, "toy", uint64(u.Point)).Normal()), nil
}

func (toy) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := claims.ConfigOf[toyConfig](spec)
	if err != nil {
		return nil, err
	}
	rec := toyRecord{Targets: cfg.Targets, Margin: cfg.Margin, X: make([][]jsonfloat.Float, len(cfg.Targets))}
	ev := &claims.Evidence{Seeds: seeds, Data: "synthetic: generated from the seeds", Figures: map[string]float64{}}
	for p, target := range cfg.Targets {
		for _, s := range seeds {
			var x jsonfloat.Float
			if err := json.Unmarshal(results[toyUnit(target, s)], &x); err != nil {
				return nil, err
			}
			rec.X[p] = append(rec.X[p], x)
		}
		ev.Figures[fmt.Sprintf("x/target=%g", target)] = stats.Mean(jsonfloat.Float64s(rec.X[p]))
	}
	ev.Tables = []claims.Table{{Title: "toy: x per target", Header: []string{"target", "mean x"}}}
	for _, target := range cfg.Targets {
		ev.Tables[0].Rows = append(ev.Tables[0].Rows, []string{stats.G3(target), stats.G3(ev.Figures[fmt.Sprintf("x/target=%g", target)])})
	}
	return ev, ev.SetMeasurements(rec)
}

func (toy) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec toyRecord
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	var outs []claims.Outcome
	for p, target := range rec.Targets {
		iv := stats.MeanTOrNaN(jsonfloat.Float64s(rec.X[p]), 0.95)
		outs = append(outs, claims.Within(iv, target-rec.Margin, target+rec.Margin))
	}
	o, at := claims.AllOf(outs)
	ck := toyRegistration.Check("x on target").New(stats.NaNInterval(), o, fmt.Sprintf("deciding point %d", at))
	v := &claims.Verdict{Outcome: claims.Combine([]claims.Check{ck}), Checks: []claims.Check{ck}}
	v.Summary = claims.PerCheck(v.Checks)
	return v, nil
}

// toyMargin is the toy's threshold, registered below.
const toyMargin = 0.1

// toyRegistration is the toy's pre-registered check (claims.Registrant).
var toyRegistration = claims.Registration{Claim: "toy", Version: 1, Checks: []claims.RegisteredCheck{{
	Name: "x on target", Statistic: "mean x over seeds, per target",
	Threshold: fmt.Sprintf("95%% CI within %g of the target at every point", toyMargin), Reason: "a toy margin",
}}}

func (toy) Registration() claims.Registration { return toyRegistration }

func TestToyClaim(t *testing.T) {
	ctx := context.Background()
	c, err := claims.Lookup("toy")
	if err != nil {
		t.Fatal(err)
	}

	// verify: run, store, report (what `sgdclaims verify` does).
	res, err := claims.RunClaim(ctx, c, claims.Quick, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rs := &claims.Results{Scale: claims.Quick, Results: []claims.Result{*res}}
	if err := claims.SaveResults(filepath.Join(out, "results.json"), rs); err != nil {
		t.Fatal(err)
	}
	if err := reports.Write(out, rs, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "a toy claim") {
		t.Errorf("the report does not show the toy claim (%v)", err)
	}
	claimtest.Evidence(t, c, res)
	claimtest.Info(t, c)

	// golden: against testdata/toy.json (-update rewrites it).
	claimtest.RegisteredAt(t, c, filepath.Join("testdata", "registrations"))
	claimtest.GoldenAt(t, "testdata", "toy", "")

	// split: the Splitter contract.
	spec, err := claims.SpecAt(c, claims.Quick, 0)
	if err != nil {
		t.Fatal(err)
	}
	claimtest.Split(t, toy{}, spec)

	// sweep and merge: the runner plans the toy's units by its ID, runs
	// them as a sweep does and merges them into the verify result.
	runs, _, err := runner.ClaimRuns("toy", "quick", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 12 {
		t.Fatalf("the runner planned %d runs for the toy's 12 units", len(runs))
	}
	dir := t.TempDir()
	if _, err := runner.WritePlan(dir, "toy", nil, runs, false); err != nil {
		t.Fatal(err)
	}
	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, runner.All(s.Len()), runner.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	cols := runner.CollectClaims(s.Status())
	if len(cols) != 1 || cols[0].Result == nil {
		t.Fatalf("collect: %+v", cols)
	}
	merged := cols[0].Result
	if !bytes.Equal(merged.Evidence.Measurements, res.Evidence.Measurements) {
		t.Errorf("the sweep's merge differs from verify:\n%s\n%s", merged.Evidence.Measurements, res.Evidence.Measurements)
	}
	if d := cmp.Diff(res.Verdict, merged.Verdict, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("the sweep's verdict differs from verify's (-verify +sweep):\n%s", d)
	}
}
