package memorisation

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
)

func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// C4 splits into one unit per (seed, regulariser row): the seed's data
// (prepareData: cheap and deterministic, so every unit of a seed makes
// it again) and the row's training run.

// unitName names the unit of row r and seed s from the row's settings:
// "dropout=0.5 seed=2", "weight_decay=0.0005 seed=2" ("dropout=0" for the
// row without a regulariser).
func unitName(r regulariser, seed uint64) string {
	var parts []string
	if r.Dropout != 0 || r.WeightDecay == 0 {
		parts = append(parts, "dropout="+strconv.FormatFloat(r.Dropout, 'g', -1, 64))
	}
	if r.WeightDecay != 0 {
		parts = append(parts, "weight_decay="+strconv.FormatFloat(r.WeightDecay, 'g', -1, 64))
	}
	return strings.Join(append(parts, fmt.Sprintf("seed=%d", seed)), " ")
}

// unitResult is one unit's result: the run and its seed's subset.
type unitResult struct {
	Run    runRecord  `json:"run"`
	Subset subsetInfo `json:"subset"`
}

// configOf is the spec's config, its fixed epoch and window checked.
func configOf(spec claims.Spec) (config, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return cfg, err
	}
	if cfg.FixedEpoch < cfg.Window || cfg.FixedEpoch > cfg.Epochs || cfg.Window < 1 {
		return cfg, fmt.Errorf("c4: fixed epoch %d with a window of %d in %d epochs", cfg.FixedEpoch, cfg.Window, cfg.Epochs)
	}
	return cfg, nil
}

// Units lists one unit per (seed, row), seed-major, so that the rows of a
// seed (paired in every check) are next to each other. Every unit trains
// the same network for the same epochs: equal costs.
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, ok := spec.Config.(config)
	if !ok {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for ri, r := range cfg.Rows {
			us = append(us, claims.Unit{Name: unitName(r, s), Seed: s, Point: ri, Cost: 1})
		}
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	if u.Point < 0 || u.Point >= len(cfg.Rows) {
		return nil, fmt.Errorf("c4: unit %q: no regulariser row %d", u.Name, u.Point)
	}
	row := &cfg.Rows[u.Point]
	trainAll, test, err := env.MNIST()
	if err != nil {
		return nil, err
	}
	d, err := prepareData(cfg, trainAll, test, u.Seed)
	if err != nil {
		return nil, err
	}
	r, err := trainRow(ctx, cfg, *row, d, u.Seed, env.Counter("training epochs", cfg.Epochs))
	if err != nil {
		return nil, fmt.Errorf("%s, seed %d: %w", row.Name, u.Seed, err)
	}
	return unitResult{Run: r, Subset: d.info}, nil
}

// Merge assembles C4's record from the units of the given seeds: rows in
// the config's order, runs in seed order, one subset per seed.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	rec := record{Epochs: cfg.Epochs, FixedEpoch: cfg.FixedEpoch, Window: cfg.Window, CSR: cfg.CSR}
	subsets := make([]subsetInfo, len(seeds))
	for ri, r := range cfg.Rows {
		row := rowRecord{regulariser: r}
		for si, s := range seeds {
			name := unitName(r, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c4: no result for unit %q", name)
			}
			var u unitResult
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("c4: unit %q: %w", name, err)
			}
			if u.Run.Seed != s || u.Subset.Seed != s {
				return nil, fmt.Errorf("c4: unit %q holds seed %d", name, u.Run.Seed)
			}
			row.Runs = append(row.Runs, u.Run)
			if ri == 0 {
				subsets[si] = u.Subset
			} else if u.Subset != subsets[si] {
				return nil, fmt.Errorf("c4: unit %q: subset %+v, another row of seed %d has %+v", name, u.Subset, s, subsets[si])
			}
		}
		rec.Rows = append(rec.Rows, row)
	}
	rec.Subsets = subsets
	ev := &claims.Evidence{Seeds: seeds, Data: dataName(env)}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	ev.Figures = figuresOf(sum)
	ev.Tables = tablesOf(rec, sum)
	ev.Plots = plotsOf(rec, sum)
	ev.Notes = notesOf(rec, sum)
	return ev, nil
}

func dataName(env *claims.Env) string {
	name := "mnist"
	if env != nil && env.Data != "" {
		name = env.Data
	}
	if name == "mnist" {
		// Not the resolved path: it names the machine's module cache and
		// would make every golden differ between machines.
		return "MNIST: the GoMNIST module's copy"
	}
	return "MNIST from " + name
}
