package noisememo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

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

// C6 splits into one unit per (grid point, seed): the seed's data
// (prepareData: cheap and deterministic, so every unit of a seed makes it
// again) and the point's training run up to the matched point.

func unitName(p point, seed uint64) string {
	return fmt.Sprintf("eta=%g S=%d seed=%d", p.LR, p.Batch, seed)
}

// unitResult is one unit's result: the run and its seed's subset.
type unitResult struct {
	Run    runRecord  `json:"run"`
	Subset subsetInfo `json:"subset"`
}

func configOf(spec claims.Spec) (config, error) {
	cfg, err := claims.ConfigOf[config](spec)
	if err != nil {
		return cfg, err
	}
	n := len(cfg.Points)
	if n < 4 || cfg.Low < 0 || cfg.Low >= n || cfg.High < 0 || cfg.High >= n || cfg.Low == cfg.High || cfg.PerEpoch < 1 || cfg.MaxEpochs < 1 {
		return cfg, fmt.Errorf("c6: %d points, ends %d and %d, %d measurements per epoch, %d epochs", n, cfg.Low, cfg.High, cfg.PerEpoch, cfg.MaxEpochs)
	}
	return cfg, nil
}

// Units lists one unit per (seed, point), seed-major. A unit's cost is
// about the epochs it needs, which grow as S/eta (SDE time per epoch is
// eta N/S), times the cost of an epoch.
func (c Claim) Units(spec claims.Spec) []claims.Unit {
	cfg, ok := spec.Config.(config)
	if !ok {
		return nil
	}
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		for pi, p := range cfg.Points {
			us = append(us, claims.Unit{Name: unitName(p, s), Seed: s, Point: pi, Cost: 1 / p.ratio()})
		}
	}
	return us
}

func (c Claim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	if u.Point < 0 || u.Point >= len(cfg.Points) {
		return nil, fmt.Errorf("c6: unit %q: no grid point %d", u.Name, u.Point)
	}
	trainAll, test, err := env.Dataset()
	if err != nil {
		return nil, err
	}
	d, err := prepareData(cfg, trainAll, test, u.Seed)
	if err != nil {
		return nil, err
	}
	r, err := trainPoint(ctx, cfg, cfg.Points[u.Point], d, u.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name, err)
	}
	return unitResult{Run: r, Subset: d.info}, nil
}

// Merge assembles C6's record from the units of the given seeds: points in
// the config's order, runs in seed order, one subset per seed.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, err := configOf(spec)
	if err != nil {
		return nil, err
	}
	rec := record{Level: cfg.Level, NoiseFrac: cfg.NoiseFrac, MaxEpochs: cfg.MaxEpochs, PerEpoch: cfg.PerEpoch, Low: cfg.Low, High: cfg.High}
	subsets := make([]subsetInfo, len(seeds))
	for pi, p := range cfg.Points {
		pr := pointRecord{point: p}
		for si, s := range seeds {
			name := unitName(p, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c6: no result for unit %q", name)
			}
			var u unitResult
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("c6: unit %q: %w", name, err)
			}
			if u.Run.Seed != s || u.Subset.Seed != s {
				return nil, fmt.Errorf("c6: unit %q holds seed %d", name, u.Run.Seed)
			}
			pr.Runs = append(pr.Runs, u.Run)
			if pi == 0 {
				subsets[si] = u.Subset
			} else if u.Subset != subsets[si] {
				return nil, fmt.Errorf("c6: unit %q: subset %+v, another point of seed %d has %+v", name, u.Subset, s, subsets[si])
			}
		}
		rec.Points = append(rec.Points, pr)
	}
	rec.Subsets = subsets
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
	return fmt.Sprintf("%s: per seed a random %d training images with %.0f%% of the labels redrawn; the first %d test images held out",
		claims.DataLabel(spec.Data), cfg.TrainExamples, 100*cfg.NoiseFrac, cfg.ValExamples)
}

// seedData is one seed's data: the noisy training subset, which of its rows
// are mislabelled, and the held-out set.
type seedData struct {
	train, val *data.Dataset
	mis        []bool
	info       subsetInfo
}

func prepareData(cfg config, trainAll, test *data.Dataset, seed uint64) (*seedData, error) {
	if cfg.TrainExamples > trainAll.N || cfg.ValExamples > test.N {
		return nil, fmt.Errorf("c6: %d training and %d held-out examples asked of %d and %d", cfg.TrainExamples, cfg.ValExamples, trainAll.N, test.N)
	}
	perm := rng.New(seed, "c6-subset", 0).Perm(trainAll.N)[:cfg.TrainExamples]
	noisy, err := trainAll.Subset(perm).WithLabelNoise(cfg.NoiseFrac, rng.Derive(seed, "c6-label-noise", 0))
	if err != nil {
		return nil, err
	}
	val, err := test.Head(cfg.ValExamples)
	if err != nil {
		return nil, err
	}
	d := &seedData{train: noisy, val: val, mis: make([]bool, noisy.N), info: subsetInfo{Seed: seed}}
	for i := range noisy.N {
		d.mis[i] = noisy.Y[i] != noisy.CleanY[i]
		if d.mis[i] {
			d.info.Mislabelled++
		} else {
			d.info.Clean++
		}
	}
	if d.info.Clean == 0 || d.info.Mislabelled == 0 {
		return nil, fmt.Errorf("c6: seed %d: %d clean and %d mislabelled rows", seed, d.info.Clean, d.info.Mislabelled)
	}
	return d, nil
}

// trainPoint trains one grid point on one seed's data, measuring PerEpoch
// times per epoch, and stops at the first measurement whose clean-row
// accuracy reaches the level. Initialisation and data order depend on the
// seed only, so the points of a seed are paired.
func trainPoint(ctx context.Context, cfg config, p point, d *seedData, seed uint64) (runRecord, error) {
	m, err := nn.New(cfg.Model, rng.Derive(seed, "c6-init", 0))
	if err != nil {
		return runRecord{}, err
	}
	nan := jsonfloat.Float(math.NaN())
	r := runRecord{Seed: seed, Epoch: nan, Clean: nan, Mis: nan, MisTrue: nan, Val: nan}
	spe := d.train.N / p.Batch
	if spe < cfg.PerEpoch {
		return r, fmt.Errorf("c6: %d steps per epoch, %d measurements asked", spe, cfg.PerEpoch)
	}
	// The steps of an epoch after which it measures: k*spe/PerEpoch, k = 1..PerEpoch.
	at := map[int]bool{}
	for k := 1; k <= cfg.PerEpoch; k++ {
		at[k*spe/cfg.PerEpoch] = true
	}
	logits := make([]float32, d.train.N*m.OutputDim())
	res, err := train.Run(train.Config{
		Model: m, Train: d.train, Epochs: cfg.MaxEpochs,
		LR: optim.ConstantLR(p.LR), Batch: optim.ConstantBatch(p.Batch),
		Seed: rng.Derive(seed, "c6-train", 0),
		OnStep: func(s *train.StepInfo) error {
			if s.Step%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !at[s.Step-s.Epoch*spe] {
				return nil
			}
			mm := measureParts(m, d, logits)
			mm.Epoch = float64(s.Step) / float64(spe)
			r.Curve = append(r.Curve, mm)
			if float64(mm.Clean) >= cfg.Level {
				r.Reached = true
				r.Epoch, r.Clean, r.Mis, r.MisTrue, r.Val = jsonfloat.Float(mm.Epoch), mm.Clean, mm.Mis, mm.MisTrue, mm.Val
				return train.ErrStop
			}
			return nil
		},
	})
	if err != nil {
		return r, err
	}
	if res.Diverged {
		r.Diverge = res.DivergedStep
	}
	return r, nil
}

// measureParts returns, in evaluation mode, the accuracy on the clean
// rows, on the mislabelled rows against their noisy and their true labels,
// and on the held-out set.
func measureParts(m *nn.Model, d *seedData, logits []float32) measure {
	m.Forward(d.train.All(), logits)
	k := m.OutputDim()
	var hc, hm, ht, nc, nm int
	for i := range d.train.N {
		pred := int32(argmax(logits[i*k : (i+1)*k]))
		if d.mis[i] {
			nm++
			if pred == d.train.Y[i] {
				hm++
			}
			if pred == d.train.CleanY[i] {
				ht++
			}
		} else {
			nc++
			if pred == d.train.Y[i] {
				hc++
			}
		}
	}
	_, hv := m.Evaluate(d.val.All())
	return measure{Clean: jsonfloat.Float(frac(hc, nc)), Mis: jsonfloat.Float(frac(hm, nm)), MisTrue: jsonfloat.Float(frac(ht, nm)),
		Val: jsonfloat.Float(frac(hv, d.val.N))}
}

func frac(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// argmax returns the index of the largest value, the first on ties (the
// rule nn.Model.Evaluate counts hits with).
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
