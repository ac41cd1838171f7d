package claims

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

var update = flag.Bool("update", false, "rewrite goldens/<claim>.json from this run instead of comparing with it")

// goldenDir is the repository's goldens/ folder, seen from the package.
const goldenDir = "../goldens"

// runGolden runs claim id at the quick scale and compares it with its
// golden: the same verdict, and the same figures within the golden's
// tolerance (see Golden.Compare). With -update it rewrites the golden.
func runGolden(t *testing.T, id string) *Result {
	t.Helper()
	c, err := Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	var last atomic.Value
	env := &Env{Progress: func(p Progress) { last.Store(p) }}
	res, err := RunClaim(context.Background(), c, Quick, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s in %.1f s on %s (GOMAXPROCS %d)", id, res.Verdict.Outcome, res.Evidence.Seconds, res.Evidence.ISA, res.Evidence.GOMAXPROCS)
	for _, ck := range res.Verdict.Checks {
		t.Logf("  %s: %s = %s -> %s (%s)", ck.Name, ck.Statistic, ck.Value, ck.Outcome, ck.Detail)
	}
	if testing.Verbose() {
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
	if *update {
		if err := WriteGolden(goldenDir, NewGolden(res)); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", GoldenPath(goldenDir, id))
		return res
	}
	g, err := ReadGolden(goldenDir, id)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden %s: run 'go test ./claims -run %s -update' and review the diff", GoldenPath(goldenDir, id), t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Compare(res); d != "" {
		t.Errorf("%s differs from its golden (if the change is intended, rerun with -update and review the diff):\n%s", id, d)
	}
	return res
}

// checkEvidence asserts what every claim's evidence must satisfy: it
// survives JSON and re-judging it from JSON gives the same verdict (so
// `sgdclaims report` can work from stored results), every plot is drawable,
// and every check has its threshold and reason written down.
func checkEvidence(t *testing.T, c Claim, res *Result) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("evidence does not marshal: %v", err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("evidence does not unmarshal: %v", err)
	}
	v, err := c.Verdict(back.Evidence)
	if err != nil {
		t.Fatalf("verdict from stored evidence: %v", err)
	}
	v.Claim = res.Verdict.Claim
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

func TestRegistry(t *testing.T) {
	ids := IDs()
	if len(ids) == 0 {
		t.Fatal("no claims registered")
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Errorf("IDs not sorted: %v", ids)
		}
	}
	c, err := Lookup("C2")
	if err != nil || c.Info().ID != "c2" {
		t.Errorf("Lookup(C2) = %v, %v", c, err)
	}
	_, err = Lookup("c9")
	if err == nil || !strings.Contains(err.Error(), "known: ") || !strings.Contains(err.Error(), "c2") {
		t.Errorf("unknown id error %v should list the known ids", err)
	}
	sel, err := Select("c2, c2")
	if err != nil || len(sel) != 1 {
		t.Errorf("Select(c2, c2) = %d claims, %v", len(sel), err)
	}
	if _, err := Select("c2,nope"); err == nil {
		t.Error("Select accepted an unknown id")
	}
	if all, _ := Select(""); len(all) != len(ids) {
		t.Errorf("Select(\"\") gave %d claims, want all %d", len(all), len(ids))
	}
	for _, c := range All() {
		in := c.Info()
		if in.Name == "" || in.Paper == "" || in.Statement == "" {
			t.Errorf("claim %s: Name, Paper and Statement are required", in.ID)
		}
		for _, sc := range []Scale{Quick, Full} {
			sp := c.Spec(sc)
			if sp.Scale != sc || sp.Seeds < 3 || len(sp.Setup) == 0 || sp.Tolerance.Reason == "" {
				t.Errorf("claim %s, %s spec: scale %q, %d seeds (>= 3 required), %d setup lines, tolerance reason %q", in.ID, sc, sp.Scale, sp.Seeds, len(sp.Setup), sp.Tolerance.Reason)
			}
		}
	}
}

func iv(lo, hi float64) stats.Interval {
	return stats.Interval{Estimate: (lo + hi) / 2, Lo: lo, Hi: hi}
}

func TestDecisions(t *testing.T) {
	for _, tc := range []struct {
		iv   stats.Interval
		want Outcome
	}{
		{iv(0.95, 1.05), Holds},
		{iv(0.85, 1.05), Inconclusive}, // straddles 0.9
		{iv(1.11, 1.3), DoesNotHold},
		{iv(0.9, 1.1), Holds}, // the margin's ends belong to it
	} {
		if got := Within(tc.iv, 0.9, 1.1); got != tc.want {
			t.Errorf("Within(%v, 0.9, 1.1) = %s, want %s", tc.iv, got, tc.want)
		}
	}
	if Above(iv(0.2, 0.4), 0.1) != Holds || Above(iv(0.05, 0.4), 0.1) != Inconclusive || Above(iv(0, 0.05), 0.1) != DoesNotHold {
		t.Error("Above")
	}
	if Below(iv(0.2, 0.4), 0.5) != Holds || Below(iv(0.2, 0.6), 0.5) != Inconclusive || Below(iv(0.6, 0.7), 0.5) != DoesNotHold {
		t.Error("Below")
	}
	if o, i := AllOf([]Outcome{Holds, Inconclusive, DoesNotHold, Inconclusive}); o != DoesNotHold || i != 2 {
		t.Errorf("AllOf = %s at %d, want does not hold at 2", o, i)
	}
	if o, i := AllOf([]Outcome{Holds, Inconclusive, Holds}); o != Inconclusive || i != 1 {
		t.Errorf("AllOf = %s at %d, want inconclusive at 1", o, i)
	}
	if o, i := AllOf([]Outcome{Holds, Holds}); o != Holds || i != -1 {
		t.Errorf("AllOf = %s at %d", o, i)
	}
	if o, _ := AllOf(nil); o != Inconclusive {
		t.Error("AllOf(nil) should be inconclusive: nothing was shown")
	}
	mk := func(os ...Outcome) []Check {
		var cs []Check
		for _, o := range os {
			cs = append(cs, Check{Outcome: o})
		}
		return cs
	}
	if Combine(mk(Holds, Holds)) != Holds || Combine(mk(Holds, Inconclusive)) != Inconclusive ||
		Combine(mk(Inconclusive, DoesNotHold)) != DoesNotHold || Combine(nil) != Inconclusive {
		t.Error("Combine")
	}
}

// fakeClaim is a tiny claim for framework tests; it is not registered.
type fakeClaim struct{ value float64 }

func (fakeClaim) Info() Info {
	return Info{ID: "fake", Name: "fake", Paper: "none", Statement: "x is near 1"}
}
func (fakeClaim) Spec(s Scale) Spec {
	return Spec{Scale: s, Seeds: 3, Data: "synthetic", Setup: []string{"nothing"},
		Tolerance: Tolerance{SameRel: 1e-9, CrossISARel: 0.1, Reason: "test"}, Config: map[string]int{"k": 1}}
}
func (f fakeClaim) Run(ctx context.Context, env *Env, spec Spec) (*Evidence, error) {
	xs := make([]float64, spec.Seeds)
	err := env.ForEach(ctx, len(xs), func(i int) error { xs[i] = f.value + 0.01*float64(i); return nil })
	if err != nil {
		return nil, err
	}
	ev := &Evidence{Figures: map[string]float64{"x": f.value, "nan": math.NaN()}}
	return ev, ev.SetMeasurements(xs)
}
func (fakeClaim) Verdict(ev *Evidence) (*Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := Check{Name: "x", Statistic: "mean x", Value: m, Threshold: "inside [0.5, 1.5]", Reason: "test", Outcome: Within(m, 0.5, 1.5)}
	return &Verdict{Outcome: Combine([]Check{ck}), Checks: []Check{ck}}, nil
}

func TestGoldenCompare(t *testing.T) {
	res, err := RunClaim(context.Background(), fakeClaim{1}, Quick, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEvidence(t, fakeClaim{}, res)
	dir := t.TempDir()
	if err := WriteGolden(dir, NewGolden(res)); err != nil {
		t.Fatal(err)
	}
	g, err := ReadGolden(dir, "fake")
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Compare(res); d != "" {
		t.Fatalf("a run differs from its own golden:\n%s", d)
	}
	// A figure moved beyond the same-ISA tolerance is reported...
	moved, _ := RunClaim(context.Background(), fakeClaim{1.001}, Quick, nil)
	if d := g.Compare(moved); !strings.Contains(d, "figures differ") || !strings.Contains(d, "same-ISA") {
		t.Errorf("moved figure not reported: %q", d)
	}
	// ...but passes the looser cross-ISA tolerance when the ISA differs.
	moved.Evidence.ISA = "other"
	if d := g.Compare(moved); d != "" {
		t.Errorf("cross-ISA rerun within tolerance reported: %q", d)
	}
	// A changed verdict is always reported.
	failing, _ := RunClaim(context.Background(), fakeClaim{3}, Quick, nil)
	failing.Evidence.ISA = "other"
	if d := g.Compare(failing); !strings.Contains(d, "verdict differs") {
		t.Errorf("changed verdict not reported: %q", d)
	}
	// Other seeds make the run incomparable.
	more, _ := RunClaim(context.Background(), fakeClaim{1}, Quick, &Env{Seeds: 4})
	if d := g.Compare(more); !strings.Contains(d, "seeds") {
		t.Errorf("different seeds not reported: %q", d)
	}
	// The golden file is readable JSON with the tolerance in it.
	b, _ := os.ReadFile(filepath.Join(dir, "fake.json"))
	if !strings.Contains(string(b), `"cross_isa_rel": 0.1`) || !strings.Contains(string(b), `"nan": null`) {
		t.Errorf("golden file lacks the tolerance or the NaN figure:\n%s", b)
	}
}

func TestForEach(t *testing.T) {
	env := &Env{Workers: 3}
	out := make([]int, 50)
	if err := env.ForEach(context.Background(), len(out), func(i int) error { out[i] = i * i; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
	// The error returned is the lowest-index one among those that ran, and
	// work stops being handed out after a failure.
	var ran atomic.Int32
	err := env.ForEach(context.Background(), 1000, func(i int) error {
		ran.Add(1)
		if i >= 5 {
			return errors.New("boom")
		}
		return nil
	})
	if err == nil || err.Error() != "boom" || ran.Load() > 100 {
		t.Errorf("err = %v after %d calls", err, ran.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := env.ForEach(ctx, 10, func(int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestResultsFile(t *testing.T) {
	res, err := RunClaim(context.Background(), fakeClaim{1}, Quick, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := SaveResults(path, &Results{Scale: Quick, Results: []Result{*res}}); err != nil {
		t.Fatal(err)
	}
	back, err := LoadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Results[0].Evidence.Figures["nan"]; !math.IsNaN(got) {
		t.Errorf("NaN figure read back as %g", got)
	}
	if back.Results[0].Verdict.Outcome != Holds {
		t.Errorf("verdict read back as %s", back.Results[0].Verdict.Outcome)
	}
}

// MNIST is loaded once per process and shared.
func TestEnvMNISTCached(t *testing.T) {
	env := &Env{}
	tr, te, err := env.MNIST()
	if err != nil {
		t.Skipf("MNIST not available here: %v", err)
	}
	if tr.N != 60000 || te.N != 10000 || tr.Dim != 784 {
		t.Errorf("MNIST sizes %d/%d x %d", tr.N, te.N, tr.Dim)
	}
	tr2, _, err := (&Env{Data: "mnist"}).MNIST()
	if err != nil || tr2 != tr {
		t.Errorf("second load did not hit the cache: %v", err)
	}
	if _, _, err := (&Env{Data: t.TempDir()}).MNIST(); err == nil {
		t.Error("an empty directory loaded as MNIST")
	}
}
