package stationaryloss

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// C2 splits into one unit per (tier, seed): the seed's problem (data,
// minimum, H and C) and every SGD run of the tier on it, one after the
// other: each grid point, and for tier a also the reshuffled runs.

// unitName names the unit of tier t and seed s ("tier=a seed=1").
func unitName(tier string, seed uint64) string {
	return fmt.Sprintf("tier=%s seed=%d", tier, seed)
}

// unitResult is one unit's result: the tier's minimum for the seed and
// its runs, one per grid point, complete (excess with drift added).
type unitResult struct {
	P          int         `json:"params"`
	Min        minRecord   `json:"minimum"`
	Runs       []runRecord `json:"runs"`                 // per grid point
	Reshuffled []runRecord `json:"reshuffled,omitempty"` // per grid point (tier a, with Reshuffle)
	Traces     []*trace    `json:"traces,omitempty"`     // per grid point (seed 1 only)
}

// Units lists one unit per (tier, seed), seed-major ("tier=a seed=1",
// "tier=b seed=1", ...), so that a sweep's first tasks complete seeds.
// Cost is a rough estimate of the work from the config (unitCost).
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for ti, t := range cfg.Tiers {
			us = append(us, claims.Unit{Name: unitName(t.ID, s), Seed: s, Point: ti, Cost: unitCost(t, cfg)})
		}
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	if u.Point < 0 || u.Point >= len(cfg.Tiers) {
		return nil, fmt.Errorf("c2: unit %q: no tier %d", u.Name, u.Point)
	}
	t := &cfg.Tiers[u.Point]
	s := u.Seed
	env.Report("minimum and curvature", 0, 1)
	su, err := setUp(ctx, env, *t, s)
	if err != nil {
		return nil, fmt.Errorf("tier %s seed %d: %w", t.ID, s, err)
	}
	env.Report("minimum and curvature", 1, 1)
	reshuffle := t.Reshuffle
	nruns := len(t.Grid)
	if reshuffle {
		nruns *= 2
	}
	tick := env.Counter("SGD runs", nruns)
	out := unitResult{P: su.quad.P, Min: su.min}
	// finish completes a run's record from its result.
	finish := func(r runRecord, res *stationaryResult) runRecord {
		r.Excess, r.Evals, r.Diverged = jsonfloat.Float(res.Excess), res.Evals, res.Diverged
		r.LEnd, r.Drift = jsonfloat.Float(res.LEnd), 0
		if res.LEnd < su.lstar {
			// The run found lower ground than the minimum: measure the
			// excess from there (the minimum "reached by annealing").
			r.Drift = jsonfloat.Float(su.lstar - res.LEnd)
			r.Excess += r.Drift
		}
		return r
	}
	for pi, p := range t.Grid {
		kappa := float64(t.N-p.Batch) / float64(p.Batch*(t.N-1))
		rec, run := plan(su, p, kappa, cfg, s, uint64(pi))
		run.Settle, run.WD = t.Settle, t.WeightDecay
		if s == 1 {
			// The traces plotted are those of seed 1: decided by the seed
			// value, so that units stay independent of one another.
			run.TracePoints = 300
		}
		rr := *run
		res, err := run.run(ctx)
		if err != nil {
			return nil, err
		}
		tick()
		r := finish(rec, res)
		out.Runs = append(out.Runs, r)
		var tr *trace
		if res.TraceStep != nil {
			tr = &trace{Seed: s, Step: jsonfloat.Floats(res.TraceStep), Excess: jsonfloat.Floats(res.TraceValue), Pred: r.PredC}
		}
		out.Traces = append(out.Traces, tr)
		if reshuffle {
			rr.Reshuffle, rr.TracePoints = true, 0
			res, err := rr.run(ctx)
			if err != nil {
				return nil, err
			}
			tick()
			out.Reshuffled = append(out.Reshuffled, finish(rec, res))
		}
	}
	if s != 1 {
		out.Traces = nil
	}
	return out, nil
}

// Merge assembles C2's record from the units of the given seeds, in tier,
// grid-point and seed order. The traces are seed 1's: absent when seed 1
// is not among the seeds (the trace plots are then left out).
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("c2: no seeds to merge")
	}
	rec := record{}
	for _, t := range cfg.Tiers {
		tr := tierRecord{ID: t.ID, Title: t.Title, WD: t.WeightDecay, N: t.N}
		for _, p := range t.Grid {
			tr.Points = append(tr.Points, pointRecord{LR: p.LR, Batch: p.Batch, Discrete: p.Discrete, Kappa: float64(t.N-p.Batch) / float64(p.Batch*(t.N-1))})
		}
		for si, s := range seeds {
			name := unitName(t.ID, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c2: no result for unit %q", name)
			}
			var u unitResult
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("c2: unit %q: %w", name, err)
			}
			if len(u.Runs) != len(t.Grid) || (u.Reshuffled != nil && len(u.Reshuffled) != len(t.Grid)) || (u.Traces != nil && len(u.Traces) != len(t.Grid)) {
				return nil, fmt.Errorf("c2: unit %q has %d runs, %d reshuffled, %d traces for %d grid points", name, len(u.Runs), len(u.Reshuffled), len(u.Traces), len(t.Grid))
			}
			if si == 0 {
				tr.P = u.P
			}
			tr.Minima = append(tr.Minima, u.Min)
			for pi := range tr.Points {
				pt := &tr.Points[pi]
				pt.Runs = append(pt.Runs, u.Runs[pi])
				if u.Reshuffled != nil {
					pt.Reshuffled = append(pt.Reshuffled, u.Reshuffled[pi])
				}
				if u.Traces != nil && u.Traces[pi] != nil {
					pt.Trace = u.Traces[pi]
				}
			}
		}
		rec.Tiers = append(rec.Tiers, tr)
	}

	ev := &claims.Evidence{Seeds: seeds, Data: "synthetic: linear regression with Gaussian inputs (a); Gaussian mixtures (b, c); generated from the seeds"}
	if t := cfg.Tiers[0]; t.Data != "" {
		dir, err := data.ResolveData(t.Data)
		if err != nil {
			dir = "location unknown: " + err.Error()
		}
		ev.Data = fmt.Sprintf("%s (%s): %d training images per seed, drawn without replacement, %dx%d average-pooled to %d inputs", t.Data, dir, t.N, t.Pool, t.Pool, t.Dim)
	}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	ev.Figures = figuresOf(sum)
	ev.Metrics = map[string]string{}
	for name, unit := range map[string]string{
		"a/ratio_C/mean": "a-excess-ratio", "a/trC_over_trH": "a-trC/trH", "a/discrete_ratio_exact": "a-discrete-ratio",
		"b/ratio_C/mean": "b-excess-ratio", "b/trC_over_trH": "b-trC/trH",
		"c/ratio_C/mean": "c-excess-ratio", "c/slope": "c-slope",
		"mlp/ratio_C/mean": "mlp-excess-ratio", "mlp/ratio_H/mean": "mlp-excess-ratio-H", "mlp/slope": "mlp-slope",
	} {
		if _, ok := ev.Figures[name]; ok {
			ev.Metrics[name] = unit
		}
	}
	ev.Tables = tablesOf(rec, sum)
	ev.Plots = plotsOf(rec, sum)
	ev.Notes = notesOf(rec, sum)
	return ev, nil
}

// unitCost is a rough estimate of a unit's work, from the config alone:
// the examples it pushes through the network (finding the minimum: warm-up
// epochs, annealing steps, full-batch descent, Newton steps; then per run
// its SGD steps, taken as a quarter of MaxSteps since the real count needs
// the curvature, the window's full-batch evaluations unless the loss is in
// closed form (tier a), and settling), times the number of parameters. At
// the quick scale it puts tier c (minimum by annealing, settled runs) at
// about 8 times tiers a and b, which come out about equal (one seed
// measured on one core: a 1.6 s, b 2.2 s, c 9.7 s). It only orders
// execution, longest first.
func unitCost(t tier, cfg config) float64 {
	m := t.Minimum
	examples := float64(m.WarmEpochs*t.N + m.AnnealSteps*m.AnnealBatch + m.GDIters*t.N + m.NewtonIters*t.N)
	runs := 1
	if t.Reshuffle {
		runs = 2
	}
	for _, p := range t.Grid {
		run := float64(cfg.MaxSteps/4) * float64(p.Batch)
		if t.Classes > 0 {
			run += cfg.Window * evalsPerT * float64(t.N)
		}
		if st := t.Settle; st != nil {
			run += float64(st.AnnealSteps*p.Batch + st.GDIters*t.N)
		}
		examples += float64(runs) * run
	}
	return examples * float64(mlpParams(t.Model))
}

// mlpParams is the number of parameters of an "mlp:a-b-...-z" spec, 1 if
// the spec is not of that form.
func mlpParams(spec string) int {
	dims, ok := strings.CutPrefix(spec, "mlp:")
	if !ok {
		return 1
	}
	n, prev := 0, -1
	for _, f := range strings.Split(dims, "-") {
		d, err := strconv.Atoi(f)
		if err != nil || d < 1 {
			return 1
		}
		if prev > 0 {
			n += (prev + 1) * d
		}
		prev = d
	}
	return max(n, 1)
}
