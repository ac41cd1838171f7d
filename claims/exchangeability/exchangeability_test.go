package exchangeability

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// TestClaimC1 runs C1 at the quick scale and asserts its verdict and figures
// against goldens/c1.json (rewrite with -update), then what must be true of
// the run whatever the verdict: every run finished and was measured, and the
// known large-beta break is reported.
func TestClaimC1(t *testing.T) {
	c, err := claims.Lookup("c1")
	if err != nil {
		t.Fatal(err)
	}
	res := claimtest.Golden(t, "c1")
	claimtest.Evidence(t, c, res)

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
			// Training did something: well above chance (10%). The
			// (0.8, 1024) break member is allowed to fail.
			if p.Role != roleBreak && !(r.ValAcc > 0.8) {
				t.Errorf("eta=%g S=%d seed %d: validation accuracy %g", p.LR, p.Batch, r.Seed, float64(r.ValAcc))
			}
		}
	}
	// The known limit. Measured at the quick scale (5 seeds): both
	// large-beta members end clearly flatter than the family (x0.63 and
	// x0.54, intervals excluding no change) but not beyond the factor 2
	// fixed in advance, so the break counts as inconclusive under that rule;
	// (0.8, 1024) also loses accuracy in one seed of five. The test pins
	// that finding: a flatter endpoint, and the recorded outcome.
	sum := summarise(rec)
	if len(sum.Breaks) != 2 {
		t.Fatalf("%d break members measured, want 2", len(sum.Breaks))
	}
	for _, b := range sum.Breaks {
		if !(b.Departure.Hi < 0) {
			t.Errorf("break member (%g, %d): log departure %s; the large-beta member should end flatter than the family", b.LR, b.Batch, b.Departure.String())
		}
		if b.Outcome != claims.Inconclusive {
			t.Errorf("break member (%g, %d): outcome %s, recorded as inconclusive (departure %s against a factor %g): review, then update this test and the report",
				b.LR, b.Batch, b.Outcome, b.Departure.String(), breakFactor)
		}
	}
	if math.IsNaN(res.Evidence.Figures["c/spearman_rho"]) {
		t.Error("Spearman rho not computed")
	}
}

// TestC1Grid checks both scales' grids against the design: one ratio for
// the family and the break members, controls at exactly 4x lower and
// higher, batches that fit the training set.
func TestC1Grid(t *testing.T) {
	for _, sc := range []claims.Scale{claims.Quick, claims.Full} {
		cfg := Claim{}.config(sc)
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
