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
}

type pointSummary struct {
	point
	Ratio float64
	Runs  []runSummary
	// Intervals over seeds; lambda figures as geometric means.
	Peak, PeakEpoch, T90Frac, Early, Final, ValAcc stats.Interval
	EtaPeak, EtaFinal, MaxEtaLam, EtaLamPost       float64
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
}

func summariseRun(r claims.SeedRun, lr float64, earlyStep int) runSummary {
	s := runSummary{Seed: r.Seed}
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
		for _, r := range p.Runs {
			earlyStep := rec.EarlyEpoch * r.StepsPerEpoch
			rs := summariseRun(r, p.LR, earlyStep)
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
	return sum
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

	// (a) every (eta, S) peaks or plateaus early.
	a := claims.Check{Name: "a: peak or plateau early",
		Statistic: fmt.Sprintf("plateau time t90 (first point of the smoothed lambda_max at %g of its maximum) as a fraction of training, mean over seeds, per (eta, S)", t90Level),
		Threshold: fmt.Sprintf("95%% CI below %g at every (eta, S)", t90Max),
		Reason:    "CLAIMS.md: a peak or plateau 'inside the first ~20% of training'; the thesis: 'within the first few epochs'"}
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
	a.Outcome, a.Value = o, stats.NaNInterval()
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
		all = append(all, fmt.Sprintf("(%g, %d) %s", p.LR, p.Batch, stats.G3(p.T90Frac.Estimate)))
	}
	a.Detail += "; all: " + strings.Join(all, ", ")

	// (b) the early order is the final order.
	b := claims.Check{Name: "b: early order kept to the end",
		Statistic: fmt.Sprintf("Kendall tau between lambda_max across the %d (eta, S) at the end of the early phase (epoch %d) and at the end, per seed, mean over seeds", len(sum.Points), sum.EarlyEpoch),
		Threshold: fmt.Sprintf("95%% CI above %g", tauMin),
		Reason:    "tau 0.6 allows 2 of 10 pairs to swap (settings of nearly equal eta/S may swap by noise); unrelated orders give tau 0 +- 0.41 per seed"}
	if sum.TauErr != "" {
		b = claims.Failed(b.Name, b.Statistic, b.Threshold, b.Reason, errors.New(sum.TauErr))
	} else {
		b.Value, b.Outcome = sum.Tau, claims.Above(sum.Tau, tauMin)
		var per []string
		for _, t := range sum.Taus {
			per = append(per, fmt.Sprintf("%.2f", t))
		}
		b.Detail = "per seed: " + strings.Join(per, ", ")
	}

	// (c) the early level is ordered by eta/S.
	c := claims.Check{Name: "c: early level set by eta/S",
		Statistic: fmt.Sprintf("Spearman rho of log(eta/S) and log lambda_max at the end of the early phase (epoch %d), over all runs", sum.EarlyEpoch),
		Threshold: fmt.Sprintf("95%% Fisher-z CI below %g", rhoMax),
		Reason:    "larger eta or smaller S, lower curvature: a strong negative rank correlation; -0.5 is the conventional edge of a strong one"}
	if sum.RhoErr != "" {
		c = claims.Failed(c.Name, c.Statistic, c.Threshold, c.Reason, errors.New(sum.RhoErr))
	} else {
		c.Value, c.Outcome = sum.Rho.CI, claims.Below(sum.Rho.CI, rhoMax)
		c.Detail = fmt.Sprintf("rho %.3f over %d runs, permutation p = %.2g", sum.Rho.Rho, sum.Rho.N, sum.Rho.P)
	}
	checks := []claims.Check{a, b, c}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
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
	return f
}
