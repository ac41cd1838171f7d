package bench

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/train"
)

// The curvature side of `make bench-compare` (bench/compare/): the problem
// of bench/compare/pytorch_mlp.py, mlp:784-512-512-10 on the first 1024
// MNIST training images, at initialisation and after one epoch of plain
// SGD (lr 0.1, batch 64, seed 1), and a short trajectory from there
// (trackSteps more SGD steps, one apart). Every sub-benchmark is meant for
// -benchtime 1x: one op is one whole measurement.
const (
	compareImages = 1024
	trackSteps    = 6
	hvpReps       = 8
)

type compareFixture struct {
	head  data.Batch
	init  *nn.Model
	epoch *nn.Model
	track []*nn.Model // the epoch-1 model, then trackSteps SGD steps
}

var (
	compareOnce sync.Once
	compareFix  *compareFixture
	compareErr  error
)

func comparison(b *testing.B) *compareFixture {
	b.Helper()
	compareOnce.Do(func() {
		compareFix, compareErr = newCompareFixture(mnistTrain(b))
	})
	if compareErr != nil {
		b.Fatal(compareErr)
	}
	return compareFix
}

func newCompareFixture(trainSet *data.Dataset) (*compareFixture, error) {
	head, err := trainSet.Head(compareImages)
	if err != nil {
		return nil, err
	}
	m, err := nn.New(benchModel, 1)
	if err != nil {
		return nil, err
	}
	f := &compareFixture{head: head.All(), init: m.Clone()}
	lr, _ := optim.ParseLR(0.1, "const")
	bs, _ := optim.ParseBatch(64, "const")
	if _, err := train.Run(train.Config{Model: m, Train: trainSet, Epochs: 1, LR: lr, Batch: bs, Seed: 1}); err != nil {
		return nil, err
	}
	f.epoch = m.Clone()
	order := data.NewEpochOrder(trainSet.N, 2, 0)
	grad := make([]float32, m.NumParams())
	var batch data.Batch
	opt := &optim.SGD{}
	f.track = append(f.track, m.Clone())
	for s := 0; s < trackSteps; s++ {
		trainSet.Gather(order[s*64:(s+1)*64], &batch)
		m.LossGrad(batch, true, grad)
		opt.Step(m.Params(), grad, 0.1)
		f.track = append(f.track, m.Clone())
	}
	return f, nil
}

// BenchmarkCompareCurvature: hvp is one Hessian-vector product on kept
// passes (ms/hvp, the median of hvpReps); lambdamax is lambda_max at
// epoch 1 to 1e-3 from a random start (Lanczos, value rule; power is our
// PyHessian power iteration on the same operator, for the HVP count);
// tracking measures lambda_max at each point of the trajectory, Lanczos
// warm-started from the previous top Ritz vector with the residual rule at
// 1e-3 (ms/measurement and hvps/measurement after the first); trace/<est>
// is the trace at epoch 1 with 100 HVPs (stderr, relse = stderr/trace), by
// Hutchinson and Hutch++ (XTrace has a smaller error bar here but takes
// twice Hutch++'s time; core/curvature's BenchmarkTraceXTrace100 has it).
// Times include building the kept passes, as pytorch_mlp.py's do.
func BenchmarkCompareCurvature(b *testing.B) {
	f := comparison(b)
	b.Run("hvp", func(b *testing.B) {
		op, err := curvature.NewHessian(f.init, f.head, curvature.NetworkConfig{})
		if err != nil {
			b.Fatal(err)
		}
		v, out := make([]float64, op.Dim()), make([]float64, op.Dim())
		for i := range v {
			v[i] = math.Sin(float64(i))
		}
		op.Apply(v, out) // builds the kept passes
		var ms []float64
		b.ResetTimer()
		for i := 0; i < b.N*hvpReps; i++ {
			c0 := nowNanos()
			op.Apply(v, out)
			ms = append(ms, float64(nowNanos()-c0)/1e6)
		}
		b.ReportMetric(median(ms), "ms/hvp")
	})
	lambda := func(name string, run func(op curvature.Operator, seed uint64) (*curvature.Eigenpairs, error)) {
		b.Run("lambdamax/"+name, func(b *testing.B) {
			var hvps []float64
			var val float64
			for i := 0; i < b.N; i++ {
				op, err := curvature.NewHessian(f.epoch, f.head, curvature.NetworkConfig{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := run(op, uint64(i+1))
				if err != nil {
					b.Fatal(err)
				}
				hvps = append(hvps, float64(r.Applications))
				val = r.Top[0].Value
			}
			b.ReportMetric(median(hvps), "hvps/op")
			b.ReportMetric(val, "lambda")
		})
	}
	lambda("lanczos", func(op curvature.Operator, seed uint64) (*curvature.Eigenpairs, error) {
		return curvature.Lanczos(op, curvature.LanczosConfig{Tol: 1e-3, Stop: curvature.StopValue, Seed: seed})
	})
	lambda("power", func(op curvature.Operator, seed uint64) (*curvature.Eigenpairs, error) {
		return curvature.PowerIteration(op, curvature.PowerConfig{Seed: seed})
	})
	b.Run("tracking", func(b *testing.B) {
		var hvps, measured int
		var ns int64
		for i := 0; i < b.N; i++ {
			var start [][]float64
			for j, m := range f.track {
				c0 := nowNanos()
				op, err := curvature.NewHessian(m, f.head, curvature.NetworkConfig{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := curvature.Lanczos(op, curvature.LanczosConfig{Tol: 1e-3, Stop: curvature.StopResidual,
					Seed: uint64(j), Vectors: true, Start: start})
				if err != nil {
					b.Fatal(err)
				}
				if j > 0 {
					ns += nowNanos() - c0
					hvps += r.Applications
					measured++
				}
				start = [][]float64{r.Top[0].Vector}
			}
		}
		b.ReportMetric(float64(ns)/float64(measured)/1e6, "ms/measurement")
		b.ReportMetric(float64(hvps)/float64(measured), "hvps/measurement")
	})
	for _, e := range []struct {
		name string
		est  func(curvature.Operator, curvature.TraceConfig) (*curvature.TraceEstimate, error)
	}{{"Hutchinson", curvature.Hutchinson}, {"HutchPlusPlus", curvature.HutchPlusPlus}} {
		b.Run(fmt.Sprintf("trace/%s", e.name), func(b *testing.B) {
			var r *curvature.TraceEstimate
			for i := 0; i < b.N; i++ {
				op, err := curvature.NewHessian(f.epoch, f.head, curvature.NetworkConfig{})
				if err != nil {
					b.Fatal(err)
				}
				if r, err = e.est(op, curvature.TraceConfig{Budget: 100, Seed: uint64(i + 1)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(r.Value, "trace")
			b.ReportMetric(r.StdErr, "stderr")
			b.ReportMetric(r.StdErr/r.Value, "relse")
		})
	}
}

func nowNanos() int64 { return time.Now().UnixNano() }

// median returns the median of x (sorting a copy).
func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
