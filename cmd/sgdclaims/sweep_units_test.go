package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/runner"
)

// unitClaim is a claim that splits into units (two points x seeds) and runs
// in microseconds, registered only in this test binary as "sw2".
type unitClaim struct{}

func init() { claims.Register(unitClaim{}) }

func (unitClaim) Info() claims.Info {
	return claims.Info{ID: "sw2", Name: "sweep test claim with units", Paper: "none", Statement: "x is near 1."}
}
func (unitClaim) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 3, Data: "synthetic", Setup: []string{"nothing is trained"}}
}
func (c unitClaim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}
func (unitClaim) Units(spec claims.Spec) []claims.Unit {
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for p := range 2 {
			us = append(us, claims.Unit{Name: fmt.Sprintf("p=%d seed=%d", p, s), Seed: s, Cost: float64(p)})
		}
	}
	return us
}
func (unitClaim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	return 1 + 0.01*rng.New(u.Seed, u.Name, 0).Normal(), nil
}
func (unitClaim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	var xs []float64
	for _, s := range seeds {
		for p := range 2 {
			var x float64
			if err := json.Unmarshal(results[fmt.Sprintf("p=%d seed=%d", p, s)], &x); err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
	}
	ev := &claims.Evidence{Figures: map[string]float64{"n": float64(len(xs))}}
	return ev, ev.SetMeasurements(xs)
}
func (unitClaim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := claims.Check{Name: "x", Statistic: "mean of x", Value: m, Threshold: "95% CI inside [0.5, 1.5]", Reason: "test", Outcome: claims.Within(m, 0.5, 1.5)}
	return &claims.Verdict{Outcome: ck.Outcome, Checks: []claims.Check{ck}, Summary: "test"}, nil
}

// A claim sweep plans one run per unit; shards run in any order and
// collected give the evidence of one process running the claim; collect
// judges a partial sweep from its complete seeds and says so, and refuses
// to judge one seed.
func TestSweepClaimUnitsShardedEqualsOneProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runCmd("sweep", "plan", "--claim", "sw2", "--scale", "quick", "--seeds", "4", "--dir", dir)
	if code != 0 || strings.Count(stdout, "\tclaim-unit\tsw2 synthetic quick p=") != 8 {
		t.Fatalf("plan: %d\n%s%s", code, stdout, stderr)
	}
	// The most costly units come first in the manifest.
	if first := strings.SplitN(stdout, "\n", 2)[0]; !strings.HasSuffix(first, "p=1 seed=1") {
		t.Errorf("first planned run %q, want the costly p=1 seed=1", first)
	}
	for _, sh := range []string{"1/2", "0/2"} {
		if code, _, stderr := runCmd("sweep", "run", "--dir", dir, "--shard", sh); code != 0 {
			t.Fatalf("run --shard %s: %s", sh, stderr)
		}
	}
	code, stdout, stderr = runCmd("sweep", "collect", "--dir", dir)
	if code != 0 || !strings.Contains(stdout, "8 runs: 8 done") || !strings.Contains(stdout, "**holds**") || strings.Contains(stdout, "partial") {
		t.Fatalf("collect: exit %d\n%s%s", code, stdout, stderr)
	}
	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cols := runner.CollectClaims(s.Status())
	if len(cols) != 1 || cols[0].Result == nil || cols[0].Planned != 8 || cols[0].Have != 8 {
		t.Fatalf("collections: %+v", cols)
	}
	one, err := claims.RunClaim(context.Background(), unitClaim{}, claims.Quick, &claims.Env{Seeds: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Evidence.Measurements, cols[0].Result.Evidence.Measurements) {
		t.Errorf("sharded sweep and one process differ:\n%s\n%s", cols[0].Result.Evidence.Measurements, one.Evidence.Measurements)
	}

	// Lose seed 4's units: judged from seeds 1-3, marked partial.
	remove := func(seed string) {
		for _, r := range s.Runs() {
			if strings.HasSuffix(r.Label, "seed="+seed) {
				if err := os.Remove(filepath.Join(runner.ResultsDir(dir), r.ID+".json")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	remove("4")
	code, stdout, stderr = runCmd("sweep", "collect", "--dir", dir)
	if code != 0 || !strings.Contains(stdout, "(partial: 3 of 4 seeds)") || !strings.Contains(stdout, "2 missing") {
		t.Errorf("partial collect: exit %d\n%s%s", code, stdout, stderr)
	}
	if report, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !bytes.Contains(report, []byte("**Partial result.**")) {
		t.Errorf("report.md does not say it is partial: %v", err)
	}
	if code, _, stderr := runCmd("sweep", "collect", "--dir", dir, "--require-complete"); code != 2 || !strings.Contains(stderr, "incomplete") {
		t.Errorf("--require-complete on a partial sweep: exit %d %s", code, stderr)
	}
	remove("3")
	remove("2")
	code, stdout, stderr = runCmd("sweep", "collect", "--dir", dir)
	if code != 1 || !strings.Contains(stderr, "sw2 (quick): not judged: 2 of 8 units have results") {
		t.Errorf("collect of one seed: exit %d (want 1)\n%s%s", code, stdout, stderr)
	}
	// Resume finishes exactly the missing units.
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 0 || !strings.Contains(stderr, "2 finished before, 6 ran") {
		t.Errorf("resume: %d %s", code, stderr)
	}
}

// A planned unit must exist in the claim's spec: a hand-edited manifest or
// spec file naming another unit is refused with the field named.
func TestClaimUnitConfigErrors(t *testing.T) {
	for _, c := range []struct{ cfg, want string }{
		{`{"claim":"sw2","scale":"quick","seed":1,"unit":"p=7 seed=1"}`, `unit: sw2 has no unit "p=7 seed=1"`},
		{`{"claim":"sw2","scale":"quick","seed":2,"unit":"p=0 seed=3"}`, `unit: sw2 has no unit "p=0 seed=3"`},
		{`{"claim":"sw2","scale":"quick","seed":3,"unit":"p=0 seed=1"}`, `seed: unit "p=0 seed=1" belongs to seed 1, not 3`},
		{`{"claim":"sw2","scale":"quick","unit":"p=0 seed=1"}`, "seed: the unit's replicate"},
		{`{"claim":"sw0","scale":"quick","seed":1,"unit":"x"}`, "claim: sw0 does not split into units"},
		{`{"claim":"sw2","scale":"huge","seed":1,"unit":"p=0 seed=1"}`, "scale:"},
		// Planned when the claim ran another setup: its results must not count.
		{`{"claim":"sw2","scale":"quick","setup":"0123456789ab","seed":1,"unit":"p=0 seed=1"}`, "setup: planned for another version of claim sw2's setup (hash 0123456789ab"},
		{`{"claim":"sw0","scale":"quick","setup":"0123456789ab"}`, "setup: planned for another version"},
	} {
		kind := "claim-unit"
		if !strings.Contains(c.cfg, `"unit"`) {
			kind = "claim"
		}
		_, _, err := runner.NewRun(kind, json.RawMessage(c.cfg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// More seeds for a sweep that has run: the units already run keep their
// IDs (a unit names its own seed, not the number planned) and are not
// redone; the merged evidence equals a run planned with the larger number.
func TestSweepClaimAddSeedsKeepsUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	if code, _, stderr := runCmd("sweep", "plan", "--claim", "sw2", "--scale", "quick", "--seeds", "3", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd("sweep", "plan", "--claim", "sw2", "--scale", "quick", "--seeds", "5", "--dir", dir); code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("a bigger plan over a different one without --force: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCmd("sweep", "plan", "--claim", "sw2", "--scale", "quick", "--seeds", "5", "--dir", dir, "--force"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 0 || !strings.Contains(stderr, "6 finished before, 4 ran") {
		t.Errorf("run after adding seeds: exit %d\n%s", code, stderr)
	}
	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cols := runner.CollectClaims(s.Status())
	if len(cols) != 1 || cols[0].Result == nil || cols[0].Seeds != 5 || !cols[0].Coverage.Complete() {
		t.Fatalf("collections: %+v", cols)
	}
	one, err := claims.RunClaim(context.Background(), unitClaim{}, claims.Quick, &claims.Env{Seeds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Evidence.Measurements, cols[0].Result.Evidence.Measurements) {
		t.Errorf("3 + 2 seeds differ from 5 seeds in one process")
	}
}
