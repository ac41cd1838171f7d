package stationaryloss

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// figures are the key numbers goldens compare and BenchmarkClaim reports.
// Names are stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{}
	for _, t := range sum.Tiers {
		var rc, rh []float64
		for i, p := range t.Points {
			f[fmt.Sprintf("%s/ratio_C/p%d", t.ID, i)] = p.RatioC.Estimate
			f[fmt.Sprintf("%s/ratio_H/p%d", t.ID, i)] = p.RatioH.Estimate
			if !math.IsNaN(p.Reshuffled.Estimate) {
				f[fmt.Sprintf("%s/reshuffled_ratio_C/p%d", t.ID, i)] = p.Reshuffled.Estimate
			}
			if !math.IsNaN(p.DriftShare) {
				f[fmt.Sprintf("%s/drift_share/p%d", t.ID, i)] = p.DriftShare
			}
			if !math.IsNaN(p.RatioExact.Estimate) {
				f[fmt.Sprintf("%s/ratio_exact/p%d", t.ID, i)] = p.RatioExact.Estimate
			}
			if p.Discrete {
				f[t.ID+"/discrete_ratio_exact"] = p.RatioExact.Estimate
				f[t.ID+"/discrete_ratio_C"] = p.RatioC.Estimate
				f[t.ID+"/discrete_exact_over_C"] = p.ExactOverC
				continue
			}
			rc = append(rc, p.RatioC.Estimate)
			rh = append(rh, p.RatioH.Estimate)
		}
		f[t.ID+"/ratio_C/mean"] = meanOf(rc)
		f[t.ID+"/ratio_H/mean"] = meanOf(rh)
		f[t.ID+"/trC_over_trH"] = t.TrCOverTrH.Estimate
		f[t.ID+"/P_lambda_max_over_trH"] = t.PLambdaMaxOverTrH
		f[t.ID+"/slope"] = t.Slope.Slope
	}
	return f
}

func tablesOf(rec record, sum summary) []claims.Table {
	grid := claims.Table{
		Title: "C2: excess loss against the prediction, per grid point",
		Caption: "Excess = time-averaged full-batch training loss minus the loss at the minimum (loss units: mean 0.5 squared error for a, " +
			"mean cross-entropy in nats for b, c and the image MLP). Predicted = eta/(4S) (N-S)/(N-1) Tr(C) at the minimum. Ratios are measured/predicted, " +
			"mean over seeds with a 95% t-interval. 'discrete' divides by the discrete-time Lyapunov prediction; 'exact' (tier a) also " +
			"includes the state-dependent noise; 'exact/1st' is the bias the first-order formula should show. 'drift/excess' (settled tiers) is the " +
			"share of the excess that is the run's drift to lower ground than the minimum (added to the excess, see the notes). 'transient' is the " +
			"quadratic model's window mean over stationary (1 = fully equilibrated). A point marked * is the discrete-regime point.",
		Header: []string{"tier", "eta", "S", "eta/S (N-S)/(N-1)", "eta lambda_max", "excess [95% CI]", "predicted (Tr C)",
			"ratio Tr C [95% CI]", "ratio Tr H [95% CI]", "ratio discrete", "ratio exact [95% CI]", "exact/1st", "drift/excess", "transient"},
	}
	for _, t := range sum.Tiers {
		for _, p := range t.Points {
			eta := stats.G3(p.LR)
			if p.Discrete {
				eta += " *"
			}
			grid.Rows = append(grid.Rows, []string{t.ID, eta, fmt.Sprint(p.Batch), stats.G3(p.NoiseScale()), stats.G3(p.EtaLambdaMax),
				p.Excess.String(), stats.G3(p.PredC), p.RatioC.String(), p.RatioH.String(), stats.G3(p.RatioDiscrete), p.RatioExact.String(), stats.G3(p.ExactOverC),
				stats.G3(p.DriftShare), stats.G3(p.Transient)})
		}
	}
	minima := claims.Table{
		Title: "C2: the minima (one per tier and seed)",
		Caption: "L* = full-batch loss at the minimum; |grad| its gradient norm (float32); Tr H, Tr C exact (dense); with weight decay (tier c) " +
			"L*, |grad| and H are those of loss + wd/2 |theta|^2, so Tr H includes wd P, while C is unchanged; rank = eigenvalues of H above " +
			"1e-6 lambda_max, of P parameters; 'neg' = eigenvalues below -1e-6 lambda_max; 'C off range' = share of Tr C in flat or negative " +
			"directions of H (which the formula cannot see).",
		Header: []string{"tier", "seed", "L*", "|grad|", "train acc", "Tr H", "Tr C", "Tr C / Tr H", "lambda_max", "lambda_min>0", "rank / P", "neg", "C off range", "Newton steps"},
	}
	for _, t := range rec.Tiers {
		for _, m := range t.Minima {
			minima.Rows = append(minima.Rows, []string{t.ID, fmt.Sprint(m.Seed), fmt.Sprintf("%.5g", float64(m.Loss)), stats.G3(float64(m.GradNorm)), stats.G3(float64(m.Accuracy)),
				stats.G3(float64(m.TrH)), stats.G3(float64(m.TrC)), stats.G3(float64(m.TrC / m.TrH)), stats.G3(float64(m.LambdaMax)), stats.G3(float64(m.LambdaMinPos)),
				fmt.Sprintf("%d / %d", m.Rank, t.P), fmt.Sprint(m.Negative), stats.G3(float64(m.NullC)), fmt.Sprint(m.Newton)})
		}
	}
	tables := []claims.Table{grid, minima}
	for ti, t := range sum.Tiers {
		if len(t.Points) == 0 || math.IsNaN(t.Points[0].Reshuffled.Estimate) {
			continue
		}
		rr := claims.Table{
			Title: fmt.Sprintf("C2 tier %s: independent batches against ordinary epoch-shuffled SGD", t.ID),
			Caption: "Ratio measured/predicted (Tr C form) for the same problems, grid and windows. Epoch-shuffled SGD (train.Run) visits every example once per epoch, " +
				"so the batch-gradient noise of an epoch sums to zero; when an epoch (N/S steps) is short against the relaxation time 1/(2 eta lambda), " +
				"the noise partly cancels and the stationary loss falls below the formula, which assumes independent batches.",
			Header: []string{"eta", "S", "steps per epoch N/S", "eta lambda_min N/S", "independent batches", "epoch-shuffled"},
		}
		tr := rec.Tiers[ti]
		var lmin float64
		for _, m := range tr.Minima {
			lmin += float64(m.LambdaMinPos) / float64(len(tr.Minima))
		}
		for _, p := range t.Points {
			spe := tr.N / p.Batch
			rr.Rows = append(rr.Rows, []string{stats.G3(p.LR), fmt.Sprint(p.Batch), fmt.Sprint(spe), stats.G3(p.LR * lmin * float64(spe)), p.RatioC.String(), p.Reshuffled.String()})
		}
		tables = append(tables, rr)
	}
	return tables
}

var tierNames = map[string]string{"a": "a: least squares", "b": "b: softmax regression", "c": "c: ReLU MLP", "mlp": "ReLU MLP on images"}

func plotsOf(rec record, sum summary) []claims.Plot {
	scatter := claims.Plot{
		Name: "c2_excess_vs_prediction", Title: "C2: stationary excess loss against eta/(4S) Tr(C)",
		XLabel: "predicted excess loss eta/(4S) (N-S)/(N-1) Tr(C)  (loss units)",
		YLabel: "measured excess loss  (loss units)", LogX: true, LogY: true,
		Caption: "Each marker is one (eta, S) grid point of one tier: the excess of the time-averaged full-batch training loss over the minimum's, " +
			"mean over seeds with 95% t-interval error bars, against the prediction of P1's Eq. (3.3) (with C; C = H in tier a). " +
			"On the dashed line y = x the prediction is exact. Loss units: mean 0.5 squared error (a), mean cross-entropy in nats (b, c).",
	}
	ratio := claims.Plot{
		Name: "c2_ratio_vs_noise_scale", Title: "C2: measured / predicted excess loss across a decade of eta/S",
		XLabel: "noise scale eta/S (N-S)/(N-1)  (dimensionless)", YLabel: "measured / predicted excess loss  (dimensionless)", LogX: true,
		Caption: fmt.Sprintf("Ratio of the measured excess loss to eta/(4S) (N-S)/(N-1) Tr(C), mean over seeds with 95%% t-interval error bars. "+
			"1 (dashed) is the thesis's prediction. Thresholds fixed in advance: every interval inside [%.2f, %.2f] for tier a, [%.2f, %.2f] for b, "+
			"[%.2f, %.2f] for c and the image MLP (a's discrete-regime point, eta lambda_max near 0.8, is judged against the exact prediction instead). The dotted line is tier a's exact discrete-time prediction with state-dependent noise, divided by the first-order one: "+
			"the bias the first-order formula should show.", 1-marginA, 1+marginA, 1-marginB, 1+marginB, ratioCLo, ratioCHi),
	}
	ratioH := claims.Plot{
		Name: "c2_ratio_H_vs_noise_scale", Title: "C2: measured excess loss / eta/(4S) Tr(H), the thesis's form",
		XLabel: "noise scale eta/S (N-S)/(N-1)  (dimensionless)", YLabel: "measured excess / (eta/(4S) (N-S)/(N-1) Tr(H))  (dimensionless)", LogX: true,
		Caption: fmt.Sprintf("Eq. (3.3) as the thesis writes it, with the Hessian in place of the gradient covariance: mean over seeds with 95%% t-interval error bars. "+
			"The thresholds are those of the Tr(C) form: [%.2f, %.2f] for tier a (first-order points; H anisotropic, condition number about %d), [%.2f, %.2f] for b, "+
			"[%.2f, %.2f] for c and the image MLP, where H is that of loss + wd/2 |theta|^2.", 1-marginA, 1+marginA, condA, 1-marginB, 1+marginB, ratioCLo, ratioCHi),
	}
	drift := claims.Plot{
		Name: "c2_drift_share", Title: "C2: drift to lower ground as a share of the excess loss, per grid point",
		XLabel: "noise scale eta/S (N-S)/(N-1)  (dimensionless)", YLabel: "drift / excess loss  (dimensionless)", LogX: true,
		Caption: "For the tiers whose minimum is found by annealing (networks), every run's end state is annealed again ('settled'); when it ends below " +
			"the minimum, the difference (drift) is added to the excess, which is then measured from the lower floor. Shown is drift / excess, " +
			"mean over seeds: how much of each point's excess comes from that correction (0: none).",
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, t := range sum.Tiers {
		s := claims.Series{Label: tierNames[t.ID], Kind: claims.Points}
		r := claims.Series{Label: tierNames[t.ID], Kind: claims.Points}
		rh := claims.Series{Label: tierNames[t.ID], Kind: claims.Points}
		dr := claims.Series{Label: tierNames[t.ID], Kind: claims.LinePoints}
		for _, p := range t.Points {
			if math.IsNaN(p.Excess.Estimate) {
				continue
			}
			s.X, s.Y = append(s.X, p.PredC), append(s.Y, p.Excess.Estimate)
			s.YLo, s.YHi = append(s.YLo, p.Excess.Lo), append(s.YHi, p.Excess.Hi)
			r.X, r.Y = append(r.X, p.NoiseScale()), append(r.Y, p.RatioC.Estimate)
			r.YLo, r.YHi = append(r.YLo, p.RatioC.Lo), append(r.YHi, p.RatioC.Hi)
			if !p.Discrete {
				rh.X, rh.Y = append(rh.X, p.NoiseScale()), append(rh.Y, p.RatioH.Estimate)
				rh.YLo, rh.YHi = append(rh.YLo, p.RatioH.Lo), append(rh.YHi, p.RatioH.Hi)
			}
			if !math.IsNaN(p.DriftShare) {
				dr.X, dr.Y = append(dr.X, p.NoiseScale()), append(dr.Y, p.DriftShare)
			}
			lo, hi = math.Min(lo, p.PredC), math.Max(hi, p.PredC)
			xlo, xhi = math.Min(xlo, p.NoiseScale()), math.Max(xhi, p.NoiseScale())
		}
		scatter.Series = append(scatter.Series, s)
		ratio.Series = append(ratio.Series, r)
		ratioH.Series = append(ratioH.Series, rh)
		if len(dr.X) > 0 {
			sortXY(dr.X, dr.Y)
			drift.Series = append(drift.Series, dr)
		}
	}
	if !math.IsInf(lo, 0) {
		scatter.Series = append(scatter.Series, claims.Series{Label: "y = x (Eq. 3.3)", Kind: claims.Line, X: []float64{lo / 1.5, hi * 1.5}, Y: []float64{lo / 1.5, hi * 1.5}, Reference: true})
		ratio.Series = append(ratio.Series, claims.Series{Label: "prediction (ratio 1)", Kind: claims.Line, X: []float64{xlo / 1.3, xhi * 1.3}, Y: []float64{1, 1}, Reference: true})
		ratioH.Series = append(ratioH.Series, claims.Series{Label: "prediction (ratio 1)", Kind: claims.Line, X: []float64{xlo / 1.3, xhi * 1.3}, Y: []float64{1, 1}, Reference: true})
	}
	if a := sum.tier("a"); a != nil {
		ex := claims.Series{Label: "a: exact / first-order prediction", Kind: claims.Line, Reference: true, Color: 1}
		for _, p := range a.Points {
			if !math.IsNaN(p.ExactOverC) {
				ex.X, ex.Y = append(ex.X, p.NoiseScale()), append(ex.Y, p.ExactOverC)
			}
		}
		sortXY(ex.X, ex.Y)
		if len(ex.X) > 0 {
			ratio.Series = append(ratio.Series, ex)
		}
	}
	plots := []claims.Plot{scatter, ratio, ratioH}
	if len(drift.Series) > 0 {
		plots = append(plots, drift)
	}
	for _, t := range rec.Tiers {
		if t.ID == "b" {
			continue
		}
		tr := claims.Plot{
			Name: "c2" + t.ID + "_trace", Title: fmt.Sprintf("C2 tier %s: excess loss along SGD runs started at the minimum", t.ID),
			XLabel: "SGD step", YLabel: "loss above the minimum  (loss units)", LogX: true, LogY: true,
			Caption: fmt.Sprintf("Seed 1 of tier %s (%s), one line per (eta, S). The loss rises from the minimum and settles in a stationary band; "+
				"dashed lines are the predicted level eta/(4S) (N-S)/(N-1) Tr(C) in the same colour order. The measurement window starts after the "+
				"burn-in given in the evidence.", t.ID, t.Title),
		}
		for _, p := range t.Points {
			if p.Trace == nil {
				continue
			}
			label := fmt.Sprintf("eta=%g, S=%d", p.LR, p.Batch)
			tr.Series = append(tr.Series, claims.Series{Label: label, Kind: claims.Line, X: jsonfloat.Float64s(p.Trace.Step), Y: jsonfloat.Float64s(p.Trace.Excess)})
		}
		k := 0
		for _, p := range t.Points {
			if p.Trace == nil || len(p.Trace.Step) == 0 {
				continue
			}
			k++
			x0, x1 := float64(p.Trace.Step[0]), float64(p.Trace.Step[len(p.Trace.Step)-1])
			tr.Series = append(tr.Series, claims.Series{Label: fmt.Sprintf("predicted, eta=%g, S=%d", p.LR, p.Batch), Kind: claims.Line, Reference: true, Color: k,
				X: []float64{x0, x1}, Y: []float64{float64(p.Trace.Pred), float64(p.Trace.Pred)}})
		}
		if len(tr.Series) > 0 {
			plots = append(plots, tr)
		}
	}
	return plots
}

func sortXY(x, y []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
			y[j], y[j-1] = y[j-1], y[j]
		}
	}
}

func notesOf(rec record, sum summary) []string {
	var notes []string
	notes = append(notes, "Batches in the verdict runs are independent draws of S distinct examples, the noise model of the derivation; "+
		"the factor (N-S)/(N-1) is the exact finite-population correction for such a batch.")
	for _, t := range rec.Tiers {
		var worstT float64 = 1
		for _, p := range t.Points {
			for _, r := range p.Runs {
				worstT = math.Min(worstT, float64(r.Transient))
			}
		}
		if worstT < 0.97 {
			notes = append(notes, fmt.Sprintf("Tier %s: some runs were too short to equilibrate fully; the quadratic model puts their window mean at %.1f%% of stationary (see 'transient').", t.ID, 100*worstT))
		}
		for _, m := range t.Minima {
			if m.Negative > 0 {
				notes = append(notes, fmt.Sprintf("Tier %s, seed %d: H has %d negative eigenvalues at the point found: not a strict minimum.", t.ID, m.Seed, m.Negative))
			}
		}
	}
	for _, t := range sum.Tiers {
		if len(t.Points) > 0 && !math.IsNaN(t.Points[0].Reshuffled.Estimate) {
			notes = append(notes, fmt.Sprintf("Tier %s was also run as ordinary epoch-shuffled SGD (train.Run); see its table: the formula describes independent batches, "+
				"and epoch-wise sampling without replacement gives a lower stationary loss when epochs are short against the relaxation time (information, not judged).", t.ID))
		}
		if !math.IsNaN(t.PLambdaMaxOverTrH) && t.ID == "a" {
			notes = append(notes, fmt.Sprintf("Tier a: H is anisotropic (condition number about %d): P lambda_max / Tr(H) = %.3g, so the Tr(H) form is told from a form in lambda_max alone.", condA, t.PLambdaMaxOverTrH))
		}
		for _, p := range t.Points {
			if p.Discrete {
				notes = append(notes, fmt.Sprintf("Tier %s, discrete-regime point (eta = %g, S = %d, eta lambda_max = %.3g): excess / first order = %s, excess / exact discrete prediction = %s; "+
					"the quadratic model predicted exact / first order = %.3g.", t.ID, p.LR, p.Batch, p.EtaLambdaMax, p.RatioC, p.RatioExact, p.ExactOverC))
			}
		}
		var worstDrift float64
		for _, p := range t.Points {
			if !math.IsNaN(p.DriftShare) {
				worstDrift = math.Max(worstDrift, p.DriftShare)
			}
		}
		if worstDrift > 0 {
			notes = append(notes, fmt.Sprintf("Tier %s: up to %.0f%% of a point's excess is drift (a settled run ended below the minimum; see 'drift/excess' and the drift plot).", t.ID, 100*worstDrift))
		}
		if worstDrift > 0.5 {
			neg := 0
			for _, tr := range rec.Tiers {
				if tr.ID == t.ID {
					for _, m := range tr.Minima {
						neg = max(neg, m.Negative)
					}
				}
			}
			notes = append(notes, fmt.Sprintf("Tier %s: the point the runs start from is not a minimum of the objective: at some grid point the drift to lower ground is more than half the excess "+
				"(over 100%% means the window's own mean lies below the starting point), and H has up to %d negative eigenvalues there. The excess then measures mostly "+
				"the descent, not the stationary fluctuation Eq. (3.3) describes: the checks on this setup test its premise ('near a minimum') as much as the formula.", t.ID, neg))
		}
	}
	return notes
}
