package lockin

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// Planted outcomes: synthetic trajectories, built by hand, judged by C3's
// verdict (claimtest.Judge). Each v2 check must come out holds, does not
// hold and inconclusive where the planted evidence says so.

type planted struct {
	// early, final and matched are the plateau level of lambda_max early
	// (by the end of the early phase), at the end, and at the matched
	// loss, per point and seed index; sharp is eta x batch sharpness.
	early, final, matched func(p point, s int) float64
	sharp                 func(p point, s int) float64
	diverged              func(p point, s int) bool
	seeds                 int
}

const r0 = 0.05 / 128

// byRatio is 10 (r0 / ratio)^0.5 with a small seed wobble.
func byRatio(p point, s int) float64 {
	return 10 * math.Sqrt(r0/p.Ratio()) * (1 + 0.01*float64((s*7+p.Batch)%5-2))
}

func (pl planted) record() record {
	cfg := Claim{}.config(claims.Quick)
	if pl.seeds == 0 {
		pl.seeds = 5
	}
	if pl.final == nil {
		pl.final = pl.early
	}
	if pl.matched == nil {
		pl.matched = pl.early
	}
	if pl.sharp == nil {
		pl.sharp = func(point, int) float64 { return 2 }
	}
	rec := record{EarlyEpoch: cfg.earlyEpoch(), EarlySDE: cfg.earlySDE()}
	for _, p := range cfg.Points {
		spe := cfg.TrainN / p.Batch
		es := cfg.earlyStep(p)
		pr := pointRecord{point: p, Ratio: p.Ratio(), EarlyStep: es}
		for s := 0; s < pl.seeds; s++ {
			r := claims.SeedRun{Seed: uint64(s + 1)}
			r.StepsPerEpoch, r.Steps = spe, cfg.Epochs*spe
			nan := jsonfloat.Float(math.NaN())
			if pl.diverged != nil && pl.diverged(p, s) {
				r.Diverged = true
				r.Lambda, r.ValAcc, r.TrainAcc = nan, nan, nan
				pr.Runs = append(pr.Runs, r)
				continue
			}
			e, f := pl.early(p, s), pl.final(p, s)
			steps := []int{0, 1, 2, es / 4, es / 2, es}
			for ep := 1; ep <= cfg.Epochs; ep++ {
				steps = append(steps, ep*spe)
			}
			last := -1
			for _, st := range steps {
				if st <= last {
					continue
				}
				// Rise to e by the early step, then move linearly to f.
				l := 5 + (e-5)*math.Min(1, float64(st)/float64(es))
				if st > es {
					l = e + (f-e)*float64(st-es)/float64(r.Steps-es)
				}
				q := claims.CurvPoint{Step: st, Epoch: float64(st) / float64(spe), Lambda: jsonfloat.Float(l), Loss: jsonfloat.Float(2 / (1 + float64(st)/100))}
				if st%spe == 0 && st > 0 {
					q.Sharp = jsonfloat.Float(pl.sharp(p, s) / p.LR)
				}
				r.Points = append(r.Points, q)
				last = st
			}
			r.Lambda, r.ValAcc, r.TrainAcc = jsonfloat.Float(f), 0.95, 0.97
			r.Matched = []claims.CurvPoint{
				{Step: 1, Lambda: 6, Loss: 0.9, Targets: []float64{2, 1}},
				{Step: es, Lambda: jsonfloat.Float(pl.matched(p, s)), Loss: 0.28, Targets: []float64{0.5, 0.3}},
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
			if len(c.Name) >= len(prefix) && c.Name[:len(prefix)] == prefix {
				t.Errorf("check %q: %s, planted %s (value %s; %s)", c.Name, got, o, c.Value.String(), c.Detail)
			}
		}
	}
}

func TestPlantedHolds(t *testing.T) {
	v := judge(t, planted{early: byRatio})
	for _, c := range []string{"a:", "b:", "c:", "d:", "sharpness:"} {
		want(t, v, c, claims.Holds)
	}
	if v.Outcome != claims.Holds {
		t.Errorf("verdict %s, planted holds", v.Outcome)
	}
}

func TestPlantedDoesNotHold(t *testing.T) {
	up := func(p point, s int) float64 { return 10 * math.Sqrt(p.Ratio()/r0) * (1 + 0.01*float64(s%3)) }
	// The final order is the reverse of the early one: b fails.
	v := judge(t, planted{early: byRatio, final: up})
	want(t, v, "b:", claims.DoesNotHold)
	want(t, v, "c:", claims.Holds)
	// The early level rises with the ratio: c fails.
	v = judge(t, planted{early: up})
	want(t, v, "c:", claims.DoesNotHold)
	want(t, v, "b:", claims.Holds)
	// At a matched loss the level rises with the ratio: d fails.
	v = judge(t, planted{early: byRatio, matched: up})
	want(t, v, "d:", claims.DoesNotHold)
	want(t, v, "c:", claims.Holds)
	if v.Outcome != claims.DoesNotHold {
		t.Errorf("verdict %s with d failing", v.Outcome)
	}
	// Batch sharpness far below 2/eta: not at the edge (information).
	v = judge(t, planted{early: byRatio, sharp: func(point, int) float64 { return 0.5 }})
	want(t, v, "sharpness:", claims.DoesNotHold)
	if v.Outcome != claims.Holds {
		t.Errorf("verdict %s: the sharpness check is information", v.Outcome)
	}
}

func TestPlantedInconclusive(t *testing.T) {
	// A diverged run: the per-seed order and the matched loss cannot be
	// formed for every run.
	div := func(p point, s int) bool { return p.LR == 0.1 && s == 1 }
	v := judge(t, planted{early: byRatio, diverged: div})
	want(t, v, "b:", claims.Inconclusive)
	want(t, v, "d:", claims.Inconclusive)
	// A weak relation over three seeds: c's interval straddles -0.5.
	weak := func(p point, s int) float64 {
		return byRatio(p, s) * math.Pow(float64(1+(s*5+p.Batch*3+int(p.LR*1000))%7), 0.9)
	}
	v = judge(t, planted{early: weak, final: byRatio, matched: byRatio, seeds: 3})
	want(t, v, "c:", claims.Inconclusive)
	// Batch sharpness straddling the band.
	v = judge(t, planted{early: byRatio, sharp: func(p point, s int) float64 { return []float64{1.2, 2.6, 1.4, 2.4, 1.6}[s] }})
	want(t, v, "sharpness:", claims.Inconclusive)
}
