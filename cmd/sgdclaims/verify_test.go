package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// testClaim is a claim that runs in microseconds, registered only in this
// test binary (ids t0, t1), so the command's plumbing is tested without
// running a real claim. Its statistic is the mean of seeds-many values near
// center; it holds when the interval lies inside [0.5, 1.5].
type testClaim struct {
	id     string
	center float64
}

func (c testClaim) Info() claims.Info {
	return claims.Info{ID: c.id, Name: "test claim " + c.id, Paper: "none", Statement: "x is near 1."}
}

func (c testClaim) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 3, Data: "synthetic", Setup: []string{"nothing is trained"},
		Tolerance: claims.Tolerance{SameRel: 1e-9, CrossISARel: 0.1, Reason: "test"}}
}

func (c testClaim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	xs := make([]float64, spec.Seeds)
	for i := range xs {
		xs[i] = c.center + 0.01*float64(i)
		env.Report("values", i+1, len(xs))
	}
	ev := &claims.Evidence{
		Figures: map[string]float64{"x": c.center},
		Tables:  []claims.Table{{Title: "values", Header: []string{"i", "x"}, Rows: [][]string{{"0", "1"}}}},
		Plots: []claims.Plot{{Name: c.id + "_x", Title: "x per seed", XLabel: "seed (index)", YLabel: "x (dimensionless)", Caption: "The values.",
			Series: []claims.Series{{Label: "x", Kind: claims.Points, X: []float64{1, 2, 3}, Y: xs[:min(3, len(xs))]}}}},
	}
	if len(xs) < 3 {
		ev.Plots[0].Series[0].X = ev.Plots[0].Series[0].X[:len(xs)]
	}
	return ev, ev.SetMeasurements(xs)
}

func (c testClaim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := claims.Check{Name: "x", Statistic: "mean of x", Value: m, Threshold: "95% CI inside [0.5, 1.5]", Reason: "test", Outcome: claims.Within(m, 0.5, 1.5)}
	return &claims.Verdict{Outcome: claims.Combine([]claims.Check{ck}), Checks: []claims.Check{ck}}, nil
}

func init() {
	claims.Register(testClaim{"t0", 1})
	claims.Register(testClaim{"t1", 3})
}

func TestVerifyHolds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rep")
	code, stdout, stderr := runCmd("verify", "--claims", "t0", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"t0", "synthetic", "holds", "report.md"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verdict summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if len(line) > summaryWidth {
			t.Errorf("summary line of %d columns: %q", len(line), line)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| t0", "mean of x", "1.01 [", "95% CI inside [0.5, 1.5]", "holds", "commit"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report's verdict tables lack %q", want)
		}
	}
	if !strings.Contains(stderr, "t0 synthetic: values (3 units)") || !strings.Contains(stderr, "t0 synthetic: holds in") {
		t.Errorf("progress on stderr missing:\n%s", stderr)
	}
	for _, f := range []string{"report.md", "results.json", "plots/t0_x_synthetic.png", "plots/t0_x_synthetic.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	rs, err := claims.LoadResults(filepath.Join(out, "results.json"))
	if err != nil || len(rs.Results) != 1 || rs.Results[0].Verdict.Outcome != claims.Holds {
		t.Errorf("results.json: %v, %+v", err, rs)
	}
}

func TestVerifyFailingClaimExits1(t *testing.T) {
	code, stdout, stderr := runCmd("verify", "--claims", "t0,t1", "--out", filepath.Join(t.TempDir(), "rep"))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "does not hold") || !strings.Contains(stdout, "failing x =") || !strings.Contains(stderr, "t1 does not hold") {
		t.Errorf("failing claim not reported:\nstdout %s\nstderr %s", stdout, stderr)
	}
}

func TestVerifyJSONAndSeeds(t *testing.T) {
	code, stdout, stderr := runCmd("verify", "--claims", "t0", "--seeds", "5", "--json", "--out", filepath.Join(t.TempDir(), "rep"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rs claims.Results
	if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if got := rs.Results[0].Evidence.Seeds; len(got) != 5 {
		t.Errorf("--seeds 5 ran seeds %v", got)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"unknown claim": {"--claims", "c99"},
		"bad scale":     {"--scale", "huge"},
		"one seed":      {"--seeds", "1"},
		"negative seed": {"--seeds", "-2"},
		"empty out":     {"--out", ""},
		"positional":    {"c2"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if name != "empty out" {
			args = append(args, "--out", out)
		}
		code, _, stderr := runCmd(append([]string{"verify"}, args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
		}
		if name == "unknown claim" && (!strings.Contains(stderr, "known:") || !strings.Contains(stderr, "c2")) {
			t.Errorf("unknown claim: stderr should list the known ids: %q", stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output directory was created", name)
		}
	}
}

func TestReportRerendersStoredResults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rep")
	if code, _, stderr := runCmd("verify", "--claims", "t0", "--out", dir); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stderr)
	}
	if err := os.Remove(filepath.Join(dir, "report.md")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "again")
	code, stdout, stderr := runCmd("report", "--results", filepath.Join(dir, "results.json"), "--out", out)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "| t0") {
		t.Errorf("report prints no verdict table:\n%s", stdout)
	}
	for _, f := range []string{"report.md", "plots/t0_x_synthetic.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if code, _, _ := runCmd("report", "--results", filepath.Join(dir, "missing.json")); code != 2 {
		t.Errorf("missing results file: exit %d, want 2", code)
	}
}
