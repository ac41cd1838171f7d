package lockin

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// runSummary is one trajectory reduced to the figures of the checks.
type runSummary struct {
	Seed       uint64
	OK         bool    // trained without divergence and measured
	Init       float64 // lambda_max at initialisation
	Peak       float64 // maximum of the smoothed trajectory
	PeakEpoch  float64
	T90Frac    float64 // plateau time as a fraction of training
	T90Epoch   float64
	Early      float64 // lambda_max at the end of the early phase
	Final      float64 // lambda_max at the end
	MaxEtaLam  float64 // max over raw measurements of eta lambda_max
	ValAcc     float64
	TrainAcc   float64
	EtaLamPost float64 // mean eta lambda_max after the early phase
	// v2: the early phase in SDE time.
	EarlyS  float64 // smoothed lambda_max at the early step (SDE time t_e)
	T90SDE  float64 // SDE time eta x steps of t90
	LossEnd float64 // probe loss at the last measurement
	// After the early phase (SDE time), over end-of-epoch measurements:
	// mean eta x batch sharpness, eta x mean mini-batch lambda_max, eta x
	// lambda_max (NaN when not measured).
	EtaSharp, EtaSharpLam, EtaLamEp float64
	// Growth is lambda_max at the end over lambda_max at the middle of
	// training (raw measurements): above 1, still sharpening.
	Growth float64
}

type pointSummary struct {
	point
	Ratio float64
	Runs  []runSummary
	// Intervals over seeds; lambda figures as geometric means.
	Peak, PeakEpoch, T90Frac, Early, Final, ValAcc stats.Interval
	EtaPeak, EtaFinal, MaxEtaLam, EtaLamPost       float64
	EarlyS, T90SDE, LambdaM, LossEnd, Growth       stats.Interval
	EtaSharp, EtaSharpLam, EtaLamEp                stats.Interval
	EarlyStep                                      int
	// eta x batch sharpness at every epoch end, mean over seeds.
	SharpEpoch, EtaSharpTraj []float64
	// Mean trajectory over seeds (every seed measures at the same steps).
	Epoch             []float64
	Lam, LamLo, LamHi []float64
}

type summary struct {
	Seeds      []uint64
	EarlyEpoch int
	Points     []pointSummary
	Taus       []float64 // per seed
	Tau        stats.Interval
	TauErr     string
	Rho        stats.Correlation
	RhoErr     string
	// Orders per seed: config indices sorted by lambda_max, early and final.
	EarlyOrder, FinalOrder [][]int
	// v2: the early phase in SDE time, and the matched training loss.
	EarlySDE    float64
	TausS       []float64
	TauS        stats.Interval
	TauSErr     string
	RhoS        stats.Correlation
	RhoSErr     string
	EarlyOrderS [][]int
	FinalOrderS [][]int
	Target      float64
	TargetErr   string
	RhoM        stats.Correlation
	RhoMErr     string
}

func summariseRun(r claims.SeedRun, lr float64, earlyStep, earlyStepS int) runSummary {
	nan := math.NaN()
	s := runSummary{Seed: r.Seed, EarlyS: nan, T90SDE: nan, LossEnd: nan, EtaSharp: nan, EtaSharpLam: nan, EtaLamEp: nan, Growth: nan}
	if r.Diverged || len(r.Points) < 3 {
		return s
	}
	var lam, ep []float64
	for _, p := range r.Points {
		if math.IsNaN(float64(p.Lambda)) {
			return s
		}
		lam, ep = append(lam, float64(p.Lambda)), append(ep, p.Epoch)
	}
	s.OK = true
	s.Init = lam[0]
	sm := stats.Median3(lam)
	pi := 0
	for i, v := range sm {
		if v > sm[pi] {
			pi = i
		}
	}
	s.Peak, s.PeakEpoch = sm[pi], ep[pi]
	for i, v := range sm {
		if v >= t90Level*s.Peak {
			s.T90Frac, s.T90Epoch = float64(r.Points[i].Step)/float64(r.Steps), ep[i]
			break
		}
	}
	// Early: the median of the last three measurements up to earlyStep.
	var upTo []float64
	var post []float64
	for i, p := range r.Points {
		if p.Step <= earlyStep {
			upTo = append(upTo, lam[i])
		} else {
			post = append(post, lr*lam[i])
		}
		s.MaxEtaLam = math.Max(s.MaxEtaLam, lr*lam[i])
	}
	s.Early = stats.Median(upTo[max(0, len(upTo)-3):])
	s.Final = stats.Median(lam[len(lam)-3:])
	s.EtaLamPost = stats.Mean(post)
	s.ValAcc, s.TrainAcc = float64(r.ValAcc), float64(r.TrainAcc)
	// v2: the early phase in SDE time.
	for i, p := range r.Points {
		if p.Step == earlyStepS {
			s.EarlyS = sm[i]
		}
		if p.Step <= earlyStepS && math.IsNaN(s.EarlyS) && i+1 < len(r.Points) && r.Points[i+1].Step > earlyStepS {
			s.EarlyS = sm[i] // not measured at the step itself (a record without it): the last point before
		}
	}
	for i, v := range sm {
		if v >= t90Level*s.Peak {
			s.T90SDE = lr * float64(r.Points[i].Step)
			break
		}
	}
	s.LossEnd = float64(r.Points[len(r.Points)-1].Loss)
	var sh, shl, el []float64
	for _, p := range r.Points {
		if r.StepsPerEpoch > 0 && p.Step%r.StepsPerEpoch == 0 && p.Step > earlyStepS {
			el = append(el, lr*float64(p.Lambda))
			if p.Sharp != 0 {
				sh = append(sh, lr*float64(p.Sharp))
			}
			if p.SharpLambda != 0 {
				shl = append(shl, lr*float64(p.SharpLambda))
			}
		}
	}
	if len(el) > 0 {
		s.EtaLamEp = stats.Mean(el)
	}
	if len(sh) > 0 {
		s.EtaSharp = stats.Mean(sh)
	}
	if len(shl) > 0 {
		s.EtaSharpLam = stats.Mean(shl)
	}
	for i, p := range r.Points {
		if p.Step >= r.Steps/2 {
			s.Growth = lam[len(lam)-1] / lam[i]
			break
		}
	}
	return s
}

func summarise(rec record) summary {
	sum := summary{EarlyEpoch: rec.EarlyEpoch}
	for _, r := range rec.Points[0].Runs {
		sum.Seeds = append(sum.Seeds, r.Seed)
	}
	for _, p := range rec.Points {
		ps := pointSummary{point: p.point, Ratio: p.Ratio}
		var peak, pe, t90, early, final, acc, maxEL, post []float64
		ps.EarlyStep = p.EarlyStep
		var earlyS, t90s, lossEnd, growth, esh, eshl, elep []float64
		for _, r := range p.Runs {
			earlyStep := rec.EarlyEpoch * r.StepsPerEpoch
			rs := summariseRun(r, p.LR, earlyStep, p.EarlyStep)
			if rs.OK {
				earlyS, t90s, lossEnd, growth = append(earlyS, rs.EarlyS), append(t90s, rs.T90SDE), append(lossEnd, rs.LossEnd), append(growth, rs.Growth)
				esh, eshl, elep = append(esh, rs.EtaSharp), append(eshl, rs.EtaSharpLam), append(elep, rs.EtaLamEp)
			}
			ps.Runs = append(ps.Runs, rs)
			if !rs.OK {
				continue
			}
			peak, pe, t90 = append(peak, rs.Peak), append(pe, rs.PeakEpoch), append(t90, rs.T90Frac)
			early, final, acc = append(early, rs.Early), append(final, rs.Final), append(acc, rs.ValAcc)
			maxEL, post = append(maxEL, rs.MaxEtaLam), append(post, rs.EtaLamPost)
		}
		ps.Peak, ps.PeakEpoch, ps.T90Frac = claims.SeedInterval(peak, true, level), claims.SeedInterval(pe, false, level), claims.SeedInterval(t90, false, level)
		ps.Early, ps.Final, ps.ValAcc = claims.SeedInterval(early, true, level), claims.SeedInterval(final, true, level), claims.SeedInterval(acc, false, level)
		ps.EarlyS, ps.T90SDE, ps.LossEnd, ps.Growth = claims.SeedInterval(earlyS, true, level), claims.SeedInterval(t90s, false, level), claims.SeedInterval(lossEnd, false, level), claims.SeedInterval(growth, true, level)
		ps.EtaSharp, ps.EtaSharpLam, ps.EtaLamEp = claims.SeedInterval(esh, false, level), claims.SeedInterval(eshl, false, level), claims.SeedInterval(elep, false, level)
		ps.LambdaM = stats.NaNInterval()
		ps.EtaPeak, ps.EtaFinal = p.LR*ps.Peak.Estimate, p.LR*ps.Final.Estimate
		ps.MaxEtaLam, ps.EtaLamPost = math.NaN(), stats.Mean(post)
		if len(maxEL) > 0 {
			ps.MaxEtaLam = slices.Max(maxEL)
		}
		// Mean trajectory: geometric mean over the seeds that have every point.
		var tr [][]float64
		for _, r := range p.Runs {
			if r.Diverged || len(r.Points) == 0 {
				continue
			}
			var l []float64
			for _, q := range r.Points {
				l = append(l, float64(q.Lambda))
			}
			if len(tr) > 0 && len(l) != len(tr[0]) {
				continue
			}
			tr = append(tr, l)
			if len(ps.Epoch) == 0 {
				for _, q := range r.Points {
					ps.Epoch = append(ps.Epoch, q.Epoch)
				}
			}
		}
		for i := range ps.Epoch {
			var col []float64
			for _, l := range tr {
				col = append(col, l[i])
			}
			m := claims.SeedInterval(col, true, level)
			if len(col) == 1 {
				m = stats.Interval{Estimate: col[0], Lo: col[0], Hi: col[0]}
			}
			ps.Lam, ps.LamLo, ps.LamHi = append(ps.Lam, m.Estimate), append(ps.LamLo, m.Lo), append(ps.LamHi, m.Hi)
		}
		for _, r := range p.Runs {
			if r.Diverged || r.StepsPerEpoch == 0 {
				continue
			}
			k := 0
			for _, q := range r.Points {
				if q.Step == 0 || q.Step%r.StepsPerEpoch != 0 || q.Sharp == 0 {
					continue
				}
				if k == len(ps.SharpEpoch) {
					ps.SharpEpoch, ps.EtaSharpTraj = append(ps.SharpEpoch, q.Epoch), append(ps.EtaSharpTraj, 0)
				}
				if k < len(ps.SharpEpoch) && ps.SharpEpoch[k] == q.Epoch {
					ps.EtaSharpTraj[k] += p.LR * float64(q.Sharp)
				}
				k++
			}
		}
		ok := 0
		for _, r := range p.Runs {
			if !r.Diverged {
				ok++
			}
		}
		for k := range ps.EtaSharpTraj {
			ps.EtaSharpTraj[k] /= float64(max(ok, 1))
		}
		sum.Points = append(sum.Points, ps)
	}

	// Per seed: is the early order the final order?
	for si, s := range sum.Seeds {
		var e, f []float64
		ok := true
		for _, p := range sum.Points {
			r := p.Runs[si]
			ok = ok && r.OK
			e, f = append(e, r.Early), append(f, r.Final)
		}
		if !ok {
			sum.TauErr = fmt.Sprintf("seed %d: a run diverged or was not measured", s)
			continue
		}
		sum.Taus = append(sum.Taus, stats.KendallTau(e, f))
		sum.EarlyOrder, sum.FinalOrder = append(sum.EarlyOrder, order(e)), append(sum.FinalOrder, order(f))
	}
	if sum.TauErr == "" {
		if v, err := stats.MeanT(sum.Taus, level); err != nil {
			sum.TauErr = err.Error()
		} else {
			sum.Tau = v
		}
	}
	if sum.TauErr != "" {
		sum.Tau = stats.NaNInterval()
	}
	var x, y []float64
	for _, p := range sum.Points {
		for _, r := range p.Runs {
			if r.OK && r.Early > 0 {
				x, y = append(x, math.Log(p.Ratio)), append(y, math.Log(r.Early))
			}
		}
	}
	var err error
	if sum.Rho, err = stats.SpearmanTest(x, y, level, perms, 3); err != nil {
		sum.RhoErr = err.Error()
	}
	sdeAndMatched(rec, &sum)
	return sum
}

// sdeAndMatched fills in the v2 statistics: the order and level at the end
// of the early phase fixed in SDE time, and the level at a matched
// training loss.
func sdeAndMatched(rec record, sum *summary) {
	sum.EarlySDE = rec.EarlySDE
	for si, s := range sum.Seeds {
		var e, f []float64
		ok := true
		for _, p := range sum.Points {
			r := p.Runs[si]
			ok = ok && r.OK && !math.IsNaN(r.EarlyS)
			e, f = append(e, r.EarlyS), append(f, r.Final)
		}
		if !ok {
			sum.TauSErr = fmt.Sprintf("seed %d: a run diverged or was not measured at the end of the early phase", s)
			continue
		}
		sum.TausS = append(sum.TausS, stats.KendallTau(e, f))
		sum.EarlyOrderS, sum.FinalOrderS = append(sum.EarlyOrderS, order(e)), append(sum.FinalOrderS, order(f))
	}
	sum.TauS = stats.NaNInterval()
	if sum.TauSErr == "" {
		if v, err := stats.MeanT(sum.TausS, level); err != nil {
			sum.TauSErr = err.Error()
		} else {
			sum.TauS = v
		}
	}
	var x, y []float64
	for _, p := range sum.Points {
		for _, r := range p.Runs {
			if r.OK && r.EarlyS > 0 {
				x, y = append(x, math.Log(p.Ratio)), append(y, math.Log(r.EarlyS))
			}
		}
	}
	var err error
	if sum.RhoS, err = stats.SpearmanTest(x, y, level, perms, 5); err != nil {
		sum.RhoSErr = err.Error()
	}

	sum.Target = math.NaN()
	var all []*claims.CurvResult
	for pi := range rec.Points {
		for ri := range rec.Points[pi].Runs {
			all = append(all, &rec.Points[pi].Runs[ri].CurvResult)
		}
	}
	ladder := rec.Ladder
	if len(ladder) == 0 {
		ladder = claims.LossLadder
	}
	t, ok := claims.MatchedTarget(all, ladder)
	if !ok {
		sum.TargetErr = "no rung of the loss ladder was reached by every run (a run diverged or was not tracked)"
		sum.RhoMErr = sum.TargetErr
		return
	}
	sum.Target = t
	x, y = nil, nil
	for pi, p := range rec.Points {
		var lam []float64
		for _, r := range p.Runs {
			if q, ok := r.MatchedAt(t); ok && q.Lambda > 0 {
				lam = append(lam, float64(q.Lambda))
				x, y = append(x, math.Log(p.Ratio)), append(y, math.Log(float64(q.Lambda)))
			}
		}
		sum.Points[pi].LambdaM = claims.SeedInterval(lam, true, level)
	}
	if sum.RhoM, err = stats.SpearmanTest(x, y, level, perms, 6); err != nil {
		sum.RhoMErr = err.Error()
	}
}

// order returns the indices of xs from the largest value to the smallest.
func order(xs []float64) []int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] > xs[b]:
			return -1
		case xs[a] < xs[b]:
			return 1
		}
		return 0
	})
	return idx
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Points) == 0 || len(rec.Points[0].Runs) == 0 {
		return nil, errors.New("c3: no runs in the evidence")
	}
	sum := summarise(rec)

	reg := registration
	// (a) every (eta, S) peaks or plateaus early.
	a := reg.Check(checkA).New(stats.NaNInterval(), claims.Inconclusive, "")
	var outs []claims.Outcome
	worst := -1
	for i, p := range sum.Points {
		if math.IsNaN(p.T90Frac.Hi) {
			outs = append(outs, claims.Inconclusive)
			continue
		}
		outs = append(outs, claims.Below(p.T90Frac, t90Max))
		if worst < 0 || p.T90Frac.Hi > sum.Points[worst].T90Frac.Hi {
			worst = i
		}
	}
	o, decider := claims.AllOf(outs)
	a.Outcome = o
	show := worst
	if decider >= 0 {
		show = decider
	}
	if show >= 0 {
		p := sum.Points[show]
		a.Value = p.T90Frac
		a.Detail = fmt.Sprintf("%s at eta=%g, S=%d", map[bool]string{true: "deciding point", false: "latest point"}[decider >= 0], p.LR, p.Batch)
	}
	var all []string
	for _, p := range sum.Points {
		all = append(all, fmt.Sprintf("(%g, %d) %s (SDE time %s)", p.LR, p.Batch, stats.G3(p.T90Frac.Estimate), stats.G3(p.T90SDE.Estimate)))
	}
	a.Detail += "; all: " + strings.Join(all, ", ")

	tauCheck := func(name string, tau stats.Interval, taus []float64, why, extra string) claims.Check {
		rc := reg.Check(name)
		if why != "" {
			return rc.Failed(errors.New(why))
		}
		var per []string
		for _, t := range taus {
			per = append(per, fmt.Sprintf("%.2f", t))
		}
		return rc.New(tau, claims.Above(tau, tauMin), extra+"per seed: "+strings.Join(per, ", "))
	}
	rhoCheck := func(name string, rho stats.Correlation, why, extra string) claims.Check {
		rc := reg.Check(name)
		if why != "" {
			return rc.Failed(errors.New(why))
		}
		return rc.New(rho.CI, claims.Below(rho.CI, rhoMax), fmt.Sprintf("%srho %.3f over %d runs, permutation p = %.2g", extra, rho.Rho, rho.N, rho.P))
	}
	var steps []string
	for _, p := range sum.Points {
		steps = append(steps, fmt.Sprintf("(%g, %d) step %d", p.LR, p.Batch, p.EarlyStep))
	}
	sde := fmt.Sprintf("early phase ends at SDE time %.3g: %s; ", sum.EarlySDE, strings.Join(steps, ", "))
	v1 := fmt.Sprintf("early phase = epoch %d; ", sum.EarlyEpoch)
	target := ""
	if sum.TargetErr == "" {
		target = fmt.Sprintf("matched loss %g; ", sum.Target)
	}
	checks := []claims.Check{
		a,
		tauCheck(checkB, sum.TauS, sum.TausS, sum.TauSErr, sde),
		rhoCheck(checkC, sum.RhoS, sum.RhoSErr, sde),
		rhoCheck(checkD, sum.RhoM, sum.RhoMErr, target),
		sharpCheck(reg.Check(checkSharp), sum),
		tauCheck(checkB1, sum.Tau, sum.Taus, sum.TauErr, v1),
		rhoCheck(checkC1, sum.Rho, sum.RhoErr, v1),
	}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
}

// sharpEdge is the band around 2 in which eta x batch sharpness counts as
// at the edge of stochastic stability (information check).
const sharpLo, sharpHi = 1.5, 2.5

// sharpCheck reports eta x batch sharpness after the early phase against
// 2, with eta x lambda_max beside it; its value is the point farthest from
// the band.
func sharpCheck(rc claims.RegisteredCheck, sum summary) claims.Check {
	var outs []claims.Outcome
	var parts []string
	show, far := -1, -1.0
	for i, p := range sum.Points {
		iv := p.EtaSharp
		if math.IsNaN(iv.Estimate) {
			outs = append(outs, claims.Inconclusive)
			parts = append(parts, fmt.Sprintf("(%g, %d) not measured", p.LR, p.Batch))
			continue
		}
		outs = append(outs, claims.Within(iv, sharpLo, sharpHi))
		f := fmt.Sprintf("(%g, %d) eta x batch sharpness %s, eta x lambda_max %s", p.LR, p.Batch, iv.Format("%.2f", 1), p.EtaLamEp.Format("%.2f", 1))
		if !math.IsNaN(p.EtaSharpLam.Estimate) {
			f += fmt.Sprintf(", eta x mean mini-batch lambda_max %s", p.EtaSharpLam.Format("%.2f", 1))
		}
		parts = append(parts, f)
		if d := math.Abs(math.Log(iv.Estimate / 2)); d > far {
			show, far = i, d
		}
	}
	o, _ := claims.AllOf(outs)
	val := stats.NaNInterval()
	if show >= 0 {
		val = sum.Points[show].EtaSharp
	}
	return rc.New(val, o, strings.Join(parts, "; "))
}

func summaryText(v *claims.Verdict, sum summary) string {
	s := claims.PerCheck(v.Checks)
	// eta lambda_max against 2: at the smoothed peak, after the early
	// phase (mean), and the largest single measurement.
	lo, hi, plo, phi, maxEL := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var at point
	for _, p := range sum.Points {
		if math.IsNaN(p.EtaPeak) {
			continue
		}
		lo, hi = math.Min(lo, p.EtaPeak), math.Max(hi, p.EtaPeak)
		plo, phi = math.Min(plo, p.EtaLamPost), math.Max(phi, p.EtaLamPost)
		if p.MaxEtaLam > maxEL {
			maxEL, at = p.MaxEtaLam, p.point
		}
	}
	if !math.IsInf(lo, 0) {
		s += fmt.Sprintf(" Against the stability edge 2: eta lambda_max at the smoothed peak is %.2g to %.2g across (eta, S), after the early phase %.2g to %.2g on average; "+
			"the largest single measurement is %.2g (eta=%g, S=%d).", lo, hi, plo, phi, maxEL, at.LR, at.Batch)
	}
	return s
}

// figures are the key numbers goldens compare and benchmarks report.
// Names are stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{
		"b/kendall_tau_mean": sum.Tau.Estimate,
		"c/spearman_rho":     sum.Rho.Rho,
	}
	worst := math.NaN()
	for _, p := range sum.Points {
		k := p.Key()
		f["peak_lambda/"+k] = p.Peak.Estimate
		f["peak_epoch/"+k] = p.PeakEpoch.Estimate
		f["t90_fraction/"+k] = p.T90Frac.Estimate
		f["early_lambda/"+k] = p.Early.Estimate
		f["final_lambda/"+k] = p.Final.Estimate
		f["eta_peak_lambda/"+k] = p.EtaPeak
		f["max_eta_lambda/"+k] = p.MaxEtaLam
		f["val_acc/"+k] = p.ValAcc.Estimate
		if !(p.T90Frac.Estimate <= worst) {
			worst = p.T90Frac.Estimate
		}
	}
	f["a/worst_t90_fraction"] = worst
	f["b/sde_kendall_tau_mean"] = sum.TauS.Estimate
	f["c/sde_spearman_rho"] = sum.RhoS.Rho
	f["d/matched_spearman_rho"] = sum.RhoM.Rho
	f["matched_loss_target"] = sum.Target
	f["early_sde_time"] = sum.EarlySDE
	for _, p := range sum.Points {
		k := p.Key()
		f["early_sde_lambda/"+k] = p.EarlyS.Estimate
		f["matched_lambda/"+k] = p.LambdaM.Estimate
		f["eta_batch_sharpness/"+k] = p.EtaSharp.Estimate
		f["t90_sde_time/"+k] = p.T90SDE.Estimate
	}
	return f
}
