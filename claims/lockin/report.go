package lockin

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

func tablesOf(sum summary, cfg config) []claims.Table {
	t := claims.Table{
		Title: "C3: lambda_max along the trajectory, per (eta, S)",
		Caption: fmt.Sprintf("lambda_max of the Hessian of the mean cross-entropy on the first %d training images (eval mode). Curvatures are geometric means "+
			"over seeds, times and fractions arithmetic means, all with 95%% t-intervals. Peak = maximum of the 3-point running median; t90 = first "+
			"point at %g of that maximum, as a fraction of the %d epochs; early = end of epoch %d; final = median of the last three epochs. "+
			"eta lambda_max is against 2, the stability edge of full-batch descent (Cohen et al. 2021).", cfg.ProbeN, t90Level, cfg.Epochs, sum.EarlyEpoch),
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
	o := claims.Table{
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
	target := "none (" + sum.TargetErr + ")"
	if sum.TargetErr == "" {
		target = stats.G3(sum.Target)
	}
	v2 := claims.Table{
		Title: "C3: the early phase in SDE time, a matched training loss, and batch sharpness",
		Caption: fmt.Sprintf("Early phase: it ends at SDE time eta x steps = %.3g for every (eta, S) (%g x the smallest eta x total steps of the grid); "+
			"early (SDE) = 3-point running median of lambda_max at that step, geometric mean over seeds (checks b, c). t90 in SDE time = eta x the step of t90. "+
			"Matched loss %s: lambda_max at each run's first probe-loss evaluation at or below it (check d). After the early phase, at the end of every epoch: "+
			"eta x batch sharpness (Andreyev & Beneventano 2024: mean over %d mini-batches of size S of g_B^T H_B g_B / |g_B|^2) and eta x lambda_max, "+
			"means [95%% CI] over seeds, against 2. Growth = lambda_max at the end over lambda_max at mid-training (above 1: still sharpening). "+
			"Loss = probe loss at the end.", sum.EarlySDE, cfg.EarlyFrac, target, cfg.SharpBatches),
		Header: []string{"eta", "S", "early step", "early (SDE) [95% CI]", "t90 SDE time", "matched-loss lambda_max [95% CI]", "eta x batch sharpness [95% CI]",
			"eta x mini-batch lambda_max", "eta x lambda_max", "growth 2nd half", "loss at end"},
	}
	for _, p := range sum.Points {
		v2.Rows = append(v2.Rows, []string{stats.G3(p.LR), fmt.Sprint(p.Batch), fmt.Sprint(p.EarlyStep), p.EarlyS.String(), p.T90SDE.Format("%.3g", 1), p.LambdaM.String(),
			p.EtaSharp.Format("%.2f", 1), stats.G3(p.EtaSharpLam.Estimate), p.EtaLamEp.Format("%.2f", 1), stats.G3(p.Growth.Estimate), stats.G3(p.LossEnd.Estimate)})
	}
	o2 := claims.Table{
		Title:   "C3: the order of lambda_max across (eta, S) at the end of the early phase (SDE time) and at the end, per seed",
		Caption: fmt.Sprintf("As the table above it, with the early phase ending at SDE time %.3g (check b); tau = Kendall's tau-b.", sum.EarlySDE),
		Header:  []string{"seed", "early order (sharpest first)", "final order", "Kendall tau"},
	}
	for i := range sum.EarlyOrderS {
		o2.Rows = append(o2.Rows, []string{fmt.Sprint(sum.Seeds[i]), name(sum.EarlyOrderS[i]), name(sum.FinalOrderS[i]), fmt.Sprintf("%.2f", sum.TausS[i])})
	}
	o.Title += " (v1: early phase in epochs, information)"
	return []claims.Table{t, v2, o2, o}
}

func plotsOf(sum summary) []claims.Plot {
	lam := claims.Plot{
		Name: "c3_lambda_trajectory", Title: "C3: sharpness along the SGD trajectory for each (eta, S)",
		XLabel: "epoch  (log scale)", YLabel: "lambda_max of the training-loss Hessian  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: "Geometric mean over seeds of lambda_max on a fixed set of training examples, with 95% t-interval error bars; dense points in the first " +
			"epoch (the early 'zoom'), then one per epoch; the measurement at initialisation (epoch 0) cannot be drawn on the log axis. Dashed: 2/eta " +
			"for each learning rate, the largest curvature full-batch descent with that step tolerates (edge of stability, Cohen et al. 2021).",
	}
	el := claims.Plot{
		Name: "c3_eta_lambda_trajectory", Title: "C3: eta x lambda_max along the trajectory, against the stability edge 2",
		XLabel: "epoch  (log scale)", YLabel: "eta x lambda_max  (dimensionless)", LogX: true,
		Caption: "The step size times the sharpest curvature (geometric mean over seeds). Full-batch gradient descent on a quadratic oscillates " +
			"along the sharpest direction above 1 and diverges above 2 (dashed); Cohen et al. 2021 find full-batch training rises to 2 and stays there.",
	}
	ef := claims.Plot{
		Name: "c3_early_vs_final", Title: "C3: lambda_max at the end of the early phase against the final lambda_max",
		XLabel: fmt.Sprintf("lambda_max at the end of epoch %d  (nats / parameter^2)", sum.EarlyEpoch), YLabel: "final lambda_max  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: "One marker per run (seed), one series per (eta, S). The claim is that the order along x is the order along y: the curvature level " +
			"reached early is kept to the end. Dashed: y = x.",
	}
	etas := map[float64]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range sum.Points {
		label := fmt.Sprintf("eta=%g, S=%d", p.LR, p.Batch)
		s := claims.Series{Label: label, Kind: claims.LinePoints}
		e := claims.Series{Label: label, Kind: claims.LinePoints}
		for i, x := range p.Epoch {
			if x <= 0 || math.IsNaN(p.Lam[i]) {
				continue
			}
			s.X, s.Y, s.YLo, s.YHi = append(s.X, x), append(s.Y, p.Lam[i]), append(s.YLo, p.LamLo[i]), append(s.YHi, p.LamHi[i])
			e.X, e.Y = append(e.X, x), append(e.Y, p.LR*p.Lam[i])
		}
		lam.Series, el.Series = append(lam.Series, s), append(el.Series, e)
		etas[p.LR] = true
		sc := claims.Series{Label: label, Kind: claims.Points}
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
			lam.Series = append(lam.Series, claims.Series{Label: fmt.Sprintf("2/eta, eta=%g", e), Kind: claims.Line, Reference: true, X: []float64{x0, x1}, Y: []float64{2 / e, 2 / e}})
		}
		el.Series = append(el.Series, claims.Series{Label: "2: edge of stability", Kind: claims.Line, Reference: true, X: []float64{x0, x1}, Y: []float64{2, 2}})
	}
	if !math.IsInf(lo, 0) {
		ef.Series = append(ef.Series, claims.Series{Label: "y = x", Kind: claims.Line, Reference: true, X: []float64{lo / 1.2, hi * 1.2}, Y: []float64{lo / 1.2, hi * 1.2}})
	}
	bs := claims.Plot{
		Name: "c3_eta_batch_sharpness_trajectory", Title: "C3: eta x batch sharpness along the trajectory, against 2",
		XLabel: "epoch", YLabel: "eta x batch sharpness  (dimensionless)", LogY: true,
		Caption: "Batch sharpness (Andreyev & Beneventano 2024: the mean over mini-batches of size S of the directional curvature of the mini-batch Hessian " +
			"along the mini-batch gradient) times eta, at the end of every epoch, mean over seeds. Under SGD it is this quantity, not lambda_max, " +
			"that is expected to stabilise near 2 (the edge of stochastic stability).",
	}
	for _, p := range sum.Points {
		se := claims.Series{Label: fmt.Sprintf("eta=%g, S=%d", p.LR, p.Batch), Kind: claims.LinePoints}
		for ei, e := range p.SharpEpoch {
			if v := p.EtaSharpTraj[ei]; v > 0 {
				se.X, se.Y = append(se.X, e), append(se.Y, v)
			}
		}
		if len(se.X) > 0 {
			bs.Series = append(bs.Series, se)
		}
	}
	plots := []claims.Plot{lam, el, ef}
	if len(bs.Series) > 0 {
		x1 := 0.0
		for _, se := range bs.Series {
			x1 = math.Max(x1, slices.Max(se.X))
		}
		bs.Series = append(bs.Series, claims.Series{Label: "2: edge of stochastic stability", Kind: claims.Line, Reference: true, X: []float64{0, x1}, Y: []float64{2, 2}})
		plots = append(plots, bs)
	}
	return plots
}

func notesOf(rec record, sum summary, cfg config) []string {
	data := map[string]string{"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}[cfg.Dataset]
	model := fmt.Sprintf("Model: %s on %s instead of P3's SimpleCNN (the full scale's simplecnn-fashion-mnist setup) / ResNet-32: "+
		"a small MLP lets each run measure lambda_max up to %d times within the quick budget. The grid is the paper's two one-dimensional "+
		"grids moved to where this model trains in %d epochs.", cfg.Model, data, 1+cfg.ZoomPoints*cfg.ZoomEpochs+cfg.Epochs, cfg.Epochs)
	if strings.HasPrefix(cfg.Model, "simplecnn") {
		model = fmt.Sprintf("Model: P3's SimpleCNN on %s with P3's grid; lambda_max on %d training images.", data, cfg.ProbeN)
	}
	notes := []string{
		model,
		fmt.Sprintf("The early phase ends at the same SDE time eta x steps = %.3g for every (eta, S) (checks b, c): one SGD step advances the SDE of thesis Eq. 3.2 by "+
			"dt = eta, and eta/S sets its noise, not its clock, so eta x steps is the time (issue 12 wrote eta x steps / S; that would advance a large-S run "+
			"%dx slower than a small-S run at the same eta). v1 ended it at epoch %d for every (eta, S): %d steps at S = %d, %d at S = %d.",
			sum.EarlySDE, maxBatch(cfg)/minBatch(cfg), sum.EarlyEpoch, sum.EarlyEpoch*(cfg.TrainN/minBatch(cfg)), minBatch(cfg), sum.EarlyEpoch*(cfg.TrainN/maxBatch(cfg)), maxBatch(cfg)),
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
	// Why a point plateaus late (check a): is lambda_max still rising at
	// the end, and how far is it from the stability edge?
	for _, p := range sum.Points {
		if !(p.T90Frac.Estimate >= t90Max) {
			continue
		}
		rising := fmt.Sprintf("lambda_max is still rising at the end (x%.3g over the second half of training)", p.Growth.Estimate)
		if p.Growth.Estimate < 1.1 {
			rising = fmt.Sprintf("lambda_max rises until then and stays (x%.3g over the second half of training)", p.Growth.Estimate)
		}
		var early []string
		for _, q := range sum.Points {
			if q.T90Frac.Estimate < t90Max {
				early = append(early, fmt.Sprintf("(%g, %d) at SDE time %.2g with eta x peak lambda_max %.2g", q.LR, q.Batch, q.T90SDE.Estimate, q.EtaPeak))
			}
		}
		notes = append(notes, fmt.Sprintf("Why (%g, %d) plateaus late: t90 at %.2g of training, SDE time %.3g of this run's %.3g; %s, from %.3g at initialisation to %.3g, "+
			"while eta x lambda_max stays at most %.2g, far below the stability edge 2 (2/eta = %.3g); the probe loss at the end is %.3g. "+
			"The runs that plateau early do so when eta x lambda_max reaches about 2, where the step size caps the curvature: %s. "+
			"At this eta the cap is out of reach, so lambda_max grows by progressive sharpening until the network's own curvature saturates, "+
			"which takes most of the training here: late even in SDE time, not only in epochs. A finding about the claim (the lock-in level and time are "+
			"the stability edge's), not a setup to tune.",
			p.LR, p.Batch, p.T90Frac.Estimate, p.T90SDE.Estimate, p.LR*float64(cfg.Epochs*(cfg.TrainN/p.Batch)), rising, initOf(p), p.Final.Estimate,
			p.MaxEtaLam, 2/p.LR, p.LossEnd.Estimate, strings.Join(early, "; ")))
	}
	return notes
}

func initOf(p pointSummary) float64 {
	var xs []float64
	for _, r := range p.Runs {
		if r.OK {
			xs = append(xs, r.Init)
		}
	}
	return stats.Mean(xs)
}

func minBatch(cfg config) int {
	m := cfg.Points[0].Batch
	for _, p := range cfg.Points {
		m = min(m, p.Batch)
	}
	return m
}

func maxBatch(cfg config) int {
	m := cfg.Points[0].Batch
	for _, p := range cfg.Points {
		m = max(m, p.Batch)
	}
	return m
}
