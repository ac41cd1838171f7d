package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	_ "github.com/sgdclaims/sgdclaims/claims/all" // every claim, registered
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

func init() {
	RegisterKind(Kind{Name: "claim", Summary: "run one thesis claim at a scale and decide its verdict", New: func() Config { return &ClaimConfig{} }})
	RegisterKind(Kind{Name: "claim-unit", Summary: "run one unit (a seed at a grid point) of a thesis claim; collect merges the units and decides the verdict",
		New: func() Config { return &ClaimUnitConfig{} }})
}

// ClaimConfig is a run of kind "claim": a whole claim (all its seeds and
// grid points) at one scale, as `sgdclaims verify --claims ID` runs it.
type ClaimConfig struct {
	// Claim is the claim's ID ("c1" .. "c4").
	Claim string `json:"claim"`
	// Scale is "quick" or "full" (default "full": sweeps exist for the
	// paper's regime).
	Scale string `json:"scale"`
	// Seeds overrides the spec's number of replicates (0: the spec's).
	Seeds int `json:"seeds,omitempty"`
	// SetupID names the claim's setup (model x dataset x grid; "" or
	// omitted: its first). Filled in when empty.
	SetupID string `json:"setup_id,omitempty"`
	// Data is the setup's data ("mnist", "fashion-mnist", "cifar10",
	// "synthetic"), filled in from the setup: the setup names its data, and
	// $SGDCLAIMS_DATA says where a named dataset is read from. A value
	// that contradicts the setup is refused; one planned before setups
	// existed ("mnist" for a synthetic claim) is taken as the setup's.
	Data string `json:"data"`
	// Setup is claims.ConfigHash of the claim's spec when it was planned
	// (filled in when empty). A build whose claim runs something else
	// (another grid, model, epochs) refuses the run rather than credit it
	// with results of the old setup.
	Setup string `json:"setup"`
}

// ClaimRecord is the stored record of a claim run: the evidence and the
// verdict, with the wall time and GOMAXPROCS moved to the result's stamp so
// that the record is deterministic.
type ClaimRecord = claims.Result

// Normalize fills in defaults and checks the fields.
func (c *ClaimConfig) Normalize() error {
	c.Claim = strings.ToLower(strings.TrimSpace(c.Claim))
	if c.Scale == "" {
		c.Scale = string(claims.Full)
	}
	if c.Claim == "" {
		return fieldErr("claim", "required (known: %s)", claims.Known())
	}
	cl, err := claims.Lookup(c.Claim)
	if err != nil {
		return fieldErr("claim", "%v", err)
	}
	c.Claim = cl.Info().ID // a short name is stored as the ID
	if _, err := claims.ParseScale(c.Scale); err != nil {
		return fieldErr("scale", "%v", err)
	}
	if c.Seeds < 0 || c.Seeds == 1 {
		return fieldErr("seeds", "need 0 (the claim's default) or at least 2 for an interval, got %d", c.Seeds)
	}
	if err := checkSetupID(&c.SetupID, &c.Data, cl, c.Scale); err != nil {
		return err
	}
	return checkSetup(&c.Setup, c.Claim, c.Scale, c.SetupID, c.Seeds)
}

// checkSetupID fills in the setup (the claim's first when empty) and its
// data, and refuses data that contradict the setup.
func checkSetupID(setupID, dataName *string, cl claims.Claim, scale string) error {
	spec, err := claims.SpecFor(cl, claims.Scale(scale), *setupID, 0)
	if err != nil {
		return fieldErr("setup_id", "%v", err)
	}
	switch {
	case *dataName == "", *dataName == spec.Data:
	case *dataName == "mnist" && spec.Data == claims.Synthetic:
		// planned before setups existed, when every claim defaulted to mnist
	default:
		return fieldErr("data", "setup %s of claim %s trains on %s, not %q (the setup names its data; set %s to read it from elsewhere)",
			spec.SetupID, cl.Info().ID, spec.Data, *dataName, data.DataEnv)
	}
	*setupID, *dataName = spec.SetupID, spec.Data
	return nil
}

// checkSetup fills in or verifies the hash of the claim's setup.
func checkSetup(setup *string, id, scale, setupID string, seeds int) error {
	cl, _ := claims.Lookup(id)
	spec, err := claims.SpecFor(cl, claims.Scale(scale), setupID, seeds)
	if err != nil {
		return fieldErr("seeds", "%v", err)
	}
	h := claims.ConfigHash(spec)
	switch *setup {
	case "":
		*setup = h
	case h:
	default:
		return fieldErr("setup", "planned for another version of claim %s's setup (hash %s; this build runs %s): plan the sweep again (sweep plan --force)", id, *setup, h)
	}
	return nil
}

// Check resolves the setup's data (a synthetic setup has none to find).
func (c *ClaimConfig) Check() error { return checkClaimData(c.Data) }

func checkClaimData(dataName string) error {
	if dataName == claims.Synthetic {
		return nil
	}
	if _, err := data.ResolveData(dataName); err != nil {
		return fieldErr("data", "%v", err)
	}
	return nil
}

// claimEnv is the claims.Env of a run: its data, seeds and parallelism, with
// the claim's progress passed on to the runner's.
func claimEnv(dataName string, seeds int, env *Env) *claims.Env {
	cenv := &claims.Env{Data: dataName, Seeds: seeds}
	if env != nil {
		cenv.Workers = env.Workers
		if env.Progress != nil {
			cenv.Progress = func(p claims.Progress) { env.Progress(p.Done, p.Total) }
		}
	}
	return cenv
}

// Execute runs the claim and judges it.
func (c *ClaimConfig) Execute(ctx context.Context, env *Env) (*Output, error) {
	cl, err := claims.Lookup(c.Claim)
	if err != nil {
		return nil, err
	}
	spec, err := claims.SpecFor(cl, claims.Scale(c.Scale), c.SetupID, c.Seeds)
	if err != nil {
		return nil, err
	}
	res, err := claims.RunSpec(ctx, cl, spec, claimEnv(c.Data, c.Seeds, env))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if res.Evidence == nil || res.Verdict == nil {
		return nil, errors.New("claim returned no evidence or verdict")
	}
	isa := res.Evidence.ISA
	res.Evidence.Seconds, res.Evidence.GOMAXPROCS = 0, 0
	figs := map[string]float64{}
	for k, v := range res.Evidence.Figures {
		figs[k] = v
	}
	return &Output{Record: res, Figures: figs, ISA: isa}, nil
}

// claimLabel is the label of a claim run in a manifest.
func claimLabel(c *ClaimConfig) string {
	l := fmt.Sprintf("%s %s %s", c.Claim, c.SetupID, c.Scale)
	if c.Seeds > 0 {
		l += fmt.Sprintf(" seeds=%d", c.Seeds)
	}
	return l
}

// ClaimUnitConfig is a run of kind "claim-unit": one unit of a claim that
// splits (claims.Splitter), e.g. one seed of one grid point. A sweep of a
// claim plans one such run per unit, so a cluster runs the units as
// separate tasks; collect merges the stored unit results (CollectClaims)
// and judges the claim from them.
//
// The configuration names the unit's own seed, not the number of seeds
// planned: a unit's result does not depend on it, so planning more seeds
// later (sweep plan --seeds 12 --force) keeps every unit already run.
type ClaimUnitConfig struct {
	Claim   string `json:"claim"`
	Scale   string `json:"scale"`
	SetupID string `json:"setup_id,omitempty"` // as in ClaimConfig
	Data    string `json:"data"`
	// Setup is claims.ConfigHash of the claim's spec, as in ClaimConfig.
	Setup string `json:"setup"`
	// Unit is the unit's name ("eta=0.05 S=64 seed=3"), as the claim's
	// Units lists it, and Seed the replicate it belongs to.
	Unit string `json:"unit"`
	Seed uint64 `json:"seed"`
}

// Normalize fills in defaults and checks the fields, the unit included.
func (c *ClaimUnitConfig) Normalize() error {
	cc := ClaimConfig{Claim: c.Claim, Scale: c.Scale, SetupID: c.SetupID, Data: c.Data, Setup: c.Setup}
	if err := cc.Normalize(); err != nil {
		return err
	}
	c.Claim, c.Scale, c.SetupID, c.Data, c.Setup = cc.Claim, cc.Scale, cc.SetupID, cc.Data, cc.Setup
	if c.Seed < 1 || c.Seed > 1<<20 {
		return fieldErr("seed", "the unit's replicate, from 1 to %d, got %d", 1<<20, c.Seed)
	}
	s, spec, err := c.splitter()
	if err != nil {
		return err
	}
	u, err := claims.FindUnit(s, spec, c.Unit)
	if err != nil {
		return fieldErr("unit", "%v", err)
	}
	if u.Seed != c.Seed {
		return fieldErr("seed", "unit %q belongs to seed %d, not %d", c.Unit, u.Seed, c.Seed)
	}
	return nil
}

// splitter returns the claim and its spec with the unit's seed as the
// number of seeds: the smallest plan that holds the unit, and one that
// gives the unit the same result as any larger plan.
func (c *ClaimUnitConfig) splitter() (claims.Splitter, claims.Spec, error) {
	cl, err := claims.Lookup(c.Claim)
	if err != nil {
		return nil, claims.Spec{}, fieldErr("claim", "%v", err)
	}
	s, ok := cl.(claims.Splitter)
	if !ok {
		return nil, claims.Spec{}, fieldErr("claim", "%s does not split into units; use kind \"claim\"", c.Claim)
	}
	spec, err := claims.SpecFor(cl, claims.Scale(c.Scale), c.SetupID, int(c.Seed))
	if err != nil {
		return nil, spec, fieldErr("seed", "%v", err)
	}
	return s, spec, nil
}

// Check resolves the setup's data.
func (c *ClaimUnitConfig) Check() error { return checkClaimData(c.Data) }

// ClaimUnitRecord is the stored record of a claim-unit run.
type ClaimUnitRecord struct {
	Claim string `json:"claim"`
	Unit  string `json:"unit"`
	Seed  uint64 `json:"seed"`
	// Result is the unit's result in the claim's own JSON shape: what the
	// claim's Merge reads.
	Result json.RawMessage `json:"result"`
}

// Execute runs the unit.
func (c *ClaimUnitConfig) Execute(ctx context.Context, env *Env) (*Output, error) {
	s, spec, err := c.splitter()
	if err != nil {
		return nil, err
	}
	u, err := claims.FindUnit(s, spec, c.Unit)
	if err != nil {
		return nil, err
	}
	b, err := claims.RunUnit(ctx, claimEnv(c.Data, 0, env), s, spec, u)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	out := &Output{Record: ClaimUnitRecord{Claim: c.Claim, Unit: c.Unit, Seed: u.Seed, Result: b},
		Figures: map[string]float64{}, ISA: kernels.Active().Name()}
	out.Diverged, out.DivergedStep = unitDiverged(b)
	return out, nil
}

// unitDiverged reads the claims' convention for a unit whose training
// diverged: its result object says so at the top level, as "diverged": true
// and/or a non-zero "diverged_step" (claims.CurvResult has both; most
// claims only the step). The sweep then counts and lists the unit as
// diverged (a finished run all the same, merged into the verdict, which
// judges the divergence itself) instead of as an ordinary done run.
func unitDiverged(result json.RawMessage) (bool, int) {
	var d struct {
		Diverged bool `json:"diverged"`
		Step     int  `json:"diverged_step"`
	}
	if json.Unmarshal(result, &d) != nil { // not an object: no such convention
		return false, 0
	}
	return d.Diverged || d.Step > 0, d.Step
}

// ClaimRuns plans the claims in list (IDs or short names separated by
// commas, or "all") at a scale, every setup that dataList keeps (verify's
// --data: "all" or "", or dataset names; claims.ParseSetupFilter): one
// "claim-unit" run per unit of a setup of a claim that splits (every claim
// of the thesis does), the most costly first so that a job array's first
// tasks are its longest; one "claim" run for a claim that does not. Every
// run is checked. A setup whose data are absent here is not planned: it is
// listed in skipped with the reason (a cluster that has the data plans it
// there).
func ClaimRuns(list, scale string, seeds int, dataList string) (runs []Run, skipped []string, err error) {
	return ClaimRunsOf(list, scale, seeds, dataList, "")
}

// ClaimRunsOf is ClaimRuns restricted further to the setups named in
// setupList (comma-separated setup IDs; "" for every setup): sweep plan
// --setups, for planning one setup of a claim without the others that
// share its data (the Fashion-MNIST MLP without the SimpleCNN). A name
// that is no setup of the selected claims at this scale is an error.
func ClaimRunsOf(list, scale string, seeds int, dataList, setupList string) (runs []Run, skipped []string, err error) {
	selected, err := claims.Select(list)
	if err != nil {
		return nil, nil, fieldErr("claim", "%v", err)
	}
	filter, err := claims.ParseSetupFilter(dataList)
	if err != nil {
		return nil, nil, fieldErr("data", "%v", err)
	}
	if _, err := claims.ParseScale(scale); err != nil {
		return nil, nil, fieldErr("scale", "%v", err)
	}
	if setupList != "" {
		var known []string
		for _, c := range selected {
			for _, sp := range claims.Specs(c, claims.Scale(scale)) {
				known = append(known, sp.SetupID)
			}
		}
		for _, id := range strings.Split(setupList, ",") {
			id = strings.TrimSpace(id)
			if !slices.Contains(known, id) {
				return nil, nil, fieldErr("setups", "%q: not a %s setup of %s (known: %s)", id, scale, list, strings.Join(known, ", "))
			}
			filter.Setups = append(filter.Setups, id)
		}
	}
	add := func(kind string, v Config, label string) error {
		raw, _ := json.Marshal(v)
		run, cfg, err := NewRun(kind, raw)
		if err != nil {
			return err
		}
		if err := cfg.Check(); err != nil {
			return err
		}
		run.Index, run.Label = len(runs), label
		runs = append(runs, run)
		return nil
	}
	for _, c := range selected {
		id := c.Info().ID
		for _, sp := range claims.Specs(c, claims.Scale(scale)) {
			if !filter.Keeps(sp) {
				continue
			}
			if absent, why := claims.DataAbsent(sp); absent {
				skipped = append(skipped, fmt.Sprintf("%s %s: not planned: data absent (%v)", id, sp.SetupID, why))
				continue
			}
			if err := planSetup(c, sp.SetupID, scale, seeds, add); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(runs) == 0 {
		return nil, skipped, fieldErr("claim", "nothing to plan: %s has no setup here on %q (%s)", list, dataList, strings.Join(skipped, "; "))
	}
	return runs, skipped, nil
}

// planSetup adds the runs of one setup of c.
func planSetup(c claims.Claim, setupID, scale string, seeds int, add func(kind string, v Config, label string) error) error {
	id := c.Info().ID
	{
		cc := &ClaimConfig{Claim: id, Scale: scale, Seeds: seeds, SetupID: setupID}
		if err := cc.Normalize(); err != nil {
			return err
		}
		s, ok := c.(claims.Splitter)
		if !ok {
			return add("claim", cc, claimLabel(cc))
		}
		spec, err := claims.SpecFor(c, claims.Scale(cc.Scale), setupID, seeds)
		if err != nil {
			return fieldErr("seeds", "%v", err)
		}
		units := s.Units(spec)
		slices.SortStableFunc(units, func(a, b claims.Unit) int {
			switch {
			case a.Cost > b.Cost:
				return -1
			case a.Cost < b.Cost:
				return 1
			}
			return 0
		})
		for _, u := range units {
			uc := &ClaimUnitConfig{Claim: id, Scale: cc.Scale, SetupID: cc.SetupID, Data: cc.Data, Setup: cc.Setup, Unit: u.Name, Seed: u.Seed}
			if err := add("claim-unit", uc, fmt.Sprintf("%s %s %s %s", id, cc.SetupID, cc.Scale, u.Name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ClaimCollection is one claim judged from a sweep's stored unit results.
type ClaimCollection struct {
	Claim   string
	SetupID string
	Scale   string
	Seeds   int // planned replicates: the largest seed of the claim's planned units
	Data    string
	// Result is the merged evidence and its verdict; nil when too few
	// seeds are complete (Err says why).
	Result   *claims.Result
	Coverage *claims.Coverage
	Err      error
	// Planned and Have count the claim's unit runs in the manifest and
	// those with a valid result.
	Planned, Have int
	// ISA names the kernels of the unit results ("avx512", or "avx512+avx2"
	// when they were mixed: such results agree only to rounding).
	ISA string
	// Seconds is the sum of the units' wall times; Started the earliest
	// unit's start.
	Seconds float64
	Started string
}

// CollectClaims merges the claim-unit results of a sweep, one collection
// per (claim, setup, scale) in manifest order, and judges each from
// whatever units have results (seeds with a missing unit are left out,
// and Coverage says so).
func CollectClaims(st *Status) []*ClaimCollection {
	type key struct{ claim, setup, scale, data string }
	var order []key
	groups := map[key]*ClaimCollection{}
	parts := map[key]map[string]json.RawMessage{}
	isas := map[key][]string{}
	procs := map[key][]int{}
	provs := map[key][]provenance.Info{}
	for _, r := range st.Runs {
		if r.Run.Kind != "claim-unit" {
			continue
		}
		var cfg ClaimUnitConfig
		if err := json.Unmarshal(r.Run.Config, &cfg); err != nil {
			continue // Open verified every planned config; not reached
		}
		k := key{cfg.Claim, cfg.SetupID, cfg.Scale, cfg.Data}
		g := groups[k]
		if g == nil {
			g = &ClaimCollection{Claim: cfg.Claim, SetupID: cfg.SetupID, Scale: cfg.Scale, Data: cfg.Data}
			groups[k], parts[k] = g, map[string]json.RawMessage{}
			order = append(order, k)
		}
		g.Planned++
		g.Seeds = max(g.Seeds, int(cfg.Seed))
		if r.Result == nil {
			continue
		}
		var rec ClaimUnitRecord
		if err := json.Unmarshal(r.Result.Record, &rec); err != nil || rec.Unit != cfg.Unit {
			g.Err = fmt.Errorf("run %d (%s): stored unit record does not decode or names another unit", r.Run.Index, r.Run.ID)
			continue
		}
		g.Have++
		parts[k][cfg.Unit] = rec.Result
		g.Seconds += r.Result.Stamp.Seconds
		if g.Started == "" || r.Result.Stamp.Started < g.Started {
			g.Started = r.Result.Stamp.Started
		}
		if !slices.Contains(isas[k], r.Result.Stamp.ISA) {
			isas[k] = append(isas[k], r.Result.Stamp.ISA)
		}
		if !slices.Contains(provs[k], r.Result.Stamp.Provenance) {
			provs[k] = append(provs[k], r.Result.Stamp.Provenance)
		}
		if !slices.Contains(procs[k], r.Result.Stamp.GOMAXPROCS) {
			procs[k] = append(procs[k], r.Result.Stamp.GOMAXPROCS)
		}
	}
	var out []*ClaimCollection
	for _, k := range order {
		g := groups[k]
		out = append(out, g)
		slices.Sort(isas[k])
		g.ISA = strings.Join(isas[k], "+")
		if g.Err != nil {
			continue
		}
		cl, err := claims.Lookup(g.Claim)
		if err != nil {
			g.Err = err
			continue
		}
		s, ok := cl.(claims.Splitter)
		if !ok {
			g.Err = fmt.Errorf("%s no longer splits into units", g.Claim)
			continue
		}
		spec, err := claims.SpecFor(cl, claims.Scale(g.Scale), g.SetupID, g.Seeds)
		if err != nil {
			g.Err = err
			continue
		}
		g.Result, g.Coverage, g.Err = claims.MergeUnits(s, &claims.Env{Data: g.Data}, spec, parts[k], g.ISA)
		if g.Result != nil {
			g.Result.Evidence.Seconds = g.Seconds
			if len(procs[k]) == 1 { // else left 0: the units ran with different parallelism
				g.Result.Evidence.GOMAXPROCS = procs[k][0]
			}
			g.Result.Evidence.Provenance = unitsProvenance(provs[k])
		}
	}
	return out
}

// unitsProvenance is the provenance of a merge: the units' when they all
// ran from one build, else a record that they did not, naming the commits.
func unitsProvenance(ps []provenance.Info) provenance.Info {
	if len(ps) == 1 {
		return ps[0]
	}
	var revs []string
	for _, p := range ps {
		revs = append(revs, p.String())
	}
	slices.Sort(revs)
	return provenance.Info{Source: "units from several builds: " + strings.Join(slices.Compact(revs), ", ")}
}
