package memorisation

import (
	"context"
	"math"
	"slices"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// trainRow trains one row on one seed's data and records its curves.
// Initialisation, data order and the dropout stream depend on the seed
// and epoch only, so the rows of a seed are paired. Training runs one
// epoch per train.Run (plain SGD keeps no state between steps, so this is
// one run), each epoch's order and dropout masks from the stream (seed,
// "c4-train", epoch), so that the input-noise row can train each epoch on
// a fresh noisy copy of the images, drawn from (seed, "c4-input-noise",
// epoch).
func trainRow(ctx context.Context, cfg config, reg regulariser, d *seedData, seed uint64, tick func()) (runRecord, error) {
	m, err := nn.New(cfg.Model, rng.Derive(seed, "c4-init", 0))
	if err != nil {
		return runRecord{}, err
	}
	m.Dropout = float32(reg.Dropout)
	n := cfg.Epochs + 1
	r := runRecord{Seed: seed}
	for _, p := range []*[]jsonfloat.Float{&r.Clean, &r.Mislabelled, &r.MisTrue, &r.Val, &r.TrainLoss} {
		*p = make([]jsonfloat.Float, n)
		for e := range *p {
			(*p)[e] = jsonfloat.Float(math.NaN())
		}
	}
	csrEpochs := cfg.CSR.epochsFor(reg, cfg.FixedEpoch)
	logits := make([]float32, d.train.N*m.OutputDim())
	measure := func(epoch int) error {
		c, mi, mt, err := partAccuracies(ctx, m, d, logits)
		if err != nil {
			return err
		}
		r.Clean[epoch], r.Mislabelled[epoch], r.MisTrue[epoch] = jsonfloat.Float(c), jsonfloat.Float(mi), jsonfloat.Float(mt)
		if err := ctx.Err(); err != nil {
			return err
		}
		_, hits := m.Evaluate(d.val.All())
		r.Val[epoch] = jsonfloat.Float(float64(hits) / float64(d.val.N))
		if slices.Contains(csrEpochs, epoch) {
			p, err := measureCSR(ctx, m, cfg.CSR, d, seed, epoch)
			if err != nil {
				return err
			}
			r.CSR = append(r.CSR, p)
		}
		return nil
	}
	if err := measure(0); err != nil {
		return r, err
	}
	noise := data.InputNoise{Std: reg.InputNoise}
	opt := &optim.SGD{WeightDecay: reg.WeightDecay}
	var buf []float32
	steps := 0
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		set, err := d.train.WithInputNoise(noise, rng.Derive(seed, "c4-input-noise", uint64(epoch)), buf)
		if err != nil {
			return r, err
		}
		if noise.On() {
			buf = set.X
		}
		res, err := train.Run(train.Config{
			Model: m, Train: set, Epochs: 1,
			LR: optim.ConstantLR(cfg.LR), Batch: optim.ConstantBatch(cfg.Batch),
			Optimizer: opt,
			Seed:      rng.Derive(seed, "c4-train", uint64(epoch)),
			OnStep: func(s *train.StepInfo) error {
				if s.Step%32 == 0 { // a full-scale step is ~40 ms: stop within about a second
					return ctx.Err()
				}
				return nil
			},
		})
		if err != nil {
			return r, err
		}
		if res.Diverged {
			r.Diverged = steps + res.DivergedStep
			return r, nil
		}
		steps += res.Steps
		if err := ctx.Err(); err != nil {
			return r, err
		}
		r.TrainLoss[epoch] = jsonfloat.Float(res.Epochs[0].TrainLoss)
		if err := measure(epoch); err != nil {
			return r, err
		}
		tick()
	}
	return r, nil
}

// partAccuracies returns, in evaluation mode, the accuracy on the clean
// rows, on the mislabelled rows against their noisy labels, and on the
// mislabelled rows against their true labels.
func partAccuracies(ctx context.Context, m *nn.Model, d *seedData, logits []float32) (clean, mis, misTrue float64, err error) {
	k := m.OutputDim()
	// In chunks, checking ctx between them: on the full-scale 2x4096
	// network the whole training part is a forward pass of many seconds.
	// Each row's logits do not depend on the chunking.
	const chunk = 2048
	for lo := 0; lo < d.train.N; lo += chunk {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		hi := min(lo+chunk, d.train.N)
		m.Forward(d.train.Rows(lo, hi), logits[lo*k:hi*k])
	}
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
	return frac(hc, nc), frac(hm, nm), frac(ht, nm), nil
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

func measureCSR(ctx context.Context, m *nn.Model, cs csrSpec, d *seedData, seed uint64, epoch int) (csrPoint, error) {
	res, err := curvature.CriticalSampleRatioContext(ctx, m, d.csr, curvature.CSRConfig{
		Radius: cs.Radius, Step: cs.Step, NoiseStd: cs.NoiseStd, MaxIter: cs.MaxIter,
		Seed: rng.Derive(seed, "c4-lass", uint64(epoch)),
	})
	if err != nil {
		return csrPoint{}, err
	}
	var cc, cm, nc, nm int
	for i, s := range res.Steps {
		if d.csrMis[i] {
			nm++
			if s > 0 {
				cm++
			}
		} else {
			nc++
			if s > 0 {
				cc++
			}
		}
	}
	pt := csrPoint{Epoch: epoch, Ratio: jsonfloat.Float(res.Ratio), Clean: jsonfloat.Float(frac(cc, nc)), Mislabelled: jsonfloat.Float(frac(cm, nm)), HeldOut: jsonfloat.Float(math.NaN())}
	if d.held.N > 0 {
		h, err := curvature.CriticalSampleRatioContext(ctx, m, d.held, curvature.CSRConfig{
			Radius: cs.Radius, Step: cs.Step, NoiseStd: cs.NoiseStd, MaxIter: cs.MaxIter,
			Seed: rng.Derive(seed, "c4-lass-heldout", uint64(epoch)),
		})
		if err != nil {
			return csrPoint{}, err
		}
		pt.HeldOut = jsonfloat.Float(h.Ratio)
	}
	return pt, nil
}
