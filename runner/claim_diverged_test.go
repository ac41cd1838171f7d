package runner

import (
	"encoding/json"
	"testing"
)

func TestUnitDiverged(t *testing.T) {
	for _, c := range []struct {
		result   string
		diverged bool
		step     int
	}{
		{`{"steps": 642, "diverged": true, "diverged_step": 642, "lambda": null}`, true, 642}, // claims.CurvResult
		{`{"diverged": true}`, true, 0},                      // NaN before the first step
		{`{"seed": 5, "diverged_step": 10788}`, true, 10788}, // the step-only convention (C4-C9)
		{`{"steps": 23430, "lambda": 15.6}`, false, 0},
		{`{"diverged_step": 0}`, false, 0},
		{`[1, 2]`, false, 0}, // not an object
	} {
		d, s := unitDiverged(json.RawMessage(c.result))
		if d != c.diverged || s != c.step {
			t.Errorf("unitDiverged(%s) = %v, %d; want %v, %d", c.result, d, s, c.diverged, c.step)
		}
	}
}

// TestClaimUnitDivergenceFromStoredResults: C9's committed full-scale sweep
// holds four units whose training diverged (MNIST seed 5; Fashion-MNIST
// seeds 2, 4 and 5), stored before Execute read a claim unit's own
// divergence (their top-level flag says false); loading them must still
// give Diverged, with the step, and leave the other six done.
func TestClaimUnitDivergenceFromStoredResults(t *testing.T) {
	s, err := Open("../reports/full/c9")
	if err != nil {
		t.Skip("no committed C9 sweep:", err)
	}
	want := map[string]int{"fdfedd030d9d20d2": 10788, "d0b43940eca530be": 13011, "925ee2ea73035e2a": 23898, "a3cac9209b126587": 13835}
	for _, r := range s.Status().Runs {
		step, diverged := want[r.Run.ID]
		got := 0
		if r.Result != nil {
			got = r.Result.DivergedStep
		}
		switch {
		case diverged && (r.State != Diverged || got != step):
			t.Errorf("run %d (%s): %v at step %d, want diverged at step %d", r.Run.Index, r.Run.ID, r.State, got, step)
		case !diverged && r.State != Done:
			t.Errorf("run %d (%s): %v, want done", r.Run.Index, r.Run.ID, r.State)
		}
	}
}
