package stationaryloss

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
)

// stationaryRun is one constant-step SGD run started at a minimum, measuring
// the time-averaged full-batch training loss above the minimum's.
type stationaryRun struct {
	Model  *nn.Model // at the minimum; the run works on a clone
	Data   *data.Dataset
	LStar  float64 // full-batch loss at the minimum, by the same evaluator
	LR     float64
	Batch  int
	Burn   int // steps before measuring
	Window int // steps measured
	Every  int // full-batch evaluation every Every steps of the window
	Seed   uint64
	Index  uint64 // grid point, for the batch stream
	// Reshuffle uses train.Run's epoch-wise sampling without replacement
	// (random reshuffling) instead of independent batches.
	Reshuffle bool
	// TracePoints, if > 0, keeps about that many (step, excess) points of
	// the whole run, burn-in included, for a plot.
	TracePoints int
	// Quadratic, when set, gives the loss above the minimum in closed form
	// instead of a full-batch evaluation: for least squares the loss is
	// exactly L* + 1/2 d^T H d, d = theta - theta*, and this costs P^2
	// instead of N P per evaluation, in float64.
	Quadratic *quadraticLoss
	// WD adds wd/2 ||theta||^2 to the objective: to every gradient (as
	// optim.SGD's weight decay) and to every loss evaluated.
	WD float64
	// Settle, if set, anneals the run's final state to the bottom of the
	// basin it ended in (SGD with the run's batch, rate falling linearly
	// from LR to 0 over Settle.AnnealSteps, then Settle.GDIters of
	// full-batch descent) and records that loss as LEnd.
	Settle *minimumSpec
}

// quadraticLoss is an exactly quadratic loss around its minimiser.
type quadraticLoss struct {
	H     []float64 // P x P, row-major
	Theta []float64 // the minimiser
}

// excess returns 1/2 d^T H d for d = params - Theta.
func (q *quadraticLoss) excess(params []float32) float64 {
	p := len(q.Theta)
	d := make([]float64, p) // per call: runs share a quadraticLoss across goroutines
	for i := range d {
		d[i] = float64(params[i]) - q.Theta[i]
	}
	var s float64
	for i := range p {
		row := q.H[i*p : (i+1)*p]
		var hd float64
		for j, v := range row {
			hd += v * d[j]
		}
		s += d[i] * hd
	}
	return s / 2
}

type stationaryResult struct {
	Excess     float64 // mean over the window of L(theta_t) - L*
	LEnd       float64 // loss after Settle; NaN without it
	Evals      int
	Diverged   bool
	TraceStep  []float64
	TraceValue []float64
}

// run executes the SGD run. Independent batches are S distinct examples
// drawn uniformly at every step (a partial Fisher-Yates shuffle from the
// stream (Seed, "c2-batches", Index)), independently across steps: the
// sampling the derivation assumes, with batch-gradient covariance exactly
// C (N-S)/(S(N-1)).
func (r *stationaryRun) run(ctx context.Context) (*stationaryResult, error) {
	m := r.Model.Clone()
	d := r.Data
	all := d.All()
	total := r.Burn + r.Window
	res := &stationaryResult{}
	traceEvery := 0
	if r.TracePoints > 0 {
		traceEvery = max(1, total/r.TracePoints)
	}
	var sum float64
	observe := func(step int) error {
		// Checked on every 4096th step whether or not it is measured (the
		// burn-in measures nothing), so a cancelled sweep stops promptly.
		if step%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		measure := step > r.Burn && (step-r.Burn)%r.Every == 0
		trace := traceEvery > 0 && step%traceEvery == 0
		if !measure && !trace {
			return nil
		}
		var ex float64
		if r.Quadratic != nil {
			ex = r.Quadratic.excess(m.Params())
		} else {
			ex = objectiveValue(m, all, r.WD) - r.LStar
		}
		if math.IsNaN(ex) || math.IsInf(ex, 0) {
			res.Diverged = true
			return train.ErrStop
		}
		if measure {
			sum += ex
			res.Evals++
		}
		if trace {
			res.TraceStep = append(res.TraceStep, float64(step))
			res.TraceValue = append(res.TraceValue, ex)
		}
		return nil
	}
	if r.Reshuffle {
		spe := d.N / r.Batch
		cfg := train.Config{
			Model: m, Train: d, Epochs: (total + spe - 1) / spe,
			LR: optim.ConstantLR(r.LR), Batch: optim.ConstantBatch(r.Batch), Optimizer: &optim.SGD{WeightDecay: r.WD},
			Seed: rng.Derive(r.Seed, "c2-reshuffle", r.Index),
			OnStep: func(s *train.StepInfo) error {
				if err := observe(s.Step); err != nil {
					return err
				}
				if s.Step >= total {
					return train.ErrStop
				}
				return nil
			},
		}
		tr, err := train.Run(cfg)
		if err != nil {
			return nil, err
		}
		if tr.Diverged {
			res.Diverged = true
		}
	} else {
		st := rng.New(r.Seed, "c2-batches", r.Index)
		idx := make([]int, d.N)
		for i := range idx {
			idx[i] = i
		}
		grad := make([]float32, m.NumParams())
		opt := &optim.SGD{WeightDecay: r.WD}
		var b data.Batch
		for step := 1; step <= total; step++ {
			for k := 0; k < r.Batch; k++ {
				j := k + st.IntN(d.N-k)
				idx[k], idx[j] = idx[j], idx[k]
			}
			d.Gather(idx[:r.Batch], &b)
			loss, _ := m.LossGrad(b, true, grad)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				res.Diverged = true
				break
			}
			opt.Step(m.Params(), grad, r.LR)
			if err := observe(step); err != nil {
				if errors.Is(err, train.ErrStop) {
					break
				}
				return nil, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.LEnd = math.NaN()
	if res.Diverged || res.Evals == 0 {
		res.Excess = math.NaN()
		return res, nil
	}
	res.Excess = sum / float64(res.Evals)
	if r.Settle != nil {
		st := rng.New(r.Seed, "c2-settle", r.Index)
		if err := sgdAnneal(ctx, m, d, r.Batch, r.LR, r.Settle.AnnealSteps, r.WD, st); err != nil {
			return nil, err
		}
		if err := gdAnneal(ctx, m, d, r.Settle.GDIters, r.WD); err != nil {
			return nil, err
		}
		res.LEnd = objectiveValue(m, all, r.WD)
	}
	return res, nil
}

// minimumSpec says how C2 finds the minimum it measures around. The phases
// run in order; each is skipped when its count is 0.
type minimumSpec struct {
	// WarmEpochs of SGD through train.Run (learning rate WarmLR annealed to
	// 0 by a cosine, batch WarmBatch) bring a network from its
	// initialisation into a basin.
	WarmEpochs int     `json:"warm_epochs,omitempty"`
	WarmLR     float64 `json:"warm_lr,omitempty"`
	WarmBatch  int     `json:"warm_batch,omitempty"`
	// AnnealSteps of SGD with independent batches of AnnealBatch, the rate
	// falling linearly from AnnealLR to 0. For a ReLU network this is what
	// reaches low ground: its loss is piecewise smooth, full-batch descent
	// zig-zags across the kinks of a valley floor with the gradient stuck
	// near 1e-3, while small noisy steps travel along it.
	AnnealSteps int     `json:"anneal_steps,omitempty"`
	AnnealLR    float64 `json:"anneal_lr,omitempty"`
	AnnealBatch int     `json:"anneal_batch,omitempty"`
	// GDIters of full-batch gradient descent with Nesterov momentum 0.9,
	// the rate falling by a cosine from 1/lambda_max to 0, settle into the
	// bottom of what SGD found.
	GDIters int `json:"gd_iters,omitempty"`
	// Newton iterations with the exact dense Hessian (damped, saddle-free;
	// see newton), until the gradient norm is below GradTol or no step
	// lowers the loss. The finisher for smooth problems: quadratic
	// convergence to float32 resolution on softmax regression.
	NewtonIters int     `json:"newton_iters,omitempty"`
	GradTol     float64 `json:"grad_tol,omitempty"`
}

// minimumInfo describes the point found.
type minimumInfo struct {
	Loss     float64
	GradNorm float64
	Accuracy float64
	Newton   int // Newton steps accepted
}

// objectiveValue is the full-batch mean loss on b plus wd/2 ||theta||^2.
func objectiveValue(m *nn.Model, b data.Batch, wd float64) float64 {
	l, _ := m.Evaluate(b)
	if wd == 0 {
		return l
	}
	var s float64
	for _, v := range m.Params() {
		s += float64(v) * float64(v)
	}
	return l + wd/2*s
}

// objectiveGrad writes the full-batch gradient of objectiveValue.
func objectiveGrad(m *nn.Model, b data.Batch, wd float64, grad []float32) {
	m.LossGrad(b, false, grad)
	if wd != 0 {
		for i, v := range m.Params() {
			grad[i] += float32(wd) * v
		}
	}
}

// findMinimum moves m towards a minimum of its full-batch loss on d (plus
// wd/2 ||theta||^2).
func findMinimum(ctx context.Context, m *nn.Model, d *data.Dataset, spec minimumSpec, wd float64, seed uint64) (*minimumInfo, error) {
	if spec.WarmEpochs > 0 {
		lr, err := optim.ParseLR(spec.WarmLR, "cosine")
		if err != nil {
			return nil, err
		}
		res, err := train.Run(train.Config{
			Model: m, Train: d, Epochs: spec.WarmEpochs, LR: lr, Optimizer: &optim.SGD{WeightDecay: wd},
			Batch: optim.ConstantBatch(spec.WarmBatch), Seed: rng.Derive(seed, "c2-warm", 0),
		})
		if err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		if res.Diverged {
			return nil, fmt.Errorf("warm-up diverged at step %d", res.DivergedStep)
		}
	}
	if spec.AnnealSteps > 0 {
		if err := sgdAnneal(ctx, m, d, spec.AnnealBatch, spec.AnnealLR, spec.AnnealSteps, wd, rng.New(seed, "c2-anneal", 0)); err != nil {
			return nil, err
		}
	}
	if spec.GDIters > 0 {
		if err := gdAnneal(ctx, m, d, spec.GDIters, wd); err != nil {
			return nil, err
		}
	}
	info := &minimumInfo{}
	if spec.NewtonIters > 0 {
		n, err := newton(ctx, m, d, spec.NewtonIters, spec.GradTol, wd)
		if err != nil {
			return nil, err
		}
		info.Newton = n
	}
	all := d.All()
	info.GradNorm = gradNorm(m, all, wd)
	_, correct := m.Evaluate(all)
	info.Loss = objectiveValue(m, all, wd)
	info.Accuracy = float64(correct) / float64(d.N)
	return info, nil
}

func gradNorm(m *nn.Model, b data.Batch, wd float64) float64 {
	grad := make([]float32, m.NumParams())
	objectiveGrad(m, b, wd, grad)
	var s float64
	for _, g := range grad {
		s += float64(g) * float64(g)
	}
	return math.Sqrt(s)
}

// sgdAnneal runs steps of SGD (weight decay wd) with independent batches of
// size batch (a partial Fisher-Yates shuffle from st), the rate falling
// linearly from lr to 0.
func sgdAnneal(ctx context.Context, m *nn.Model, d *data.Dataset, batch int, lr float64, steps int, wd float64, st *rng.Stream) error {
	idx := make([]int, d.N)
	for i := range idx {
		idx[i] = i
	}
	grad := make([]float32, m.NumParams())
	opt := &optim.SGD{WeightDecay: wd}
	var b data.Batch
	for s := 0; s < steps; s++ {
		if s%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for k := 0; k < batch; k++ {
			j := k + st.IntN(d.N-k)
			idx[k], idx[j] = idx[j], idx[k]
		}
		d.Gather(idx[:batch], &b)
		if l, _ := m.LossGrad(b, true, grad); math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("annealing diverged at step %d", s+1)
		}
		opt.Step(m.Params(), grad, lr*(1-float64(s)/float64(steps)))
	}
	return nil
}

// gdAnneal runs iters steps of full-batch gradient descent (weight decay
// wd) with Nesterov momentum 0.9, the rate falling by a cosine from
// 1/lambda_max (at the start) to 0.
func gdAnneal(ctx context.Context, m *nn.Model, d *data.Dataset, iters int, wd float64) error {
	all := d.All()
	// lambda_max by power iteration on the Hessian (core/curvature): 1e-3
	// relative is plenty for a step size.
	op, err := curvature.NewHessian(m, all, curvature.NetworkConfig{Selection: "all training examples", WeightDecay: wd})
	if err != nil {
		return err
	}
	top, err := curvature.PowerIterationContext(ctx, op, curvature.PowerConfig{Seed: 1})
	if err != nil {
		return err
	}
	lr0 := 1 / math.Abs(top.Top[0].Value)
	grad := make([]float32, m.NumParams())
	opt := &optim.SGD{Momentum: 0.9, Nesterov: true, WeightDecay: wd}
	for it := 0; it < iters; it++ {
		if it%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m.LossGrad(all, false, grad)
		opt.Step(m.Params(), grad, lr0*0.5*(1+math.Cos(math.Pi*float64(it)/float64(iters))))
	}
	return nil
}

// newton takes up to iters damped saddle-free Newton steps with the exact
// dense Hessian of the objective (weight decay wd) and returns how many
// lowered it.
func newton(ctx context.Context, m *nn.Model, d *data.Dataset, iters int, gradTol, wd float64) (int, error) {
	all := d.All()
	p := m.NumParams()
	theta := m.Params()
	grad := make([]float32, p)
	loss := objectiveValue(m, all, wd)
	g := make([]float64, p)
	col := make([]float64, p)
	coef := make([]float64, p)
	step := make([]float64, p)
	start := make([]float32, p)
	var q *quadModel
	mu := math.NaN()
	accepted := 0
	for it := 0; it < iters; it++ {
		if err := ctx.Err(); err != nil {
			return accepted, err
		}
		if q == nil { // a new point: gradient and Hessian there
			objectiveGrad(m, all, wd, grad)
			var gn float64
			for i, v := range grad {
				g[i] = float64(v)
				gn += g[i] * g[i]
			}
			if math.Sqrt(gn) < gradTol {
				break
			}
			h, err := denseHessian(m, all, wd)
			if err != nil {
				return accepted, err
			}
			if q, err = newQuadModelSym(h, mat.NewSymDense(p, nil)); err != nil {
				return accepted, err
			}
			for j := range q.Lambda {
				mat.Col(col, j, q.Q)
				coef[j] = 0
				for i := range col {
					coef[j] += col[i] * g[i]
				}
			}
			if math.IsNaN(mu) {
				mu = 1e-3 * math.Abs(q.LambdaMax())
			}
		}
		// Damped saddle-free Newton step -(|H| + mu I)^-1 g in H's
		// eigenbasis: Newton's step where the curvature is large against mu,
		// a gradient step of size 1/mu along flat directions, and descent
		// (not ascent to a saddle) along negative curvature (Dauphin et al.
		// 2014). Levenberg-Marquardt control of mu: shrink it after a step
		// that lowers the loss, grow it after one that does not.
		for i := range step {
			step[i] = 0
		}
		for j, l := range q.Lambda {
			mat.Col(col, j, q.Q)
			c := coef[j] / (math.Abs(l) + mu)
			for i := range col {
				step[i] -= c * col[i]
			}
		}
		copy(start, theta)
		for i := range theta {
			theta[i] = start[i] + float32(step[i])
		}
		if l := objectiveValue(m, all, wd); l < loss {
			loss = l
			mu /= 3
			q = nil
			accepted++
			continue
		}
		copy(theta, start)
		mu *= 4
		if mu > 1e6*math.Abs(q.LambdaMax()) {
			break // no step lowers the loss any more: float32 resolution
		}
	}
	return accepted, nil
}

// denseHessian is the exact Hessian of the mean loss on b plus wd I
// (core/curvature, products by the R-operator, one per parameter).
func denseHessian(m *nn.Model, b data.Batch, wd float64) (*mat.SymDense, error) {
	op, err := curvature.NewHessian(m, b, curvature.NetworkConfig{Selection: "all training examples", WeightDecay: wd})
	if err != nil {
		return nil, err
	}
	h, _ := curvature.Materialize(op)
	return h, nil
}

// denseCovariance is the exact per-example gradient covariance
// C = mean_i (g_i - g)(g_i - g)^T on b, and its exact trace.
func denseCovariance(m *nn.Model, b data.Batch) (*mat.SymDense, float64, error) {
	op, err := curvature.NewGradientCovariance(m, b, curvature.CovarianceConfig{Selection: "all training examples"})
	if err != nil {
		return nil, 0, err
	}
	c, _ := curvature.Materialize(op)
	return c, op.Trace(), nil
}
