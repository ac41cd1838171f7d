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
// holds one unit whose training diverged (seed 5, at step 10,788), stored
// before Execute read a claim unit's own divergence (its top-level flag
// says false); loading it must still give Diverged, with the step.
func TestClaimUnitDivergenceFromStoredResults(t *testing.T) {
	s, err := Open("../reports/full/c9")
	if err != nil {
		t.Skip("no committed C9 sweep:", err)
	}
	st := s.Status()
	if n := st.Count(Diverged); n != 1 {
		t.Fatalf("%d diverged units, want 1 (seed 5): %v", n, st.Summary())
	}
	for _, r := range st.Runs {
		if r.State == Diverged && r.Result.DivergedStep != 10788 {
			t.Errorf("run %d diverged at step %d, want 10788", r.Run.Index, r.Result.DivergedStep)
		}
	}
}
