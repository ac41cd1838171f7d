package exchangeability

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

func tablesOf(rec record, sum summary, cfg config) []claims.Table {
	grid := claims.Table{
		Title: "C1: endpoints across the (eta, S) grid",
		Caption: fmt.Sprintf("After %d epochs of constant-step SGD (%s). lambda_max and Tr(H): Hessian of the mean cross-entropy on the first %d training images, "+
			"eval mode; lambda_max as geometric mean over seeds, Tr(H) as mean, both with 95%% t-intervals over seeds. Accuracies in percent, mean [95%% CI]. "+
			"Role: family = same eta/S; control = 4x lower or higher ratio; grid = extra ratio for the rank correlation; break = large-beta member of the family "+
			"(the known limit). eta lambda_max is against 2, the stability edge of full-batch descent.", cfg.Epochs, cfg.Model, cfg.ProbeN),
		Header: []string{"role", "eta", "S", "eta/S", "lambda_max [95% CI]", "eta lambda_max", "Tr(H) [95% CI]", "val acc % [95% CI]", "train acc %", "train loss", "diverged"},
	}
	for _, p := range sum.Points {
		grid.Rows = append(grid.Rows, []string{p.Role, stats.G3(p.LR), fmt.Sprint(p.Batch), stats.G3(p.Ratio), p.Lambda.String(), stats.G3(p.EtaLambda),
			p.TrH.String(), p.ValAcc.Format("%.2f", 100), fmt.Sprintf("%.2f", 100*p.TrainAcc.Estimate), fmt.Sprintf("%.4f", p.TrainLoss.Estimate), fmt.Sprint(p.Diverged)})
	}
	target := "none (" + sum.TargetErr + ")"
	if sum.TargetErr == "" {
		target = stats.G3(sum.Target)
	}
	match := claims.Table{
		Title: "C1: lambda_max at a matched training loss",
		Caption: fmt.Sprintf("Matched loss: %s, the lowest rung of the ladder %v that every run of the family, the controls and the extra ratios reached "+
			"(mean cross-entropy on the %d probe images, eval mode, evaluated %d times per epoch). Each run is measured at its first evaluation at or "+
			"below it: the loss there and the epoch, means [95%% CI] over seeds; lambda_max as geometric mean. Checks d and e read this table; "+
			"a and c read the end of training.", target, claims.LossLadder, cfg.ProbeN, cfg.LossChecks),
		Header: []string{"role", "eta", "S", "eta/S", "lambda_max at matched loss [95% CI]", "loss there [95% CI]", "epoch [95% CI]", "lambda_max at the end"},
	}
	for _, p := range sum.Points {
		match.Rows = append(match.Rows, []string{p.Role, stats.G3(p.LR), fmt.Sprint(p.Batch), stats.G3(p.Ratio), p.LambdaM.String(), p.LossM.Format("%.3g", 1), p.EpochM.Format("%.2f", 1), stats.G3(p.Lambda.Estimate)})
	}
	seeds := claims.Table{
		Title: "C1: spread inside the family over the gap to the controls, per seed",
		Caption: "R = (max - min over the family members) / (distance of the nearer control from the family mean), one value per seed (paired runs). " +
			"lambda_max and Tr(H) on a log scale, accuracy as is. Checks a, b (end of training) and d (matched loss) need the 95% t-interval of R below 0.5; Tr(H) is reported, not checked.",
		Header: []string{"seed", "R lambda_max (end)", "R val acc", "R Tr(H)", "R lambda_max (matched loss)"},
	}
	for i, s := range sum.Seeds {
		at := func(xs []float64) string {
			if i < len(xs) {
				return stats.G3(xs[i])
			}
			return "n/a"
		}
		seeds.Rows = append(seeds.Rows, []string{fmt.Sprint(s), at(sum.LambdaRs), at(sum.AccRs), at(sum.TraceRs), at(sum.LambdaMRs)})
	}
	seeds.Rows = append(seeds.Rows, []string{"mean [95% CI]", sum.LambdaR.String(), sum.AccR.String(), sum.TraceR.String(), sum.LambdaMR.String()})
	brk := claims.Table{
		Title: "C1: where exchangeability breaks (large beta)",
		Caption: fmt.Sprintf("Members of the family scaled up (eta and S both multiplied by beta). Departure = log lambda_max minus the family's mean log lambda_max, "+
			"same seed, mean [95%% t-interval]; 'factor' is exp of it. The break counts as shown when the interval excludes a factor %g either way. "+
			"This is the claim's known limit (Masters & Luschi 2018; Kaur, Cohen & Lipton 2023), not a failure of it.", breakFactor),
		Header: []string{"eta", "S", "beta", "log departure [95% CI]", "factor", "val acc minus family, points [95% CI]", "diverged", "break shown"},
	}
	for _, b := range sum.Breaks {
		shown := string(b.Outcome)
		if b.Err != "" {
			shown += ": " + b.Err
		}
		brk.Rows = append(brk.Rows, []string{stats.G3(b.LR), fmt.Sprint(b.Batch), stats.G3(b.Beta(sum)), b.Departure.String(), stats.G3(math.Exp(b.Departure.Estimate)),
			(stats.Interval{Estimate: 100 * b.AccDiff.Estimate, Lo: 100 * b.AccDiff.Lo, Hi: 100 * b.AccDiff.Hi}).String(), fmt.Sprintf("%d of %d", b.Diverged, b.Seeds), shown})
	}
	where := "not within the grid"
	if !math.IsNaN(sum.BreakBeta) {
		where = fmt.Sprintf("beta %g (S = %d)", sum.BreakBeta, sum.BreakBetaS)
	}
	beta := claims.Table{
		Title: "C1: where exchangeability breaks, along beta",
		Caption: fmt.Sprintf("Every member of the family and its large-beta extension (eta and S both x beta, beta = S/%d): per seed, |log lambda_max minus the family's mean| "+
			"over the distance of the nearer 4x-ratio control from that mean, mean [95%% t-interval] over seeds. Above 1 the member departs from the family by more "+
			"than a 4x change of eta/S moves the endpoint: exchangeability has broken. It breaks at %s. For comparison (information): Masters & Luschi 2018 "+
			"find that at a fixed eta/S large batches lose accuracy and stability; Sclocchi & Wyart 2024 find that above a crossover batch size SGD behaves as "+
			"gradient descent, set by eta rather than eta/S.", rec.BaseBatch, where),
		Header: []string{"role", "beta", "eta", "S", "|departure| / control gap [95% CI]", "diverged", "broken"},
	}
	for _, b := range sum.Betas {
		beta.Rows = append(beta.Rows, []string{b.Role, stats.G3(b.Beta), stats.G3(b.LR), fmt.Sprint(b.Batch), b.Ratio.String(), fmt.Sprintf("%d of %d", b.Diverged, len(sum.Seeds)), fmt.Sprint(b.Breaks)})
	}
	return []claims.Table{grid, match, seeds, brk, beta}
}

func plotsOf(sum summary) []claims.Plot {
	lam := claims.Plot{
		Name: "c1_lambda_vs_ratio", Title: "C1: sharpness of the SGD endpoint against eta/S",
		XLabel: "learning rate / batch size, eta/S  (dimensionless)", YLabel: "lambda_max of the training-loss Hessian  (nats / parameter^2)",
		LogX: true, LogY: true,
		Caption: "Each marker is one (eta, S), geometric mean over seeds with 95% t-interval error bars, after equal epochs of constant-step SGD. " +
			"Members of the same-ratio family share one eta/S and are drawn slightly apart in x so that all three are visible; controls and extra " +
			"ratios (S = 64) form the line. Open markers: the family scaled to large beta, where exchangeability is known to break.",
	}
	acc := claims.Plot{
		Name: "c1_valacc_vs_ratio", Title: "C1: validation accuracy against eta/S",
		XLabel: "learning rate / batch size, eta/S  (dimensionless)", YLabel: "validation accuracy  (%)", LogX: true,
		Caption: "Mean over seeds with 95% t-interval error bars; the same runs and markers as the lambda_max plot (family members drawn slightly apart in x).",
	}
	trh := claims.Plot{
		Name: "c1_trace_vs_ratio", Title: "C1: Tr(H) of the SGD endpoint against eta/S",
		XLabel: "learning rate / batch size, eta/S  (dimensionless)", YLabel: "Tr(H) of the training-loss Hessian  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: "Hutch++ estimate, mean over seeds with 95% t-interval error bars; the same runs and markers as the lambda_max plot.",
	}
	jitter := []float64{0.9, 1, 1.1, 0.85, 1.15}
	var line, lineA, lineT claims.Series
	line = claims.Series{Label: "other ratios (S = 64): controls and grid", Kind: claims.LinePoints}
	lineA, lineT = line, line
	fi := 0
	type pt struct {
		x float64
		p pointSummary
	}
	var others []pt
	for _, p := range sum.Points {
		switch p.Role {
		case roleFamily:
			x := p.Ratio * jitter[fi%len(jitter)]
			fi++
			label := fmt.Sprintf("family: eta=%g, S=%d", p.LR, p.Batch)
			lam.Series = append(lam.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{p.Lambda.Estimate}, YLo: []float64{p.Lambda.Lo}, YHi: []float64{p.Lambda.Hi}})
			acc.Series = append(acc.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{100 * p.ValAcc.Estimate}, YLo: []float64{100 * p.ValAcc.Lo}, YHi: []float64{100 * p.ValAcc.Hi}})
			trh.Series = append(trh.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{p.TrH.Estimate}, YLo: []float64{p.TrH.Lo}, YHi: []float64{p.TrH.Hi}})
		case roleControl, roleGrid:
			others = append(others, pt{p.Ratio, p})
		}
	}
	// The S = 64 line, family's S = 64 member included, in ratio order.
	for _, p := range sum.Points {
		if p.Role == roleFamily && p.Batch == 64 {
			others = append(others, pt{p.Ratio, p})
		}
	}
	for i := 1; i < len(others); i++ {
		for j := i; j > 0 && others[j].x < others[j-1].x; j-- {
			others[j], others[j-1] = others[j-1], others[j]
		}
	}
	for _, o := range others {
		if o.p.Batch != 64 || math.IsNaN(o.p.Lambda.Estimate) {
			continue
		}
		p := o.p
		line.X, line.Y, line.YLo, line.YHi = append(line.X, o.x), append(line.Y, p.Lambda.Estimate), append(line.YLo, p.Lambda.Lo), append(line.YHi, p.Lambda.Hi)
		lineA.X, lineA.Y, lineA.YLo, lineA.YHi = append(lineA.X, o.x), append(lineA.Y, 100*p.ValAcc.Estimate), append(lineA.YLo, 100*p.ValAcc.Lo), append(lineA.YHi, 100*p.ValAcc.Hi)
		lineT.X, lineT.Y, lineT.YLo, lineT.YHi = append(lineT.X, o.x), append(lineT.Y, p.TrH.Estimate), append(lineT.YLo, p.TrH.Lo), append(lineT.YHi, p.TrH.Hi)
	}
	lam.Series = append(lam.Series, line)
	acc.Series = append(acc.Series, lineA)
	trh.Series = append(trh.Series, lineT)
	bi := 0
	for _, p := range sum.Points {
		if p.Role != roleBreak || math.IsNaN(p.Lambda.Estimate) {
			continue
		}
		x := p.Ratio * jitter[(fi+bi)%len(jitter)]
		bi++
		label := fmt.Sprintf("large beta (known break): eta=%g, S=%d", p.LR, p.Batch)
		lam.Series = append(lam.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{p.Lambda.Estimate}, YLo: []float64{p.Lambda.Lo}, YHi: []float64{p.Lambda.Hi}})
		if p.ValAcc.Hi-p.ValAcc.Lo < 0.04 {
			acc.Series = append(acc.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{100 * p.ValAcc.Estimate}, YLo: []float64{100 * p.ValAcc.Lo}, YHi: []float64{100 * p.ValAcc.Hi}})
		} else {
			// A member whose training failed in some seeds would squash the
			// axis; its accuracy goes into the caption instead.
			acc.Caption += fmt.Sprintf(" Left out: eta=%g, S=%d at %s%% (95%% CI), training unstable in some seeds.", p.LR, p.Batch, p.ValAcc.Format("%.2f", 100))
		}
		trh.Series = append(trh.Series, claims.Series{Label: label, Kind: claims.Points, X: []float64{x}, Y: []float64{p.TrH.Estimate}, YLo: []float64{p.TrH.Lo}, YHi: []float64{p.TrH.Hi}})
	}
	mt := claims.Plot{
		Name: "c1_matched_lambda_vs_ratio", Title: "C1: sharpness at a matched training loss against eta/S",
		XLabel: "learning rate / batch size, eta/S  (dimensionless)", YLabel: "lambda_max at the matched loss  (nats / parameter^2)", LogX: true, LogY: true,
		Caption: fmt.Sprintf("lambda_max at the first loss evaluation at or below %s (the matched training loss, on the probe images), geometric mean over seeds "+
			"with 95%% t-interval error bars; family members drawn slightly apart in x. Compare with the end-of-training plot: there the higher ratios have also trained further.", stats.G3(sum.Target)),
	}
	fi = 0
	var ml claims.Series
	ml = claims.Series{Label: "other ratios: controls and grid", Kind: claims.LinePoints}
	for _, o := range others {
		p := o.p
		if p.Role == roleFamily || math.IsNaN(p.LambdaM.Estimate) {
			continue
		}
		ml.X, ml.Y, ml.YLo, ml.YHi = append(ml.X, o.x), append(ml.Y, p.LambdaM.Estimate), append(ml.YLo, p.LambdaM.Lo), append(ml.YHi, p.LambdaM.Hi)
	}
	for _, p := range sum.Points {
		if p.Role != roleFamily || math.IsNaN(p.LambdaM.Estimate) {
			continue
		}
		x := p.Ratio * jitter[fi%len(jitter)]
		fi++
		mt.Series = append(mt.Series, claims.Series{Label: fmt.Sprintf("family: eta=%g, S=%d", p.LR, p.Batch), Kind: claims.Points,
			X: []float64{x}, Y: []float64{p.LambdaM.Estimate}, YLo: []float64{p.LambdaM.Lo}, YHi: []float64{p.LambdaM.Hi}})
	}
	if len(ml.X) > 0 {
		mt.Series = append(mt.Series, ml)
	}
	plots := []claims.Plot{lam, acc, trh}
	if len(mt.Series) > 0 {
		plots = append(plots, mt)
	}
	return plots
}

func notesOf(rec record, sum summary, cfg config) []string {
	model := fmt.Sprintf("Model: %s on %s. P1's own setups are its 20-layer ReLU MLP on Fashion-MNIST and ResNet-56 / VGG-11 on CIFAR-10 (the full scale's setups); "+
		"a network whose Hessian-vector product on %d examples costs milliseconds keeps the %d runs with their curvature inside the quick budget.",
		cfg.Model, map[string]string{"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}[cfg.Dataset], cfg.ProbeN, len(rec.Points)*len(sum.Seeds))
	if cfg.Model == mlp20 || cfg.Dataset == "cifar10" {
		model = fmt.Sprintf("Model: %s, P1's own setup, %d runs.", cfg.Model, len(rec.Points)*len(sum.Seeds))
	}
	notes := []string{
		model,
		"Two comparisons: at the end of training (equal epochs, checks a-c) and at a matched training loss (checks d, e). Equal epochs are not equal loss: " +
			"the higher ratios train further in the same epochs, and lambda_max falls as the loss falls, so a flatter endpoint at equal epochs may only mean a lower loss. " +
			"P1's argument compares minima of the same height; d and e compare each run at the first loss evaluation at or below a loss every judged run reached.",
		"Equal epochs at every grid point: under the SDE approximation time is (eta/S) N epochs, so same-ratio runs are compared at the same SDE time; " +
			"the 4x controls differ both in noise scale and in SDE time, as in the paper's fixed-epoch comparison.",
		"The large-beta members are the claim's known limit, reported and not scored: scaling eta and S together keeps eta/S but not eta itself, " +
			"and a large eta bounds lambda_max near 2/eta whatever the noise (Masters & Luschi 2018; Kaur, Cohen & Lipton 2023; Cohen et al. 2021).",
	}
	if rec.LambdaStamp != "" {
		notes = append(notes, "lambda_max measured as: "+rec.LambdaStamp)
	}
	if rec.TraceStamp != "" {
		notes = append(notes, "Tr(H) measured as: "+rec.TraceStamp)
	}
	for _, pr := range rec.Points {
		if pr.Role != roleBreak {
			continue
		}
		failed := 0
		for _, r := range pr.Runs {
			if !r.Diverged && float64(r.ValAcc) < 0.5 {
				failed++
			}
		}
		if failed > 0 {
			notes = append(notes, fmt.Sprintf("eta=%g, S=%d: training failed without diverging in %d of %d seeds (validation accuracy below 50%%): "+
				"evidence of the break that neither departure statistic counts.", pr.LR, pr.Batch, failed, len(pr.Runs)))
		}
	}
	for _, p := range sum.Points {
		if p.Diverged > 0 {
			notes = append(notes, fmt.Sprintf("eta=%g, S=%d: %d of %d runs diverged (NaN/Inf loss); their figures are missing.", p.LR, p.Batch, p.Diverged, len(sum.Seeds)))
		}
	}
	if sum.RhoAccErr == "" {
		notes = append(notes, fmt.Sprintf("For information: Spearman rho of log(eta/S) and validation accuracy over the same runs is %.2f [%.2f, %.2f] "+
			"(the claim expects higher accuracy with a higher ratio only up to a point).", sum.RhoAcc.Rho, sum.RhoAcc.CI.Lo, sum.RhoAcc.CI.Hi))
	}
	return notes
}
