package lockin

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// TestClaimC3 runs C3 at the quick scale and asserts its verdict and figures
// against goldens/c3.json (rewrite with -update), then what must be true of
// the trajectories whatever the verdict: every run trained, was measured at
// every planned point, and Lanczos met its tolerance.
func TestClaimC3(t *testing.T) {
	c, err := claims.Lookup("c3")
	if err != nil {
		t.Fatal(err)
	}
	res := claimtest.Golden(t, "c3")
	claimtest.Evidence(t, c, res)

	var rec record
	if err := res.Evidence.GetMeasurements(&rec); err != nil {
		t.Fatal(err)
	}
	cfg := Claim{}.config(claims.Quick)
	for _, p := range rec.Points {
		if len(p.Runs) != len(res.Evidence.Seeds) {
			t.Errorf("eta=%g S=%d: %d runs for %d seeds", p.LR, p.Batch, len(p.Runs), len(res.Evidence.Seeds))
		}
		for _, r := range p.Runs {
			if r.Diverged {
				t.Errorf("eta=%g S=%d seed %d diverged", p.LR, p.Batch, r.Seed)
				continue
			}
			// init + zoom + one per epoch, less the zoom's last point,
			// which is the end of an epoch.
			if want := len(claims.ZoomSteps(cfg.ZoomEpochs*r.StepsPerEpoch, cfg.ZoomPoints)) + cfg.Epochs; len(r.Points) != want {
				t.Errorf("eta=%g S=%d seed %d: %d measurements, want about %d", p.LR, p.Batch, r.Seed, len(r.Points), want)
			}
			for _, q := range r.Points {
				if !(float64(q.Residual) <= 2e-3*float64(q.Lambda)) {
					t.Errorf("eta=%g S=%d seed %d step %d: lambda_max %g with residual %g", p.LR, p.Batch, r.Seed, q.Step, float64(q.Lambda), float64(q.Residual))
				}
			}
			if r.Points[len(r.Points)-1].Step != r.Steps {
				t.Errorf("eta=%g S=%d seed %d: last measurement at step %d of %d", p.LR, p.Batch, r.Seed, r.Points[len(r.Points)-1].Step, r.Steps)
			}
		}
	}
}

// TestC3Grid checks both scales' grids: eta varied at one S, S varied at
// one eta, distinct ratios, an early phase inside training.
func TestC3Grid(t *testing.T) {
	for _, sc := range []claims.Scale{claims.Quick, claims.Full} {
		cfg := Claim{}.config(sc)
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
	}
	if e := (config{EarlyFrac: 0.1, Epochs: 10}).earlyEpoch(); e != 1 {
		t.Errorf("early epoch %d, want 1", e)
	}
}
