package exchangeability

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// summary is what C1's verdict, figures, tables and plots read: the runs
// reduced to per-point intervals over seeds and the statistics of the checks.
type summary struct {
	Seeds  []uint64
	Points []pointSummary
	// Per-seed spread/gap ratios (see the C1 notes in c1_exchangeability.go)
	// and their t-intervals; *Err says why one could not be computed.
	LambdaR, AccR, TraceR       stats.Interval
	LambdaRs, AccRs, TraceRs    []float64
	LambdaErr, AccErr, TraceErr string
	LambdaSG, AccSG             stats.SpreadGapResult // on the seed means, for the detail
	Rho, RhoAcc                 stats.Correlation
	RhoErr, RhoAccErr           string
	Breaks                      []breakSummary
	FamilyRatio                 float64
}

type pointSummary struct {
	point
	Ratio     float64
	Lambda    stats.Interval // geometric mean over seeds
	TrH       stats.Interval
	ValAcc    stats.Interval
	TrainAcc  stats.Interval
	TrainLoss stats.Interval
	EtaLambda float64 // eta x geometric-mean lambda_max
	Diverged  int
}

type breakSummary struct {
	point
	// Departure is log lambda_max minus the family's mean log lambda_max
	// (same seed), t-interval over seeds; AccDiff likewise for validation
	// accuracy (not logged).
	Departure, AccDiff stats.Interval
	Err                string
	Outcome            claims.Outcome // Holds: the break is visible (departure beyond a factor breakFactor)
}

func summarise(rec record) summary {
	var sum summary
	for _, r := range rec.Points[0].Runs {
		sum.Seeds = append(sum.Seeds, r.Seed)
	}
	col := func(p pointRecord, f func(claims.SeedRun) float64) []float64 {
		var xs []float64
		for _, r := range p.Runs {
			xs = append(xs, f(r))
		}
		return xs
	}
	lam := func(r claims.SeedRun) float64 { return float64(r.Lambda) }
	logLam := func(r claims.SeedRun) float64 { return math.Log(float64(r.Lambda)) }
	acc := func(r claims.SeedRun) float64 { return float64(r.ValAcc) }
	trh := func(r claims.SeedRun) float64 { return math.Log(float64(r.TrH)) }
	for _, p := range rec.Points {
		ps := pointSummary{point: p.point, Ratio: p.Ratio,
			Lambda: claims.SeedInterval(col(p, lam), true, level), TrH: claims.SeedInterval(col(p, func(r claims.SeedRun) float64 { return float64(r.TrH) }), false, level),
			ValAcc: claims.SeedInterval(col(p, acc), false, level), TrainAcc: claims.SeedInterval(col(p, func(r claims.SeedRun) float64 { return float64(r.TrainAcc) }), false, level),
			TrainLoss: claims.SeedInterval(col(p, func(r claims.SeedRun) float64 { return float64(r.TrainLoss) }), false, level)}
		ps.EtaLambda = p.LR * ps.Lambda.Estimate
		for _, r := range p.Runs {
			if r.Diverged {
				ps.Diverged++
			}
		}
		if p.Role == roleFamily {
			sum.FamilyRatio = p.Ratio
		}
		sum.Points = append(sum.Points, ps)
	}

	// Spread/gap per seed.
	perSeed := func(f func(claims.SeedRun) float64) ([]float64, stats.Interval, string) {
		var rs []float64
		for si, s := range sum.Seeds {
			var fam, ctl []float64
			for _, p := range rec.Points {
				v := f(p.Runs[si])
				switch p.Role {
				case roleFamily:
					fam = append(fam, v)
				case roleControl:
					ctl = append(ctl, v)
				default:
					continue
				}
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return rs, stats.NaNInterval(), fmt.Sprintf("seed %d: eta=%g, S=%d has no finite value (diverged?)", s, p.LR, p.Batch)
				}
			}
			sg, err := stats.SpreadGap(fam, ctl)
			if err != nil {
				return rs, stats.NaNInterval(), err.Error()
			}
			rs = append(rs, sg.Ratio)
		}
		iv, err := stats.MeanT(rs, level)
		if err != nil {
			return rs, stats.NaNInterval(), err.Error()
		}
		return rs, iv, ""
	}
	sum.LambdaRs, sum.LambdaR, sum.LambdaErr = perSeed(logLam)
	sum.AccRs, sum.AccR, sum.AccErr = perSeed(acc)
	sum.TraceRs, sum.TraceR, sum.TraceErr = perSeed(trh)
	onMeans := func(f func(pointSummary) float64) stats.SpreadGapResult {
		var fam, ctl []float64
		for _, p := range sum.Points {
			switch p.Role {
			case roleFamily:
				fam = append(fam, f(p))
			case roleControl:
				ctl = append(ctl, f(p))
			}
		}
		sg, err := stats.SpreadGap(fam, ctl)
		if err != nil {
			return stats.SpreadGapResult{Spread: math.NaN(), Gap: math.NaN(), Ratio: math.NaN(), FamilyMean: math.NaN()}
		}
		return sg
	}
	sum.LambdaSG = onMeans(func(p pointSummary) float64 { return math.Log(p.Lambda.Estimate) })
	sum.AccSG = onMeans(func(p pointSummary) float64 { return p.ValAcc.Estimate })

	// Rank correlation over every run but the break members.
	var x, y, ya []float64
	for _, p := range rec.Points {
		if p.Role == roleBreak {
			continue
		}
		for _, r := range p.Runs {
			if l := float64(r.Lambda); l > 0 && !math.IsInf(l, 0) {
				x, y, ya = append(x, math.Log(p.Ratio)), append(y, math.Log(l)), append(ya, float64(r.ValAcc))
			}
		}
	}
	var err error
	if sum.Rho, err = stats.SpearmanTest(x, y, level, perms, 1); err != nil {
		sum.RhoErr = err.Error()
	}
	if sum.RhoAcc, err = stats.SpearmanTest(x, ya, level, perms, 2); err != nil {
		sum.RhoAccErr = err.Error()
	}

	// The break members against the family, seed by seed.
	for _, p := range rec.Points {
		if p.Role != roleBreak {
			continue
		}
		b := breakSummary{point: p.point, Departure: stats.NaNInterval(), AccDiff: stats.NaNInterval(), Outcome: claims.Inconclusive}
		var dl, da []float64
		for si := range sum.Seeds {
			var fl, fa []float64
			for _, q := range rec.Points {
				if q.Role == roleFamily {
					fl, fa = append(fl, logLam(q.Runs[si])), append(fa, acc(q.Runs[si]))
				}
			}
			dl = append(dl, logLam(p.Runs[si])-stats.Mean(fl))
			da = append(da, acc(p.Runs[si])-stats.Mean(fa))
		}
		if iv, err := stats.MeanT(dl, level); err != nil {
			b.Err = fmt.Sprintf("not measured (a run diverged?): %v", err)
		} else {
			b.Departure = iv
			b.Outcome = breakOutcome(iv)
		}
		if iv, err := stats.MeanT(da, level); err == nil {
			b.AccDiff = iv
		}
		sum.Breaks = append(sum.Breaks, b)
	}
	return sum
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Points) == 0 || len(rec.Points[0].Runs) == 0 {
		return nil, errors.New("c1: no runs in the evidence")
	}
	sum := summarise(rec)
	spreadCheck := func(name, what string, iv stats.Interval, rs []float64, why string, sg stats.SpreadGapResult, unit func(float64) string) claims.Check {
		stat := fmt.Sprintf("per-seed (spread of %s inside the same-ratio family) / (distance of the nearer 4x-ratio control from the family mean), mean over seeds", what)
		threshold := fmt.Sprintf("95%% CI below %g", spreadGapMax)
		reason := fmt.Sprintf("'well below the gap': changing eta and S 4x together must move the endpoint by under half of what a 4x change of eta/S does (%g); near 1 the ratio would not organise the endpoints", spreadGapMax)
		if why != "" {
			return claims.Failed(name, stat, threshold, reason, errors.New(why))
		}
		var per []string
		for _, r := range rs {
			per = append(per, stats.G3(r))
		}
		return claims.Check{Name: name, Statistic: stat, Value: iv, Threshold: threshold, Reason: reason, Outcome: claims.Below(iv, spreadGapMax),
			Detail: fmt.Sprintf("per seed: %s; on seed means: family spread %s, gap to the nearer control %s", strings.Join(per, ", "), unit(sg.Spread), unit(sg.Gap))}
	}
	logUnit := func(x float64) string { return fmt.Sprintf("%s in log (x%.3g)", stats.G3(x), math.Exp(x)) }
	pctUnit := func(x float64) string { return fmt.Sprintf("%.2f points", 100*x) }
	checks := []claims.Check{
		spreadCheck("a: same ratio, same lambda_max", "log lambda_max", sum.LambdaR, sum.LambdaRs, sum.LambdaErr, sum.LambdaSG, logUnit),
		spreadCheck("b: same ratio, same validation accuracy", "validation accuracy", sum.AccR, sum.AccRs, sum.AccErr, sum.AccSG, pctUnit),
	}
	rc := claims.Check{Name: "c: higher ratio, flatter endpoint",
		Statistic: "Spearman rho of log(eta/S) and log lambda_max over all runs of the family, controls and extra ratios",
		Threshold: fmt.Sprintf("95%% Fisher-z CI below %g", rhoMax),
		Reason:    fmt.Sprintf("%g is the conventional edge of a strong correlation; the tied family ratios cap |rho| near 0.93, leaving room for seed noise", rhoMax)}
	if sum.RhoErr != "" {
		rc = claims.Failed(rc.Name, rc.Statistic, rc.Threshold, rc.Reason, errors.New(sum.RhoErr))
	} else {
		rc.Value = sum.Rho.CI
		rc.Outcome = claims.Below(sum.Rho.CI, rhoMax)
		rc.Detail = fmt.Sprintf("rho %.3f over %d runs, permutation p = %.2g", sum.Rho.Rho, sum.Rho.N, sum.Rho.P)
	}
	checks = append(checks, rc)
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
}

func summaryText(v *claims.Verdict, sum summary) string {
	s := claims.PerCheck(v.Checks)
	for _, b := range sum.Breaks {
		if b.Err != "" {
			s += fmt.Sprintf(" Large-beta member (%g, %d): %s.", b.LR, b.Batch, b.Err)
			continue
		}
		var el float64
		for _, p := range sum.Points {
			if p.point == b.point {
				el = p.EtaLambda
			}
		}
		d := b.Departure
		fig := fmt.Sprintf("lambda_max x%.2g [%.2g, %.2g] of the family's (eta lambda_max %.2g), validation accuracy %+.2g [%+.2g, %+.2g] points",
			math.Exp(d.Estimate), math.Exp(d.Lo), math.Exp(d.Hi), el, 100*b.AccDiff.Estimate, 100*b.AccDiff.Lo, 100*b.AccDiff.Hi)
		switch b.Outcome {
		case claims.Holds:
			s += fmt.Sprintf(" Known limit reproduced at (%g, %d): %s; exchangeability breaks there (Masters & Luschi 2018; Kaur et al. 2023).", b.LR, b.Batch, fig)
		case claims.DoesNotHold:
			s += fmt.Sprintf(" Known limit not seen at (%g, %d): %s, within x%g of the family.", b.LR, b.Batch, fig, breakFactor)
		default:
			s += fmt.Sprintf(" Large-beta member (%g, %d): %s; a departure beyond x%g (fixed in advance) is not decided.", b.LR, b.Batch, fig, breakFactor)
		}
	}
	return s
}

// breakOutcome decides whether a break member departs from the family:
// Holds (the break is shown) when the interval of its log departure lies
// beyond log breakFactor either way, DoesNotHold when it lies inside
// [-log breakFactor, log breakFactor], Inconclusive otherwise.
func breakOutcome(iv stats.Interval) claims.Outcome {
	l := math.Log(breakFactor)
	switch {
	case iv.Lo > l || iv.Hi < -l:
		return claims.Holds
	case claims.Within(iv, -l, l) == claims.Holds:
		return claims.DoesNotHold
	}
	return claims.Inconclusive
}

// figures are the key numbers goldens compare and benchmarks report.
// Names are stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{
		"a/lambda_spread_over_gap": sum.LambdaR.Estimate,
		"b/acc_spread_over_gap":    sum.AccR.Estimate,
		"c/spearman_rho":           sum.Rho.Rho,
		"trace_spread_over_gap":    sum.TraceR.Estimate,
		"spearman_rho_val_acc":     sum.RhoAcc.Rho,
	}
	for _, p := range sum.Points {
		k := p.Key()
		f["lambda_max/"+k] = p.Lambda.Estimate
		f["tr_h/"+k] = p.TrH.Estimate
		f["val_acc/"+k] = p.ValAcc.Estimate
	}
	for _, b := range sum.Breaks {
		f["break/"+b.Key()+"/log_departure"] = b.Departure.Estimate
	}
	return f
}
