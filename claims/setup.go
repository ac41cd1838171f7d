package claims

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// A setup is one model x dataset x grid a claim is judged on: "mlp-mnist",
// "simplecnn-fashion-mnist". A claim has one verdict per setup, and its
// overall verdict follows SetupRule, stated before any result was seen.
//
// A claim with one setup implements Spec only: its setup is named for its
// data (Spec.SetupID, filled in by Specs when empty). A claim judged on
// several implements MultiSetup.

// MultiSetup is a claim judged on several setups.
type MultiSetup interface {
	Claim
	// Specs returns the spec of every setup at scale, in report order,
	// each with a distinct SetupID; Spec(scale) must be the first of them.
	Specs(Scale) []Spec
}

// Synthetic is Spec.Data of a setup whose data are generated from the seeds:
// it needs no files and always runs.
const Synthetic = "synthetic"

// Specs returns the specs of c's setups at scale, each with its SetupID
// (for a claim with one setup, its data's name).
func Specs(c Claim, scale Scale) []Spec {
	var specs []Spec
	if m, ok := c.(MultiSetup); ok {
		specs = m.Specs(scale)
	} else {
		specs = []Spec{c.Spec(scale)}
	}
	for i := range specs {
		if specs[i].SetupID == "" {
			specs[i].SetupID = specs[i].Data
		}
	}
	return specs
}

// SetupIDs lists the setups of c at scale.
func SetupIDs(c Claim, scale Scale) []string {
	var ids []string
	for _, s := range Specs(c, scale) {
		ids = append(ids, s.SetupID)
	}
	return ids
}

// SpecFor returns the spec of c's setup id at scale with seeds replicates
// (0: the spec's own); "" is the first setup. The error lists the setups.
func SpecFor(c Claim, scale Scale, setup string, seeds int) (Spec, error) {
	specs := Specs(c, scale)
	i := 0
	if setup != "" {
		i = slices.IndexFunc(specs, func(s Spec) bool { return s.SetupID == setup })
		if i < 0 {
			return Spec{}, fmt.Errorf("claim %s has no setup %q at %s scale (setups: %s)", c.Info().ID, setup, scale, strings.Join(SetupIDs(c, scale), ", "))
		}
	}
	spec := specs[i]
	if seeds > 0 {
		spec.Seeds = seeds
	}
	if spec.Seeds < 1 {
		return spec, fmt.Errorf("claims: %s %s: %d seeds", c.Info().ID, spec.SetupID, spec.Seeds)
	}
	return spec, nil
}

// forSpec returns the Env a run of spec uses: env with Data set to the
// spec's dataset, so that Env.Dataset loads what the setup names. Synthetic
// setups keep env as it is.
func forSpec(env *Env, spec Spec) *Env {
	if env == nil {
		env = &Env{}
	}
	if spec.Data == "" || spec.Data == Synthetic || env.Data == spec.Data {
		return env
	}
	return &Env{Data: spec.Data, Seeds: env.Seeds, Workers: env.Workers, Progress: env.Progress, claim: env.claim}
}

// DataAbsent reports whether spec's data cannot be had on this machine (a
// dataset that is not installed, CIFAR-10 without $SGDCLAIMS_DATA), with
// the one-line reason. Synthetic data are never absent.
func DataAbsent(spec Spec) (bool, error) {
	if spec.Data == "" || spec.Data == Synthetic {
		return false, nil
	}
	if _, err := data.ResolveData(spec.Data); err != nil {
		return true, err
	}
	return false, nil
}

// NotRunResult is the result of a setup that was not run because its data
// are absent: its outcome is NotRun, and the summary says what to install.
func NotRunResult(c Claim, spec Spec, why error) *Result {
	ev := &Evidence{Info: c.Info(), Spec: spec, Data: spec.Data, Seeds: SeedList(spec.Seeds)}
	ev.Provenance = CurrentProvenance()
	v := &Verdict{Claim: c.Info().ID, Outcome: NotRun,
		Summary: fmt.Sprintf("not run: data absent (%v)", why)}
	if r, ok := c.(Registrant); ok {
		reg := r.Registration()
		ev.Registration, v.Registration = reg.Stamp(), reg.Stamp()
	}
	return &Result{Evidence: ev, Verdict: v}
}

// SetupFilter says which setups a run judges: those whose data are in
// Data (every one when Data is empty); synthetic setups always run.
type SetupFilter struct {
	Data []string
	// Setups, when set, keeps only the setups with these IDs (sweep plan
	// --setups), on top of Data.
	Setups []string
}

// ParseSetupFilter parses verify's --data: "all" (or "") for every setup,
// else a comma-separated list of dataset names (data.Names, or Synthetic:
// "--data synthetic" keeps the synthetic setups alone). A path is
// refused: the setups name their data, and $SGDCLAIMS_DATA says where a
// named dataset is read from.
func ParseSetupFilter(list string) (SetupFilter, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return SetupFilter{}, nil
	}
	var f SetupFilter
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(data.Names, name) && name != Synthetic {
			return SetupFilter{}, fmt.Errorf("%q: want all or a comma-separated list of %s, synthetic (each claim's setups name their data; set %s to read a named dataset from another folder)",
				name, strings.Join(data.Names, ", "), data.DataEnv)
		}
		if !slices.Contains(f.Data, name) {
			f.Data = append(f.Data, name)
		}
	}
	return f, nil
}

// Keeps reports whether the filter keeps spec.
func (f SetupFilter) Keeps(spec Spec) bool {
	if len(f.Setups) > 0 && !slices.Contains(f.Setups, spec.SetupID) {
		return false
	}
	return len(f.Data) == 0 || spec.Data == Synthetic || slices.Contains(f.Data, spec.Data)
}

// RunSetups runs c's setups at scale that filter keeps, one after another,
// and judges each; a setup whose data are absent gets NotRunResult, not an
// error. before, when set, is called as each setup starts. The claim's
// overall verdict is CombineSetups of the results.
func RunSetups(ctx context.Context, c Claim, scale Scale, env *Env, filter SetupFilter, before func(Spec)) ([]Result, error) {
	if env == nil {
		env = &Env{}
	}
	var out []Result
	for _, spec := range Specs(c, scale) {
		if !filter.Keeps(spec) {
			continue
		}
		if before != nil {
			before(spec)
		}
		if absent, why := DataAbsent(spec); absent {
			out = append(out, *NotRunResult(c, spec, why))
			continue
		}
		if env.Seeds > 0 {
			spec.Seeds = env.Seeds
		}
		if spec.Seeds < 1 {
			return out, fmt.Errorf("claims: %s %s: %d seeds", c.Info().ID, spec.SetupID, spec.Seeds)
		}
		res, err := runAndJudge(ctx, c, spec, forSpec(env, spec))
		if err != nil {
			return out, err
		}
		out = append(out, *res)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("claim %s has no setup on %s (setups: %s)", c.Info().ID, strings.Join(filter.Data, ", "), setupList(c, scale))
	}
	return out, nil
}

func setupList(c Claim, scale Scale) string {
	var s []string
	for _, sp := range Specs(c, scale) {
		s = append(s, sp.SetupID+" ("+sp.Data+")")
	}
	return strings.Join(s, ", ")
}

// SetupRule is the rule, fixed before any result was seen, that turns a
// claim's per-setup verdicts into its overall verdict.
const SetupRule = "a claim holds when it holds on every setup that was run, does not hold when it does not hold on every one, " +
	"and is inconclusive when it is inconclusive on every one; any other combination is mixed, with the setups listed by outcome. " +
	"A setup whose data are absent is not run and does not count; a claim with no setup run is not run."

// ClaimVerdict is a claim's overall verdict across its setups (SetupRule).
type ClaimVerdict struct {
	Claim   string         `json:"claim"`
	Outcome Outcome        `json:"outcome"`
	Setups  []SetupOutcome `json:"setups"`
	Rule    string         `json:"rule"`
	Summary string         `json:"summary"`
}

// SetupOutcome is one setup's verdict in a ClaimVerdict.
type SetupOutcome struct {
	Setup   string  `json:"setup"`
	Data    string  `json:"data"`
	Outcome Outcome `json:"outcome"`
	// Deciding names the first check that does not hold (else the first
	// inconclusive one) when the setup does not hold; "" when it holds.
	Deciding string `json:"deciding,omitempty"`
}

// CombineSetups applies SetupRule to the results of one claim's setups.
func CombineSetups(results []Result) (ClaimVerdict, error) {
	if len(results) == 0 {
		return ClaimVerdict{}, errors.New("claims: no setup results to combine")
	}
	cv := ClaimVerdict{Claim: results[0].Evidence.Info.ID, Rule: SetupRule}
	by := map[Outcome][]string{}
	var run []Outcome
	for _, r := range results {
		if r.Evidence.Info.ID != cv.Claim {
			return ClaimVerdict{}, fmt.Errorf("claims: combining setups of %s and %s", cv.Claim, r.Evidence.Info.ID)
		}
		so := SetupOutcome{Setup: r.Evidence.Spec.SetupID, Data: r.Evidence.Spec.Data, Outcome: r.Verdict.Outcome, Deciding: Deciding(r.Verdict)}
		cv.Setups = append(cv.Setups, so)
		by[so.Outcome] = append(by[so.Outcome], so.Setup)
		if so.Outcome != NotRun {
			run = append(run, so.Outcome)
		}
	}
	switch {
	case len(run) == 0:
		cv.Outcome = NotRun
	case allEqual(run):
		cv.Outcome = run[0]
	default:
		cv.Outcome = Mixed
	}
	var parts []string
	for _, o := range []Outcome{Holds, DoesNotHold, Inconclusive, NotRun} {
		if len(by[o]) > 0 {
			parts = append(parts, fmt.Sprintf("%s on %s", o, strings.Join(by[o], ", ")))
		}
	}
	cv.Summary = strings.Join(parts, "; ")
	return cv, nil
}

func allEqual(os []Outcome) bool {
	for _, o := range os[1:] {
		if o != os[0] {
			return false
		}
	}
	return true
}

// Deciding names the check that decided a verdict that does not hold: the
// first that does not hold, else the first inconclusive; "" when v holds
// or has no checks.
func Deciding(v *Verdict) string {
	if v == nil {
		return ""
	}
	for _, want := range []Outcome{DoesNotHold, Inconclusive} {
		for _, c := range v.Checks {
			if c.Outcome == want && !c.Information {
				return c.Name
			}
		}
	}
	return ""
}

// CombineAll groups results by claim (in their order) and combines each
// claim's setups.
func CombineAll(results []Result) ([]ClaimVerdict, error) {
	var order []string
	by := map[string][]Result{}
	for _, r := range results {
		id := r.Evidence.Info.ID
		if _, ok := by[id]; !ok {
			order = append(order, id)
		}
		by[id] = append(by[id], r)
	}
	var out []ClaimVerdict
	for _, id := range order {
		cv, err := CombineSetups(by[id])
		if err != nil {
			return nil, err
		}
		out = append(out, cv)
	}
	return out, nil
}
