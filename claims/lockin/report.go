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
	return []claims.Table{t, o}
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
	return []claims.Plot{lam, el, ef}
}

func notesOf(rec record, sum summary, cfg config) []string {
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
