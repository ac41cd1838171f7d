package claimtest

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data/datatest"
)

var update = flag.Bool("update", false, "rewrite goldens/<claim>.json from this run instead of comparing with it")

// GoldenDir returns the repository's goldens/ folder: the one beside the
// go.mod found by walking up from the test's working directory (its
// package's folder).
func GoldenDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "goldens")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("claimtest: no go.mod above the test's directory")
		}
		dir = up
	}
}

// Golden runs claim id's first setup at the quick scale and compares it
// with its golden in GoldenDir; see GoldenAt.
func Golden(t *testing.T, id string) *claims.Result {
	t.Helper()
	return GoldenAt(t, GoldenDir(t), id, "")
}

// GoldenSetup is Golden for one named setup.
func GoldenSetup(t *testing.T, id, setup string) *claims.Result {
	t.Helper()
	return GoldenAt(t, GoldenDir(t), id, setup)
}

// Setups runs every quick-scale setup of claim id as a subtest named for
// the setup, compares each with its golden, and calls check (when set) on
// each result; setups whose data are absent skip (SkipAbsent).
func Setups(t *testing.T, id string, check func(t *testing.T, res *claims.Result)) {
	t.Helper()
	c, err := claims.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, setup := range claims.SetupIDs(c, claims.Quick) {
		t.Run(setup, func(t *testing.T) {
			res := GoldenSetup(t, id, setup)
			Evidence(t, c, res)
			if check != nil {
				check(t, res)
			}
		})
	}
}

// SkipAbsent skips t when spec's data are absent on this machine, with
// the reason; where $SGDCLAIMS_REQUIRE_FASHION_MNIST=1 (CI, which installs
// it) an absent Fashion-MNIST fails instead.
func SkipAbsent(t testing.TB, spec claims.Spec) {
	t.Helper()
	absent, why := claims.DataAbsent(spec)
	if !absent {
		return
	}
	if spec.Data == "fashion-mnist" && os.Getenv(datatest.RequireFashionEnv) == "1" {
		t.Fatalf("%s=1 but setup %s's data are absent: %v", datatest.RequireFashionEnv, spec.SetupID, why)
	}
	t.Skipf("setup %s not run: data absent: %v", spec.SetupID, why)
}

// GoldenAt runs setup setup ("" for the first) of claim id (registered) at
// the quick scale and compares it with dir/<id>-<setup>.json: the same
// verdict, and the same figures within the golden's tolerance
// (claims.Golden.Compare). With -update it rewrites the golden instead. It
// logs the verdict's checks, and with -v the tables and notes. A setup
// whose data are absent skips (SkipAbsent).
func GoldenAt(t *testing.T, dir, id, setup string) *claims.Result {
	t.Helper()
	c, err := claims.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := claims.SpecFor(c, claims.Quick, setup, 0)
	if err != nil {
		t.Fatal(err)
	}
	SkipAbsent(t, spec)
	var last atomic.Value
	env := &claims.Env{Progress: func(p claims.Progress) { last.Store(p) }}
	res, err := claims.RunSpec(context.Background(), c, spec, env)
	if err != nil {
		t.Fatal(err)
	}
	logResult(t, res)
	dump(t, res)
	path := claims.GoldenPath(dir, id, spec.SetupID)
	if *update {
		if err := claims.WriteGolden(dir, claims.NewGolden(res)); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return res
	}
	g, err := claims.ReadGolden(dir, id, spec.SetupID)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden %s: run 'go test -run %s -update' in the claim's package and review the diff", path, t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Compare(res); d != "" {
		t.Errorf("%s %s differs from its golden (if the change is intended, rerun with -update and review the diff):\n%s", id, spec.SetupID, d)
	}
	return res
}

func logResult(t *testing.T, res *claims.Result) {
	t.Helper()
	id := res.Evidence.Info.ID
	t.Logf("%s: %s in %.1f s on %s (GOMAXPROCS %d)", id, res.Verdict.Outcome, res.Evidence.Seconds, res.Evidence.ISA, res.Evidence.GOMAXPROCS)
	for _, ck := range res.Verdict.Checks {
		t.Logf("  %s: %s = %s -> %s (%s)", ck.Name, ck.Statistic, ck.Value, ck.Outcome, ck.Detail)
	}
	if !testing.Verbose() {
		return
	}
	for _, tb := range res.Evidence.Tables {
		t.Logf("%s\n  %s", tb.Title, strings.Join(tb.Header, " | "))
		for _, r := range tb.Rows {
			t.Logf("  %s", strings.Join(r, " | "))
		}
	}
	for _, n := range res.Evidence.Notes {
		t.Logf("note: %s", n)
	}
}

// dump writes res to $SGDCLAIMS_DUMP/<claim>.json when that variable names
// a directory.
func dump(t *testing.T, res *claims.Result) {
	t.Helper()
	dir := os.Getenv("SGDCLAIMS_DUMP")
	if dir == "" {
		return
	}
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, res.Evidence.Info.ID+"-"+res.Evidence.Spec.SetupID+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Evidence asserts what every claim's result must satisfy: it survives
// JSON and re-judging it from JSON gives the same verdict (so `sgdclaims
// report` can work from stored results), every plot is drawable, every
// check has its statistic, threshold and reason written down, there are
// figures, and every benchmark metric names one of them with a unit
// benchstat can read.
func Evidence(t *testing.T, c claims.Claim, res *claims.Result) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("evidence does not marshal: %v", err)
	}
	var back claims.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("evidence does not unmarshal: %v", err)
	}
	v, err := claims.Decide(c, back.Evidence)
	if err != nil {
		t.Fatalf("verdict from stored evidence: %v", err)
	}
	if d := cmp.Diff(res.Verdict, v, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("verdict from stored evidence differs (-live +stored):\n%s", d)
	}
	if d := cmp.Diff(res.Evidence.Figures, back.Evidence.Figures, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("figures do not survive JSON:\n%s", d)
	}
	for _, p := range res.Evidence.Plots {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, ck := range res.Verdict.Checks {
		if ck.Threshold == "" || ck.Reason == "" || ck.Statistic == "" {
			t.Errorf("check %q lacks statistic, threshold or reason", ck.Name)
		}
	}
	if len(res.Evidence.Figures) == 0 {
		t.Error("no figures: goldens and benchmarks have nothing to compare")
	}
	for name, unit := range res.Evidence.Metrics {
		if _, ok := res.Evidence.Figures[name]; !ok || unit == "" || strings.ContainsAny(unit, " \t") {
			t.Errorf("metric %q (unit %q) names no figure or has a unit benchstat cannot read", name, unit)
		}
	}
}

// Info asserts that a claim says what it is (Name, Paper, Statement) and
// that both scales' specs are complete: the scale, at least three seeds
// (an interval over two says little), setup lines, and the reason for the
// tolerance.
func Info(t *testing.T, c claims.Claim) {
	t.Helper()
	in := c.Info()
	if in.Name == "" || in.Paper == "" || in.Statement == "" {
		t.Errorf("claim %s: Name, Paper and Statement are required", in.ID)
	}
	for _, sc := range []claims.Scale{claims.Quick, claims.Full} {
		specs := claims.Specs(c, sc)
		seen := map[string]bool{}
		for _, sp := range specs {
			if sp.Scale != sc || sp.Seeds < 3 || len(sp.Setup) == 0 || sp.Tolerance.Reason == "" || sp.Data == "" {
				t.Errorf("claim %s, %s spec %q: scale %q, %d seeds (>= 3 required), %d setup lines, tolerance reason %q, data %q", in.ID, sc, sp.SetupID, sp.Scale, sp.Seeds, len(sp.Setup), sp.Tolerance.Reason, sp.Data)
			}
			if seen[sp.SetupID] || strings.ContainsAny(sp.SetupID, " ,/") {
				t.Errorf("claim %s, %s scale: setup id %q repeated or not a file-name word", in.ID, sc, sp.SetupID)
			}
			seen[sp.SetupID] = true
		}
		if d := cmp.Diff(claims.Specs(c, sc)[0], func() claims.Spec { s := c.Spec(sc); s.SetupID = specs[0].SetupID; return s }()); d != "" {
			t.Errorf("claim %s: Spec(%s) is not its first setup's spec:\n%s", in.ID, sc, d)
		}
	}
}

// Judge decides the verdict of a record made by hand (a planted outcome):
// rec is stored as the evidence's measurements and c's Verdict reads it.
func Judge(t *testing.T, c claims.Claim, rec any) *claims.Verdict {
	t.Helper()
	ev := &claims.Evidence{Info: c.Info()}
	if err := ev.SetMeasurements(rec); err != nil {
		t.Fatal(err)
	}
	v, err := claims.Decide(c, ev)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// CheckOutcome returns the outcome of v's check whose name starts with
// prefix ("1:"); it fails the test when there is none.
func CheckOutcome(t *testing.T, v *claims.Verdict, prefix string) claims.Outcome {
	t.Helper()
	for _, c := range v.Checks {
		if strings.HasPrefix(c.Name, prefix) {
			return c.Outcome
		}
	}
	t.Fatalf("no check %q in %+v", prefix, v.Checks)
	return ""
}
