package iterative

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/sgdclaims/sgdclaims/claims"
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

// C9 splits into one unit per seed: the seed's training run with its
// block traces and, at the end, the block removals.

func unitName(seed uint64) string { return fmt.Sprintf("seed=%d", seed) }

func configOf(spec claims.Spec) (config, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return cfg, err
	}
	bs, err := blocksOf(cfg.Model)
	if err != nil {
		return cfg, err
	}
	b, n := bs.n(), len(cfg.TraceEpochs)
	switch {
	case b < 2:
		return cfg, fmt.Errorf("c9: %s has %d identity-shortcut block; early and late blocks need at least 2", cfg.Model, b)
	case cfg.Group < 1 || 2*cfg.Group > b:
		return cfg, fmt.Errorf("c9: groups of %d blocks of %d: want 1 <= q <= B/2", cfg.Group, b)
	case cfg.Epochs < 1 || n == 0 || cfg.TraceEpochs[n-1] != cfg.Epochs || !slices.IsSorted(cfg.TraceEpochs) || cfg.TraceEpochs[0] < 0:
		return cfg, fmt.Errorf("c9: trace epochs %v must increase from >= 0 to the last epoch %d", cfg.TraceEpochs, cfg.Epochs)
	case cfg.TraceExamples < 1 || cfg.TraceExamples > cfg.ValExamples || cfg.TrainExamples < cfg.Batch:
		return cfg, fmt.Errorf("c9: %d traced of %d held-out images, %d training images at batch %d", cfg.TraceExamples, cfg.ValExamples, cfg.TrainExamples, cfg.Batch)
	case cfg.Chunk < 0:
		return cfg, fmt.Errorf("c9: chunk %d", cfg.Chunk)
	}
	return cfg, nil
}

// Units lists one unit per seed.
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	if _, err := configOf(spec); err != nil {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		us = append(us, claims.Unit{Name: unitName(s), Seed: s, Point: 0, Cost: 1})
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	trainAll, test, err := env.Dataset()
	if err != nil {
		return nil, err
	}
	if cfg.TrainExamples > trainAll.N || cfg.ValExamples > test.N {
		return nil, fmt.Errorf("c9: %d training and %d held-out images asked of %d and %d", cfg.TrainExamples, cfg.ValExamples, trainAll.N, test.N)
	}
	sub := trainAll.Subset(rng.New(u.Seed, "c9-subset", 0).Perm(trainAll.N)[:cfg.TrainExamples])
	val, err := test.Head(cfg.ValExamples)
	if err != nil {
		return nil, err
	}
	traced, err := test.Head(cfg.TraceExamples)
	if err != nil {
		return nil, err
	}
	bs, err := blocksOf(cfg.Model)
	if err != nil {
		return nil, err
	}
	r, err := runSeed(ctx, cfg, bs, sub, val, traced, u.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name, err)
	}
	return r, nil
}

// runSeed trains one seed's network, traces its judged blocks after the
// trace epochs, and removes each judged block of the trained network in
// turn.
func runSeed(ctx context.Context, cfg config, bs blockSet, sub, val, traced *data.Dataset, seed uint64) (runRecord, error) {
	m, err := nn.New(cfg.Model, rng.Derive(seed, "c9-init", 0))
	if err != nil {
		return runRecord{}, err
	}
	m.Chunk = cfg.Chunk
	nan := jsonfloat.Float(math.NaN())
	r := runRecord{Seed: seed, Acc: nan, Loss: nan}
	trace := func(epoch int) error {
		t, err := traceOf(m, bs, traced, epoch)
		if err != nil {
			return err
		}
		r.Traces = append(r.Traces, t)
		return nil
	}
	if cfg.TraceEpochs[0] == 0 {
		if err := trace(0); err != nil {
			return r, err
		}
	}
	res, err := train.Run(train.Config{
		Model: m, Train: sub, Epochs: cfg.Epochs,
		LR: optim.ConstantLR(cfg.LR), Batch: optim.ConstantBatch(cfg.Batch),
		Seed: rng.Derive(seed, "c9-train", 0),
		// Every step: a resnet56 step at batch 128 takes about 2 s of CPU,
		// so checking every 64th kept a cancelled unit running for minutes.
		OnStep: func(*train.StepInfo) error { return ctx.Err() },
		OnEpoch: func(e *train.EpochStats) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if slices.Contains(cfg.TraceEpochs, e.Epoch) {
				return trace(e.Epoch)
			}
			return nil
		},
	})
	if err != nil {
		return r, err
	}
	if res.Diverged {
		r.Diverged = max(res.DivergedStep, 1)
		return r, nil
	}
	loss, hits := m.Evaluate(val.All())
	r.Acc, r.Loss = jsonfloat.Float(float64(hits)/float64(val.N)), jsonfloat.Float(loss)
	for _, i := range bs.judged {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		l, h, err := m.EvaluateWithoutBlocks(val.All(), i)
		if err != nil {
			return r, err
		}
		r.Drops = append(r.Drops, dropRecord{Acc: jsonfloat.Float(float64(h) / float64(val.N)), Loss: jsonfloat.Float(l)})
	}
	return r, nil
}

// traceOf traces m's blocks on d and condenses the judged ones per block.
// It keeps the per-example figures only (nn.BlockFigures, one chunk's
// trace at a time): the full trace of 500 Fashion-MNIST images through
// resnet20 is 470 MB, and two units run at once.
func traceOf(m *nn.Model, bs blockSet, d *data.Dataset, epoch int) (traceRecord, error) {
	t, err := m.BlockFigures(d.All())
	if err != nil {
		return traceRecord{}, err
	}
	tr := traceRecord{Epoch: epoch, Acc: jsonfloat.Float(float64(t.Correct) / float64(t.N)), Loss: jsonfloat.Float(t.Loss)}
	stats := t.Stats()
	for _, i := range bs.judged {
		st := stats[i]
		var fs, hs float64
		for n := range t.N {
			fs += t.FNorm[i][n]
			hs += t.HNorm[i][n]
		}
		k := float64(t.N)
		tr.Blocks = append(tr.Blocks, blockRecord{
			Cos: jsonfloat.Float(st.Cos), CosMedian: jsonfloat.Float(st.CosMedian), CosNegative: jsonfloat.Float(st.CosNegative),
			CosNext: jsonfloat.Float(st.CosNext), RelNorm: jsonfloat.Float(st.RelNorm), RelMedian: jsonfloat.Float(st.RelNormMedian),
			FNorm: jsonfloat.Float(fs / k), HNorm: jsonfloat.Float(hs / k),
		})
	}
	return tr, nil
}

// Merge assembles C9's record from the units of the given seeds.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	bs, err := blocksOf(cfg.Model)
	if err != nil {
		return nil, err
	}
	rec := record{Model: cfg.Model, Blocks: bs.n(), Width: bs.width, Epochs: cfg.Epochs, TraceEpochs: cfg.TraceEpochs, Group: cfg.Group,
		ValExamples: cfg.ValExamples, TraceExamples: cfg.TraceExamples}
	if bs.width == 0 {
		rec.BlockNames, rec.Excluded = bs.names, bs.excluded
	}
	for _, s := range seeds {
		name := unitName(s)
		raw, ok := results[name]
		if !ok {
			return nil, fmt.Errorf("c9: no result for unit %q", name)
		}
		var r runRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("c9: unit %q: %w", name, err)
		}
		if r.Seed != s {
			return nil, fmt.Errorf("c9: unit %q holds seed %d", name, r.Seed)
		}
		rec.Runs = append(rec.Runs, r)
	}
	ev := &claims.Evidence{Seeds: seeds, Data: dataName(spec, cfg)}
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

func dataName(spec claims.Spec, cfg config) string {
	return fmt.Sprintf("%s: per seed a random %d training images; the first %d test images held out (the first %d of them traced)",
		claims.DataLabel(spec.Data), cfg.TrainExamples, cfg.ValExamples, cfg.TraceExamples)
}
