package claims

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/curvature"
)

// TestCurvRunTrackingAccuracy: lambda_max tracked along real trajectories
// (C3's zoom-and-epoch schedule, C1's matched-loss schedule) of the quick
// setups' model on MNIST and Fashion-MNIST agrees with a converged Lanczos
// from a random start on the same operator to 1e-3 relative at every
// measurement; the first measurement starts cold, the later ones warm.
func TestCurvRunTrackingAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real data: a minute on two cores")
	}
	for _, data := range []string{"mnist", "fashion-mnist"} {
		t.Run(data, func(t *testing.T) {
			parts, err := LoadMNISTParts(&Env{Data: data}, 50000, 10000, 2048)
			if err != nil {
				t.Skipf("%s not available here: %v", data, err)
			}
			for _, tc := range []struct {
				name string
				p    GridPoint
				set  func(r *CurvRun)
			}{
				{"c3-schedule", GridPoint{LR: 0.05, Batch: 128}, func(r *CurvRun) {
					r.Epochs, r.ZoomEpochs, r.ZoomPoints, r.EveryEpoch = 2, 1, 24, true
				}},
				{"c1-schedule", GridPoint{LR: 0.2, Batch: 64}, func(r *CurvRun) {
					r.Epochs = 2
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := NewCurvRun("c3", "mlp:784-64-64-10", tc.p, 0, 1)
					r.Parts, r.Tol, r.LossChecks, r.LossTargets = parts, 1e-3, 10, LossLadder
					tc.set(&r)
					var n, hvps, warm int
					worst := 0.0
					r.onLambda = func(op *curvature.Network, e *curvature.Eigenpairs) error {
						ref, err := curvature.Lanczos(op, curvature.LanczosConfig{Tol: 1e-6, MaxIter: 300, Seed: 99})
						if err != nil {
							return err
						}
						rel := math.Abs(e.Top[0].Value-ref.Top[0].Value) / ref.Top[0].Value
						worst = math.Max(worst, rel)
						if rel > 1e-3 {
							t.Errorf("measurement %d: lambda_max %.6g, converged reference %.6g (%d HVPs): %.2e relative",
								n, e.Top[0].Value, ref.Top[0].Value, ref.Applications, rel)
						}
						if n > 0 {
							hvps += e.Applications
						}
						if strings.Contains(e.Stamp.Estimator, "warm start") {
							warm++
						}
						n++
						return nil
					}
					res, err := r.Run(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if res.Diverged || n < 3 {
						t.Fatalf("diverged %v, %d measurements", res.Diverged, n)
					}
					if warm != n-1 {
						t.Errorf("%d of %d measurements warm-started, want all but the first", warm, n)
					}
					t.Logf("%d measurements, %.2f HVPs each after the first, worst %.2e relative to the converged reference",
						n, float64(hvps)/float64(n-1), worst)
				})
			}
		})
	}
}
