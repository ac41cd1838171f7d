package stationaryloss

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Planted outcomes: records made by hand, judged by C2's Verdict, so that
// every check is seen to come out holds, does not hold and inconclusive.

// plant describes a planted record: the excess is ratioC times the
// first-order prediction (times the seed's jitter), the Tr(H) prediction
// is hOverC times the Tr(C) one, and the discrete point's excess is
// discrete times its first-order prediction (its exact prediction is
// exactOverC times first order). slope is the power of eta/S the excess
// follows (1: proportional), shuffled the ratio of the epoch-shuffled runs.
type plant struct {
	ratioC, hOverC, discrete, exactOverC, slope, jitter, shuffled float64
}

// faithful is what a correct Eq. (3.3) produces.
var faithful = plant{ratioC: 1, hOverC: 1, discrete: 1.38, exactOverC: 1.38, slope: 1, jitter: 0.01, shuffled: 0.8}

func (pl plant) tier(id string, grid []point, n int) tierRecord {
	tr := tierRecord{ID: id, Title: id, P: 21, N: n}
	seeds := []uint64{1, 2, 3}
	for _, s := range seeds {
		tr.Minima = append(tr.Minima, minRecord{Seed: s, TrH: 5, TrC: 5, LambdaMax: 1, LambdaMinPos: 0.005})
	}
	for pi, g := range grid {
		kappa := float64(n-g.Batch) / float64(g.Batch*(n-1))
		pr := pointRecord{LR: g.LR, Batch: g.Batch, Kappa: kappa, Discrete: g.Discrete}
		for si, s := range seeds {
			predC := g.LR * kappa / 4 * 5
			jit := 1 + pl.jitter*float64((si+pi)%3-1) // mean 1 at every point, not constant per seed
			r := runRecord{Seed: s, PredC: jsonfloat.Float(predC), PredH: jsonfloat.Float(predC * pl.hOverC), PredDiscrete: jsonfloat.Float(predC),
				PredExact: jsonfloat.Float(predC), Transient: 1, LEnd: jsonfloat.Float(math.NaN()), EtaLambdaMax: jsonfloat.Float(g.LR), Evals: 1000}
			switch {
			case g.Discrete:
				r.PredExact = jsonfloat.Float(predC * pl.exactOverC)
				r.Excess = jsonfloat.Float(predC * pl.discrete * jit)
			default:
				// excess = ratioC predC (eta kappa / ref)^(slope-1): the
				// ratio at the reference noise scale, the power slope.
				ref := 0.032 / 64.0
				r.Excess = jsonfloat.Float(pl.ratioC * predC * math.Pow(g.LR*kappa/ref, pl.slope-1) * jit)
			}
			pr.Runs = append(pr.Runs, r)
			sh := r
			sh.Excess = jsonfloat.Float(predC * pl.shuffled * jit)
			pr.Reshuffled = append(pr.Reshuffled, sh)
		}
		tr.Points = append(tr.Points, pr)
	}
	return tr
}

func (pl plant) synthetic() record {
	cfg := Claim{}.config(claims.Quick)
	return record{Tiers: []tierRecord{pl.tier("a", cfg.Tiers[0].Grid, cfg.Tiers[0].N), pl.tier("b", cfg.Tiers[1].Grid, cfg.Tiers[1].N), pl.tier("c", cfg.Tiers[2].Grid, cfg.Tiers[2].N)}}
}

func (pl plant) image() record {
	cfg := Claim{}.imageConfig(claims.Quick, "mnist")
	return record{Tiers: []tierRecord{pl.tier("mlp", cfg.Tiers[0].Grid, cfg.Tiers[0].N)}}
}

func outcomes(t *testing.T, v *claims.Verdict, want map[string]claims.Outcome) {
	t.Helper()
	for name, o := range want {
		if got := claimtest.CheckOutcome(t, v, name); got != o {
			t.Errorf("check %q: %s, want %s", name, got, o)
		}
	}
}

func TestPlantedHolds(t *testing.T) {
	v := claimtest.Judge(t, Claim{}, faithful.synthetic())
	outcomes(t, v, map[string]claims.Outcome{
		// v1's tier a checks (information) read every grid point, as
		// written: the discrete point, 38% above first order, fails them.
		ckAC: claims.DoesNotHold, ckAH: claims.DoesNotHold, ckAnisoC: claims.Holds, ckAnisoH: claims.Holds, ckDisExact: claims.Holds, ckDisMiss: claims.Holds,
		ckAShuf: claims.Inconclusive, ckBC: claims.Holds, ckBH: claims.Holds, ckCSlope: claims.Holds, ckCC: claims.Holds, ckCH: claims.Holds,
	})
	if v.Outcome != claims.Holds {
		t.Errorf("synthetic: %s, want holds (information checks do not count)", v.Outcome)
	}
	v = claimtest.Judge(t, Claim{}, faithful.image())
	outcomes(t, v, map[string]claims.Outcome{ckMSlope: claims.Holds, ckMC: claims.Holds, ckMH: claims.Holds, ckMShuf: claims.Inconclusive})
	if v.Outcome != claims.Holds || len(v.Checks) != 4 {
		t.Errorf("image: %s with %d checks, want holds with 4", v.Outcome, len(v.Checks))
	}
	for _, c := range v.Checks {
		if (c.Name == ckMShuf) != c.Information {
			t.Errorf("check %q: information %v", c.Name, c.Information)
		}
	}
}

func TestPlantedDoesNotHold(t *testing.T) {
	// A wrong constant (eta/(2S)): every first-order ratio is 2.
	wrong := faithful
	wrong.ratioC = 2
	outcomes(t, claimtest.Judge(t, Claim{}, wrong.synthetic()), map[string]claims.Outcome{
		ckAnisoC: claims.DoesNotHold, ckAnisoH: claims.DoesNotHold, ckBC: claims.DoesNotHold, ckBH: claims.DoesNotHold,
		ckCC: claims.DoesNotHold, ckCH: claims.DoesNotHold, ckCSlope: claims.Holds, ckDisExact: claims.Holds,
	})
	outcomes(t, claimtest.Judge(t, Claim{}, wrong.image()), map[string]claims.Outcome{ckMC: claims.DoesNotHold, ckMH: claims.DoesNotHold, ckMSlope: claims.Holds})

	// The Tr(C) form right, the Tr(H) form off by 2x (C = H/2... or a
	// form in lambda_max): only the Tr(H) checks fail.
	trH := faithful
	trH.hOverC = 0.4
	v := claimtest.Judge(t, Claim{}, trH.synthetic())
	outcomes(t, v, map[string]claims.Outcome{ckAnisoC: claims.Holds, ckAnisoH: claims.DoesNotHold, ckBC: claims.Holds, ckBH: claims.DoesNotHold, ckCC: claims.Holds, ckCH: claims.DoesNotHold})
	if v.Outcome != claims.DoesNotHold {
		t.Errorf("Tr(H) off: %s", v.Outcome)
	}
	outcomes(t, claimtest.Judge(t, Claim{}, trH.image()), map[string]claims.Outcome{ckMC: claims.Holds, ckMH: claims.DoesNotHold})

	// Excess growing as sqrt(eta/S): proportionality fails.
	sqrt := faithful
	sqrt.slope = 0.5
	outcomes(t, claimtest.Judge(t, Claim{}, sqrt.synthetic()), map[string]claims.Outcome{ckCSlope: claims.DoesNotHold})
	outcomes(t, claimtest.Judge(t, Claim{}, sqrt.image()), map[string]claims.Outcome{ckMSlope: claims.DoesNotHold})

	// No discrete-time correction: SGD at eta lambda_max ~ 0.8 lands on
	// first order; the exact prediction misses and "first order misses"
	// does not hold.
	none := faithful
	none.discrete = 1
	outcomes(t, claimtest.Judge(t, Claim{}, none.synthetic()), map[string]claims.Outcome{ckDisExact: claims.DoesNotHold, ckDisMiss: claims.DoesNotHold, ckAnisoC: claims.Holds})
}

func TestPlantedInconclusive(t *testing.T) {
	// Ratios on the margin's edge: every interval straddles it.
	edge := faithful
	edge.ratioC, edge.jitter = 1+marginA, 0.02
	outcomes(t, claimtest.Judge(t, Claim{}, edge.synthetic()), map[string]claims.Outcome{ckAnisoC: claims.Inconclusive, ckAnisoH: claims.Inconclusive})
	edgeB := faithful
	edgeB.ratioC, edgeB.jitter = 1+marginB, 0.02
	outcomes(t, claimtest.Judge(t, Claim{}, edgeB.synthetic()), map[string]claims.Outcome{ckBC: claims.Inconclusive, ckBH: claims.Inconclusive})
	edgeC := faithful
	edgeC.ratioC, edgeC.jitter = ratioCHi, 0.05
	outcomes(t, claimtest.Judge(t, Claim{}, edgeC.synthetic()), map[string]claims.Outcome{ckCC: claims.Inconclusive, ckCH: claims.Inconclusive})
	outcomes(t, claimtest.Judge(t, Claim{}, edgeC.image()), map[string]claims.Outcome{ckMC: claims.Inconclusive, ckMH: claims.Inconclusive})
	// Slope on its edge: 1.2 with scatter.
	steep := faithful
	steep.slope, steep.jitter = slopeHi, 0.05
	outcomes(t, claimtest.Judge(t, Claim{}, steep.synthetic()), map[string]claims.Outcome{ckCSlope: claims.Inconclusive})
	outcomes(t, claimtest.Judge(t, Claim{}, steep.image()), map[string]claims.Outcome{ckMSlope: claims.Inconclusive})
	// The discrete point just at the miss threshold, and 10% above the
	// exact prediction: both straddle.
	dis := faithful
	dis.discrete, dis.exactOverC, dis.jitter = missA, 1, 0.02
	outcomes(t, claimtest.Judge(t, Claim{}, dis.synthetic()), map[string]claims.Outcome{ckDisMiss: claims.Inconclusive, ckDisExact: claims.Inconclusive})
	// A diverged run leaves its point, and so its check, inconclusive.
	div := faithful.synthetic()
	div.Tiers[1].Points[0].Runs[0].Diverged = true
	div.Tiers[1].Points[0].Runs[0].Excess = jsonfloat.Float(math.NaN())
	v := claimtest.Judge(t, Claim{}, div)
	outcomes(t, v, map[string]claims.Outcome{ckBC: claims.Inconclusive, ckBH: claims.Inconclusive, ckAnisoC: claims.Holds})
	if v.Outcome != claims.Inconclusive {
		t.Errorf("diverged b: %s", v.Outcome)
	}
}

func TestC2Info(t *testing.T) {
	claimtest.Info(t, Claim{})
	ids := claims.SetupIDs(Claim{}, claims.Quick)
	if len(ids) != 3 || ids[0] != setupSynthetic || ids[1] != setupMNIST || ids[2] != setupFashion {
		t.Errorf("setups %v", ids)
	}
}
