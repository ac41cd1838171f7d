package claims

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
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
}

// CurvPoint is one lambda_max measurement along a trajectory.
type CurvPoint struct {
	Step     int             `json:"step"`
	Epoch    float64         `json:"epoch"` // Step / steps per epoch
	Lambda   jsonfloat.Float `json:"lambda"`
	Residual jsonfloat.Float `json:"residual"` // Lanczos Ritz residual (an eigenvalue lies within it)
	HVPs     int             `json:"hvps"`
}

// CurvResult is what a CurvRun measured.
type CurvResult struct {
	Points        []CurvPoint `json:"points,omitempty"`
	StepsPerEpoch int         `json:"steps_per_epoch"`
	Steps         int         `json:"steps"`
	Diverged      bool        `json:"diverged,omitempty"`
	DivergedStep  int         `json:"diverged_step,omitempty"`
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

// topEigen returns lambda_max of the Hessian of m's mean loss on b by
// Lanczos (evaluation mode, weight decay excluded).
func topEigen(ctx context.Context, m *nn.Model, b data.Batch, sel string, tol float64, seed uint64) (*curvature.Eigenpairs, *curvature.Network, error) {
	op, err := curvature.NewHessian(m, b, curvature.NetworkConfig{Selection: sel})
	if err != nil {
		return nil, nil, err
	}
	e, err := curvature.LanczosContext(ctx, op, curvature.LanczosConfig{Top: 1, Tol: tol, Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	return e, op, nil
}

// Run trains and measures. Errors are reserved for what should not happen
// (bad configuration, a cancelled context); a diverging run is a result.
func (r *CurvRun) Run(ctx context.Context) (*CurvResult, error) {
	start := time.Now()
	p := r.Parts
	m, err := nn.New(r.Spec, r.InitSeed)
	if err != nil {
		return nil, err
	}
	spe := p.Train.N / r.Batch
	res := &CurvResult{StepsPerEpoch: spe}
	zoom := ZoomSteps(r.ZoomEpochs*spe, r.ZoomPoints)
	measure := func(step int) error {
		if n := len(res.Points); n > 0 && res.Points[n-1].Step == step {
			return nil
		}
		e, _, err := topEigen(ctx, m, p.Probe, p.ProbeSel, r.Tol, r.ProbeSeed)
		if err != nil {
			return fmt.Errorf("lambda_max at step %d: %w", step, err)
		}
		res.HVPs += e.Applications
		if res.LambdaStamp == "" {
			res.LambdaStamp = e.Stamp.String()
		}
		res.Points = append(res.Points, CurvPoint{
			Step: step, Epoch: float64(step) / float64(spe),
			Lambda: jsonfloat.Float(e.Top[0].Value), Residual: jsonfloat.Float(e.Top[0].Residual), HVPs: e.Applications,
		})
		return nil
	}
	if len(zoom) > 0 || r.EveryEpoch {
		if err := measure(0); err != nil {
			return nil, err
		}
	}
	cfg := train.Config{
		Model: m, Train: p.Train, Epochs: r.Epochs,
		LR: optim.ConstantLR(r.LR), Batch: optim.ConstantBatch(r.Batch), Seed: r.OrderSeed,
		OnStep: func(s *train.StepInfo) error {
			if s.Step%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if len(zoom) > 0 && s.Step == zoom[0] {
				zoom = zoom[1:]
				return measure(s.Step)
			}
			return nil
		},
		OnEpoch: func(e *train.EpochStats) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r.EveryEpoch {
				return measure(e.Steps)
			}
			return nil
		},
	}
	tr, err := train.Run(cfg)
	if err != nil {
		return nil, err
	}
	res.Steps = tr.Steps
	nan := jsonfloat.Float(math.NaN())
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
	if math.IsNaN(float64(res.Lambda)) || r.TraceBudget > 0 {
		e, o, err := topEigen(ctx, m, p.Probe, p.ProbeSel, r.Tol, r.ProbeSeed)
		if err != nil {
			return nil, fmt.Errorf("lambda_max at the end: %w", err)
		}
		op = o
		res.HVPs += e.Applications
		res.Lambda, res.Residual = jsonfloat.Float(e.Top[0].Value), jsonfloat.Float(e.Top[0].Residual)
		if res.LambdaStamp == "" {
			res.LambdaStamp = e.Stamp.String()
		}
	}
	if r.TraceBudget > 0 {
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
