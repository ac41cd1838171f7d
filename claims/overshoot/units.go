package overshoot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// record is C8's Evidence.Measurements.
type record struct {
	LR          float64     `json:"lr"`
	K           int         `json:"k"`
	EarlyEpochs int         `json:"early_epochs"`
	Alphas      []float64   `json:"alphas"`
	Runs        []runRecord `json:"runs"` // per seed, in seed order
}

// runRecord is one seed's run.
type runRecord struct {
	Seed          uint64          `json:"seed"`
	Model         string          `json:"model"`
	StepsPerEpoch int             `json:"steps_per_epoch"`
	Steps         int             `json:"steps"`
	EarlyStep     int             `json:"early_step"` // last step of the early phase
	DivergedStep  int             `json:"diverged_step,omitzero"`
	ValAcc        jsonfloat.Float `json:"val_acc"`
	Points        []point         `json:"points"`
}

// point is one measurement, before step Step.
type point struct {
	Step  int     `json:"step"`
	Epoch float64 `json:"epoch"` // (Step-1) / steps per epoch: the epochs done
	Early bool    `json:"early"`
	// Eigenvalues are the K top Hessian eigenvalues on the probe set.
	Eigenvalues []jsonfloat.Float `json:"eigenvalues"`
	Converged   bool              `json:"converged"`
	// Fractions (loss-minimising alpha) and whether the full part descends.
	Eigen  []line `json:"eigen"` // along <d, e_k> e_k
	Random []line `json:"random"`
	Bulk   line   `json:"bulk"` // along (I - P_K) d
	Step1  line   `json:"step_line"`
	// Losses on the probe set: at theta, theta + d, theta + P d, theta + (I - P) d.
	Loss, LossStep, LossTop, LossBulk jsonfloat.Float
	StepNorm, TopNorm, BulkNorm       jsonfloat.Float
	// Slice1 is L(theta + alpha <d,e_1> e_1) at record.Alphas (the plot).
	Slice1 []jsonfloat.Float `json:"slice_e1"`
}

// line is one StepLine reduced.
type line struct {
	Alpha     jsonfloat.Float `json:"alpha"` // loss-minimising fraction
	AtEdge    bool            `json:"at_edge,omitempty"`
	Descends  bool            `json:"descends"` // L(theta + u) < L(theta)
	Component jsonfloat.Float `json:"component,omitempty"`
}

func lineOf(l curvature.StepLine) line {
	return line{Alpha: jsonfloat.Float(l.BestAlpha), AtEdge: l.AtEdge, Descends: l.Loss1 < l.Loss0, Component: jsonfloat.Float(l.Component)}
}

func unitName(seed uint64) string { return fmt.Sprintf("seed=%d", seed) }

// Units: one SGD run per seed.
func (Claim) Units(spec claims.Spec) []claims.Unit {
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		us = append(us, claims.Unit{Name: unitName(s), Seed: s, Point: 0, Cost: 1})
	}
	return us
}

// measureSteps returns the steps before which the run is measured, and the
// last step of the early phase.
func measureSteps(cfg config, spe int) (steps []int, early int) {
	early = cfg.EarlyEpochs * spe
	total := cfg.Epochs * spe
	seen := map[int]bool{}
	add := func(s int) {
		s = min(max(s, 1), total)
		if !seen[s] {
			seen[s] = true
			steps = append(steps, s)
		}
	}
	for k := 1; k <= cfg.EarlyPoints; k++ {
		add(int(math.Round(float64(early) * float64(k) / float64(cfg.EarlyPoints))))
	}
	for k := 1; k <= cfg.Points; k++ {
		add(early + int(math.Round(float64(total-early)*float64(k)/float64(cfg.Points))))
	}
	return steps, early
}

func checkConfig(cfg config) error {
	if cfg.Epochs <= cfg.EarlyEpochs || cfg.EarlyEpochs < 1 || cfg.Points < 1 || cfg.K < 1 || cfg.AlphaN < 3 || !(cfg.AlphaHi > 1 && cfg.AlphaLo < 0) {
		return fmt.Errorf("c8: config %+v: need epochs > early epochs >= 1, points >= 1, K >= 1, at least 3 alphas spanning 0 and 1", cfg)
	}
	return nil
}

// measurer is the GradTransform that measures before the chosen steps; it
// leaves the gradient as it is (plain SGD).
type measurer struct {
	ctx     context.Context
	cfg     config
	at      map[int]bool
	early   int
	spe     int
	probe   data.Batch
	sel     string
	tracker *curvature.EigenTracker
	seed    uint64
	points  []point
	tick    func()
}

func (ms *measurer) TransformGrad(step int, m *nn.Model, _ data.Batch, grad []float32) error {
	if !ms.at[step] {
		if step%32 == 0 {
			return ms.ctx.Err()
		}
		return nil
	}
	p, err := ms.tracker.Update(ms.ctx, step, m, ms.probe, ms.sel)
	if err != nil {
		return err
	}
	d := curvature.SGDStep(grad, ms.cfg.LR)
	s, err := curvature.SplitStep(ms.ctx, m, ms.probe, d, p, curvature.StepSplitConfig{
		Alphas: ms.cfg.alphas(), Random: ms.cfg.Random, Seed: rng.Derive(ms.seed, "c8-random", uint64(len(ms.points))), Selection: ms.sel,
	})
	if err != nil {
		return err
	}
	h := ms.tracker.History()
	rec := h[len(h)-1]
	pt := point{Step: step, Epoch: float64(step-1) / float64(ms.spe), Early: step <= ms.early, Converged: rec.Converged,
		Loss: jsonfloat.Float(s.Loss), LossStep: jsonfloat.Float(s.LossStep), LossTop: jsonfloat.Float(s.LossTop), LossBulk: jsonfloat.Float(s.LossBulk),
		StepNorm: jsonfloat.Float(s.StepNorm), TopNorm: jsonfloat.Float(s.TopNorm), BulkNorm: jsonfloat.Float(s.BulkNorm),
		Bulk: lineOf(s.Bulk), Step1: lineOf(s.Step)}
	for _, v := range rec.Eigenvalues {
		pt.Eigenvalues = append(pt.Eigenvalues, jsonfloat.Float(v))
	}
	for _, l := range s.Eigen {
		pt.Eigen = append(pt.Eigen, lineOf(l))
	}
	for _, l := range s.Random {
		pt.Random = append(pt.Random, lineOf(l))
	}
	if len(s.Eigen) > 0 {
		for _, v := range s.Eigen[0].Slice.Loss {
			pt.Slice1 = append(pt.Slice1, jsonfloat.Float(v))
		}
	}
	ms.points = append(ms.points, pt)
	ms.tick()
	return nil
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	hd, err := claims.LoadHeads(env, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("c8: %w", err)
	}
	tr, val, spec1 := hd.Train, hd.Val, hd.Model
	m, err := nn.New(spec1, rng.Derive(u.Seed, "c8-init", 0))
	if err != nil {
		return nil, err
	}
	spe := cfg.TrainN / cfg.Batch
	steps, early := measureSteps(cfg, spe)
	at := map[int]bool{}
	for _, s := range steps {
		at[s] = true
	}
	tk, err := curvature.NewEigenTracker(curvature.TrackerConfig{K: cfg.K, Tol: cfg.Tol, Seed: rng.Derive(u.Seed, "c8-lanczos", 0), Purpose: "c8-eigen"})
	if err != nil {
		return nil, err
	}
	ms := &measurer{ctx: ctx, cfg: cfg, at: at, early: early, spe: spe, probe: tr.Rows(0, cfg.ProbeN),
		sel: fmt.Sprintf("first %d of the %d training images", cfg.ProbeN, cfg.TrainN), tracker: tk, seed: u.Seed,
		tick: env.Counter("measurements", len(steps)*spec.Seeds)}
	res, err := train.Run(train.Config{
		Model: m, Train: tr, Epochs: cfg.Epochs, LR: optim.ConstantLR(cfg.LR), Batch: optim.ConstantBatch(cfg.Batch),
		Seed: rng.Derive(u.Seed, "c8-train", 0), Transform: ms,
	})
	if err != nil {
		return nil, fmt.Errorf("c8: seed %d: %w", u.Seed, err)
	}
	r := runRecord{Seed: u.Seed, Model: spec1, StepsPerEpoch: spe, Steps: res.Steps, EarlyStep: early, Points: ms.points, ValAcc: jsonfloat.Float(math.NaN())}
	if res.Diverged {
		r.DivergedStep = res.DivergedStep
		return r, nil
	}
	if res.Steps != cfg.Epochs*spe {
		return nil, fmt.Errorf("c8: seed %d: %d steps, planned %d", u.Seed, res.Steps, cfg.Epochs*spe)
	}
	_, hits := m.Evaluate(val.All())
	r.ValAcc = jsonfloat.Float(float64(hits) / float64(val.N))
	return r, nil
}

// Merge assembles the record from the runs of the given seeds.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	rec := record{LR: cfg.LR, K: cfg.K, EarlyEpochs: cfg.EarlyEpochs, Alphas: cfg.alphas()}
	for _, s := range seeds {
		raw, ok := results[unitName(s)]
		if !ok {
			return nil, fmt.Errorf("c8: no result for unit %q", unitName(s))
		}
		var r runRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("c8: unit %q: %w", unitName(s), err)
		}
		if r.Seed != s {
			return nil, fmt.Errorf("c8: unit %q holds seed %d", unitName(s), r.Seed)
		}
		rec.Runs = append(rec.Runs, r)
	}
	ev := &claims.Evidence{Seeds: seeds, Data: claims.DataLabel(spec.Data)}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	ev.Figures = figuresOf(sum)
	ev.Tables = tablesOf(rec, sum)
	ev.Plots = plotsOf(rec, sum)
	ev.Notes = notesOf(rec, sum, cfg)
	return ev, nil
}
