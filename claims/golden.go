package claims

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Tolerance says how closely a rerun must reproduce a golden's figures:
// |got - want| <= max(Rel*min(|got|,|want|), Abs), cmpopts.EquateApprox's
// rule.
//
// Same is for a rerun on the ISA the golden was recorded on. The training
// core is bitwise deterministic for a spec, seed and ISA, so Same only
// absorbs toolchain changes in math functions: keep it near 1e-9.
//
// CrossISA is for a rerun on another kernel implementation. Float32 sums in
// another order change the SGD trajectory from the first step, and a
// stochastic trajectory does not come back: figures then agree only up to
// their statistical error, so CrossISA must be about the size of the
// figures' confidence intervals, and Reason must say so.
type Tolerance struct {
	SameRel     float64 `json:"same_rel"`
	SameAbs     float64 `json:"same_abs"`
	CrossISARel float64 `json:"cross_isa_rel"`
	CrossISAAbs float64 `json:"cross_isa_abs"`
	Reason      string  `json:"reason"`
}

// Golden is goldens/<claim>.json: the figures and verdict of a quick-scale
// run, with what is needed to know whether a rerun is comparable.
type Golden struct {
	Claim string `json:"claim"`
	Setup string `json:"setup"`
	// Registration is the stamp of the registered checks the verdict was
	// decided by; a rerun under another registration is not comparable.
	Registration string             `json:"registration,omitempty"`
	ISA          string             `json:"isa"`
	Scale        Scale              `json:"scale"`
	Seeds        []uint64           `json:"seeds"`
	Data         string             `json:"data"`
	Config       any                `json:"config"`
	Tolerance    Tolerance          `json:"tolerance"`
	Figures      map[string]float64 `json:"-"`
	Verdict      GoldenVerdict      `json:"verdict"`
	// Seconds is the recorded run's wall time, for the README's budget; not
	// compared.
	Seconds float64 `json:"seconds"`
}

// GoldenVerdict is the part of a verdict a rerun must reproduce exactly.
type GoldenVerdict struct {
	Outcome Outcome          `json:"outcome"`
	Checks  []GoldenCheckOut `json:"checks"`
}

// GoldenCheckOut is one check's recorded outcome.
type GoldenCheckOut struct {
	Name    string  `json:"name"`
	Outcome Outcome `json:"outcome"`
}

type goldenJSON Golden

type goldenWire struct {
	goldenJSON
	Figures map[string]jsonfloat.Float `json:"figures"`
}

// MarshalJSON writes Figures with jsonfloat.Float so NaN survives.
func (g Golden) MarshalJSON() ([]byte, error) {
	return json.Marshal(goldenWire{goldenJSON: goldenJSON(g), Figures: jsonfloat.Map(g.Figures)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *Golden) UnmarshalJSON(b []byte) error {
	var w goldenWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*g = Golden(w.goldenJSON)
	g.Figures = jsonfloat.Float64Map(w.Figures)
	return nil
}

// NewGolden records r as a golden.
func NewGolden(r *Result) *Golden {
	ev := r.Evidence
	g := &Golden{
		Claim: ev.Info.ID, Setup: ev.Spec.SetupID, Registration: r.Verdict.Registration, ISA: ev.ISA, Scale: ev.Spec.Scale, Seeds: ev.Seeds, Data: ev.Data,
		Config: ev.Spec.Config, Tolerance: ev.Spec.Tolerance, Figures: ev.Figures,
		Verdict: GoldenVerdict{Outcome: r.Verdict.Outcome}, Seconds: ev.Seconds,
	}
	for _, c := range r.Verdict.Checks {
		g.Verdict.Checks = append(g.Verdict.Checks, GoldenCheckOut{c.Name, c.Outcome})
	}
	return g
}

// GoldenPath returns dir/<id>-<setup>.json, the golden of one setup.
func GoldenPath(dir, id, setup string) string { return filepath.Join(dir, id+"-"+setup+".json") }

// WriteGolden writes g to GoldenPath(dir, g.Claim, g.Setup) atomically, indented so
// that a diff of the file reads as a diff of the figures.
func WriteGolden(dir string, g *Golden) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(GoldenPath(dir, g.Claim, g.Setup), append(b, '\n'), 0o644)
}

// ReadGolden reads dir/<id>-<setup>.json.
func ReadGolden(dir, id, setup string) (*Golden, error) {
	b, err := os.ReadFile(GoldenPath(dir, id, setup))
	if err != nil {
		return nil, err
	}
	var g Golden
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%s: %w", GoldenPath(dir, id, setup), err)
	}
	return &g, nil
}

// Compare checks a rerun against the golden and returns a description of
// every difference ("" when it matches):
//
//   - the run must be comparable: same claim, scale, seeds and config;
//   - the verdict (claim outcome and every check's outcome) must be equal;
//   - the figures must match within Tolerance.Same when the ISA is the
//     golden's, within Tolerance.CrossISA otherwise (see Tolerance).
//
// Both tolerances are read from the golden, not from the current code, so
// loosening a tolerance shows up as a diff of the golden file.
func (g *Golden) Compare(r *Result) string {
	ev := r.Evidence
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if ev.Info.ID != g.Claim {
		add("claim %q, golden is for %q", ev.Info.ID, g.Claim)
	}
	if ev.Spec.SetupID != g.Setup {
		add("setup %q, golden is for %q", ev.Spec.SetupID, g.Setup)
	}
	if r.Verdict.Registration != g.Registration {
		add("registration %q, golden decided by %q: rerun with -update once the new registration is locked", r.Verdict.Registration, g.Registration)
	}
	if ev.Spec.Scale != g.Scale {
		add("scale %s, golden %s", ev.Spec.Scale, g.Scale)
	}
	if !slices.Equal(ev.Seeds, g.Seeds) {
		add("seeds %v, golden %v", ev.Seeds, g.Seeds)
	}
	if d := cmp.Diff(normalise(g.Config), normalise(ev.Spec.Config)); d != "" {
		add("config differs from the golden's (-golden +run):\n%s", d)
	}
	got := NewGolden(r).Verdict
	if d := cmp.Diff(g.Verdict, got); d != "" {
		add("verdict differs (-golden +run):\n%s", d)
	}
	rel, abs, which := g.Tolerance.SameRel, g.Tolerance.SameAbs, "same-ISA"
	if ev.ISA != g.ISA {
		rel, abs, which = g.Tolerance.CrossISARel, g.Tolerance.CrossISAAbs, fmt.Sprintf("cross-ISA (%s run, %s golden)", ev.ISA, g.ISA)
	}
	opts := cmp.Options{cmpopts.EquateApprox(rel, abs), cmpopts.EquateNaNs()}
	if d := cmp.Diff(g.Figures, ev.Figures, opts); d != "" {
		add("figures differ beyond the %s tolerance rel %g abs %g (-golden +run):\n%s", which, rel, abs, d)
	}
	return strings.Join(diffs, "\n")
}

// normalise round-trips v through JSON so a typed config compares equal to
// the map a golden file decodes into.
func normalise(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	return out
}
