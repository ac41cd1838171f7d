package lockin

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// TestClaimC3 runs every quick setup of C3 and asserts its verdict and
// figures against goldens/c3-<setup>.json (rewrite with -update), then what
// must be true of the trajectories whatever the verdict: every run trained,
// was measured at every planned point (the end of the early phase in SDE
// time included), Lanczos met its tolerance, and the batch sharpness and
// matched-loss measurements are there.
func TestClaimC3(t *testing.T) {
	claimtest.Setups(t, "c3", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		cfg := res.Evidence.Spec.Config.(config)
		for _, p := range rec.Points {
			if len(p.Runs) != len(res.Evidence.Seeds) {
				t.Errorf("eta=%g S=%d: %d runs for %d seeds", p.LR, p.Batch, len(p.Runs), len(res.Evidence.Seeds))
			}
			for _, r := range p.Runs {
				if r.Diverged {
					t.Errorf("eta=%g S=%d seed %d diverged", p.LR, p.Batch, r.Seed)
					continue
				}
				steps := map[int]bool{0: true, p.EarlyStep: true}
				for _, z := range claims.ZoomSteps(cfg.ZoomEpochs*r.StepsPerEpoch, cfg.ZoomPoints) {
					steps[z] = true
				}
				for e := 1; e <= cfg.Epochs; e++ {
					steps[e*r.StepsPerEpoch] = true
				}
				if len(r.Points) != len(steps) {
					t.Errorf("eta=%g S=%d seed %d: %d measurements, want %d", p.LR, p.Batch, r.Seed, len(r.Points), len(steps))
				}
				for _, q := range r.Points {
					if !(float64(q.Residual) <= 2e-3*float64(q.Lambda)) {
						t.Errorf("eta=%g S=%d seed %d step %d: lambda_max %g with residual %g", p.LR, p.Batch, r.Seed, q.Step, float64(q.Lambda), float64(q.Residual))
					}
					if q.Step > 0 && q.Step%r.StepsPerEpoch == 0 && !(q.Sharp > 0) {
						t.Errorf("eta=%g S=%d seed %d step %d: batch sharpness %g", p.LR, p.Batch, r.Seed, q.Step, float64(q.Sharp))
					}
				}
				if r.Points[len(r.Points)-1].Step != r.Steps {
					t.Errorf("eta=%g S=%d seed %d: last measurement at step %d of %d", p.LR, p.Batch, r.Seed, r.Points[len(r.Points)-1].Step, r.Steps)
				}
			}
		}
		if sum := summarise(rec); sum.TargetErr != "" {
			t.Errorf("no matched training loss: %s", sum.TargetErr)
		}
	})
}

// TestRegistration: C3's checks are registered, locked at their version,
// and the lock of every golden's registration precedes the golden in git.
func TestRegistration(t *testing.T) {
	c, err := claims.Lookup("c3")
	if err != nil {
		t.Fatal(err)
	}
	claimtest.Registered(t, c)
	claimtest.RegisteredBefore(t, "c3")
}

// TestC3Info: both scales' setups are complete and distinct.
func TestC3Info(t *testing.T) { claimtest.Info(t, Claim{}) }

// TestC3Grid checks both scales' grids: eta varied at one S, S varied at
// one eta, distinct ratios, an early phase inside training.
func TestC3Grid(t *testing.T) {
	for _, sp := range append(claims.Specs(Claim{}, claims.Quick), claims.Specs(Claim{}, claims.Full)...) {
		cfg, sc := sp.Config.(config), sp.Scale+" "+claims.Scale(sp.SetupID)
		seen := map[float64]bool{}
		for _, p := range cfg.Points {
			if seen[p.Ratio()] {
				t.Errorf("%s: ratio %g appears twice", sc, p.Ratio())
			}
			seen[p.Ratio()] = true
			if p.Batch > cfg.TrainN {
				t.Errorf("%s: batch %d > %d examples", sc, p.Batch, cfg.TrainN)
			}
		}
		if e := cfg.earlyEpoch(); e < 1 || e >= cfg.Epochs || e < cfg.ZoomEpochs {
			t.Errorf("%s: early phase ends at epoch %d of %d (zoom %d)", sc, e, cfg.Epochs, cfg.ZoomEpochs)
		}
		// The early phase in SDE time: the same eta x steps everywhere,
		// inside every run.
		for _, p := range cfg.Points {
			st := cfg.earlyStep(p)
			if st < 1 || st >= cfg.Epochs*(cfg.TrainN/p.Batch) || math.Abs(p.LR*float64(st)-cfg.earlySDE()) > p.LR {
				t.Errorf("%s: (%g, %d): early step %d for SDE time %g", sc, p.LR, p.Batch, st, cfg.earlySDE())
			}
		}
	}
	if e := (config{EarlyFrac: 0.1, Epochs: 10}).earlyEpoch(); e != 1 {
		t.Errorf("early epoch %d, want 1", e)
	}
}
