package stationaryloss

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"gonum.org/v1/gonum/mat"
)

// setUp builds one seed's problem and moves the model to its minimum.
func setUp(ctx context.Context, env *claims.Env, t tier, seed uint64) (*problem, error) {
	dataSeed := rng.Derive(seed, "c2-data-"+t.ID, 0)
	m, err := nn.New(t.Model, rng.Derive(seed, "c2-init-"+t.ID, 0))
	if err != nil {
		return nil, err
	}
	su := &problem{model: m}
	su.min.Seed = seed
	if t.Classes == 0 {
		// Least squares: everything in closed form (core/data).
		m.Loss = nn.SquaredError
		var opts []data.LSOption
		if t.Condition > 0 {
			opts = append(opts, data.WithSpectrum(geometricSpectrum(t.Dim, t.Condition)))
		}
		ls := data.LinearLeastSquares(t.N, t.Dim, t.NoiseStd, dataSeed, opts...)
		su.data = ls.Data
		theta := ls.Minimiser()
		if len(theta) != m.NumParams() {
			return nil, fmt.Errorf("model %s has %d parameters, least squares %d", t.Model, m.NumParams(), len(theta))
		}
		for i, v := range theta {
			m.Params()[i] = float32(v)
		}
		su.h, su.c, su.theta = ls.Hessian(), ls.NoiseCovariance(theta), theta
		p := ls.P()
		su.quad, err = newQuadModel(su.h, su.c, p)
		if err != nil {
			return nil, err
		}
		su.z = mat.NewDense(t.N, p, nil)
		for i := range t.N {
			for j, v := range su.data.Row(i) {
				su.z.Set(i, j, float64(v))
			}
			su.z.Set(i, p-1, 1)
		}
		g := make([]float32, m.NumParams())
		m.LossGrad(su.data.All(), false, g)
		var gn float64
		for _, v := range g {
			gn += float64(v) * float64(v)
		}
		su.min.GradNorm = jsonfloat.Float(math.Sqrt(gn))
		su.min.Accuracy = jsonfloat.Float(math.NaN())
	} else {
		if t.Data != "" {
			if su.data, err = imageSubset(env, t, seed); err != nil {
				return nil, err
			}
		} else {
			su.data = data.GaussianMixture(t.N, t.Dim, t.Classes, t.Sep, dataSeed)
		}
		info, err := findMinimum(ctx, m, su.data, t.Minimum, t.WeightDecay, seed)
		if err != nil {
			return nil, err
		}
		su.min.GradNorm, su.min.Accuracy, su.min.Newton = jsonfloat.Float(info.GradNorm), jsonfloat.Float(info.Accuracy), info.Newton
		all := su.data.All()
		h, err := denseHessian(m, all, t.WeightDecay)
		if err != nil {
			return nil, err
		}
		c, _, err := denseCovariance(m, all)
		if err != nil {
			return nil, err
		}
		su.quad, err = newQuadModelSym(h, c)
		if err != nil {
			return nil, err
		}
	}
	su.lstar = objectiveValue(m, su.data.All(), t.WeightDecay)
	q := su.quad
	su.min.Loss, su.min.TrH, su.min.TrC = jsonfloat.Float(su.lstar), jsonfloat.Float(q.TrH), jsonfloat.Float(q.TrC)
	su.min.LambdaMax, su.min.NullC = jsonfloat.Float(q.LambdaMax()), jsonfloat.Float(q.NullC())
	su.min.Rank, su.min.Negative = q.Rank()
	su.min.LambdaMinPos = jsonfloat.Float(math.NaN())
	for _, l := range q.Lambda {
		if l > q.Tol {
			su.min.LambdaMinPos = jsonfloat.Float(l)
			break
		}
	}
	return su, nil
}

// geometricSpectrum is dim input variances spaced geometrically from
// 1/cond to 1 (the largest last).
func geometricSpectrum(dim int, cond float64) []float64 {
	l := make([]float64, dim)
	for j := range l {
		l[j] = 1
		if dim > 1 {
			l[j] = math.Pow(cond, float64(j)/float64(dim-1)-1)
		}
	}
	return l
}

// imageSubset is seed's training set of an image tier: t.N images drawn
// without replacement from the training set env names (stream (seed,
// "c2-subset-<tier>")), average-pooled by t.Pool.
func imageSubset(env *claims.Env, t tier, seed uint64) (*data.Dataset, error) {
	train, _, err := env.Dataset()
	if err != nil {
		return nil, err
	}
	if t.N > train.N {
		return nil, fmt.Errorf("tier %s: %d images of %s's %d", t.ID, t.N, train.Name, train.N)
	}
	st := rng.New(seed, "c2-subset-"+t.ID, 0)
	idx := make([]int, train.N)
	for i := range idx {
		idx[i] = i
	}
	for k := range t.N {
		j := k + st.IntN(train.N-k)
		idx[k], idx[j] = idx[j], idx[k]
	}
	sub := train.Subset(idx[:t.N])
	if t.Pool > 1 {
		if sub, err = sub.AvgPool(t.Pool); err != nil {
			return nil, err
		}
	}
	if sub.Dim != t.Dim || sub.Classes != t.Classes {
		return nil, fmt.Errorf("tier %s: pooled %s has %d inputs and %d classes, the tier %d and %d", t.ID, train.Name, sub.Dim, sub.Classes, t.Dim, t.Classes)
	}
	return sub, nil
}

// plan sizes one run from the quadratic model and records its predictions.
func plan(su *problem, p point, kappa float64, cfg config, seed, index uint64) (runRecord, *stationaryRun) {
	q := su.quad
	eta := p.LR
	rec := runRecord{
		Seed:         seed,
		PredC:        jsonfloat.Float(q.FirstOrder(eta, kappa)),
		PredH:        jsonfloat.Float(q.HessianForm(eta, kappa)),
		PredDiscrete: jsonfloat.Float(q.Discrete(eta, kappa)),
		PredExact:    jsonfloat.Float(math.NaN()),
		EtaLambdaMax: jsonfloat.Float(eta * q.LambdaMax()),
	}
	if su.z != nil {
		if ex, err := lsExact(q, su.h, su.c, su.z, eta, kappa); err == nil {
			rec.PredExact = jsonfloat.Float(ex)
		}
	}
	tau := q.RelaxationSteps(eta, kappa)
	rec.Burn = q.BurnIn(eta, kappa, burnFrac, cfg.MaxSteps/2)
	rec.Window = min(max(int(math.Ceil(cfg.Window*tau)), cfg.MinWindow), cfg.MaxSteps-rec.Burn)
	rec.Every = max(1, int(tau/evalsPerT))
	rec.Transient = jsonfloat.Float(q.Transient(eta, kappa, rec.Burn, rec.Window))
	run := &stationaryRun{
		Model: su.model, Data: su.data, LStar: su.lstar, LR: eta, Batch: p.Batch,
		Burn: rec.Burn, Window: rec.Window, Every: rec.Every, Seed: seed, Index: index,
	}
	if su.theta != nil {
		run.Quadratic = &quadraticLoss{H: su.h, Theta: su.theta}
	}
	return rec, run
}
