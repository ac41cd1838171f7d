package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad --nudge values are one-line errors with exit status 2, before any
// work.
func TestTrainNudgeBadValuesExit2(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"two fields":     {"--nudge", "0.1,5"},
		"negative gamma": {"--nudge", "-1,5,10"},
		"zero K":         {"--nudge", "0.1,0,10"},
		"zero M":         {"--nudge", "0.1,5,0"},
		"not a number":   {"--nudge", "x,5,10"},
		"examples alone": {"--nudge-examples", "100"},
		"examples < 0":   {"--nudge", "0.1,5,10", "--nudge-examples", "-1"},
		"too many":       {"--nudge", "0.1,5,10", "--train-examples", "100", "--nudge-examples", "200"},
		"K over params":  {"--nudge", "0.1,8000,10", "--model", "mlp:784-10", "--train-examples", "100"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		code, _, stderr := runCmd(append([]string{"train", "--out", out}, args...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(stderr, "--nudge") {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming --nudge", name, code, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output directory was created", name)
		}
	}
}

// --nudge trains and records the setting and every refresh in run.json.
func TestTrainNudgeRecorded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCmd("train", "--model", "mlp:784-16-10", "--train-examples", "600", "--val", "100",
		"--batch", "50", "--epochs", "1", "--lr", "0.1", "--seed", "2", "--nudge", "0.5,2,5", "--nudge-examples", "200", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec trainRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	n := rec.Nudge
	if n == nil || n.Spec != "0.5,2,5" || n.Gamma != 0.5 || n.K != 2 || n.M != 5 || n.Examples != 200 || n.Tol != 1e-2 {
		t.Fatalf("nudge record %+v", n)
	}
	// 12 steps, refreshed at steps 1, 6, 11.
	if len(n.Refreshes) != 3 || n.Refreshes[2].Step != 11 || len(n.Refreshes[0].Eigenvalues) != 2 || !n.Refreshes[1].Warm {
		t.Fatalf("refreshes %+v", n.Refreshes)
	}
	if rec.Seeds["nudge"] == 0 {
		t.Fatal("no nudge seed recorded")
	}
}
