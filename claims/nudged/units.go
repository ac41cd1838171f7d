package nudged

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// record is C7's Evidence.Measurements.
type record struct {
	LR     float64    `json:"lr"`
	K      int        `json:"k"`
	M      int        `json:"m"`
	Gammas []gammaRow `json:"gammas"` // in the config's order
}

type gammaRow struct {
	Gamma float64     `json:"gamma"`
	Runs  []runRecord `json:"runs"` // per seed, in seed order
}

// runRecord is one (gamma, seed) run.
type runRecord struct {
	Seed          uint64          `json:"seed"`
	Gamma         float64         `json:"gamma"`
	Model         string          `json:"model"`
	StepsPerEpoch int             `json:"steps_per_epoch"`
	Steps         int             `json:"steps"`
	DivergedStep  int             `json:"diverged_step,omitzero"`
	Lambda        jsonfloat.Float `json:"lambda_max"` // at the end, probe set
	Residual      jsonfloat.Float `json:"lambda_residual"`
	Converged     bool            `json:"lambda_converged"`
	ValAcc        jsonfloat.Float `json:"val_acc"`
	ValLoss       jsonfloat.Float `json:"val_loss"`
	TrainAcc      jsonfloat.Float `json:"train_acc"` // evaluation mode, the whole training part
	TrainLoss     jsonfloat.Float `json:"train_loss"`
	HVPs          int             `json:"hvps"` // of the refreshes
	// Refreshes is the Nudger's record: the top-K eigenvalues at every
	// refresh of P_K (step, values).
	Refreshes []refresh `json:"refreshes"`
}

type refresh struct {
	Step        int               `json:"step"`
	Eigenvalues []jsonfloat.Float `json:"eigenvalues"`
	Converged   bool              `json:"converged"`
}

func unitName(gamma float64, seed uint64) string {
	return fmt.Sprintf("gamma=%s seed=%d", strconv.FormatFloat(gamma, 'g', -1, 64), seed)
}

func checkConfig(cfg config) error {
	if !slices.Contains(cfg.Gammas, 1) || len(cfg.Gammas) < 2 || cfg.K < 1 || cfg.M < 1 || cfg.Epochs < 1 {
		return fmt.Errorf("c7: config %+v: the gammas must include 1 (SGD) and another, K, M and epochs >= 1", cfg)
	}
	return nil
}

// Units: one run per (gamma, seed), seed-major (a seed's runs are paired).
func (Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for gi, g := range cfg.Gammas {
			us = append(us, claims.Unit{Name: unitName(g, s), Seed: s, Point: gi, Cost: 1})
		}
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	if u.Point < 0 || u.Point >= len(cfg.Gammas) {
		return nil, fmt.Errorf("c7: unit %q: no gamma %d", u.Name, u.Point)
	}
	gamma := cfg.Gammas[u.Point]
	hd, err := claims.LoadHeads(env, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("c7: %w", err)
	}
	tr, val, spec1 := hd.Train, hd.Val, hd.Model
	// Initialisation and data order depend on the seed only: a seed's
	// runs are paired across gamma.
	m, err := nn.New(spec1, rng.Derive(u.Seed, "c7-init", 0))
	if err != nil {
		return nil, err
	}
	probe := tr.Rows(0, cfg.ProbeN)
	sel := fmt.Sprintf("first %d of the %d training images", cfg.ProbeN, cfg.TrainN)
	nd, err := curvature.NewNudger(curvature.NudgeConfig{Gamma: gamma, K: cfg.K, M: cfg.M, Tol: cfg.Tol, MaxIter: cfg.MaxIter,
		Seed: rng.Derive(u.Seed, "c7-nudge", 0)}, probe, sel)
	if err != nil {
		return nil, err
	}
	nd.WithContext(ctx)
	spe := cfg.TrainN / cfg.Batch
	tick := env.Counter("training runs", 1)
	res, err := train.Run(train.Config{
		Model: m, Train: tr, Epochs: cfg.Epochs, LR: optim.ConstantLR(cfg.LR), Batch: optim.ConstantBatch(cfg.Batch),
		Seed: rng.Derive(u.Seed, "c7-train", 0), Transform: nd,
		OnStep: func(s *train.StepInfo) error {
			if s.Step%32 == 0 {
				return ctx.Err()
			}
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("c7: gamma %g seed %d: %w", gamma, u.Seed, err)
	}
	nan := jsonfloat.Float(math.NaN())
	r := runRecord{Seed: u.Seed, Gamma: gamma, Model: spec1, StepsPerEpoch: spe, Steps: res.Steps,
		Lambda: nan, Residual: nan, ValAcc: nan, ValLoss: nan, TrainAcc: nan, TrainLoss: nan}
	for _, h := range nd.Refreshes() {
		f := refresh{Step: h.Step, Converged: h.Converged}
		for _, v := range h.Eigenvalues {
			f.Eigenvalues = append(f.Eigenvalues, jsonfloat.Float(v))
		}
		r.Refreshes = append(r.Refreshes, f)
		r.HVPs += h.Applications
	}
	if res.Diverged {
		r.DivergedStep = res.DivergedStep
		tick()
		return r, nil
	}
	op, err := curvature.NewHessian(m, probe, curvature.NetworkConfig{Selection: sel})
	if err != nil {
		return nil, err
	}
	lz, err := curvature.LanczosContext(ctx, op, curvature.LanczosConfig{Top: 1, Tol: cfg.EndTol, Seed: rng.Derive(u.Seed, "c7-end-lanczos", uint64(u.Point))})
	if err != nil {
		return nil, err
	}
	r.Lambda, r.Residual, r.Converged = jsonfloat.Float(lz.Top[0].Value), jsonfloat.Float(lz.Top[0].Residual), lz.Converged
	vl, vh := m.Evaluate(val.All())
	r.ValAcc, r.ValLoss = jsonfloat.Float(float64(vh)/float64(val.N)), jsonfloat.Float(vl)
	tl, th := m.Evaluate(tr.All())
	r.TrainAcc, r.TrainLoss = jsonfloat.Float(float64(th)/float64(tr.N)), jsonfloat.Float(tl)
	tick()
	return r, nil
}

// Merge assembles the record from the runs of the given seeds.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return nil, err
	}
	rec := record{LR: cfg.LR, K: cfg.K, M: cfg.M}
	for _, g := range cfg.Gammas {
		row := gammaRow{Gamma: g}
		for _, s := range seeds {
			name := unitName(g, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c7: no result for unit %q", name)
			}
			var r runRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, fmt.Errorf("c7: unit %q: %w", name, err)
			}
			if r.Seed != s || r.Gamma != g {
				return nil, fmt.Errorf("c7: unit %q holds gamma %g seed %d", name, r.Gamma, r.Seed)
			}
			row.Runs = append(row.Runs, r)
		}
		rec.Gammas = append(rec.Gammas, row)
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
