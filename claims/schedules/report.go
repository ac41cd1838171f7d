package schedules

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// figuresOf: the key numbers goldens compare and BenchmarkClaim reports.
// Names are stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{}
	put := func(k string, c comparison) {
		f[k+"/acc_diff"] = c.AccIv.Estimate
		f[k+"/acc_diff_lo"] = c.AccIv.Lo
		f[k+"/acc_diff_hi"] = c.AccIv.Hi
		f[k+"/log_lambda_diff"] = c.LogIv.Estimate
		f[k+"/log_lambda_diff_lo"] = c.LogIv.Lo
		f[k+"/log_lambda_diff_hi"] = c.LogIv.Hi
	}
	put("grow_vs_decay", sum.Grow)
	put("control_vs_decay", sum.Control)
	if sum.HasCyclic {
		put("cyclic_batch_vs_rate", sum.Cyclic)
	}
	for _, cv := range sum.Curves {
		if n := len(cv.Acc); n > 0 {
			f[cv.Kind+"/final_val_acc"] = cv.Acc[n-1].Estimate
			f[cv.Kind+"/final_lambda"] = cv.Lam[n-1].Estimate
		}
		f[cv.Kind+"/steps"] = cv.TotalStepsMean
	}
	return f
}

func tablesOf(rec record, sum summary) []claims.Table {
	cmp := claims.Table{
		Title: "C5: paired trajectory differences (same seed), mean over the window's epochs",
		Caption: fmt.Sprintf("95%% t-intervals across seeds. Accuracy in points (%%); lambda_max as the mean log ratio and, in brackets, the factor it "+
			"means. Window: epochs %d-%d for the step schedules (before the first milestone they are one run), every epoch for the cyclic pair. "+
			"Margins (fixed in advance): +-%g points, +-log %g.", sum.Window[0], sum.Window[1], 100*accMargin, lamFactor),
		Header: []string{"pair", "epochs", "val. accuracy (window)", "val. accuracy (last epoch)", "log lambda_max (window)", "factor", "log lambda_max (last epoch)"},
	}
	rows := []comparison{sum.Grow, sum.Control}
	if sum.HasCyclic {
		rows = append(rows, sum.Cyclic)
	}
	for _, c := range rows {
		cmp.Rows = append(cmp.Rows, []string{c.A + " minus " + c.B, fmt.Sprintf("%d-%d", c.From, c.To), c.AccIv.Format("%.2f", 100), c.AccFinal.Format("%.2f", 100),
			c.LogIv.Format("%.3f", 1), stats.G3(math.Exp(c.LogIv.Estimate)), c.LogFinal.Format("%.3f", 1)})
	}
	traj := claims.Table{
		Title:   "C5: trajectories per schedule, mean over seeds",
		Caption: "Validation accuracy (%, mean over seeds) and lambda_max (geometric mean over seeds) after each epoch; eta and S are the schedule's at that epoch.",
		Header:  []string{"schedule"},
	}
	for e := 1; e <= rec.Epochs; e++ {
		traj.Header = append(traj.Header, fmt.Sprintf("epoch %d", e))
	}
	for _, cv := range sum.Curves {
		acc, lam, hp := []string{cv.Kind + ": accuracy"}, []string{cv.Kind + ": lambda_max"}, []string{cv.Kind + ": (eta, S)"}
		for i := range cv.Acc {
			acc = append(acc, stats.G3(100*cv.Acc[i].Estimate))
			lam = append(lam, stats.G3(cv.Lam[i].Estimate))
			if i < len(cv.LR) {
				hp = append(hp, fmt.Sprintf("(%.3g, %d)", cv.LR[i], cv.Batch[i]))
			}
		}
		traj.Rows = append(traj.Rows, hp, acc, lam)
	}
	cost := claims.Table{
		Title:   "C5: cost per schedule",
		Caption: "Optimiser steps of a run (mean over seeds) and Hessian-vector products per lambda_max measurement (warm-started Lanczos).",
		Header:  []string{"schedule", "steps", "HVPs per measurement"},
	}
	for _, cv := range sum.Curves {
		cost.Rows = append(cost.Rows, []string{cv.Kind, fmt.Sprintf("%.0f", cv.TotalStepsMean), fmt.Sprintf("%.1f", cv.HVPsPerEpoch)})
	}
	return []claims.Table{cmp, traj, cost}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	ms := make([]string, len(rec.Milestones))
	for i, m := range rec.Milestones {
		ms[i] = fmt.Sprint(m)
	}
	milestones := strings.Join(ms, " and ")
	mk := func(kinds []string, name, title string, lam bool, caption string) claims.Plot {
		p := claims.Plot{Name: name, Title: title, XLabel: "epoch", LogY: lam, Caption: caption}
		p.YLabel = "validation accuracy (%)"
		if lam {
			p.YLabel = "lambda_max (dimensionless)"
		}
		for _, cv := range sum.Curves {
			if !contains(kinds, cv.Kind) {
				continue
			}
			s := claims.Series{Label: cv.Kind, Kind: claims.LinePoints}
			for i := range cv.Acc {
				iv := cv.Acc[i]
				scale := 100.0
				if lam {
					iv, scale = cv.Lam[i], 1
				}
				if math.IsNaN(iv.Estimate) {
					continue
				}
				lo, hi := iv.Lo, iv.Hi
				if math.IsNaN(lo) || math.IsNaN(hi) {
					lo, hi = iv.Estimate, iv.Estimate
				}
				s.X, s.Y = append(s.X, float64(i+1)), append(s.Y, scale*iv.Estimate)
				s.YLo, s.YHi = append(s.YLo, scale*lo), append(s.YHi, scale*hi)
			}
			p.Series = append(p.Series, s)
		}
		return p
	}
	step := []string{kindDecay, kindGrow, kindControl}
	cyc := []string{kindCyclicRate, kindCyclicBatch}
	stepCap := fmt.Sprintf("Mean over seeds with 95%% t-interval bars (lambda_max: the top eigenvalue of the Hessian of the mean training cross-entropy on the curvature examples; geometric mean and its interval). decay: eta x1/%g at epochs %s; "+
		"grow: S x%g at the same epochs; control: neither. The three are one run until epoch %d; the claim is that grow tracks decay "+
		"and the control does not.", rec.Factor, milestones, rec.Factor, sum.Window[0]-1)
	cycCap := "Mean over seeds with 95% t-interval bars. cyclic-batch: S on a triangle at a fixed rate; cyclic-rate: S fixed, the rate set " +
		"every epoch to give the same eta/S. Information, not judged."
	plots := []claims.Plot{
		mk(step, "c5_val_acc", "C5: validation accuracy, decaying eta vs growing S", false, stepCap),
		mk(step, "c5_lambda", "C5: lambda_max along training, decaying eta vs growing S", true, stepCap),
	}
	if sum.HasCyclic {
		plots = append(plots,
			mk(cyc, "c5_cyclic_val_acc", "C5: validation accuracy, cyclic batch size vs cyclic rate", false, cycCap),
			mk(cyc, "c5_cyclic_lambda", "C5: lambda_max, cyclic batch size vs cyclic rate", true, cycCap))
	}
	diff := claims.Plot{
		Name: "c5_paired_differences", Title: "C5: paired differences from the decay run, per epoch",
		XLabel: "epoch", YLabel: "log lambda_max difference (dimensionless)",
		Caption: fmt.Sprintf("Same seed, mean over seeds with 95%% t-interval bars, epochs %d-%d. Dashed: the equivalence margin +-log %g of check 1b. "+
			"The check uses the mean over these epochs.", sum.Window[0], sum.Window[1], lamFactor),
	}
	for _, c := range []comparison{sum.Grow, sum.Control} {
		s := claims.Series{Label: c.A + " minus " + c.B, Kind: claims.LinePoints}
		for i, iv := range c.PerEpochLg {
			if math.IsNaN(iv.Estimate) || math.IsNaN(iv.Lo) {
				continue
			}
			s.X, s.Y, s.YLo, s.YHi = append(s.X, float64(c.From+i)), append(s.Y, iv.Estimate), append(s.YLo, iv.Lo), append(s.YHi, iv.Hi)
		}
		diff.Series = append(diff.Series, s)
	}
	x := []float64{float64(sum.Window[0]), float64(sum.Window[1])}
	diff.Series = append(diff.Series,
		claims.Series{Label: fmt.Sprintf("+log %g", lamFactor), Kind: claims.Line, Reference: true, X: x, Y: []float64{lamMargin, lamMargin}},
		claims.Series{Label: fmt.Sprintf("-log %g", lamFactor), Kind: claims.Line, Reference: true, X: x, Y: []float64{-lamMargin, -lamMargin}})
	return append(plots, diff)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func notesOf(cfg config, sum summary) []string {
	notes := []string{
		fmt.Sprintf("Why the same epochs: after a milestone the grow run takes %g times fewer steps per epoch at %g times the batch, so its SDE time "+
			"per epoch, eta N / S, and its noise scale eta/S equal the decay run's. The grow run trains in fewer optimiser steps (table 'cost'): "+
			"the practical point of the claim, larger batches for the same trajectory.", cfg.Factor, cfg.Factor),
		"lambda_max under a constant rate is capped near 2/eta (edge of stability, Cohen et al. 2021): the decay run's cap rises at every " +
			"milestone and the grow run's does not, so the curvature may part even where the accuracy agrees; check 1b measures that.",
	}
	for _, cv := range sum.Curves {
		for _, d := range cv.Diverged {
			notes = append(notes, fmt.Sprintf("%s: %s.", cv.Kind, d))
		}
	}
	return notes
}
