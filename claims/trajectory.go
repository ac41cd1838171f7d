package claims

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// This file holds what C1 and C3 share: the MNIST split they train on, and a
// constant-step SGD run (train.Run) that measures the top Hessian
// eigenvalue along its trajectory and the curvature and accuracy at its end.

// MNISTParts is the data of the MNIST trajectory claims: Nielsen's split of
// the MNIST training file (the first 50,000 images train, the last 10,000
// validate; the test file is not used), and a fixed set of training examples
// on which every curvature figure is measured.
type MNISTParts struct {
	Dir        string // where the data came from, in words
	Train, Val *data.Dataset
	Probe      data.Batch // the first ProbeN training examples
	ProbeSel   string     // how the probe examples were chosen, for stamps
}

// LoadMNISTParts splits env's MNIST. nTrain + nVal must not exceed the
// training file's 60,000 images; the validation part is the last nVal.
func LoadMNISTParts(env *Env, nTrain, nVal, nProbe int) (*MNISTParts, error) {
	full, _, err := env.MNIST()
	if err != nil {
		return nil, err
	}
	if nTrain+nVal > full.N || nProbe > nTrain || nTrain < 1 || nVal < 1 || nProbe < 1 {
		return nil, fmt.Errorf("cannot take %d training, %d validation and %d probe examples from %d", nTrain, nVal, nProbe, full.N)
	}
	tr, err := full.Head(nTrain)
	if err != nil {
		return nil, err
	}
	idx := make([]int, nVal)
	for i := range idx {
		idx[i] = full.N - nVal + i
	}
	val := full.Subset(idx)
	val.Name = full.Name + "/val"
	return &MNISTParts{
		Dir: MNISTSource(env), Train: tr, Val: val, Probe: tr.Rows(0, nProbe),
		ProbeSel: fmt.Sprintf("first %d of the %d training images, file order", nProbe, nTrain),
	}, nil
}

// MNISTSource names env's MNIST without machine-specific paths: goldens
// and sweep results record it.
func MNISTSource(env *Env) string {
	if env != nil && env.Data != "" && env.Data != "mnist" {
		return env.Data
	}
	return "the GoMNIST module's copy"
}

// CurvRun is one constant-step SGD run through train.Run with curvature
// probes. The model is built from Spec with InitSeed; the data order comes
// from OrderSeed (train's "order" streams); Lanczos start vectors and trace
// probes from ProbeSeed.
type CurvRun struct {
	Spec      string
	InitSeed  uint64
	OrderSeed uint64
	ProbeSeed uint64
	LR        float64
	Batch     int
	Epochs    int
	Parts     *MNISTParts
	// Tol is the Lanczos relative residual tolerance for lambda_max.
	Tol float64
	// Along the trajectory: lambda_max at initialisation (step 0), at up to
	// ZoomPoints steps spaced evenly in log(step) from step 1 to the end of
	// epoch ZoomEpochs (the early "zoom": curvature changes fastest in the
	// first steps), and at the end of every epoch when EveryEpoch. With
	// none of these, only the end of training is measured.
	ZoomEpochs, ZoomPoints int
	EveryEpoch             bool
	// TraceBudget, if > 0, estimates Tr(H) at the end by Hutch++ with that
	// many Hessian-vector products.
	TraceBudget int
	// AtSteps are further steps at which lambda_max is measured (C3's end
	// of the early phase, fixed in SDE time eta x steps); steps beyond the
	// run are ignored.
	AtSteps []int
	// Matched training loss. The mean loss on the probe examples (eval
	// mode, the examples lambda_max is measured on) is evaluated
	// LossChecks times per epoch at evenly spaced steps, and at every
	// measurement; at the first evaluation at or below each of
	// LossTargets, lambda_max is measured there and kept in
	// CurvResult.Matched, tagged with the targets it is the first to reach.
	LossChecks  int
	LossTargets []float64
	// SharpBatches > 0 measures the batch sharpness (curvature.
	// BatchSharpness on SharpBatches mini-batches of the run's size S,
	// drawn from the training part; the same mini-batches at every
	// measurement) at every end-of-epoch and AtSteps measurement, with the
	// mean mini-batch lambda_max too when SharpLambda.
	SharpBatches int
	SharpLambda  bool

	// onLambda, when set (tests), sees every lambda_max measurement with
	// its operator.
	onLambda func(op *curvature.Network, e *curvature.Eigenpairs) error
}

// CurvPoint is one lambda_max measurement along a trajectory.
type CurvPoint struct {
	Step     int             `json:"step"`
	Epoch    float64         `json:"epoch"` // Step / steps per epoch
	Lambda   jsonfloat.Float `json:"lambda"`
	Residual jsonfloat.Float `json:"residual"` // Lanczos Ritz residual (an eigenvalue lies within it)
	HVPs     int             `json:"hvps"`
	// Loss is the mean loss on the probe examples (eval mode) at the step:
	// the training loss the measurement is matched by.
	Loss jsonfloat.Float `json:"loss"`
	// Sharp is the batch sharpness (Andreyev & Beneventano: the mean over
	// mini-batches of g_B^T H_B g_B / |g_B|^2) and SharpLambda the mean
	// mini-batch lambda_max(H_B), when measured (0 when not).
	Sharp       jsonfloat.Float `json:"batch_sharpness,omitempty"`
	SharpLambda jsonfloat.Float `json:"batch_lambda_max,omitempty"`
	// Targets are the loss targets this measurement is the first to reach
	// (CurvResult.Matched only).
	Targets []float64 `json:"targets,omitempty"`
}

// CurvResult is what a CurvRun measured.
type CurvResult struct {
	Points []CurvPoint `json:"points,omitempty"`
	// Matched are the measurements at the first loss evaluation at or
	// below each CurvRun.LossTargets (in the order reached); a target the
	// run never reached has none.
	Matched []CurvPoint `json:"matched,omitempty"`
	// MinLoss is the lowest probe loss any evaluation saw (NaN when none).
	MinLoss       jsonfloat.Float `json:"min_loss"`
	StepsPerEpoch int             `json:"steps_per_epoch"`
	Steps         int             `json:"steps"`
	Diverged      bool            `json:"diverged,omitempty"`
	DivergedStep  int             `json:"diverged_step,omitempty"`
	// At the end of training (NaN after divergence).
	Lambda    jsonfloat.Float `json:"lambda"`
	Residual  jsonfloat.Float `json:"residual"`
	TrH       jsonfloat.Float `json:"tr_h"`
	TrHSE     jsonfloat.Float `json:"tr_h_se"`
	TrainLoss jsonfloat.Float `json:"train_loss"` // evaluation mode, whole training part
	TrainAcc  jsonfloat.Float `json:"train_acc"`
	ValLoss   jsonfloat.Float `json:"val_loss"`
	ValAcc    jsonfloat.Float `json:"val_acc"`
	HVPs      int             `json:"hvps"` // all Hessian-vector products of the run
	// Seconds is the run's wall time, for logs; not stored, so that a
	// unit's result is deterministic (a sweep stamps its own wall time).
	Seconds float64 `json:"-"`
	// Stamps say how the end-of-training figures were measured.
	LambdaStamp string `json:"lambda_stamp,omitempty"`
	TraceStamp  string `json:"trace_stamp,omitempty"`
}

// lambdaTracker measures lambda_max of the Hessian of the mean loss on the
// probe examples (evaluation mode, weight decay excluded) along one run.
// The first measurement is Lanczos from the run's random start vector
// (ProbeSeed); every later one is warm-started from the previous one's top
// Ritz vector (curvature.LanczosConfig.Start), with a pinch of a random
// vector of its own (ProbeSeed, "lambda-track", measurement index).
//
// Why: a run measures lambda_max 15 to 50 times, and from a random start
// every measurement spends its first products finding the top direction
// again. Consecutive measurements are of nearby Hessians, so the previous
// top Ritz vector starts close to the new top eigenvector. The stopping
// rule stays the rigorous one (Ritz residual <= Tol x lambda_max: an
// eigenvalue lies within it), so a warm start changes the cost, not the
// meaning of the figure. On C3's quick schedule (mlp:784-64-64-10 on MNIST,
// eta 0.05, S 128, 30 measurements over 4 epochs) this took 10.4 -> 7.0
// HVPs per measurement after the first, every value within 2.2e-6 of a
// converged cold Lanczos. The cheaper value rule (StopValue) was not taken:
// warm-started, it stopped on the second eigenvalue where the top two
// crossed between measurements (5% low), and block starts from the top two
// Ritz vectors cost more than they saved (TestCurvRunTrackingAccuracy,
// bench/results/lambdamax_tracking_claims.txt).
type lambdaTracker struct {
	tol   float64
	check func(op *curvature.Network, e *curvature.Eigenpairs) error // CurvRun.onLambda
	seed  uint64
	start [][]float64 // the previous measurement's top Ritz vector
	n     int         // measurements so far
	stamp string      // the first measurement's stamp, with the tracking said
}

func (t *lambdaTracker) measure(ctx context.Context, m *nn.Model, b data.Batch, sel string) (*curvature.Eigenpairs, *curvature.Network, error) {
	op, err := curvature.NewHessian(m, b, curvature.NetworkConfig{Selection: sel})
	if err != nil {
		return nil, nil, err
	}
	cfg := curvature.LanczosConfig{Top: 1, Tol: t.tol, Seed: t.seed, Vectors: true}
	if t.n > 0 {
		cfg.Seed, cfg.Start = rng.Derive(t.seed, "lambda-track", uint64(t.n)), t.start
	}
	e, err := curvature.LanczosContext(ctx, op, cfg)
	if err != nil {
		return nil, nil, err
	}
	t.n++
	if t.check != nil {
		if err := t.check(op, e); err != nil {
			return nil, nil, err
		}
	}
	t.start = [][]float64{e.Top[0].Vector}
	e.Top[0].Vector = nil
	if t.stamp == "" {
		st := e.Stamp
		st.Estimator += "; every later measurement of the run warm-started from the previous one's top Ritz vector"
		t.stamp = st.String()
	}
	return e, op, nil
}

// Run trains and measures. Errors are reserved for what should not happen
// (bad configuration, a cancelled context); a diverging run is a result.
func (r *CurvRun) Run(ctx context.Context) (*CurvResult, error) {
	start := time.Now()
	p := r.Parts
	spec, err := nn.SpecForData(r.Spec, p.Train)
	if err != nil {
		return nil, err
	}
	m, err := nn.New(spec, r.InitSeed)
	if err != nil {
		return nil, err
	}
	spe := p.Train.N / r.Batch
	total := r.Epochs * spe
	nan := jsonfloat.Float(math.NaN())
	res := &CurvResult{StepsPerEpoch: spe, MinLoss: nan}
	zoom := ZoomSteps(r.ZoomEpochs*spe, r.ZoomPoints)
	at := map[int]bool{}
	for _, st := range r.AtSteps {
		if st >= 0 && st <= total {
			at[st] = true
		}
	}
	checks := map[int]bool{}
	if r.LossChecks > 0 && len(r.LossTargets) > 0 {
		for e := 0; e < r.Epochs; e++ {
			for k := 1; k <= r.LossChecks; k++ {
				checks[e*spe+int(math.Round(float64(k)*float64(spe)/float64(r.LossChecks)))] = true
			}
		}
	}
	targets := slices.Clone(r.LossTargets)
	slices.SortFunc(targets, func(a, b float64) int { return cmp.Compare(b, a) }) // descending: the first to be reached first
	// crossed returns (and removes) the targets loss reaches.
	crossed := func(loss float64) []float64 {
		if !(loss <= math.Inf(1)) {
			return nil
		}
		if math.IsNaN(float64(res.MinLoss)) || loss < float64(res.MinLoss) {
			res.MinLoss = jsonfloat.Float(loss)
		}
		n := 0
		for n < len(targets) && loss <= targets[n] {
			n++
		}
		got := targets[:n:n]
		targets = targets[n:]
		return got
	}
	lt := &lambdaTracker{tol: r.Tol, seed: r.ProbeSeed, check: r.onLambda}
	measure := func(step int, sharp bool) (*CurvPoint, error) {
		if n := len(res.Points); n > 0 && res.Points[n-1].Step == step {
			return &res.Points[n-1], nil
		}
		e, op, err := lt.measure(ctx, m, p.Probe, p.ProbeSel)
		if err != nil {
			return nil, fmt.Errorf("lambda_max at step %d: %w", step, err)
		}
		res.HVPs += e.Applications
		res.LambdaStamp = lt.stamp
		loss, _ := op.Loss()
		pt := CurvPoint{
			Step: step, Epoch: float64(step) / float64(spe),
			Lambda: jsonfloat.Float(e.Top[0].Value), Residual: jsonfloat.Float(e.Top[0].Residual), HVPs: e.Applications,
			Loss: jsonfloat.Float(loss),
		}
		if sharp && r.SharpBatches > 0 {
			b, err := curvature.BatchSharpness(ctx, m, p.Train, curvature.BatchSharpnessConfig{
				Batches: r.SharpBatches, Batch: r.Batch, Seed: r.ProbeSeed, Lambda: r.SharpLambda})
			if err != nil {
				return nil, fmt.Errorf("batch sharpness at step %d: %w", step, err)
			}
			res.HVPs += b.Applications
			pt.Sharp, pt.SharpLambda = jsonfloat.Float(b.Sharpness), jsonfloat.Float(b.Lambda)
			if !r.SharpLambda {
				pt.SharpLambda = 0
			}
		}
		return &pt, nil
	}
	// point measures lambda_max at step for the trajectory (and, when its
	// loss reaches targets, as a matched point too).
	point := func(step int, sharp bool) error {
		pt, err := measure(step, sharp)
		if err != nil {
			return err
		}
		if n := len(res.Points); n == 0 || res.Points[n-1].Step != step {
			res.Points = append(res.Points, *pt)
		}
		if got := crossed(float64(pt.Loss)); len(got) > 0 {
			q := *pt
			q.Targets = got
			res.Matched = append(res.Matched, q)
		}
		return nil
	}
	// check evaluates the probe loss at step and measures a matched point
	// when it reaches a target.
	check := func(step int) error {
		if len(targets) == 0 {
			return nil
		}
		l, _ := m.Evaluate(p.Probe)
		got := crossed(l)
		if len(got) == 0 {
			return nil
		}
		pt, err := measure(step, false)
		if err != nil {
			return err
		}
		q := *pt
		q.Loss, q.Targets = jsonfloat.Float(l), got
		res.Matched = append(res.Matched, q)
		return nil
	}
	if len(zoom) > 0 || r.EveryEpoch || len(at) > 0 || len(targets) > 0 {
		if err := point(0, r.EveryEpoch); err != nil {
			return nil, err
		}
	}
	cfg := train.Config{
		Model: m, Train: p.Train, Epochs: r.Epochs,
		LR: optim.ConstantLR(r.LR), Batch: optim.ConstantBatch(r.Batch), Seed: r.OrderSeed,
		// OnStep runs after the update of step s: a measurement "at step s"
		// sees the parameters after s updates.
		OnStep: func(s *train.StepInfo) error {
			if ctx.Err() != nil { // every step: a CNN step can take a second
				return ctx.Err()
			}
			endOfEpoch := s.Step%spe == 0 && r.EveryEpoch
			if len(zoom) > 0 && s.Step == zoom[0] {
				zoom = zoom[1:]
				if !endOfEpoch {
					if err := point(s.Step, false); err != nil {
						return err
					}
				}
			}
			if at[s.Step] && !endOfEpoch {
				if err := point(s.Step, true); err != nil {
					return err
				}
			}
			if checks[s.Step] && !endOfEpoch {
				return check(s.Step)
			}
			return nil
		},
		OnEpoch: func(e *train.EpochStats) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r.EveryEpoch {
				return point(e.Steps, true)
			}
			return nil
		},
	}
	tr, err := train.Run(cfg)
	if err != nil {
		return nil, err
	}
	res.Steps = tr.Steps
	res.Lambda, res.Residual, res.TrH, res.TrHSE = nan, nan, nan, nan
	res.TrainLoss, res.TrainAcc, res.ValLoss, res.ValAcc = nan, nan, nan, nan
	if tr.Diverged || m.CheckFinite() != nil {
		res.Diverged, res.DivergedStep = true, tr.DivergedStep
		res.Seconds = time.Since(start).Seconds()
		return res, nil
	}
	l, hits := m.Evaluate(p.Train.All())
	res.TrainLoss, res.TrainAcc = jsonfloat.Float(l), jsonfloat.Float(float64(hits)/float64(p.Train.N))
	l, hits = m.Evaluate(p.Val.All())
	res.ValLoss, res.ValAcc = jsonfloat.Float(l), jsonfloat.Float(float64(hits)/float64(p.Val.N))
	// lambda_max at the end: the last trajectory point when it is there.
	if n := len(res.Points); n > 0 && res.Points[n-1].Step == res.Steps {
		res.Lambda, res.Residual = res.Points[n-1].Lambda, res.Points[n-1].Residual
	}
	var op *curvature.Network
	if math.IsNaN(float64(res.Lambda)) {
		e, o, err := lt.measure(ctx, m, p.Probe, p.ProbeSel)
		if err != nil {
			return nil, fmt.Errorf("lambda_max at the end: %w", err)
		}
		op = o
		res.HVPs += e.Applications
		res.Lambda, res.Residual = jsonfloat.Float(e.Top[0].Value), jsonfloat.Float(e.Top[0].Residual)
		res.LambdaStamp = lt.stamp
		if len(targets) > 0 {
			loss, _ := op.Loss()
			if got := crossed(loss); len(got) > 0 {
				res.Matched = append(res.Matched, CurvPoint{Step: res.Steps, Epoch: float64(res.Steps) / float64(spe),
					Lambda: res.Lambda, Residual: res.Residual, HVPs: e.Applications, Loss: jsonfloat.Float(loss), Targets: got})
			}
		}
	}
	if r.TraceBudget > 0 {
		if op == nil { // lambda_max at the end was the last trajectory point
			if op, err = curvature.NewHessian(m, p.Probe, curvature.NetworkConfig{Selection: p.ProbeSel}); err != nil {
				return nil, err
			}
		}
		t, err := curvature.HutchPlusPlusContext(ctx, op, curvature.TraceConfig{Budget: r.TraceBudget, Seed: r.ProbeSeed})
		if err != nil {
			return nil, fmt.Errorf("Tr(H) at the end: %w", err)
		}
		res.HVPs += t.Applications
		res.TrH, res.TrHSE = jsonfloat.Float(t.Value), jsonfloat.Float(t.StdErr)
		res.TraceStamp = t.Stamp.String()
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// ZoomSteps returns up to n distinct steps in [1, last] spaced evenly in
// log(step), rounded, ascending, last included (none when n or last is 0).
func ZoomSteps(last, n int) []int {
	if n < 1 || last < 1 {
		return nil
	}
	var out []int
	for k := 1; k <= n; k++ {
		s := int(math.Round(math.Pow(float64(last), float64(k)/float64(n))))
		if len(out) == 0 || s > out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// SeedInterval is the interval over seeds of xs at level: stats.GeoMeanT
// when geo (a scale quantity such as a curvature), stats.MeanT otherwise;
// the NaN interval when it cannot be formed.
func SeedInterval(xs []float64, geo bool, level float64) stats.Interval {
	var iv stats.Interval
	var err error
	if geo {
		iv, err = stats.GeoMeanT(xs, level)
	} else {
		iv, err = stats.MeanT(xs, level)
	}
	if err != nil {
		return stats.NaNInterval()
	}
	return iv
}

// LossLadder is the ladder of training-loss targets of the matched-loss
// comparisons (C1, C3), fixed before any result was seen: 1-2-3-5 steps
// from 2 (about chance for ten classes, ln 10 = 2.3) down to 0.001.
var LossLadder = []float64{2, 1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.002, 0.001}

// MatchedAt returns the run's measurement at the first loss evaluation at
// or below target (false when the run never reached it).
func (r *CurvResult) MatchedAt(target float64) (CurvPoint, bool) {
	for _, p := range r.Matched {
		if slices.Contains(p.Targets, target) {
			return p, true
		}
	}
	return CurvPoint{}, false
}

// MatchedTarget is the matched training loss of a set of runs: the lowest
// rung of ladder that every run reached (false when one of them diverged
// or reached none). Every run is then compared at the first measurement at
// or below that loss.
func MatchedTarget(runs []*CurvResult, ladder []float64) (float64, bool) {
	best, ok := math.NaN(), false
	for _, t := range ladder {
		all := len(runs) > 0
		for _, r := range runs {
			if r.Diverged {
				return math.NaN(), false
			}
			if _, hit := r.MatchedAt(t); !hit {
				all = false
				break
			}
		}
		if all && (!ok || t < best) {
			best, ok = t, true
		}
	}
	return best, ok
}
