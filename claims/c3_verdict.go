package claims

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// c3RunSummary is one trajectory reduced to the figures of the checks.
type c3RunSummary struct {
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

type c3PointSummary struct {
	c3Point
	Ratio float64
	Runs  []c3RunSummary
	// Intervals over seeds; lambda figures as geometric means.
	Peak, PeakEpoch, T90Frac, Early, Final, ValAcc stats.Interval
	EtaPeak, EtaFinal, MaxEtaLam, EtaLamPost       float64
	// Mean trajectory over seeds (every seed measures at the same steps).
	Epoch             []float64
	Lam, LamLo, LamHi []float64
}

type c3Summary struct {
	Seeds      []uint64
	EarlyEpoch int
	Points     []c3PointSummary
	Taus       []float64 // per seed
	Tau        stats.Interval
	TauErr     string
	Rho        stats.Correlation
	RhoErr     string
	// Orders per seed: config indices sorted by lambda_max, early and final.
	EarlyOrder, FinalOrder [][]int
}

func c3SummariseRun(r c3Run, lr float64, earlyStep int) c3RunSummary {
	s := c3RunSummary{Seed: r.Seed}
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
		if v >= c3T90Level*s.Peak {
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

func c3Summarise(rec c3Record) c3Summary {
	sum := c3Summary{EarlyEpoch: rec.EarlyEpoch}
	for _, r := range rec.Points[0].Runs {
		sum.Seeds = append(sum.Seeds, r.Seed)
	}
	for _, p := range rec.Points {
		ps := c3PointSummary{c3Point: p.c3Point, Ratio: p.Ratio}
		var peak, pe, t90, early, final, acc, maxEL, post []float64
		for _, r := range p.Runs {
			earlyStep := rec.EarlyEpoch * r.StepsPerEpoch
			rs := c3SummariseRun(r, p.LR, earlyStep)
			ps.Runs = append(ps.Runs, rs)
			if !rs.OK {
				continue
			}
			peak, pe, t90 = append(peak, rs.Peak), append(pe, rs.PeakEpoch), append(t90, rs.T90Frac)
			early, final, acc = append(early, rs.Early), append(final, rs.Final), append(acc, rs.ValAcc)
			maxEL, post = append(maxEL, rs.MaxEtaLam), append(post, rs.EtaLamPost)
		}
		ps.Peak, ps.PeakEpoch, ps.T90Frac = seedInterval(peak, true, c3Level), seedInterval(pe, false, c3Level), seedInterval(t90, false, c3Level)
		ps.Early, ps.Final, ps.ValAcc = seedInterval(early, true, c3Level), seedInterval(final, true, c3Level), seedInterval(acc, false, c3Level)
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
			m := seedInterval(col, true, c3Level)
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
		sum.EarlyOrder, sum.FinalOrder = append(sum.EarlyOrder, c3Order(e)), append(sum.FinalOrder, c3Order(f))
	}
	if sum.TauErr == "" {
		if v, err := stats.MeanT(sum.Taus, c3Level); err != nil {
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
	if sum.Rho, err = stats.SpearmanTest(x, y, c3Level, c3Perms, 3); err != nil {
		sum.RhoErr = err.Error()
	}
	return sum
}

// c3Order returns the indices of xs from the largest value to the smallest.
func c3Order(xs []float64) []int {
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

func (lockIn) Verdict(ev *Evidence) (*Verdict, error) {
	var rec c3Record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Points) == 0 || len(rec.Points[0].Runs) == 0 {
		return nil, errors.New("c3: no runs in the evidence")
	}
	sum := c3Summarise(rec)

	// (a) every (eta, S) peaks or plateaus early.
	a := Check{Name: "a: peak or plateau early",
		Statistic: fmt.Sprintf("plateau time t90 (first point of the smoothed lambda_max at %g of its maximum) as a fraction of training, mean over seeds, per (eta, S)", c3T90Level),
		Threshold: fmt.Sprintf("95%% CI below %g at every (eta, S)", c3T90Max),
		Reason:    "CLAIMS.md: a peak or plateau 'inside the first ~20% of training'; the thesis: 'within the first few epochs'"}
	var outs []Outcome
	worst := -1
	for i, p := range sum.Points {
		if math.IsNaN(p.T90Frac.Hi) {
			outs = append(outs, Inconclusive)
			continue
		}
		outs = append(outs, Below(p.T90Frac, c3T90Max))
		if worst < 0 || p.T90Frac.Hi > sum.Points[worst].T90Frac.Hi {
			worst = i
		}
	}
	o, decider := AllOf(outs)
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
	b := Check{Name: "b: early order kept to the end",
		Statistic: fmt.Sprintf("Kendall tau between lambda_max across the %d (eta, S) at the end of the early phase (epoch %d) and at the end, per seed, mean over seeds", len(sum.Points), sum.EarlyEpoch),
		Threshold: fmt.Sprintf("95%% CI above %g", c3TauMin),
		Reason:    "tau 0.6 allows 2 of 10 pairs to swap (settings of nearly equal eta/S may swap by noise); unrelated orders give tau 0 +- 0.41 per seed"}
	if sum.TauErr != "" {
		b = Failed(b.Name, b.Statistic, b.Threshold, b.Reason, errors.New(sum.TauErr))
	} else {
		b.Value, b.Outcome = sum.Tau, Above(sum.Tau, c3TauMin)
		var per []string
		for _, t := range sum.Taus {
			per = append(per, fmt.Sprintf("%.2f", t))
		}
		b.Detail = "per seed: " + strings.Join(per, ", ")
	}

	// (c) the early level is ordered by eta/S.
	c := Check{Name: "c: early level set by eta/S",
		Statistic: fmt.Sprintf("Spearman rho of log(eta/S) and log lambda_max at the end of the early phase (epoch %d), over all runs", sum.EarlyEpoch),
		Threshold: fmt.Sprintf("95%% Fisher-z CI below %g", c3RhoMax),
		Reason:    "larger eta or smaller S, lower curvature: a strong negative rank correlation; -0.5 is the conventional edge of a strong one"}
	if sum.RhoErr != "" {
		c = Failed(c.Name, c.Statistic, c.Threshold, c.Reason, errors.New(sum.RhoErr))
	} else {
		c.Value, c.Outcome = sum.Rho.CI, Below(sum.Rho.CI, c3RhoMax)
		c.Detail = fmt.Sprintf("rho %.3f over %d runs, permutation p = %.2g", sum.Rho.Rho, sum.Rho.N, sum.Rho.P)
	}
	checks := []Check{a, b, c}
	v := &Verdict{Outcome: Combine(checks), Checks: checks}
	v.Summary = c3SummaryText(v, sum)
	return v, nil
}

func c3SummaryText(v *Verdict, sum c3Summary) string {
	s := PerCheck(v.Checks)
	// eta lambda_max against 2: at the smoothed peak, after the early
	// phase (mean), and the largest single measurement.
	lo, hi, plo, phi, maxEL := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var at c3Point
	for _, p := range sum.Points {
		if math.IsNaN(p.EtaPeak) {
			continue
		}
		lo, hi = math.Min(lo, p.EtaPeak), math.Max(hi, p.EtaPeak)
		plo, phi = math.Min(plo, p.EtaLamPost), math.Max(phi, p.EtaLamPost)
		if p.MaxEtaLam > maxEL {
			maxEL, at = p.MaxEtaLam, p.c3Point
		}
	}
	if !math.IsInf(lo, 0) {
		s += fmt.Sprintf(" Against the stability edge 2: eta lambda_max at the smoothed peak is %.2g to %.2g across (eta, S), after the early phase %.2g to %.2g on average; "+
			"the largest single measurement is %.2g (eta=%g, S=%d).", lo, hi, plo, phi, maxEL, at.LR, at.Batch)
	}
	return s
}

// c3Figures are the key numbers goldens compare and benchmarks report.
// Names are stable: add, don't rename.
func c3Figures(sum c3Summary) map[string]float64 {
	f := map[string]float64{
		"b/kendall_tau_mean": sum.Tau.Estimate,
		"c/spearman_rho":     sum.Rho.Rho,
	}
	worst := math.NaN()
	for _, p := range sum.Points {
		k := p.key()
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

func c3Tables(sum c3Summary, cfg c3Config) []Table {
	t := Table{
		Title: "C3: lambda_max along the trajectory, per (eta, S)",
		Caption: fmt.Sprintf("lambda_max of the Hessian of the mean cross-entropy on the first %d training images (eval mode). Curvatures are geometric means "+
			"over seeds, times and fractions arithmetic means, all with 95%% t-intervals. Peak = maximum of the 3-point running median; t90 = first "+
			"point at %g of that maximum, as a fraction of the %d epochs; early = end of epoch %d; final = median of the last three epochs. "+
			"eta lambda_max is against 2, the stability edge of full-batch descent (Cohen et al. 2021).", cfg.ProbeN, c3T90Level, cfg.Epochs, sum.EarlyEpoch),
		Header: []string{"eta", "S", "eta/S", "at init", "peak [95% CI]", "peak epoch [95% CI]", "t90 fraction [95% CI]", "early [95% CI]",
			"final [95% CI]", "eta peak", "eta final", "max eta lambda", "val acc %"},
	}
	for _, p := range sum.Points {
		var init []float64
		for _, r := range p.Runs {
			if r.OK {
				init = append(init, r.Init)
			}
		}
		t.Rows = append(t.Rows, []string{stats.G3(p.LR), fmt.Sprint(p.Batch), stats.G3(p.Ratio), stats.G3(stats.Mean(init)), p.Peak.String(), p.PeakEpoch.String(),
			p.T90Frac.String(), p.Early.String(), p.Final.String(), stats.G3(p.EtaPeak), stats.G3(p.EtaFinal), stats.G3(p.MaxEtaLam), p.ValAcc.Format("%.2f", 100)})
	}
	o := Table{
		Title:   "C3: the order of lambda_max across (eta, S), early and final, per seed",
		Caption: fmt.Sprintf("Settings from the sharpest to the flattest, at the end of epoch %d and at the end of training; tau = Kendall's tau-b between the two sets of values.", sum.EarlyEpoch),
		Header:  []string{"seed", "early order (sharpest first)", "final order", "Kendall tau"},
	}
	name := func(ord []int) string {
		var s []string
		for _, i := range ord {
			s = append(s, fmt.Sprintf("(%g,%d)", sum.Points[i].LR, sum.Points[i].Batch))
		}
		return strings.Join(s, " > ")
	}
	for i := range sum.EarlyOrder {
		o.Rows = append(o.Rows, []string{fmt.Sprint(sum.Seeds[i]), name(sum.EarlyOrder[i]), name(sum.FinalOrder[i]), fmt.Sprintf("%.2f", sum.Taus[i])})
	}
	return []Table{t, o}
}

func c3Plots(sum c3Summary) []Plot {
	lam := Plot{
		Name: "c3_lambda_trajectory", Title: "C3: sharpness along the SGD trajectory for each (eta, S)",
		XLabel: "epoch  (log scale)", YLabel: "lambda_max of the training-loss Hessian  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: "Geometric mean over seeds of lambda_max on a fixed set of training examples, with 95% t-interval error bars; dense points in the first " +
			"epoch (the early 'zoom'), then one per epoch; the measurement at initialisation (epoch 0) cannot be drawn on the log axis. Dashed: 2/eta " +
			"for each learning rate, the largest curvature full-batch descent with that step tolerates (edge of stability, Cohen et al. 2021).",
	}
	el := Plot{
		Name: "c3_eta_lambda_trajectory", Title: "C3: eta x lambda_max along the trajectory, against the stability edge 2",
		XLabel: "epoch  (log scale)", YLabel: "eta x lambda_max  (dimensionless)", LogX: true,
		Caption: "The step size times the sharpest curvature (geometric mean over seeds). Full-batch gradient descent on a quadratic oscillates " +
			"along the sharpest direction above 1 and diverges above 2 (dashed); Cohen et al. 2021 find full-batch training rises to 2 and stays there.",
	}
	ef := Plot{
		Name: "c3_early_vs_final", Title: "C3: lambda_max at the end of the early phase against the final lambda_max",
		XLabel: fmt.Sprintf("lambda_max at the end of epoch %d  (nats / parameter^2)", sum.EarlyEpoch), YLabel: "final lambda_max  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: "One marker per run (seed), one series per (eta, S). The claim is that the order along x is the order along y: the curvature level " +
			"reached early is kept to the end. Dashed: y = x.",
	}
	etas := map[float64]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range sum.Points {
		label := fmt.Sprintf("eta=%g, S=%d", p.LR, p.Batch)
		s := Series{Label: label, Kind: LinePoints}
		e := Series{Label: label, Kind: LinePoints}
		for i, x := range p.Epoch {
			if x <= 0 || math.IsNaN(p.Lam[i]) {
				continue
			}
			s.X, s.Y, s.YLo, s.YHi = append(s.X, x), append(s.Y, p.Lam[i]), append(s.YLo, p.LamLo[i]), append(s.YHi, p.LamHi[i])
			e.X, e.Y = append(e.X, x), append(e.Y, p.LR*p.Lam[i])
		}
		lam.Series, el.Series = append(lam.Series, s), append(el.Series, e)
		etas[p.LR] = true
		sc := Series{Label: label, Kind: Points}
		for _, r := range p.Runs {
			if r.OK {
				sc.X, sc.Y = append(sc.X, r.Early), append(sc.Y, r.Final)
				lo, hi = math.Min(lo, math.Min(r.Early, r.Final)), math.Max(hi, math.Max(r.Early, r.Final))
			}
		}
		ef.Series = append(ef.Series, sc)
	}
	x0, x1 := math.Inf(1), math.Inf(-1)
	for _, p := range sum.Points {
		for _, x := range p.Epoch {
			if x > 0 {
				x0, x1 = math.Min(x0, x), math.Max(x1, x)
			}
		}
	}
	if !math.IsInf(x0, 0) {
		var ls []float64
		for e := range etas {
			ls = append(ls, e)
		}
		slices.Sort(ls)
		for _, e := range ls {
			lam.Series = append(lam.Series, Series{Label: fmt.Sprintf("2/eta, eta=%g", e), Kind: Line, Reference: true, X: []float64{x0, x1}, Y: []float64{2 / e, 2 / e}})
		}
		el.Series = append(el.Series, Series{Label: "2: edge of stability", Kind: Line, Reference: true, X: []float64{x0, x1}, Y: []float64{2, 2}})
	}
	if !math.IsInf(lo, 0) {
		ef.Series = append(ef.Series, Series{Label: "y = x", Kind: Line, Reference: true, X: []float64{lo / 1.2, hi * 1.2}, Y: []float64{lo / 1.2, hi * 1.2}})
	}
	return []Plot{lam, el, ef}
}

func c3Notes(rec c3Record, sum c3Summary, cfg c3Config) []string {
	notes := []string{
		fmt.Sprintf("Model: %s on MNIST instead of the paper's SimpleCNN / ResNet-32 on CIFAR-10 and Fashion-MNIST: MNIST is the data this suite has, "+
			"and a small MLP lets each run measure lambda_max up to %d times within the quick budget. The grid is the paper's two one-dimensional "+
			"grids moved to where this model trains in %d epochs.", cfg.Model, 1+cfg.ZoomPoints*cfg.ZoomEpochs+cfg.Epochs, cfg.Epochs),
		"Plain SGD without momentum or weight decay and a constant learning rate: the curvature dynamics the claim describes, with no schedule to " +
			"confound the end of training.",
	}
	if rec.Stamp != "" {
		notes = append(notes, "lambda_max measured as: "+rec.Stamp)
	}
	for _, p := range sum.Points {
		n := 0
		for _, r := range p.Runs {
			if !r.OK {
				n++
			}
		}
		if n > 0 {
			notes = append(notes, fmt.Sprintf("eta=%g, S=%d: %d of %d runs diverged or were not measured; they are left out.", p.LR, p.Batch, n, len(p.Runs)))
		}
	}
	var parts []string
	for _, p := range sum.Points {
		parts = append(parts, fmt.Sprintf("(%g, %d): peak %.2g, after the early phase %.2g on average, max %.2g", p.LR, p.Batch, p.EtaPeak, p.EtaLamPost, p.MaxEtaLam))
	}
	notes = append(notes, "eta x lambda_max against 2 (edge of stability): "+strings.Join(parts, "; ")+".")
	return notes
}
