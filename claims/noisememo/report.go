package noisememo

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// figuresOf: the key numbers goldens compare and BenchmarkClaim reports.
// Names are stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{
		"rho":          sum.Rho.Rho,
		"rho_lo":       sum.Rho.CI.Lo,
		"rho_hi":       sum.Rho.CI.Hi,
		"rho_val":      sum.RhoVal.Rho,
		"reached_frac": float64(sum.Reached) / float64(max(sum.Runs, 1)),
		"ends_diff":    sum.EndsDiffIv.Estimate,
		"ends_diff_lo": sum.EndsDiffIv.Lo,
	}
	for _, p := range sum.Points {
		k := p.Key + "/"
		f[k+"mislabelled_acc"] = p.MisIv.Estimate
		f[k+"mislabelled_true_acc"] = p.MisTrueIv.Estimate
		f[k+"val_acc"] = p.ValIv.Estimate
		f[k+"epochs_to_level"] = p.EpochIv.Estimate
	}
	return f
}

func tablesOf(rec record, sum summary) []claims.Table {
	main := claims.Table{
		Title: fmt.Sprintf("C6: at the matched point (first measurement with clean-row training accuracy >= %g), per grid point", rec.Level),
		Caption: "Mean over seeds with 95% t-intervals. Accuracies in % (evaluation mode): 'mislabelled (noisy labels)' = the rows whose label the " +
			"noise changed, against the label trained on (memorisation); '(true labels)' = the same rows against their original label; " +
			"'held-out' = clean test images. 'epochs' = epochs trained when the level was reached. 'reached' = runs that reached the level. " +
			"'largest fall' = the largest drop of the clean-row accuracy between consecutive measurements before the matched point (points): " +
			"how much the fit of the clean part fluctuates at that (eta, S); information.",
		Header: []string{"eta", "S", "eta/S", "reached", "epochs", "mislabelled (noisy labels)", "mislabelled (true labels)", "held-out", "largest fall, clean rows"},
	}
	for _, p := range sum.Points {
		main.Rows = append(main.Rows, []string{stats.G3(p.LR), fmt.Sprint(p.Batch), stats.G3(p.ratio()), fmt.Sprintf("%d/%d", p.Reached, len(p.Mis)),
			p.EpochIv.Format("%.1f", 1), p.MisIv.Format("%.1f", 100), p.MisTrueIv.Format("%.1f", 100), p.ValIv.Format("%.1f", 100), p.MaxDropIv.Format("%.1f", 100)})
	}
	rank := claims.Table{
		Title:   "C6: rank correlations with log(eta/S) over every run",
		Caption: "Spearman rho with its Fisher-z 95% interval and a permutation p-value; check 1 needs the interval below -0.5, the held-out row is information.",
		Header:  []string{"quantity at the matched point", "rho", "permutation p", "runs"},
	}
	rank.Rows = append(rank.Rows,
		[]string{"mislabelled-row accuracy (memorisation)", sum.Rho.CI.Format("%.3f", 1), stats.G3(sum.Rho.P), fmt.Sprint(sum.Rho.N)},
		[]string{"held-out accuracy", sum.RhoVal.CI.Format("%.3f", 1), stats.G3(sum.RhoVal.P), fmt.Sprint(sum.RhoVal.N)})
	subsets := claims.Table{
		Title:   "C6: the training subsets",
		Caption: "Per seed: rows whose label the noise left unchanged (clean; includes redrawn rows that drew their own label) and rows it changed (mislabelled).",
		Header:  []string{"seed", "clean rows", "mislabelled rows"},
	}
	for _, s := range rec.Subsets {
		subsets.Rows = append(subsets.Rows, []string{fmt.Sprint(s.Seed), fmt.Sprint(s.Clean), fmt.Sprint(s.Mislabelled)})
	}
	return []claims.Table{main, rank, subsets}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	scatter := claims.Plot{
		Name: "c6_memorisation_vs_ratio", Title: fmt.Sprintf("C6: memorisation at clean-row training accuracy %g against eta/S", rec.Level),
		XLabel: "eta/S (learning rate / batch size, log scale)", YLabel: "accuracy on mislabelled rows vs their noisy labels (%)", LogX: true,
		Caption: "Each point is one run at its matched point (the first measurement whose clean-row training accuracy reached the level); the line " +
			"joins the means over seeds per grid point, with 95% t-interval bars (points at the same eta/S with different batch sizes are " +
			"drawn side by side on one vertical). The claim: the accuracy on the mislabelled rows falls as eta/S grows.",
	}
	runs := claims.Series{Label: "runs", Kind: claims.Points}
	means := claims.Series{Label: "mean over seeds", Kind: claims.Points}
	for _, p := range sum.Points {
		for _, m := range p.Mis {
			if !math.IsNaN(m) {
				runs.X, runs.Y = append(runs.X, p.ratio()), append(runs.Y, 100*m)
			}
		}
		means.X, means.Y = append(means.X, p.ratio()), append(means.Y, 100*p.MisIv.Estimate)
		means.YLo, means.YHi = append(means.YLo, 100*p.MisIv.Lo), append(means.YHi, 100*p.MisIv.Hi)
	}
	scatter.Series = []claims.Series{runs, means}

	traj := claims.Plot{
		Name: "c6_memorisation_vs_fit", Title: "C6: memorisation against the fit of the clean part, along training (seed 1)",
		XLabel: "accuracy on clean training rows (%)", YLabel: "accuracy on mislabelled rows vs their noisy labels (%)",
		Caption: fmt.Sprintf("One curve per grid point (seed 1), one marker per measurement (%s); each run stops at the first measurement at or "+
			"right of the dashed line, the level %g at which the runs are compared. A curve lower at the line memorised less by the time it fitted the "+
			"clean rows that well.", perEpochWords(rec.PerEpoch), rec.Level),
	}
	ymax := 0.0
	for _, pr := range rec.Points {
		if len(pr.Runs) == 0 {
			continue
		}
		s := claims.Series{Label: fmt.Sprintf("eta %g, S %d (eta/S %.3g)", pr.LR, pr.Batch, pr.ratio()), Kind: claims.LinePoints}
		for _, m := range pr.Runs[0].Curve {
			if math.IsNaN(float64(m.Clean)) || math.IsNaN(float64(m.Mis)) {
				continue
			}
			s.X, s.Y = append(s.X, 100*float64(m.Clean)), append(s.Y, 100*float64(m.Mis))
			ymax = math.Max(ymax, 100*float64(m.Mis))
		}
		traj.Series = append(traj.Series, s)
	}
	traj.Series = append(traj.Series, claims.Series{Label: fmt.Sprintf("level %g", rec.Level), Kind: claims.Line, Reference: true,
		X: []float64{100 * rec.Level, 100 * rec.Level}, Y: []float64{0, math.Max(ymax, 1)}})

	epochs := claims.Plot{
		Name: "c6_epochs_to_level", Title: fmt.Sprintf("C6: epochs to clean-row training accuracy %g against eta/S", rec.Level),
		XLabel: "eta/S (learning rate / batch size, log scale)", YLabel: "epochs trained at the matched point", LogX: true, LogY: true,
		Caption: "Mean over seeds with 95% t-interval bars. In SDE time (eta x steps / S) an epoch lasts eta N / S, so a lower ratio needs more " +
			"epochs to the same fit: the low-ratio runs also train longer before they are compared.",
	}
	es := claims.Series{Label: "mean over seeds", Kind: claims.Points}
	for _, p := range sum.Points {
		if p.EpochIv.Estimate > 0 {
			es.X, es.Y = append(es.X, p.ratio()), append(es.Y, p.EpochIv.Estimate)
			lo, hi := p.EpochIv.Lo, p.EpochIv.Hi
			if !(lo > 0) {
				lo = p.EpochIv.Estimate
			}
			es.YLo, es.YHi = append(es.YLo, lo), append(es.YHi, hi)
		}
	}
	epochs.Series = []claims.Series{es}
	return []claims.Plot{scatter, traj, epochs}
}

func notesOf(rec record, sum summary) []string {
	notes := []string{
		fmt.Sprintf("Matched point: a run is compared at the first of its measurements (%s) whose accuracy on the clean training rows reaches %g, "+
			"and stops there. Comparing at equal epochs instead would compare runs at different fits: a lower eta/S covers less SDE time per epoch.",
			perEpochWords(rec.PerEpoch), rec.Level),
		fmt.Sprintf("Label noise: %.0f%% of each seed's rows get a label drawn uniformly from the 10 classes, so about %.0f%% of the rows end up "+
			"mislabelled (a redrawn label equals the old one one time in ten); those are the rows measured as memorised.",
			100*rec.NoiseFrac, 90*rec.NoiseFrac),
	}
	if lo, hi := sum.Points[sum.Low], sum.Points[sum.High]; !math.IsNaN(lo.MaxDropIv.Estimate) && !math.IsNaN(hi.MaxDropIv.Estimate) {
		notes = append(notes, fmt.Sprintf("Fluctuation of the clean fit: before its matched point the clean-row accuracy of a run at eta/S = %.3g fell by "+
			"at most %.1f points from one measurement to the next (mean over seeds), at %.3g by %.1f points. A run that fits the clean rows "+
			"noisily reaches a high level of clean fit only when a fluctuation carries it there, which may be after it has fitted more of "+
			"the noise; the matched point compares fits, not how the runs got there (see the memorisation-against-fit plot).",
			lo.ratio(), 100*lo.MaxDropIv.Estimate, hi.ratio(), 100*hi.MaxDropIv.Estimate))
	}
	for _, p := range sum.Points {
		for _, d := range p.Diverged {
			notes = append(notes, fmt.Sprintf("(%g, %d): %s.", p.LR, p.Batch, d))
		}
	}
	return notes
}

func perEpochWords(n int) string {
	switch n {
	case 1:
		return "after every epoch"
	case 2:
		return "twice per epoch"
	}
	return fmt.Sprintf("%d times per epoch", n)
}
