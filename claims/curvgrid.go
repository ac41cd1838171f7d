package claims

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// CurvGrid is the shape of a claim whose units are one constant-step SGD
// run on MNIST (a CurvRun) per (eta, S) grid point and seed, as C1 and C3
// are: the grid and the sizes of the data the runs train and measure on.
// Its units are named "eta=0.05 S=64 seed=3", point-major, and know their
// point by index (Unit.Point); a run's cost is its number of steps per
// epoch, N/S (the smallest batches take longest).
type CurvGrid struct {
	Points               []GridPoint
	TrainN, ValN, ProbeN int
}

// GridPoint is one (eta, S) of a grid.
type GridPoint struct {
	LR    float64 `json:"lr"`
	Batch int     `json:"batch"`
}

// Ratio is eta/S.
func (p GridPoint) Ratio() float64 { return p.LR / float64(p.Batch) }

// Key names the point in figure names: "eta=0.05,S=64".
func (p GridPoint) Key() string { return fmt.Sprintf("eta=%g,S=%d", p.LR, p.Batch) }

// SeedRun is one seed's run at a grid point, as a claim's record stores
// it (the result's fields inline).
type SeedRun struct {
	Seed uint64 `json:"seed"`
	CurvResult
}

// NewCurvRun is the run of model at point p for epochs from root seed s,
// its streams derived by purpose under prefix (for "c1": "c1-init",
// "c1-order", "c1-probe"); the caller sets the measurements.
func NewCurvRun(prefix, model string, p GridPoint, epochs int, s uint64) CurvRun {
	return CurvRun{
		Spec: model, InitSeed: rng.Derive(s, prefix+"-init", 0), OrderSeed: rng.Derive(s, prefix+"-order", 0),
		ProbeSeed: rng.Derive(s, prefix+"-probe", 0), LR: p.LR, Batch: p.Batch, Epochs: epochs,
	}
}

// Units lists one unit per grid point and seed.
func (g CurvGrid) Units(seeds int) []Unit {
	var us []Unit
	for pi, p := range g.Points {
		for _, s := range SeedList(seeds) {
			us = append(us, Unit{Name: g.unitName(pi, s), Seed: s, Point: pi, Cost: 1 / float64(p.Batch)})
		}
	}
	return us
}

func (g CurvGrid) unitName(pi int, seed uint64) string {
	return fmt.Sprintf("eta=%g S=%d seed=%d", g.Points[pi].LR, g.Points[pi].Batch, seed)
}

// Data names the data of the grid's runs, for Evidence.Data.
func (g CurvGrid) Data(env *Env) string {
	return fmt.Sprintf("%s: first %d training-file images train, last %d validate", DataName(env), g.TrainN, g.ValN)
}

// DataName names env's dataset in words, without machine-specific paths.
func DataName(env *Env) string {
	switch {
	case env == nil || env.Data == "" || env.Data == "mnist":
		return "MNIST (" + MNISTSource(env) + ")"
	case env.Data == "fashion-mnist":
		return "Fashion-MNIST (Debian's dataset-fashion-mnist)"
	case env.Data == "cifar10":
		return "CIFAR-10 (binary version)"
	}
	return env.Data
}

// Results decodes the units' results for the given seeds, indexed
// [point][seed index].
func (g CurvGrid) Results(seeds []uint64, results map[string]json.RawMessage) ([][]SeedRun, error) {
	out := make([][]SeedRun, len(g.Points))
	for pi := range g.Points {
		for _, s := range seeds {
			name := g.unitName(pi, s)
			r := SeedRun{Seed: s}
			if err := json.Unmarshal(results[name], &r.CurvResult); err != nil {
				return nil, fmt.Errorf("unit %s: %w", name, err)
			}
			out[pi] = append(out[pi], r)
		}
	}
	return out, nil
}

// GridConfig is the Spec.Config of a claim that runs a CurvGrid: the grid,
// and the run of grid point pi from root seed s (its Parts are filled in
// by GridUnits).
type GridConfig interface {
	Grid() CurvGrid
	Run(pi int, seed uint64) CurvRun
}

// GridUnits is the Units and RunUnit of a Splitter whose Spec.Config is a
// C: a claim embeds it (it has no state) and writes Info, Spec, Run, Merge
// and Verdict.
type GridUnits[C GridConfig] struct{}

// Units lists one unit per grid point and seed.
func (GridUnits[C]) Units(spec Spec) []Unit {
	cfg, err := ConfigOf[C](spec)
	if err != nil {
		return nil
	}
	return cfg.Grid().Units(spec.Seeds)
}

// RunUnit trains the unit's grid point from its seed and measures it.
func (GridUnits[C]) RunUnit(ctx context.Context, env *Env, spec Spec, u Unit) (any, error) {
	cfg, err := ConfigOf[C](spec)
	if err != nil {
		return nil, err
	}
	g := cfg.Grid()
	if u.Point < 0 || u.Point >= len(g.Points) {
		return nil, fmt.Errorf("unit %q: no grid point %d", u.Name, u.Point)
	}
	parts, err := LoadMNISTParts(env, g.TrainN, g.ValN, g.ProbeN)
	if err != nil {
		return nil, err
	}
	r := cfg.Run(u.Point, u.Seed)
	r.Parts = parts
	return r.Run(ctx)
}

// Runs is the start of a grid claim's Merge: the config, and the units'
// results for the given seeds, indexed [point][seed index].
func (GridUnits[C]) Runs(spec Spec, seeds []uint64, results map[string]json.RawMessage) (C, [][]SeedRun, error) {
	cfg, err := ConfigOf[C](spec)
	if err != nil {
		return cfg, nil, err
	}
	runs, err := cfg.Grid().Results(seeds, results)
	return cfg, runs, err
}

// ConfigOf returns spec.Config as the claim's own configuration type.
func ConfigOf[C any](spec Spec) (C, error) {
	cfg, ok := spec.Config.(C)
	if !ok {
		return cfg, fmt.Errorf("spec config is %T, want %T", spec.Config, cfg)
	}
	return cfg, nil
}
