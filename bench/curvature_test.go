package bench

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
)

// The tracking benchmark's trajectories: mlp:784-128-128-10 trained by
// plain SGD (lr 0.1, batch 64, seed 1) on MNIST from initialisation,
// snapshotted trackPoints times, every 1, 5 or 25 steps; lambda_max of each
// snapshot's Hessian on the first 1024 training images.
const (
	trackModel  = "mlp:784-128-128-10"
	trackPoints = 13
)

type trackPoint struct {
	op  *curvature.Network
	ref float64 // lambda_max converged to a residual of 1e-5 relative
}

var (
	trackMu  sync.Mutex
	trackFix = map[int][]trackPoint{}
)

func trajectory(b *testing.B, every int) []trackPoint {
	b.Helper()
	trackMu.Lock()
	defer trackMu.Unlock()
	if pts, ok := trackFix[every]; ok {
		return pts
	}
	var pts []trackPoint
	trackErr := func() error {
		train := mnistTrain(b)
		head, err := train.Head(1024)
		if err != nil {
			return err
		}
		m, err := nn.New(trackModel, 1)
		if err != nil {
			return err
		}
		const s = 64
		order := data.NewEpochOrder(train.N, 1, 0)
		grad := make([]float32, m.NumParams())
		opt := &optim.SGD{}
		var batch data.Batch
		for step := 0; len(pts) < trackPoints; step++ {
			if step%every == 0 {
				op, err := curvature.NewHessian(m, head.All(), curvature.NetworkConfig{})
				if err != nil {
					return err
				}
				r, err := curvature.Lanczos(op, curvature.LanczosConfig{Tol: 1e-5, MaxIter: 200, Seed: 99})
				if err != nil {
					return err
				}
				pts = append(pts, trackPoint{op: op, ref: r.Top[0].Value})
			}
			train.Gather(order[step*s:(step+1)*s], &batch)
			m.LossGrad(batch, true, grad)
			opt.Step(m.Params(), grad, 0.1)
		}
		return nil
	}()
	if trackErr != nil {
		b.Fatal(trackErr)
	}
	trackFix[every] = pts
	return pts
}

// BenchmarkLambdaMaxTracking measures lambda_max at every snapshot of a
// trajectory (one op is one pass over its snapshots) to 1e-3, from a random
// start every time ("cold") or from the previous snapshot's top Ritz
// vector ("warm"), with the value or the residual stopping rule.
// hvps/measurement counts the measurements after the first (the first is
// cold either way); maxrelerr is the worst error against the converged
// reference over all of them.
func BenchmarkLambdaMaxTracking(b *testing.B) {
	for _, every := range []int{1, 5, 25} {
		for _, stop := range []curvature.Stop{curvature.StopResidual, curvature.StopValue} {
			for _, warm := range []bool{false, true} {
				name := "cold"
				if warm {
					name = "warm"
				}
				b.Run(fmt.Sprintf("every=%d/%v/%s", every, stop, name), func(b *testing.B) {
					benchTracking(b, trajectory(b, every), stop, warm)
				})
			}
		}
	}
}

func benchTracking(b *testing.B, pts []trackPoint, stop curvature.Stop, warm bool) {
	var hvps, measured int
	worst := 0.0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var start [][]float64
		for j, p := range pts {
			cfg := curvature.LanczosConfig{Tol: 1e-3, Stop: stop, Seed: uint64(j), Vectors: warm, Start: start}
			r, err := curvature.Lanczos(p.op, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if j > 0 {
				hvps += r.Applications
				measured++
			}
			worst = math.Max(worst, math.Abs(r.Top[0].Value-p.ref)/p.ref)
			if warm {
				start = [][]float64{r.Top[0].Vector}
			}
		}
	}
	b.ReportMetric(float64(hvps)/float64(measured), "hvps/measurement")
	b.ReportMetric(worst, "maxrelerr")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts))/1e6, "ms/measurement")
}
