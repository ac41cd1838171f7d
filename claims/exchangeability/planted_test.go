package exchangeability

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Planted outcomes: synthetic records, built by hand, judged by C1's
// verdict (claimtest.Judge). Each of the v2 checks must come out holds,
// does not hold and inconclusive where the planted evidence says so.

// planted describes a synthetic grid: lambda_max at the end and at the
// matched loss per (point, seed index); diverged marks runs that diverged.
type planted struct {
	end, matched func(p point, s int) float64
	diverged     func(p point, s int) bool
	seeds        int
}

// ratioLaw is lambda = 10 (r0 / ratio): a 4x ratio change moves lambda 4x,
// the family (ratio r0) sits at 10, with a small seed wobble.
func ratioLaw(p point, s int) float64 {
	return 10 * (0.05 / 64) / p.Ratio() * (1 + 0.01*float64((s*7+p.Batch)%5-2))
}

func (pl planted) record() record {
	cfg := Claim{}.config(claims.Quick)
	rec := record{BaseBatch: cfg.BaseBatch}
	if pl.seeds == 0 {
		pl.seeds = 5
	}
	for _, p := range cfg.Points {
		pr := pointRecord{point: p, Ratio: p.Ratio()}
		for s := 0; s < pl.seeds; s++ {
			r := claims.SeedRun{Seed: uint64(s + 1)}
			nan := jsonfloat.Float(math.NaN())
			if pl.diverged != nil && pl.diverged(p, s) {
				r.Diverged = true
				r.Lambda, r.TrH, r.ValAcc, r.TrainAcc, r.TrainLoss = nan, nan, nan, nan, nan
			} else {
				r.Lambda = jsonfloat.Float(pl.end(p, s))
				r.TrH = 20 * r.Lambda
				r.ValAcc = jsonfloat.Float(0.95 + 0.005*math.Log(p.Ratio()/(0.05/64))/math.Log(4) + 0.0001*float64(s%3))
				r.TrainAcc, r.TrainLoss = 0.99, 0.01
				m := pl.matched
				if m == nil {
					m = pl.end
				}
				r.Matched = []claims.CurvPoint{
					{Step: 10, Epoch: 0.1, Lambda: 5, Loss: 0.45, Targets: []float64{2, 1, 0.5}},
					{Step: 900, Epoch: 3, Lambda: jsonfloat.Float(m(p, s)), Loss: 0.095, Targets: []float64{0.3, 0.2, 0.1}},
				}
			}
			pr.Runs = append(pr.Runs, r)
		}
		rec.Points = append(rec.Points, pr)
	}
	return rec
}

func judge(t *testing.T, pl planted) *claims.Verdict {
	t.Helper()
	return claimtest.Judge(t, Claim{}, pl.record())
}

func want(t *testing.T, v *claims.Verdict, prefix string, o claims.Outcome) {
	t.Helper()
	if got := claimtest.CheckOutcome(t, v, prefix); got != o {
		for _, c := range v.Checks {
			if c.Name[:len(prefix)] == prefix {
				t.Errorf("check %q: %s, planted %s (value %s; %s)", c.Name, got, o, c.Value.String(), c.Detail)
			}
		}
	}
}

// familySpread plants a family whose members differ by factor
// exp(spread[s]*log 4) in seed s around 10, the controls at 10/4 and 10*4:
// the spread/gap statistic of seed s is then spread[s].
func familySpread(spread []float64) func(p point, s int) float64 {
	return func(p point, s int) float64 {
		l := ratioLaw(p, 0) / (1 + 0.01*float64((p.Batch)%5-2)) // no wobble
		if p.Role != roleFamily {
			return l
		}
		d := spread[s] * math.Log(4) / 2
		switch p.Batch {
		case 32:
			return 10 * math.Exp(-d)
		case 128:
			return 10 * math.Exp(d)
		}
		return 10
	}
}

func TestPlantedHolds(t *testing.T) {
	v := judge(t, planted{end: ratioLaw})
	for _, c := range []string{"a:", "b:", "c:", "d:", "e:"} {
		want(t, v, c, claims.Holds)
	}
	if v.Outcome != claims.Holds {
		t.Errorf("verdict %s, planted holds", v.Outcome)
	}
	// Nothing departs: the break is not shown and exchangeability holds
	// over the whole grid.
	want(t, v, "break:", claims.DoesNotHold)
	want(t, v, "break beta:", claims.DoesNotHold)
}

func TestPlantedMatchedDoesNotHold(t *testing.T) {
	// At the end the ratio organises lambda_max, but at a matched loss
	// lambda_max follows S alone (d fails) ...
	byS := func(p point, s int) float64 {
		return 10 * float64(p.Batch) / 64 * math.Pow(p.Ratio()/(0.05/64), -0.1) * (1 + 0.01*float64(s%3))
	}
	v := judge(t, planted{end: ratioLaw, matched: byS})
	want(t, v, "a:", claims.Holds)
	want(t, v, "d:", claims.DoesNotHold)
	// ... or rises with the ratio (e fails).
	up := func(p point, s int) float64 { return 10 * p.Ratio() / (0.05 / 64) * (1 + 0.01*float64(s%3)) }
	v = judge(t, planted{end: ratioLaw, matched: up})
	want(t, v, "c:", claims.Holds)
	want(t, v, "e:", claims.DoesNotHold)
	if v.Outcome != claims.DoesNotHold {
		t.Errorf("verdict %s with a failing judged check", v.Outcome)
	}
	// At the end (a, c) the same plants fail the equal-epoch checks.
	v = judge(t, planted{end: byS, matched: ratioLaw})
	want(t, v, "a:", claims.DoesNotHold)
	want(t, v, "d:", claims.Holds)
}

func TestPlantedInconclusive(t *testing.T) {
	// Per-seed spread/gap straddling 0.5: d (and a) undecided.
	sp := familySpread([]float64{0.1, 0.9, 0.2, 0.8, 0.5})
	v := judge(t, planted{end: sp})
	want(t, v, "a:", claims.Inconclusive)
	want(t, v, "d:", claims.Inconclusive)
	// A family run that diverged: no loss every judged run reached, so the
	// matched-loss checks cannot be formed.
	div := func(p point, s int) bool { return p.Role == roleFamily && p.Batch == 128 && s == 2 }
	v = judge(t, planted{end: ratioLaw, diverged: div})
	want(t, v, "d:", claims.Inconclusive)
	want(t, v, "e:", claims.Inconclusive)
	// A weak correlation over three seeds: e's interval straddles -0.5.
	weak := func(p point, s int) float64 {
		return ratioLaw(p, s) * math.Pow(float64(1+(s*5+p.Batch*3+int(p.LR*1000))%7), 1.6)
	}
	v = judge(t, planted{end: ratioLaw, matched: weak, seeds: 3})
	want(t, v, "e:", claims.Inconclusive)
}

func TestPlantedBreak(t *testing.T) {
	// The largest member diverges in 2 of 5 seeds while the family trains:
	// "diverged 2 of 5" is the break.
	div := func(p point, s int) bool { return p.Batch == 1024 && s < 2 }
	v := judge(t, planted{end: ratioLaw, diverged: div})
	want(t, v, "break:", claims.Holds)
	for _, c := range v.Checks {
		if c.Name == checkBreak && !contains(c.Detail, "diverged 2 of 5") {
			t.Errorf("break detail %q does not say diverged 2 of 5", c.Detail)
		}
	}
	// A member 8x flatter than the family: beyond a factor 2, and beyond
	// the 4x control gap: exchangeability breaks at beta 8 (S = 512).
	flat := func(p point, s int) float64 {
		if p.Role == roleBreak {
			return ratioLaw(p, s) / 8
		}
		return ratioLaw(p, s)
	}
	v = judge(t, planted{end: flat})
	want(t, v, "break:", claims.Holds)
	want(t, v, "break beta:", claims.Holds)
	if f := v.Checks; len(f) == 0 {
		t.Fatal("no checks")
	}
	sum := summarise(planted{end: flat}.record())
	if sum.BreakBeta != 8 || sum.BreakBetaS != 512 {
		t.Errorf("break beta %g (S = %d), planted 8 (512)", sum.BreakBeta, sum.BreakBetaS)
	}
	// Departures straddling a factor 2: not decided.
	mixed := func(p point, s int) float64 {
		if p.Role == roleBreak {
			return ratioLaw(p, s) * math.Exp([]float64{-0.3, -1.1, -0.4, -1.0, -0.7}[s])
		}
		return ratioLaw(p, s)
	}
	v = judge(t, planted{end: mixed})
	want(t, v, "break:", claims.Inconclusive)
	// Information checks never decide the verdict.
	if v.Outcome != claims.Holds {
		t.Errorf("verdict %s: the break checks are information", v.Outcome)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
