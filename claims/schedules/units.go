package schedules

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// matchedLR is the rate that gives, epoch by epoch, the eta/S of a batch
// schedule at a fixed batch size: eta(epoch) = Base x BaseBatch /
// Of.Batch(epoch), the batch schedule's rounding included.
type matchedLR struct {
	Base      float64
	BaseBatch int
	Of        optim.BatchSchedule
}

func (m matchedLR) LR(_, epoch, _ int) float64 {
	return m.Base * float64(m.BaseBatch) / float64(m.Of.Batch(epoch))
}
func (m matchedLR) String() string { return "matched:" + m.Of.String() }

// schedulesOf returns the rate and batch schedules of a kind.
func schedulesOf(cfg config, kind string) (optim.LRSchedule, optim.BatchSchedule, error) {
	cyc := optim.CyclicBatch{Base: cfg.Batch, HighFactor: cfg.CyclicHigh, HalfPeriod: cfg.CyclicHalf}
	switch kind {
	case kindDecay:
		return optim.StepLR{Base: cfg.LR, Factor: 1 / cfg.Factor, Milestones: cfg.Milestones}, optim.ConstantBatch(cfg.Batch), nil
	case kindGrow:
		return optim.ConstantLR(cfg.LR), optim.StepBatch{Base: cfg.Batch, Factor: cfg.Factor, Milestones: cfg.Milestones}, nil
	case kindControl:
		return optim.ConstantLR(cfg.LR), optim.ConstantBatch(cfg.Batch), nil
	case kindCyclicRate:
		return matchedLR{Base: cfg.LR, BaseBatch: cfg.Batch, Of: cyc}, optim.ConstantBatch(cfg.Batch), nil
	case kindCyclicBatch:
		return optim.ConstantLR(cfg.LR), cyc, nil
	}
	return nil, nil, fmt.Errorf("c5: unknown schedule %q", kind)
}

func unitName(kind string, seed uint64) string { return fmt.Sprintf("schedule=%s seed=%d", kind, seed) }

func configOf(spec claims.Spec) (config, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return cfg, err
	}
	if len(cfg.Milestones) == 0 || cfg.Milestones[0] < 1 || cfg.Milestones[len(cfg.Milestones)-1] >= cfg.Epochs || !(cfg.Factor > 1) {
		return cfg, fmt.Errorf("c5: milestones %v in %d epochs, factor %g", cfg.Milestones, cfg.Epochs, cfg.Factor)
	}
	for _, k := range []string{kindDecay, kindGrow, kindControl} {
		if !slices.Contains(cfg.Schedules, k) {
			return cfg, fmt.Errorf("c5: schedules %v lack %q", cfg.Schedules, k)
		}
	}
	return cfg, nil
}

// Units lists one unit per (seed, schedule), seed-major; the cost is the
// run's optimiser steps.
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, ok := spec.Config.(config)
	if !ok {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for ki, k := range cfg.Schedules {
			cost := 1.0
			if _, bs, err := schedulesOf(cfg, k); err == nil {
				cost = 0
				for e := range cfg.Epochs {
					cost += float64(cfg.TrainN / bs.Batch(e))
				}
			}
			us = append(us, claims.Unit{Name: unitName(k, s), Seed: s, Point: ki, Cost: cost})
		}
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	if u.Point < 0 || u.Point >= len(cfg.Schedules) {
		return nil, fmt.Errorf("c5: unit %q: no schedule %d", u.Name, u.Point)
	}
	parts, err := claims.LoadMNISTParts(env, cfg.TrainN, cfg.ValN, cfg.ProbeN)
	if err != nil {
		return nil, err
	}
	r, err := runSchedule(ctx, cfg, cfg.Schedules[u.Point], parts, u.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name, err)
	}
	return r, nil
}

// Merge assembles C5's record from the units of the given seeds.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	rec := record{Milestones: cfg.Milestones, Factor: cfg.Factor, Epochs: cfg.Epochs}
	for _, k := range cfg.Schedules {
		sr := scheduleRecord{Kind: k}
		for _, s := range seeds {
			name := unitName(k, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c5: no result for unit %q", name)
			}
			var r runRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, fmt.Errorf("c5: unit %q: %w", name, err)
			}
			if r.Seed != s {
				return nil, fmt.Errorf("c5: unit %q holds seed %d", name, r.Seed)
			}
			sr.Runs = append(sr.Runs, r)
		}
		rec.Schedules = append(rec.Schedules, sr)
	}
	ev := &claims.Evidence{Seeds: seeds, Data: dataName(spec, cfg)}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	ev.Figures = figuresOf(sum)
	ev.Tables = tablesOf(rec, sum)
	ev.Plots = plotsOf(rec, sum)
	ev.Notes = notesOf(cfg, sum)
	return ev, nil
}

func dataName(spec claims.Spec, cfg config) string {
	return fmt.Sprintf("%s: the first %d training-file images train, the last %d validate, lambda_max on the first %d",
		claims.DataLabel(spec.Data), cfg.TrainN, cfg.ValN, cfg.ProbeN)
}

// runSchedule trains one schedule and measures, after every epoch, the
// validation accuracy and lambda_max. Initialisation and data order depend
// on the seed only, so the schedules of a seed are paired (and identical up
// to the first milestone where their schedules agree).
func runSchedule(ctx context.Context, cfg config, kind string, p *claims.MNISTParts, seed uint64) (runRecord, error) {
	lr, bs, err := schedulesOf(cfg, kind)
	if err != nil {
		return runRecord{}, err
	}
	m, err := nn.New(cfg.Model, rng.Derive(seed, "c5-init", 0))
	if err != nil {
		return runRecord{}, err
	}
	r := runRecord{Seed: seed}
	var start [][]float64 // the previous epoch's Ritz vector
	probeSeed := rng.Derive(seed, "c5-lanczos", 0)
	res, err := train.Run(train.Config{
		Model: m, Train: p.Train, Epochs: cfg.Epochs, LR: lr, Batch: bs,
		Seed: rng.Derive(seed, "c5-train", 0),
		OnStep: func(s *train.StepInfo) error {
			if s.Step%64 == 0 {
				return ctx.Err()
			}
			return nil
		},
		OnEpoch: func(e *train.EpochStats) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			_, hits := m.Evaluate(p.Val.All())
			eig, err := topEigen(ctx, m, p.Probe, p.ProbeSel, cfg.Tol, probeSeed, start)
			if err != nil {
				return fmt.Errorf("lambda_max after epoch %d: %w", e.Epoch, err)
			}
			top := eig.Top[0]
			if top.Vector != nil {
				start = [][]float64{top.Vector}
			}
			if r.Stamp == "" {
				r.Stamp = eig.Stamp.String()
			}
			r.Epochs = append(r.Epochs, epochPoint{
				Epoch: e.Epoch, LR: e.LR, Batch: e.BatchSize, Steps: e.Steps, TrainLoss: jsonfloat.Float(e.TrainLoss),
				ValAcc: jsonfloat.Float(float64(hits) / float64(p.Val.N)), Lambda: jsonfloat.Float(top.Value), Residual: jsonfloat.Float(top.Residual),
				HVPs: eig.Applications,
			})
			return nil
		},
	})
	if err != nil {
		return r, err
	}
	r.Steps = res.Steps
	if res.Diverged {
		r.Diverge = res.DivergedStep
	}
	return r, nil
}

// topEigen is lambda_max of the Hessian of m's mean loss on b by Lanczos
// (evaluation mode), from start when given (the previous Ritz vector of
// the same run), with the Ritz vector returned for the next call.
func topEigen(ctx context.Context, m *nn.Model, b data.Batch, sel string, tol float64, seed uint64, start [][]float64) (*curvature.Eigenpairs, error) {
	if m.CheckFinite() != nil {
		nan := math.NaN()
		return &curvature.Eigenpairs{Top: []curvature.Eigenpair{{Value: nan, Residual: nan}}}, nil
	}
	op, err := curvature.NewHessian(m, b, curvature.NetworkConfig{Selection: sel})
	if err != nil {
		return nil, err
	}
	return curvature.LanczosContext(ctx, op, curvature.LanczosConfig{Top: 1, Tol: tol, Seed: seed, Start: start, Vectors: true})
}
