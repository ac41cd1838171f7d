package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/runner"
)

// The committed full-scale sweeps (reports/full/<claim>: manifest, results,
// report) are evidence for the README's table. They must still open with
// this build: a change to a claim's full-scale setup changes its hash and
// fails here, so whoever changes the setup reruns the sweep (or removes the
// report) rather than leave a report of another setup in place. Their
// results must be complete, and the verdict merged from them now must be
// the verdict the committed report states.
func TestCommittedFullScaleSweeps(t *testing.T) {
	dirs, _ := filepath.Glob("../../reports/full/*")
	var sweeps []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "manifest.json")); err == nil {
			sweeps = append(sweeps, d)
		}
	}
	dirs = sweeps
	if len(dirs) == 0 {
		t.Skip("no full-scale sweep committed under reports/full for the current setups (the v1 ones are in reports/archive)")
	}
	for _, dir := range dirs {
		s, err := runner.Open(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		st := s.Status()
		if !st.Complete() {
			t.Errorf("%s: %s", dir, strings.Join(st.Summary(), "; "))
		}
		report, err := os.ReadFile(filepath.Join(dir, "report.md"))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, g := range runner.CollectClaims(st) {
			if g.Result == nil || !g.Coverage.Complete() {
				t.Errorf("%s: %s not judged from complete units: %v", dir, g.Claim, g.Err)
				continue
			}
			want := "**Verdict on " + g.Result.Evidence.Spec.SetupID + ": " + string(g.Result.Verdict.Outcome) + ".**"
			if !strings.Contains(string(report), want) {
				t.Errorf("%s: the committed report does not state %q; re-render it: sgdclaims sweep report --dir %s", dir, want, dir)
			}
		}
	}
}
