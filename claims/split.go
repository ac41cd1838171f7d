package claims

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// Unit is one independent piece of a claim's work: one replicate's run at
// one grid point, say. A claim that splits into units can be run in one
// process (RunUnits, what Run does) or spread over a cluster, one unit per
// scheduler task (package runner), and the two give the same evidence: in
// both, every unit's result goes through JSON and the claim's Merge builds
// the evidence from those bytes alone.
type Unit struct {
	// Name identifies the unit among the spec's units: short, stable, made
	// of the values that set it apart ("seed=3 eta=0.05 S=64"). A sweep
	// stores it in the run's configuration.
	Name string `json:"name"`
	// Seed is the root seed of the replicate the unit belongs to. The
	// checks of every claim pair grid points by seed, so a merge of partial
	// results keeps only the seeds whose every unit is there.
	Seed uint64 `json:"seed"`
	// Point is the index of the unit's grid point, tier or row in the
	// claim's configuration: what RunUnit runs, found without parsing the
	// name back. The claim sets it in Units; it is not stored.
	Point int `json:"-"`
	// Cost is the unit's expected work relative to its siblings (steps,
	// say). It orders execution only (the longest start first, so workers
	// finish together) and never changes a result.
	Cost float64 `json:"-"`
}

// Splitter is a claim whose run splits into units. Every claim of the
// thesis does; a new claim may start as a plain Run and split later.
type Splitter interface {
	Claim
	// Units lists the units of the run at spec, in a fixed order, with
	// distinct names. It does no work.
	Units(spec Spec) []Unit
	// RunUnit does one unit's work and returns its result, a value that
	// marshals to JSON. It must be deterministic for the spec, the unit and
	// the ISA, whatever else runs in the process. It may report progress
	// through env.
	RunUnit(ctx context.Context, env *Env, spec Spec, u Unit) (any, error)
	// Merge builds the evidence from the results of the units of the given
	// seeds (each unit's JSON keyed by its name; every unit of those seeds
	// is present). Seeds is a subset of the spec's, in order; Merge must
	// not assume it is all of them.
	Merge(env *Env, spec Spec, seeds []uint64, results map[string]json.RawMessage) (*Evidence, error)
}

// SpecAt returns c's spec at scale with seeds replicates (0: the spec's
// own number), checked: the spec that RunClaim, a sweep's plan and a
// sweep's collect all use, so that they agree on the units.
//
// It is the spec of the claim's first setup; SpecFor names another.
func SpecAt(c Claim, scale Scale, seeds int) (Spec, error) {
	return SpecFor(c, scale, "", seeds)
}

// ConfigHash fingerprints what a claim runs at spec: the first 12 hex
// digits of SHA-256 over the scale, the data kind and the claim's Config as
// JSON. A sweep stores it with every planned run, so results computed for
// one version of a claim's setup are never credited to another (a changed
// grid, model or epoch count changes the hash). The number of seeds is not
// in it: a unit's result does not depend on how many seeds are planned
// (the Splitter contract, which claimtest.Split tests), so a sweep can add seeds
// and keep the units it has.
func ConfigHash(spec Spec) string {
	cfg, err := json.Marshal(spec.Config)
	if err != nil {
		cfg = []byte(fmt.Sprintf("unmarshalable %T", spec.Config))
	}
	h := sha256.New()
	fmt.Fprintf(h, "sgdclaims-claim-config/2\n%s\n%s\n", spec.Scale, spec.Data)
	if spec.SetupID != "" && spec.SetupID != spec.Data {
		// A claim's first setups were named for their data; only a setup
		// named otherwise adds its name, so hashes planned before setups
		// existed stay valid.
		fmt.Fprintf(h, "setup %s\n", spec.SetupID)
	}
	h.Write(cfg)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// FindUnit returns the unit of s at spec with the given name; the error
// lists a few of the known names.
func FindUnit(s Splitter, spec Spec, name string) (Unit, error) {
	units := s.Units(spec)
	for _, u := range units {
		if u.Name == name {
			return u, nil
		}
	}
	var known []string
	for _, u := range units[:min(len(units), 3)] {
		known = append(known, fmt.Sprintf("%q", u.Name))
	}
	more := ""
	if len(units) > 3 {
		more = fmt.Sprintf(", ... (%d units)", len(units))
	}
	return Unit{}, fmt.Errorf("%s has no unit %q at %s scale with %d seeds (units: %s%s)", s.Info().ID, name, spec.Scale, spec.Seeds, strings.Join(known, ", "), more)
}

// RunUnit runs unit u of s at spec (as Units or FindUnit gives it) and
// returns its result as JSON, as a sweep stores it.
func RunUnit(ctx context.Context, env *Env, s Splitter, spec Spec, u Unit) (json.RawMessage, error) {
	if env == nil {
		env = &Env{}
	}
	env = forSpec(env, spec)
	env.claim = s.Info().ID
	v, err := s.RunUnit(ctx, env, spec, u)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.Info().ID, u.Name, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s %s: result: %w", s.Info().ID, u.Name, err)
	}
	return b, nil
}

// RunUnits is the Run of a claim that splits: every unit on env's workers
// (the most costly first), each result marshalled to JSON, then Merge over
// all seeds. Progress is reported per unit.
func RunUnits(ctx context.Context, env *Env, s Splitter, spec Spec) (*Evidence, error) {
	units := s.Units(spec)
	if err := checkUnits(units, spec); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Info().ID, err)
	}
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch ca, cb := units[a].Cost, units[b].Cost; {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	results := make([]json.RawMessage, len(units))
	tick := env.Counter("units", len(units))
	// Units run side by side, so their own progress events would
	// interleave: they get an Env without Progress.
	env = forSpec(env, spec)
	quiet := &Env{Data: env.Data, Seeds: env.Seeds, Workers: 1, claim: env.claim}
	err := env.ForEach(ctx, len(units), func(k int) error {
		u := units[order[k]]
		v, err := s.RunUnit(ctx, quiet, spec, u)
		if err != nil {
			return fmt.Errorf("%s: %w", u.Name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: result: %w", u.Name, err)
		}
		results[order[k]] = b
		tick()
		return nil
	})
	if err != nil {
		return nil, err
	}
	parts := make(map[string]json.RawMessage, len(units))
	for i, u := range units {
		parts[u.Name] = results[i]
	}
	return s.Merge(env, spec, SeedList(spec.Seeds), parts)
}

func checkUnits(units []Unit, spec Spec) error {
	if len(units) == 0 {
		return fmt.Errorf("no units at %s scale", spec.Scale)
	}
	seen := map[string]bool{}
	for _, u := range units {
		if u.Name == "" || seen[u.Name] {
			return fmt.Errorf("unit name %q empty or repeated", u.Name)
		}
		if u.Seed < 1 || u.Seed > uint64(spec.Seeds) {
			return fmt.Errorf("unit %q: seed %d outside 1..%d", u.Name, u.Seed, spec.Seeds)
		}
		seen[u.Name] = true
	}
	return nil
}

// Coverage says which units a merge had: the seeds it used (those with
// every unit), the seeds it left out, and the units without a result.
type Coverage struct {
	Planned  int      `json:"planned_seeds"`
	Used     []uint64 `json:"used_seeds"`
	Left     []uint64 `json:"left_out_seeds,omitempty"`
	Missing  []string `json:"missing_units,omitempty"`
	Units    int      `json:"units"`
	Received int      `json:"received"`
}

// Complete reports whether every planned unit had a result.
func (c *Coverage) Complete() bool { return len(c.Missing) == 0 }

// String says what is missing, in one line ("" when nothing is).
func (c *Coverage) String() string {
	if c.Complete() {
		return ""
	}
	names := c.Missing
	more := ""
	if len(names) > 6 {
		names, more = names[:6], fmt.Sprintf(", and %d more", len(c.Missing)-6)
	}
	return fmt.Sprintf("partial: %d of %d units have results; verdict from seeds %v (%d of %d planned), left out %v; missing units: %s%s",
		c.Received, c.Units, c.Used, len(c.Used), c.Planned, c.Left, strings.Join(names, "; "), more)
}

// MinMergeSeeds is the fewest complete seeds a merge accepts: every check
// is an interval over seeds, and a t-interval needs two.
const MinMergeSeeds = 2

// MergeUnits judges stored unit results (JSON keyed by unit name; names
// that are not units of the spec are an error, units without a result are
// allowed): it merges the seeds whose every unit is there, stamps the
// evidence with isa (the kernels that computed the units), and decides the
// verdict. A partial merge says so in the evidence's notes and in Coverage;
// fewer than MinMergeSeeds complete seeds is an error naming what is
// missing.
func MergeUnits(s Splitter, env *Env, spec Spec, parts map[string]json.RawMessage, isa string) (*Result, *Coverage, error) {
	id := s.Info().ID
	units := s.Units(spec)
	if err := checkUnits(units, spec); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", id, err)
	}
	known := map[string]bool{}
	incomplete := map[uint64]bool{}
	cov := &Coverage{Planned: spec.Seeds, Units: len(units)}
	for _, u := range units {
		known[u.Name] = true
		if _, ok := parts[u.Name]; ok {
			cov.Received++
		} else {
			incomplete[u.Seed] = true
			cov.Missing = append(cov.Missing, u.Name)
		}
	}
	for name := range parts {
		if !known[name] {
			return nil, nil, fmt.Errorf("%s: result for %q, which is not a unit of the %s-scale spec with %d seeds", id, name, spec.Scale, spec.Seeds)
		}
	}
	for _, seed := range SeedList(spec.Seeds) {
		if incomplete[seed] {
			cov.Left = append(cov.Left, seed)
		} else {
			cov.Used = append(cov.Used, seed)
		}
	}
	if len(cov.Used) < MinMergeSeeds {
		return nil, cov, fmt.Errorf("%s: %d of %d seeds have every unit; need %d to judge (%s)", id, len(cov.Used), spec.Seeds, MinMergeSeeds, cov.String())
	}
	use := map[string]json.RawMessage{}
	for _, u := range units {
		if !incomplete[u.Seed] {
			use[u.Name] = parts[u.Name]
		}
	}
	env = forSpec(env, spec)
	env.claim = id
	ev, err := s.Merge(env, spec, cov.Used, use)
	if err != nil {
		return nil, cov, fmt.Errorf("%s: merge: %w", id, err)
	}
	ev.Seeds = cov.Used
	if !cov.Complete() {
		ev.Coverage = cov
		ev.Notes = append([]string{"**Partial result.** " + cov.String() + "."}, ev.Notes...)
	}
	res, err := judge(s, spec, ev, isa)
	return res, cov, err
}

// judge stamps evidence (info, spec, ISA, toolchain), validates its plots
// and decides the verdict.
func judge(c Claim, spec Spec, ev *Evidence, isa string) (*Result, error) {
	id := c.Info().ID
	ev.Info, ev.Spec = c.Info(), spec
	if ev.Seeds == nil {
		ev.Seeds = SeedList(spec.Seeds)
	}
	ev.ISA = isa
	ev.GoVersion = runtime.Version()
	ev.Provenance = CurrentProvenance()
	if r, ok := c.(Registrant); ok {
		ev.Registration, ev.ChangeLog = r.Registration().Stamp(), r.Registration().Changes
	}
	for _, p := range ev.Plots {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
	}
	v, err := Decide(c, ev)
	if err != nil {
		return nil, err
	}
	return &Result{Evidence: ev, Verdict: v}, nil
}

// Decide is c's verdict on ev, as every path that judges evidence (a run, a
// sweep's merge, a re-judged stored result) must take it: the claim's
// Verdict, named for the claim, and for a Registrant checked against the
// registration (a check that is not registered word for word is an error)
// and stamped with it.
func Decide(c Claim, ev *Evidence) (*Verdict, error) {
	id := c.Info().ID
	v, err := c.Verdict(ev)
	if err != nil {
		return nil, fmt.Errorf("%s: verdict: %w", id, err)
	}
	v.Claim = id
	if r, ok := c.(Registrant); ok {
		reg := r.Registration()
		if err := reg.Validate(); err != nil {
			return nil, err
		}
		if bad := reg.conforms(v); bad != "" {
			return nil, fmt.Errorf("%s: verdict: %s in %s: a verdict may only carry registered checks", id, bad, reg.Stamp())
		}
		v.Registration = reg.Stamp()
	}
	return v, nil
}

// runAndJudge is RunClaim's body: the run, the stamp and the verdict.
func runAndJudge(ctx context.Context, c Claim, spec Spec, env *Env) (*Result, error) {
	env.claim = c.Info().ID
	start := time.Now()
	ev, err := c.Run(ctx, env, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Info().ID, err)
	}
	res, err := judge(c, spec, ev, kernels.Active().Name())
	if err != nil {
		return nil, err
	}
	res.Evidence.GOMAXPROCS = runtime.GOMAXPROCS(0)
	res.Evidence.Seconds = time.Since(start).Seconds()
	return res, nil
}
