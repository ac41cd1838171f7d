package exchangeability

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
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
	// At a matched training loss (claims.MatchedTarget over the family,
	// the controls and the extra ratios): the target, and the checks'
	// statistics on lambda_max there.
	Target         float64
	TargetErr      string
	LambdaMR       stats.Interval
	LambdaMRs      []float64
	LambdaMErr     string
	LambdaMSG      stats.SpreadGapResult
	RhoM           stats.Correlation
	RhoMErr        string
	FamilyDiverged int // family runs that diverged (over seeds)
	Betas          []betaSummary
	BreakBeta      float64 // smallest beta whose departure exceeds the control gap (NaN: none)
	BreakBetaS     int
}

// betaSummary is one member of the family or a large-beta member against
// the core family: per seed |log lambda_max - family mean| / control gap.
type betaSummary struct {
	point
	Beta     float64
	Ratios   []float64
	Ratio    stats.Interval
	Diverged int
	Breaks   bool // the interval lies above 1, or some seeds diverged
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
	// At the matched training loss (NaN when not reached): lambda_max
	// (geometric mean), the probe loss and the epoch of the measurement.
	LambdaM, LossM, EpochM stats.Interval
}

type breakSummary struct {
	point
	// Departure is log lambda_max minus the family's mean log lambda_max
	// (same seed), t-interval over seeds; AccDiff likewise for validation
	// accuracy (not logged).
	Departure, AccDiff stats.Interval
	Err                string
	Outcome            claims.Outcome // Holds: the break is visible (departure beyond a factor breakFactor, or diverged seeds)
	Diverged, Seeds    int
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

	for _, p := range rec.Points {
		if p.Role == roleFamily {
			for _, r := range p.Runs {
				if r.Diverged {
					sum.FamilyDiverged++
				}
			}
		}
	}
	matched(rec, &sum, perSeed)
	betas(rec, &sum)

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
			d, a := logLam(p.Runs[si])-stats.Mean(fl), acc(p.Runs[si])-stats.Mean(fa)
			if math.IsNaN(d) || math.IsInf(d, 0) {
				continue // a diverged run: counted below
			}
			dl, da = append(dl, d), append(da, a)
		}
		b.Seeds = len(p.Runs)
		for _, r := range p.Runs {
			if r.Diverged {
				b.Diverged++
			}
		}
		if iv, err := stats.MeanT(dl, level); err != nil {
			b.Err = fmt.Sprintf("not measured: %v", err)
		} else {
			b.Departure = iv
			b.Outcome = breakOutcome(iv)
		}
		if b.Diverged > 0 {
			// Divergence where the family trains is the break itself.
			b.Err = fmt.Sprintf("diverged %d of %d", b.Diverged, b.Seeds)
			if sum.FamilyDiverged == 0 {
				b.Outcome = claims.Holds
			}
		}
		if iv, err := stats.MeanT(da, level); err == nil {
			b.AccDiff = iv
		}
		sum.Breaks = append(sum.Breaks, b)
	}
	return sum
}

// matched fills in the matched-loss figures: the target (the lowest rung
// of the record's ladder that every run of the family, the controls and
// the extra ratios reached), lambda_max there per point, the spread/gap
// statistic and the rank correlation.
func matched(rec record, sum *summary, perSeed func(func(claims.SeedRun) float64) ([]float64, stats.Interval, string)) {
	nan := stats.NaNInterval()
	sum.Target, sum.LambdaMR, sum.LambdaMSG = math.NaN(), nan, stats.SpreadGapResult{Spread: math.NaN(), Gap: math.NaN(), Ratio: math.NaN(), FamilyMean: math.NaN()}
	for i := range sum.Points {
		sum.Points[i].LambdaM, sum.Points[i].LossM, sum.Points[i].EpochM = nan, nan, nan
	}
	var judged []*claims.CurvResult
	for pi := range rec.Points {
		if rec.Points[pi].Role == roleBreak {
			continue
		}
		for ri := range rec.Points[pi].Runs {
			judged = append(judged, &rec.Points[pi].Runs[ri].CurvResult)
		}
	}
	ladder := rec.Ladder
	if len(ladder) == 0 {
		ladder = claims.LossLadder
	}
	t, ok := claims.MatchedTarget(judged, ladder)
	if !ok {
		sum.TargetErr = "no rung of the loss ladder was reached by every run of the family, the controls and the extra ratios (a run diverged or was not tracked)"
		sum.LambdaMErr, sum.RhoMErr = sum.TargetErr, sum.TargetErr
		return
	}
	sum.Target = t
	at := func(r claims.SeedRun) (claims.CurvPoint, bool) { return r.MatchedAt(t) }
	logLamM := func(r claims.SeedRun) float64 {
		if q, ok := at(r); ok && q.Lambda > 0 {
			return math.Log(float64(q.Lambda))
		}
		return math.NaN()
	}
	for i, p := range rec.Points {
		var lam, loss, ep []float64
		for _, r := range p.Runs {
			if q, ok := at(r); ok {
				lam, loss, ep = append(lam, float64(q.Lambda)), append(loss, float64(q.Loss)), append(ep, q.Epoch)
			}
		}
		if len(lam) == len(p.Runs) {
			sum.Points[i].LambdaM = claims.SeedInterval(lam, true, level)
			sum.Points[i].LossM = claims.SeedInterval(loss, false, level)
			sum.Points[i].EpochM = claims.SeedInterval(ep, false, level)
		}
	}
	sum.LambdaMRs, sum.LambdaMR, sum.LambdaMErr = perSeed(logLamM)
	var fam, ctl []float64
	for _, p := range sum.Points {
		switch p.Role {
		case roleFamily:
			fam = append(fam, math.Log(p.LambdaM.Estimate))
		case roleControl:
			ctl = append(ctl, math.Log(p.LambdaM.Estimate))
		}
	}
	if sg, err := stats.SpreadGap(fam, ctl); err == nil {
		sum.LambdaMSG = sg
	}
	var x, y []float64
	for _, p := range rec.Points {
		if p.Role == roleBreak {
			continue
		}
		for _, r := range p.Runs {
			if v := logLamM(r); !math.IsNaN(v) {
				x, y = append(x, math.Log(p.Ratio)), append(y, v)
			}
		}
	}
	var err error
	if sum.RhoM, err = stats.SpearmanTest(x, y, level, perms, 4); err != nil {
		sum.RhoMErr = err.Error()
	}
}

// betas measures, for every family and large-beta member, how far its
// endpoint lies from the core family's mean in units of the gap to the
// nearer 4x control (per seed), and finds the smallest beta at which that
// exceeds 1: where exchangeability breaks.
func betas(rec record, sum *summary) {
	sum.BreakBeta = math.NaN()
	base := rec.BaseBatch
	if base <= 0 {
		return
	}
	type memb struct {
		pi   int
		beta float64
	}
	var ms []memb
	for pi, p := range rec.Points {
		if p.Role == roleFamily || p.Role == roleBreak {
			ms = append(ms, memb{pi, float64(p.Batch) / float64(base)})
		}
	}
	slices.SortStableFunc(ms, func(a, b memb) int { return cmp.Compare(a.beta, b.beta) })
	for _, m := range ms {
		p := rec.Points[m.pi]
		b := betaSummary{point: p.point, Beta: m.beta, Ratio: stats.NaNInterval()}
		for si := range sum.Seeds {
			r := p.Runs[si]
			if r.Diverged || !(r.Lambda > 0) {
				b.Diverged++
				continue
			}
			var fam, ctl []float64
			okSeed := true
			for _, q := range rec.Points {
				v := math.Log(float64(q.Runs[si].Lambda))
				if (q.Role == roleFamily || q.Role == roleControl) && (math.IsNaN(v) || math.IsInf(v, 0)) {
					okSeed = false
				}
				switch q.Role {
				case roleFamily:
					fam = append(fam, v)
				case roleControl:
					ctl = append(ctl, v)
				}
			}
			if !okSeed {
				continue
			}
			sg, err := stats.SpreadGap(fam, ctl)
			if err != nil || !(sg.Gap > 0) {
				continue
			}
			b.Ratios = append(b.Ratios, math.Abs(math.Log(float64(r.Lambda))-sg.FamilyMean)/sg.Gap)
		}
		if iv, err := stats.MeanT(b.Ratios, level); err == nil {
			b.Ratio = iv
		}
		b.Breaks = b.Ratio.Lo > 1 || (b.Diverged > 0 && sum.FamilyDiverged == 0 && p.Role == roleBreak)
		if b.Breaks && math.IsNaN(sum.BreakBeta) {
			sum.BreakBeta, sum.BreakBetaS = b.Beta, p.Batch
		}
		sum.Betas = append(sum.Betas, b)
	}
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
	reg := registration
	spreadCheck := func(name string, iv stats.Interval, rs []float64, why string, sg stats.SpreadGapResult, unit func(float64) string, extra string) claims.Check {
		rc := reg.Check(name)
		if why != "" {
			return rc.Failed(errors.New(why))
		}
		var per []string
		for _, r := range rs {
			per = append(per, stats.G3(r))
		}
		return rc.New(iv, claims.Below(iv, spreadGapMax),
			fmt.Sprintf("%sper seed: %s; on seed means: family spread %s, gap to the nearer control %s", extra, strings.Join(per, ", "), unit(sg.Spread), unit(sg.Gap)))
	}
	rhoCheck := func(name string, rho stats.Correlation, why, extra string) claims.Check {
		rc := reg.Check(name)
		if why != "" {
			return rc.Failed(errors.New(why))
		}
		return rc.New(rho.CI, claims.Below(rho.CI, rhoMax), fmt.Sprintf("%srho %.3f over %d runs, permutation p = %.2g", extra, rho.Rho, rho.N, rho.P))
	}
	logUnit := func(x float64) string { return fmt.Sprintf("%s in log (x%.3g)", stats.G3(x), math.Exp(x)) }
	pctUnit := func(x float64) string { return fmt.Sprintf("%.2f points", 100*x) }
	target := ""
	if sum.TargetErr == "" {
		target = fmt.Sprintf("matched loss %g; ", sum.Target)
	}
	checks := []claims.Check{
		spreadCheck(checkA, sum.LambdaR, sum.LambdaRs, sum.LambdaErr, sum.LambdaSG, logUnit, "equal epochs; "),
		spreadCheck(checkB, sum.AccR, sum.AccRs, sum.AccErr, sum.AccSG, pctUnit, ""),
		rhoCheck(checkC, sum.Rho, sum.RhoErr, "equal epochs; "),
		spreadCheck(checkD, sum.LambdaMR, sum.LambdaMRs, sum.LambdaMErr, sum.LambdaMSG, logUnit, target),
		rhoCheck(checkE, sum.RhoM, sum.RhoMErr, target),
		breakCheck(reg.Check(checkBreak), sum),
		breakBetaCheck(reg.Check(checkBreakB), sum),
		spreadCheck(checkA1, sum.LambdaR, sum.LambdaRs, sum.LambdaErr, sum.LambdaSG, logUnit, "superseded by a (v2); "),
		rhoCheck(checkC1, sum.Rho, sum.RhoErr, "superseded by c (v2); "),
	}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
}

// breakCheck is the information check on the large-beta members: each
// member's departure (or its diverged seeds); the value is the departure
// of the first member that shows the break, else of the last member.
func breakCheck(rc claims.RegisteredCheck, sum summary) claims.Check {
	if len(sum.Breaks) == 0 {
		return rc.Failed(errors.New("no large-beta member in the grid"))
	}
	var outs []claims.Outcome
	var parts []string
	show := -1
	for i, b := range sum.Breaks {
		outs = append(outs, b.Outcome)
		fig := fmt.Sprintf("lambda_max x%s", stats.G3(math.Exp(b.Departure.Estimate)))
		if b.Err != "" {
			fig = b.Err
			if !math.IsNaN(b.Departure.Estimate) {
				fig += fmt.Sprintf(", lambda_max x%s over the others", stats.G3(math.Exp(b.Departure.Estimate)))
			}
		}
		parts = append(parts, fmt.Sprintf("(%g, %d) beta %g: %s -> %s", b.LR, b.Batch, b.Beta(sum), fig, b.Outcome))
		if b.Outcome == claims.Holds && show < 0 {
			show = i
		}
	}
	if show < 0 {
		show = len(sum.Breaks) - 1
	}
	o := claims.Inconclusive
	switch {
	case slices.Contains(outs, claims.Holds):
		o = claims.Holds
	case !slices.Contains(outs, claims.Inconclusive):
		o = claims.DoesNotHold
	}
	return rc.New(sum.Breaks[show].Departure, o, strings.Join(parts, "; "))
}

// Beta is the member's beta: S over the family's base batch.
func (b breakSummary) Beta(sum summary) float64 {
	for _, m := range sum.Betas {
		if m.point == b.point {
			return m.Beta
		}
	}
	return math.NaN()
}

// breakBetaCheck reports where exchangeability breaks.
func breakBetaCheck(rc claims.RegisteredCheck, sum summary) claims.Check {
	if len(sum.Betas) == 0 {
		return rc.Failed(errors.New("no family base batch recorded: beta undefined"))
	}
	var parts []string
	val := sum.Betas[len(sum.Betas)-1].Ratio
	for _, b := range sum.Betas {
		f := fmt.Sprintf("beta %g (%g, %d): %s", b.Beta, b.LR, b.Batch, b.Ratio.String())
		if b.Diverged > 0 {
			f += fmt.Sprintf(", diverged %d of %d", b.Diverged, len(sum.Seeds))
		}
		parts = append(parts, f)
		if b.Breaks && b.Beta == sum.BreakBeta {
			val = b.Ratio
		}
	}
	o, where := claims.DoesNotHold, "not within the grid"
	if !math.IsNaN(sum.BreakBeta) {
		o, where = claims.Holds, fmt.Sprintf("breaks at beta %g (S = %d)", sum.BreakBeta, sum.BreakBetaS)
	}
	return rc.New(val, o, where+"; |departure| / control gap per member: "+strings.Join(parts, "; "))
}

func summaryText(v *claims.Verdict, sum summary) string {
	s := claims.PerCheck(v.Checks)
	for _, b := range sum.Breaks {
		if b.Err != "" {
			ev := ""
			if b.Outcome == claims.Holds {
				ev = ", which is the break (the family trains)"
			}
			s += fmt.Sprintf(" Large-beta member (%g, %d): %s%s.", b.LR, b.Batch, b.Err, ev)
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
	if math.IsNaN(sum.BreakBeta) {
		s += " The family's spread stays within the control gap up to the largest beta of the grid."
	} else {
		s += fmt.Sprintf(" Exchangeability breaks at beta %g (S = %d): lambda_max departs from the family by more than the gap to a 4x-ratio control.", sum.BreakBeta, sum.BreakBetaS)
	}
	if sum.TargetErr == "" {
		s += fmt.Sprintf(" Matched training loss: %g (probe examples).", sum.Target)
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
		f["break/"+b.Key()+"/diverged"] = float64(b.Diverged)
	}
	f["d/matched_lambda_spread_over_gap"] = sum.LambdaMR.Estimate
	f["e/matched_spearman_rho"] = sum.RhoM.Rho
	f["matched_loss_target"] = sum.Target
	f["break_beta"] = sum.BreakBeta
	for _, p := range sum.Points {
		f["matched_lambda_max/"+p.Key()] = p.LambdaM.Estimate
		f["matched_epoch/"+p.Key()] = p.EpochM.Estimate
	}
	return f
}
