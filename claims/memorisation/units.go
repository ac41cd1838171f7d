package memorisation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
)

func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// C4 splits into one unit per (seed, row): the seed's data at the row's
// noise fraction (prepareData: cheap and deterministic, so every unit of
// a seed makes it again) and the row's training run.

// unitName names the unit of row r and seed s from the row's settings:
// "noise=0.5 dropout=0.5 seed=2", "noise=0.5 weight_decay=0.0005 seed=2",
// "noise=0.2 dropout=0 seed=1" (dropout=0 for a row without a
// regulariser).
func unitName(r regulariser, seed uint64) string {
	parts := []string{"noise=" + strconv.FormatFloat(r.NoiseFrac, 'g', -1, 64)}
	if r.Dropout != 0 || r.plain() {
		parts = append(parts, "dropout="+strconv.FormatFloat(r.Dropout, 'g', -1, 64))
	}
	if r.WeightDecay != 0 {
		parts = append(parts, "weight_decay="+strconv.FormatFloat(r.WeightDecay, 'g', -1, 64))
	}
	if r.InputNoise != 0 {
		parts = append(parts, "input_noise="+strconv.FormatFloat(r.InputNoise, 'g', -1, 64))
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
	if cfg.EarlyEpoch < 0 || cfg.EarlyEpoch >= cfg.FixedEpoch {
		return cfg, fmt.Errorf("c4: early phase ending at epoch %d, fixed epoch %d", cfg.EarlyEpoch, cfg.FixedEpoch)
	}
	return cfg, nil
}

// Units lists one unit per (seed, row), seed-major, so that the rows of a
// seed (paired in every check) are next to each other. Every unit trains
// the same network for the same epochs; a CSR curve adds about a fifth
// (eight or nine LASS searches, each about the cost of 1.5 epochs on the
// quick setups) and input noise (a fresh Gaussian draw per pixel per
// epoch) about half.
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, ok := spec.Config.(config)
	if !ok {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for ri, r := range cfg.Rows {
			cost := 1.0
			if r.CSRCurve {
				cost += 0.2
			}
			if r.InputNoise != 0 {
				cost += 0.5
			}
			us = append(us, claims.Unit{Name: unitName(r, s), Seed: s, Point: ri, Cost: cost})
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
	trainAll, test, err := env.Dataset()
	if err != nil {
		return nil, err
	}
	d, err := prepareData(cfg, row.NoiseFrac, trainAll, test, u.Seed)
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
// the config's order, runs in seed order, one subset per seed and noise
// fraction.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	rec := record{Epochs: cfg.Epochs, FixedEpoch: cfg.FixedEpoch, Window: cfg.Window, EarlyEpoch: cfg.EarlyEpoch, CSR: cfg.CSR}
	type key struct {
		seed uint64
		frac float64
	}
	subsets := map[key]subsetInfo{}
	var fracs []float64
	for _, r := range cfg.Rows {
		row := rowRecord{regulariser: r}
		if !slices.Contains(fracs, r.NoiseFrac) {
			fracs = append(fracs, r.NoiseFrac)
		}
		for _, s := range seeds {
			name := unitName(r, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c4: no result for unit %q", name)
			}
			var u unitResult
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("c4: unit %q: %w", name, err)
			}
			if u.Run.Seed != s || u.Subset.Seed != s || u.Subset.NoiseFrac != r.NoiseFrac {
				return nil, fmt.Errorf("c4: unit %q holds seed %d at noise %g", name, u.Run.Seed, u.Subset.NoiseFrac)
			}
			row.Runs = append(row.Runs, u.Run)
			k := key{s, r.NoiseFrac}
			if prev, ok := subsets[k]; !ok {
				subsets[k] = u.Subset
			} else if prev != u.Subset {
				return nil, fmt.Errorf("c4: unit %q: subset %+v, another row of seed %d has %+v", name, u.Subset, s, prev)
			}
		}
		rec.Rows = append(rec.Rows, row)
	}
	slices.Sort(fracs)
	for _, s := range seeds {
		for _, f := range fracs {
			rec.Subsets = append(rec.Subsets, subsets[key{s, f}])
		}
	}
	ev := &claims.Evidence{Seeds: seeds, Data: claims.DataLabel(spec.Data)}
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
