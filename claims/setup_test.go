package claims

import (
	"context"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

func setupResult(id, setup, data string, o Outcome, checks ...Check) Result {
	return Result{Evidence: &Evidence{Info: Info{ID: id}, Spec: Spec{SetupID: setup, Data: data}},
		Verdict: &Verdict{Claim: id, Outcome: o, Checks: checks}}
}

func TestCombineSetupsFollowsTheRule(t *testing.T) {
	fail := Check{Name: "b: accuracy", Outcome: DoesNotHold}
	info := Check{Name: "z: old check", Outcome: DoesNotHold, Information: true}
	for _, c := range []struct {
		name string
		in   []Result
		want Outcome
	}{
		{"all hold", []Result{setupResult("c9", "mlp-mnist", "mnist", Holds), setupResult("c9", "mlp-fmnist", "fashion-mnist", Holds)}, Holds},
		{"all fail", []Result{setupResult("c9", "a", "mnist", DoesNotHold, fail), setupResult("c9", "b", "mnist", DoesNotHold, fail)}, DoesNotHold},
		{"all inconclusive", []Result{setupResult("c9", "a", "mnist", Inconclusive)}, Inconclusive},
		{"hold and fail", []Result{setupResult("c9", "a", "mnist", Holds), setupResult("c9", "b", "fashion-mnist", DoesNotHold, info, fail)}, Mixed},
		{"hold and inconclusive", []Result{setupResult("c9", "a", "mnist", Holds), setupResult("c9", "b", "mnist", Inconclusive)}, Mixed},
		{"absent data does not count", []Result{setupResult("c9", "a", "mnist", Holds), setupResult("c9", "c", "cifar10", NotRun)}, Holds},
		{"nothing run", []Result{setupResult("c9", "c", "cifar10", NotRun)}, NotRun},
	} {
		cv, err := CombineSetups(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if cv.Outcome != c.want || cv.Rule != SetupRule || len(cv.Setups) != len(c.in) {
			t.Errorf("%s: %+v, want %s", c.name, cv, c.want)
		}
		if c.name == "hold and fail" {
			if cv.Setups[1].Deciding != "b: accuracy" {
				t.Errorf("deciding check %q: the information check must not decide", cv.Setups[1].Deciding)
			}
			if !strings.Contains(cv.Summary, "holds on a") || !strings.Contains(cv.Summary, "does not hold on b") {
				t.Errorf("summary %q does not list the setups by outcome", cv.Summary)
			}
		}
	}
	if _, err := CombineSetups([]Result{setupResult("c1", "a", "mnist", Holds), setupResult("c2", "a", "mnist", Holds)}); err == nil {
		t.Error("setups of two claims combined")
	}
}

func TestCombineIgnoresInformationChecks(t *testing.T) {
	checks := []Check{{Name: "a", Outcome: Holds}, {Name: "old", Outcome: DoesNotHold, Information: true}}
	if o := Combine(checks); o != Holds {
		t.Errorf("an information check decided the verdict: %s", o)
	}
	if o := Combine(checks[1:]); o != Inconclusive {
		t.Errorf("only information checks: %s, want inconclusive", o)
	}
}

func TestSetupFilter(t *testing.T) {
	f, err := ParseSetupFilter("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Keeps(Spec{Data: Synthetic}) || !f.Keeps(Spec{Data: "fashion-mnist"}) || f.Keeps(Spec{Data: "mnist"}) {
		t.Errorf("filter %+v keeps the wrong setups", f)
	}
	if f, err := ParseSetupFilter("synthetic"); err != nil || f.Keeps(Spec{Data: "mnist"}) || !f.Keeps(Spec{Data: Synthetic}) {
		t.Errorf("--data synthetic: %+v, %v (want the synthetic setups alone)", f, err)
	}
	if f, _ := ParseSetupFilter("all"); !f.Keeps(Spec{Data: "cifar10"}) {
		t.Error("all does not keep every setup")
	}
	if _, err := ParseSetupFilter("mnist,/tmp/x"); err == nil || !strings.Contains(err.Error(), "SGDCLAIMS_DATA") {
		t.Errorf("a path is accepted or the error does not say how to read data from elsewhere: %v", err)
	}
}

// twoSetups is a claim with a synthetic and an absent-data setup.
type twoSetups struct{}

func (twoSetups) Info() Info {
	return Info{ID: "twosetups", Name: "two", Paper: "none", Statement: "x"}
}
func (c twoSetups) Spec(s Scale) Spec { return c.Specs(s)[0] }
func (twoSetups) Specs(s Scale) []Spec {
	return []Spec{{Scale: s, Seeds: 3, Data: Synthetic, SetupID: "toy-synthetic", Setup: []string{"x"}},
		{Scale: s, Seeds: 3, Data: "cifar10", SetupID: "toy-cifar10", Setup: []string{"x"}}}
}
func (twoSetups) Run(_ context.Context, _ *Env, _ Spec) (*Evidence, error) {
	ev := &Evidence{Figures: map[string]float64{"x": 1}}
	return ev, ev.SetMeasurements(1)
}
func (twoSetups) Verdict(*Evidence) (*Verdict, error) {
	ck := twoReg.Check("x").New(stats.Interval{Estimate: 1, Lo: 1, Hi: 1}, Holds, "")
	return &Verdict{Outcome: Holds, Checks: []Check{ck}}, nil
}
func (twoSetups) Registration() Registration { return twoReg }

var twoReg = Registration{Claim: "twosetups", Version: 1, Checks: []RegisteredCheck{{Name: "x", Statistic: "x", Threshold: "t", Reason: "r"}}}

func TestRunSetupsReportsAbsentDataAsNotRun(t *testing.T) {
	t.Setenv("SGDCLAIMS_DATA", t.TempDir()) // no cifar10 folder in it
	rs, err := RunSetups(context.Background(), twoSetups{}, Quick, nil, SetupFilter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Verdict.Outcome != Holds || rs[1].Verdict.Outcome != NotRun {
		t.Fatalf("results %+v", rs)
	}
	if !strings.Contains(rs[1].Verdict.Summary, "not run: data absent") {
		t.Errorf("summary %q", rs[1].Verdict.Summary)
	}
	for _, r := range rs {
		if r.Verdict.Registration != twoReg.Stamp() || r.Evidence.Provenance.Source == "" {
			t.Errorf("%s: registration %q, provenance %+v", r.Evidence.Spec.SetupID, r.Verdict.Registration, r.Evidence.Provenance)
		}
	}
	cv, _ := CombineSetups(rs)
	if cv.Outcome != Holds {
		t.Errorf("overall %s", cv.Outcome)
	}
	only, err := ParseSetupFilter("mnist")
	if err != nil {
		t.Fatal(err)
	}
	rs, err = RunSetups(context.Background(), twoSetups{}, Quick, nil, only, nil)
	if err != nil || len(rs) != 1 || rs[0].Evidence.Spec.SetupID != "toy-synthetic" {
		t.Errorf("--data mnist: %v, %d results (the synthetic setup should run alone)", err, len(rs))
	}
}

func TestRegistrationHashAndLock(t *testing.T) {
	r := Registration{Claim: "c9", Version: 1, Checks: []RegisteredCheck{{Name: "a", Statistic: "s", Threshold: "95% CI below 0.5", Reason: "why"}}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	h := r.Hash()
	r.Changes = []Change{{Date: "2026-12-03", Version: 1, What: "log only", Seen: "none"}}
	if r.Hash() != h {
		t.Error("the change log changed the hash")
	}
	dir := t.TempDir()
	lock := &RegistrationLock{}
	if p, ok := lock.CheckLock(r); p == "" || !ok {
		t.Fatalf("an unlocked version: %q %v", p, ok)
	}
	if err := WriteRegistrationLock(dir, lock, r); err != nil {
		t.Fatal(err)
	}
	lock, err := ReadRegistrationLock(dir, "c9")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := lock.CheckLock(r); p != "" {
		t.Fatalf("locked version refused: %s", p)
	}
	// A threshold changed without a version bump is refused...
	moved := r
	moved.Checks = []RegisteredCheck{{Name: "a", Statistic: "s", Threshold: "95% CI below 0.6", Reason: "why"}}
	if p, ok := lock.CheckLock(moved); !strings.Contains(p, "without a version bump") || ok {
		t.Errorf("changed threshold at the same version: %q %v", p, ok)
	}
	// ...and a bump needs its dated change-log entry.
	moved.Version = 2
	if err := moved.Validate(); err == nil || !strings.Contains(err.Error(), "version 2 has no entry") {
		t.Errorf("version 2 without a change-log entry: %v", err)
	}
	moved.Changes = append(moved.Changes, Change{Date: "2026-12-04", Version: 2, What: "threshold 0.5 -> 0.6", Seen: "the quick results of v1"})
	if err := moved.Validate(); err != nil {
		t.Error(err)
	}
	if p, ok := lock.CheckLock(moved); !ok {
		t.Errorf("a new version is not appendable: %q", p)
	}
	// A verdict carrying an unregistered check, or other words, is refused.
	v := &Verdict{Checks: []Check{{Name: "a", Statistic: "s", Threshold: "95% CI below 0.7", Reason: "why"}}}
	if bad := r.conforms(v); !strings.Contains(bad, "registered statistic") {
		t.Errorf("conforms: %q", bad)
	}
	v.Checks[0].Name = "b"
	if bad := r.conforms(v); !strings.Contains(bad, "not registered") {
		t.Errorf("conforms: %q", bad)
	}
}
