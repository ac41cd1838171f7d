package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Scale selects how much work a claim does. Quick runs in CI on two cores;
// Full is the paper's regime as far as MNIST-sized data and MLPs allow.
type Scale string

const (
	Quick Scale = "quick"
	Full  Scale = "full"
)

// ParseScale accepts "quick" and "full".
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Quick, Full:
		return Scale(s), nil
	}
	return "", fmt.Errorf("scale %q: want quick or full", s)
}

// Info names a claim and says where it comes from.
type Info struct {
	ID        string `json:"id"`        // "c1" .. "c4"; lower case, used in flags and file names
	Short     string `json:"short"`     // one word for flags and the terminal: "exchangeability"; --claims accepts it as the ID
	Name      string `json:"name"`      // a few words: "Stationary loss E(L) = eta/(4S) Tr(H)"
	Paper     string `json:"paper"`     // "P1 (Jastrzebski et al. 2017), Eq. (3.3)"
	Statement string `json:"statement"` // the claim in one sentence
}

// Spec is what a claim runs at one scale. The claim-specific knobs live in
// Config (a JSON-serialisable struct of the claim's own type) so that the
// evidence and the golden record exactly what was run.
type Spec struct {
	Scale Scale `json:"scale"`
	// SetupID names the setup (model x dataset x grid) the spec runs:
	// "mlp-mnist". A claim with one setup may leave it empty: Specs names it
	// for its data.
	SetupID string `json:"setup_id"`
	// Seeds is the number of independent replicates; seed i (1-based) is the
	// root seed i, from which each claim derives its streams by purpose.
	Seeds int `json:"seeds"`
	// Data names what the claim trains on: Synthetic (generated from the
	// seeds, no files) or a dataset name of core/data ("mnist",
	// "fashion-mnist", "cifar10"), which the run loads through Env.Dataset.
	Data string `json:"data"`
	// Setup is the human-readable account of the run, one line each:
	// model, data, grid, epochs, how the statistic is formed.
	Setup []string `json:"setup"`
	// Budget is the expected wall time on the reference machine (two cores).
	Budget string `json:"budget"`
	// Tolerance is how closely a rerun must reproduce the golden's figures.
	Tolerance Tolerance `json:"tolerance"`
	// Config is the claim's own parameters.
	Config any `json:"config"`
}

// Claim is one testable statement of the thesis. Implementations are
// stateless values registered from an init function; see doc.go for how to
// write one.
type Claim interface {
	Info() Info
	// Spec returns the run at a scale. Env may override Seeds.
	Spec(Scale) Spec
	// Run does the measurement and returns the evidence: tables, plots, key
	// figures and the raw measurements that Verdict reads. It reports
	// progress through env and stops early, returning ctx.Err(), when ctx is
	// cancelled. Run must be deterministic for a spec, seed list and ISA.
	Run(ctx context.Context, env *Env, spec Spec) (*Evidence, error)
	// Verdict decides from the evidence alone (so a stored result can be
	// re-judged and re-rendered without rerunning). The thresholds it applies
	// are constants in the claim's file, each written next to its reason.
	Verdict(*Evidence) (*Verdict, error)
}

var (
	regMu    sync.Mutex
	registry = map[string]Claim{}
	aliases  = map[string]string{} // short name -> ID
)

// Register adds a claim; it panics on a duplicate or malformed ID, which is
// a programming error caught by any test.
func Register(c Claim) {
	regMu.Lock()
	defer regMu.Unlock()
	id, short := c.Info().ID, c.Info().Short
	keys := []string{id}
	if short != "" { // a claim may go without a short name
		keys = append(keys, short)
	}
	for _, k := range keys {
		if k == "" || strings.ToLower(k) != k || strings.ContainsAny(k, " ,/") {
			panic(fmt.Sprintf("claims: bad claim id or short name %q", k))
		}
		if _, dup := registry[k]; dup {
			panic("claims: duplicate claim " + k)
		}
		if _, dup := aliases[k]; dup {
			panic("claims: duplicate claim " + k)
		}
	}
	registry[id] = c
	if short != "" {
		aliases[short] = id
	}
}

// All returns the registered claims ordered by ID.
func All() []Claim {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]Claim, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Claim) int { return strings.Compare(a.Info().ID, b.Info().ID) })
	return out
}

// IDs returns the registered claim IDs in order.
func IDs() []string {
	var ids []string
	for _, c := range All() {
		ids = append(ids, c.Info().ID)
	}
	return ids
}

// Lookup returns the claim with the given ID or short name
// (case-insensitive); the error lists the known ones.
func Lookup(id string) (Claim, error) {
	key := strings.ToLower(strings.TrimSpace(id))
	regMu.Lock()
	if full, ok := aliases[key]; ok {
		key = full
	}
	c, ok := registry[key]
	regMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown claim %q (known: %s)", id, Known())
	}
	return c, nil
}

// Known lists the claims for a flag's help and errors: "c1 (exchangeability), c2 (...)".
func Known() string {
	var s []string
	for _, c := range All() {
		in := c.Info()
		if in.Short != "" {
			s = append(s, fmt.Sprintf("%s (%s)", in.ID, in.Short))
		} else {
			s = append(s, in.ID)
		}
	}
	return strings.Join(s, ", ")
}

// Select parses a comma-separated list of IDs ("" or "all" means every claim)
// and returns the claims in the order given, without duplicates.
func Select(list string) ([]Claim, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return All(), nil
	}
	var out []Claim
	seen := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		c, err := Lookup(id)
		if err != nil {
			return nil, err
		}
		if !seen[c.Info().ID] {
			seen[c.Info().ID] = true
			out = append(out, c)
		}
	}
	return out, nil
}
