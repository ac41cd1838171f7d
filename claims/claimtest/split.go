package claimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/claims"
)

// Split asserts the contract of a claim that splits, on a (small) spec with
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
func Split(t *testing.T, s claims.Splitter, spec claims.Spec) {
	t.Helper()
	if spec.Seeds < 3 {
		t.Fatalf("claimtest.Split needs at least 3 seeds, got %d", spec.Seeds)
	}
	ctx := context.Background()
	whole, err := claims.RunUnits(ctx, &claims.Env{Workers: 2}, s, spec)
	if err != nil {
		t.Fatal(err)
	}
	units := s.Units(spec)
	parts := map[string]json.RawMessage{}
	func() {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		for i := len(units) - 1; i >= 0; i-- {
			b, err := claims.RunUnit(ctx, &claims.Env{Workers: 1}, s, spec, units[i])
			if err != nil {
				t.Fatal(err)
			}
			parts[units[i].Name] = b
		}
	}()
	merged, cov, err := claims.MergeUnits(s, nil, spec, parts, "test")
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
	res, cov, err := claims.MergeUnits(s, nil, spec, partial, "test")
	if err != nil {
		t.Fatal(err)
	}
	if cov.Complete() || !slices.Equal(cov.Left, []uint64{last}) || !slices.Equal(res.Evidence.Seeds, claims.SeedList(spec.Seeds-1)) ||
		res.Evidence.Coverage == nil || !strings.Contains(res.Evidence.Notes[0], "Partial result") {
		t.Errorf("partial merge: coverage %+v, seeds %v, notes %q", cov, res.Evidence.Seeds, res.Evidence.Notes[:1])
	}
	fewer := spec
	fewer.Seeds--
	want, err := claims.RunUnits(ctx, &claims.Env{Workers: 2}, s, fewer)
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
	if _, _, err := claims.MergeUnits(s, nil, spec, one, "test"); err == nil || !strings.Contains(err.Error(), "need 2") {
		t.Errorf("merge of one seed: %v", err)
	}
	if _, _, err := claims.MergeUnits(s, nil, spec, map[string]json.RawMessage{"no such unit": nil}, "test"); err == nil {
		t.Error("a result for an unknown unit was accepted")
	}
}
