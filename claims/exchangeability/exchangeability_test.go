package exchangeability

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// TestClaimC1 runs every quick setup of C1 and asserts its verdict and
// figures against goldens/c1-<setup>.json (rewrite with -update), then what
// must be true of the run whatever the verdict: every run finished and was
// measured, the matched-loss comparison could be formed, and the large-beta
// members are reported.
func TestClaimC1(t *testing.T) {
	claimtest.Setups(t, "c1", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		for _, p := range rec.Points {
			if len(p.Runs) != len(res.Evidence.Seeds) {
				t.Errorf("eta=%g S=%d: %d runs for %d seeds", p.LR, p.Batch, len(p.Runs), len(res.Evidence.Seeds))
			}
			for _, r := range p.Runs {
				if p.Role != roleBreak && r.Diverged {
					t.Errorf("eta=%g S=%d seed %d diverged", p.LR, p.Batch, r.Seed)
				}
				// Lanczos met its tolerance: the residual bounds the error.
				if !r.Diverged && !(float64(r.Residual) <= 2e-3*float64(r.Lambda)) {
					t.Errorf("eta=%g S=%d seed %d: lambda_max %g with residual %g", p.LR, p.Batch, r.Seed, float64(r.Lambda), float64(r.Residual))
				}
				// Training did something: well above chance (10%). Break
				// members are allowed to fail.
				if p.Role != roleBreak && !(r.ValAcc > 0.7) {
					t.Errorf("eta=%g S=%d seed %d: validation accuracy %g", p.LR, p.Batch, r.Seed, float64(r.ValAcc))
				}
				for _, q := range r.Matched {
					for _, tg := range q.Targets {
						if !(float64(q.Loss) <= tg) {
							t.Errorf("eta=%g S=%d seed %d: matched point at loss %g for target %g", p.LR, p.Batch, r.Seed, float64(q.Loss), tg)
						}
					}
				}
			}
		}
		sum := summarise(rec)
		if sum.TargetErr != "" {
			t.Errorf("no matched training loss: %s", sum.TargetErr)
		}
		if len(sum.Breaks) != 2 || len(sum.Betas) != 5 {
			t.Fatalf("%d break members and %d beta members measured, want 2 and 5", len(sum.Breaks), len(sum.Betas))
		}
		if math.IsNaN(res.Evidence.Figures["c/spearman_rho"]) || math.IsNaN(res.Evidence.Figures["e/matched_spearman_rho"]) {
			t.Error("Spearman rho not computed")
		}
	})
}

// TestRegistration: C1's checks are registered, locked at their version,
// and the lock of every golden's registration precedes the golden in git.
func TestRegistration(t *testing.T) {
	c, err := claims.Lookup("c1")
	if err != nil {
		t.Fatal(err)
	}
	claimtest.Registered(t, c)
	claimtest.RegisteredBefore(t, "c1")
}

// TestC1Info: both scales' setups are complete and distinct.
func TestC1Info(t *testing.T) { claimtest.Info(t, Claim{}) }

// TestC1Grid checks both scales' grids against the design: one ratio for
// the family and the break members, controls at exactly 4x lower and
// higher, batches that fit the training set.
func TestC1Grid(t *testing.T) {
	for _, sp := range append(claims.Specs(Claim{}, claims.Quick), claims.Specs(Claim{}, claims.Full)...) {
		cfg, sc := sp.Config.(config), sp.Scale+" "+claims.Scale(sp.SetupID)
		fam := math.NaN()
		var lo, hi bool
		for _, p := range cfg.Points {
			if p.Role == roleFamily {
				fam = p.Ratio()
				break
			}
		}
		for _, p := range cfg.Points {
			r := p.Ratio() / fam
			switch p.Role {
			case roleFamily, roleBreak:
				if math.Abs(r-1) > 1e-12 {
					t.Errorf("%s: %s point (%g, %d) has ratio %g x the family's", sc, p.Role, p.LR, p.Batch, r)
				}
			case roleControl:
				lo = lo || math.Abs(r-0.25) < 1e-12
				hi = hi || math.Abs(r-4) < 1e-12
			case roleGrid:
			default:
				t.Errorf("%s: unknown role %q", sc, p.Role)
			}
			if p.Batch > cfg.TrainN || p.LR <= 0 {
				t.Errorf("%s: point (%g, %d) cannot run on %d examples", sc, p.LR, p.Batch, cfg.TrainN)
			}
		}
		if !lo || !hi {
			t.Errorf("%s: controls at 4x lower (%v) and 4x higher (%v) ratio required", sc, lo, hi)
		}
	}
}
