package nudged

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// gammaSummary is one gamma's runs against SGD's, paired by seed.
type gammaSummary struct {
	Gamma  float64
	Lambda stats.Interval // geometric mean over seeds
	ValAcc stats.Interval
	// Paired by seed against gamma = 1 (NaN interval for gamma = 1):
	// LogRatio = log(lambda(gamma)/lambda(SGD)), DAcc = acc(gamma) - acc(SGD).
	LogRatio, DAcc stats.Interval
	Ratios, DAccs  []float64 // per seed
	Err            string    // why the paired intervals could not be formed
	Diverged       int
}

type summary struct {
	SGD    int // index of gamma = 1
	Gammas []gammaSummary
}

func summarise(rec record) summary {
	sum := summary{SGD: -1}
	for i, g := range rec.Gammas {
		if g.Gamma == 1 {
			sum.SGD = i
		}
	}
	for _, g := range rec.Gammas {
		gs := gammaSummary{Gamma: g.Gamma, LogRatio: stats.NaNInterval(), DAcc: stats.NaNInterval()}
		var lam, acc []float64
		for _, r := range g.Runs {
			if r.DivergedStep > 0 {
				gs.Diverged++
				continue
			}
			lam, acc = append(lam, float64(r.Lambda)), append(acc, float64(r.ValAcc))
		}
		gs.Lambda, gs.ValAcc = claims.SeedInterval(lam, true, level), claims.SeedInterval(acc, false, level)
		if sum.SGD >= 0 && g.Gamma != 1 {
			base := rec.Gammas[sum.SGD]
			var lr, da []float64
			for si, r := range g.Runs {
				b := base.Runs[si]
				if r.DivergedStep > 0 || b.DivergedStep > 0 || !(r.Lambda > 0) || !(b.Lambda > 0) {
					gs.Err = fmt.Sprintf("seed %d: a run diverged or its lambda_max was not measured", r.Seed)
					continue
				}
				lr = append(lr, math.Log(float64(r.Lambda)/float64(b.Lambda)))
				da = append(da, float64(r.ValAcc)-float64(b.ValAcc))
			}
			gs.Ratios, gs.DAccs = lr, da
			if gs.Err == "" {
				gs.LogRatio, gs.DAcc = stats.MeanTOrNaN(lr, level), stats.MeanTOrNaN(da, level)
				if math.IsNaN(gs.LogRatio.Lo) {
					gs.Err = "fewer than two seeds"
				}
			}
		}
		sum.Gammas = append(sum.Gammas, gs)
	}
	return sum
}

// decideOver applies rule to the interval of every gamma that sel keeps
// (claims.AllOf) and builds the registered check.
func decideOver(name string, sum summary, sel func(float64) bool, value func(gammaSummary) stats.Interval, rule func(stats.Interval) claims.Outcome) claims.Check {
	rc := registration.Check(name)
	if sum.SGD < 0 {
		return rc.Failed(errors.New("no gamma = 1 (SGD) run to compare with"))
	}
	var outs []claims.Outcome
	var idx []int
	var parts []string
	for i, g := range sum.Gammas {
		if g.Gamma == 1 || !sel(g.Gamma) {
			continue
		}
		if g.Err != "" {
			return rc.Failed(fmt.Errorf("gamma %g: %s", g.Gamma, g.Err))
		}
		iv := value(g)
		outs, idx = append(outs, rule(iv)), append(idx, i)
		parts = append(parts, fmt.Sprintf("gamma %g: %s", g.Gamma, iv.Format("%.3f", 1)))
	}
	if len(outs) == 0 {
		return rc.Failed(errors.New("no gamma on this side of 1 in the grid"))
	}
	o, at := claims.AllOf(outs)
	show := idx[0]
	if at >= 0 {
		show = idx[at]
	}
	detail := fmt.Sprintf("deciding gamma %g; all: %s", sum.Gammas[show].Gamma, strings.Join(parts, ", "))
	return rc.New(value(sum.Gammas[show]), o, detail)
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Gammas) == 0 || len(rec.Gammas[0].Runs) == 0 {
		return nil, errors.New("c7: no runs in the evidence")
	}
	sum := summarise(rec)
	lg := math.Log(sharpRatio)
	a := decideOver(checkSharper, sum, func(g float64) bool { return g < 1 }, func(g gammaSummary) stats.Interval { return g.LogRatio },
		func(iv stats.Interval) claims.Outcome { return claims.Above(iv, lg) })
	b := decideOver(checkFlatter, sum, func(g float64) bool { return g > 1 },
		func(g gammaSummary) stats.Interval {
			iv := g.LogRatio
			return stats.Interval{Estimate: -iv.Estimate, Lo: -iv.Hi, Hi: -iv.Lo, Level: iv.Level, N: iv.N, Method: iv.Method}
		},
		func(iv stats.Interval) claims.Outcome { return claims.Above(iv, lg) })
	c := decideOver(checkAcc, sum, func(g float64) bool { return true }, func(g gammaSummary) stats.Interval { return g.DAcc },
		func(iv stats.Interval) claims.Outcome { return claims.Within(iv, -accMargin, accMargin) })
	checks := []claims.Check{a, b, c}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = claims.PerCheck(checks)
	var parts []string
	for _, g := range sum.Gammas {
		parts = append(parts, fmt.Sprintf("gamma %g: lambda_max %s, val acc %s", g.Gamma, stats.G3(g.Lambda.Estimate), fmt.Sprintf("%.4f", g.ValAcc.Estimate)))
	}
	v.Summary += " At the end: " + strings.Join(parts, "; ") + "."
	return v, nil
}

// figuresOf are the key numbers goldens compare. Names are stable: add,
// don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{}
	for _, g := range sum.Gammas {
		k := fmt.Sprintf("gamma=%g", g.Gamma)
		f["lambda_max/"+k] = g.Lambda.Estimate
		f["val_acc/"+k] = g.ValAcc.Estimate
		if g.Gamma != 1 {
			f["log_ratio/"+k] = g.LogRatio.Estimate
			f["d_val_acc/"+k] = g.DAcc.Estimate
		}
	}
	return f
}
