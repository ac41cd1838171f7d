package iterative

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
	f := map[string]float64{
		"acc":                 sum.AccIv.Estimate,
		"acc_lo":              sum.AccIv.Lo,
		"rho_rel":             sum.RhoRel.Rho,
		"rho_rel_hi":          sum.RhoRel.CI.Hi,
		"rho_rel_init":        sum.RhoRelInit.Rho,
		"rho_drop":            sum.RhoDrop.Rho,
		"early_minus_late":    sum.EarlyLateIv.Estimate,
		"early_minus_late_lo": sum.EarlyLateIv.Lo,
	}
	worst := math.Inf(-1)
	for _, p := range sum.Per {
		k := fmt.Sprintf("block%d/", p.Block)
		f[k+"cos"] = p.CosIv.Estimate
		f[k+"cos_hi"] = p.CosIv.Hi
		f[k+"cos_negative"] = p.CosNegIv.Estimate
		f[k+"cos_next"] = p.CosNextIv.Estimate
		f[k+"cos_init"] = p.CosInitIv.Estimate
		f[k+"rel_norm"] = p.RelIv.Estimate
		f[k+"rel_norm_init"] = p.RelInitIv.Estimate
		f[k+"drop_acc"] = p.DropIv.Estimate
		f[k+"loss_increase"] = p.LossUpIv.Estimate
		worst = math.Max(worst, p.CosIv.Hi)
	}
	f["cos_worst_hi"] = worst
	return f
}

// pct formats an interval of a fraction in percent (points).
func pct(iv stats.Interval) string { return iv.Format("%.2f", 100) }

func tablesOf(rec record, sum summary) []claims.Table {
	blocks := claims.Table{
		Title: fmt.Sprintf("C9: per block of %s after %d epochs, on held-out images", rec.Model, rec.Epochs),
		Caption: fmt.Sprintf("Mean over seeds with 95%% t-intervals; each seed's value is the mean over the first %d held-out images (traces) or "+
			"all %d (removals). Block 0 is nearest the input. cos(F, dL/dh_i): the block's residual against the gradient of the example's loss "+
			"at the block's input (check 1: below 0 for every block); '< 0' is the share of examples with a negative cosine (%%); cos(F, dL/dh_i+1) uses "+
			"the gradient at the block's output; ||F||/||h||: relative change (check 2), ||F|| and ||h|| in the units of the representation "+
			"(dimensionless). 'accuracy drop' (percentage points) and 'loss increase' (nats) are for the trained network with that block "+
			"replaced by the identity, against the full network (check 3: the first %d blocks against the last %d).",
			rec.TraceExamples, rec.ValExamples, rec.Group, rec.Group),
		Header: []string{"block", "cos(F, dL/dh_i)", "< 0 (%)", "cos(F, dL/dh_i+1)", "||F||/||h||", "||F||", "||h||", "accuracy drop (points)", "loss increase (nats)"},
	}
	for _, p := range sum.Per {
		blocks.Rows = append(blocks.Rows, []string{blockLabel(rec, p.Block), p.CosIv.Format("%+.3f", 1), p.CosNegIv.Format("%.1f", 100), p.CosNextIv.Format("%+.3f", 1),
			p.RelIv.Format("%.3g", 1), p.FNormIv.Format("%.3g", 1), p.HNormIv.Format("%.3g", 1), pct(p.DropIv), p.LossUpIv.Format("%.3g", 1)})
	}
	init := claims.Table{
		Title:   "C9: per block at initialisation (before training)",
		Caption: "The same trace on the untrained network, the baseline for checks 1 and 2 (information checks i2 and i3). Mean over seeds with 95% t-intervals.",
		Header:  []string{"block", "cos(F, dL/dh_i)", "||F||/||h||"},
	}
	if sum.HasInit {
		for _, p := range sum.Per {
			init.Rows = append(init.Rows, []string{blockLabel(rec, p.Block), p.CosInitIv.Format("%+.3f", 1), p.RelInitIv.Format("%.3g", 1)})
		}
	}
	over := claims.Table{
		Title:   "C9: mean cos(F_i(h_i), dL/dh_i) per block along training",
		Caption: "Mean over seeds (n/a where a seed lacks the trace). Epoch 0 is the initialisation. Columns: block index, 0 nearest the input.",
		Header:  []string{"epoch"},
	}
	for i := range rec.Blocks {
		over.Header = append(over.Header, fmt.Sprint(i))
	}
	for k, e := range rec.TraceEpochs {
		row := []string{fmt.Sprint(e)}
		for _, v := range sum.CosByEpoch[k] {
			if math.IsNaN(v) {
				row = append(row, "n/a")
			} else {
				row = append(row, fmt.Sprintf("%+.3f", v))
			}
		}
		over.Rows = append(over.Rows, row)
	}
	ranks := claims.Table{
		Title:   "C9: summary statistics",
		Caption: "Spearman rho with its Fisher-z 95% interval and a permutation p-value over every (seed, block) pair; the others are 95% t-intervals across seeds.",
		Header:  []string{"statistic", "value", "p", "n"},
	}
	rho := func(name string, c stats.Correlation, errText string) []string {
		if errText != "" {
			return []string{name, "n/a: " + errText, "", ""}
		}
		return []string{name, c.CI.Format("%.3f", 1), stats.G3(c.P), fmt.Sprint(c.N)}
	}
	ranks.Rows = append(ranks.Rows,
		[]string{"held-out accuracy (%)", pct(sum.AccIv), "", fmt.Sprint(len(sum.Acc))},
		rho("rho(block index, ||F||/||h||), trained (check 2)", sum.RhoRel, sum.RhoRelErr),
		rho("rho(block index, ||F||/||h||), initialisation (i3)", sum.RhoRelInit, sum.RhoRelInitErr),
		[]string{fmt.Sprintf("accuracy drop, first %d minus last %d blocks (points, check 3)", rec.Group, rec.Group), pct(sum.EarlyLateIv), "", fmt.Sprint(len(sum.EarlyLate))},
		rho("rho(block index, accuracy drop) (i4)", sum.RhoDrop, sum.RhoDropErr))
	out := []claims.Table{blocks, ranks, over}
	if sum.HasInit {
		out = append(out, init)
	}
	return out
}

func plotsOf(rec record, sum summary) []claims.Plot {
	xLabel := "block index i (0 = nearest the input; dimensionless)"
	zero := claims.Series{Label: "0", Kind: claims.Line, Reference: true, X: []float64{0, float64(rec.Blocks - 1)}, Y: []float64{0, 0}}

	cos := claims.Plot{
		Name: "c9_cosine_vs_depth", Title: "C9: alignment of each block's residual with the loss gradient, by depth",
		XLabel: xLabel, YLabel: "cos(F_i(h_i), dL/dh_i) (dimensionless)",
		Caption: fmt.Sprintf("Mean over seeds of each block's mean cosine between its residual F_i(h_i) and the gradient of the loss at its input, "+
			"after epochs %v (0 = initialisation); the last epoch with 95%% t-interval bars. Below the dashed zero line the block moves its "+
			"representation against the gradient, as iterative inference predicts (check 1: every block's interval below 0 after the last epoch).",
			rec.TraceEpochs),
	}
	for k, e := range rec.TraceEpochs {
		s := claims.Series{Label: fmt.Sprintf("after epoch %d", e), Kind: claims.LinePoints}
		if e == 0 {
			s.Label = "initialisation"
		}
		last := k == len(rec.TraceEpochs)-1
		for i, v := range sum.CosByEpoch[k] {
			if math.IsNaN(v) {
				continue
			}
			s.X, s.Y = append(s.X, float64(i)), append(s.Y, v)
			if last {
				iv := sum.Per[i].CosIv
				lo, hi := iv.Lo, iv.Hi
				if math.IsNaN(lo) || math.IsNaN(hi) {
					lo, hi = v, v
				}
				s.YLo, s.YHi = append(s.YLo, lo), append(s.YHi, hi)
			}
		}
		cos.Series = append(cos.Series, s)
	}
	next := claims.Series{Label: fmt.Sprintf("gradient at the output dL/dh_i+1, epoch %d", rec.Epochs), Kind: claims.Points}
	for _, p := range sum.Per {
		if !math.IsNaN(p.CosNextIv.Estimate) {
			next.X, next.Y = append(next.X, float64(p.Block)), append(next.Y, p.CosNextIv.Estimate)
		}
	}
	cos.Series = append(cos.Series, next, zero)

	rel := claims.Plot{
		Name: "c9_relative_change_vs_depth", Title: "C9: relative change of the representation by each block, by depth",
		XLabel: xLabel, YLabel: "||F_i(h_i)|| / ||h_i|| (dimensionless)",
		Caption: fmt.Sprintf("Mean over seeds (95%% t-interval bars) of each block's mean over held-out examples of its relative change after epoch %d, and the same at "+
			"initialisation. Check 2: Spearman rho of block index and relative change over every (seed, block) below -0.5. The initialisation "+
			"curve shows how much of the decrease is there before training.", rec.Epochs),
	}
	trained := claims.Series{Label: fmt.Sprintf("after epoch %d", rec.Epochs), Kind: claims.LinePoints}
	initial := claims.Series{Label: "initialisation", Kind: claims.LinePoints}
	for _, p := range sum.Per {
		if v := p.RelIv.Estimate; v > 0 {
			lo, hi := p.RelIv.Lo, p.RelIv.Hi
			if !(lo > 0) || math.IsNaN(hi) {
				lo, hi = v, v
			}
			trained.X, trained.Y, trained.YLo, trained.YHi = append(trained.X, float64(p.Block)), append(trained.Y, v), append(trained.YLo, lo), append(trained.YHi, hi)
		}
		if v := p.RelInitIv.Estimate; v > 0 {
			initial.X, initial.Y = append(initial.X, float64(p.Block)), append(initial.Y, v)
		}
	}
	rel.Series = []claims.Series{trained}
	if len(initial.X) > 0 {
		rel.Series = append(rel.Series, initial)
	}

	drop := claims.Plot{
		Name: "c9_accuracy_drop_vs_depth", Title: "C9: held-out accuracy lost by removing one block, by depth",
		XLabel: "index i of the removed block (0 = nearest the input; dimensionless)", YLabel: "accuracy drop (percentage points)",
		Caption: fmt.Sprintf("The trained network (epoch %d) with block i replaced by the identity (h_i+1 = h_i), evaluated on %d held-out images: "+
			"full-network accuracy minus lesioned accuracy, mean over seeds with 95%% t-interval bars. Check 3: the mean drop of the first %d "+
			"blocks exceeds that of the last %d, paired by seed.", rec.Epochs, rec.ValExamples, rec.Group, rec.Group),
	}
	ds := claims.Series{Label: "accuracy drop", Kind: claims.LinePoints}
	for _, p := range sum.Per {
		v := p.DropIv.Estimate
		if math.IsNaN(v) {
			continue
		}
		lo, hi := p.DropIv.Lo, p.DropIv.Hi
		if math.IsNaN(lo) || math.IsNaN(hi) {
			lo, hi = v, v
		}
		ds.X, ds.Y, ds.YLo, ds.YHi = append(ds.X, float64(p.Block)), append(ds.Y, 100*v), append(ds.YLo, 100*lo), append(ds.YHi, 100*hi)
	}
	drop.Series = []claims.Series{ds, zero}
	return []claims.Plot{cos, rel, drop}
}

// blockLabel is block i's row label: its index, and a CNN ResNet block's name.
func blockLabel(rec record, i int) string {
	if i < len(rec.BlockNames) {
		return fmt.Sprintf("%d (%s)", i, rec.BlockNames[i])
	}
	return fmt.Sprint(i)
}

func notesOf(rec record, sum summary) []string {
	notes := []string{
		"Gradients: dL/dh_i is the gradient of each example's own loss with respect to block i's input h_i, through the whole rest of the " +
			"network, block i included (core/nn TraceBlocks); for h_0, a ReLU output, it is the gradient with respect to h_0 itself. " +
			"The cosine with the gradient at the block's output, dL/dh_i+1, is reported beside it (information check i1).",
		"Removal: a block replaced by the identity (h_i+1 = h_i) with every other weight as trained, evaluated without retraining " +
			"(core/nn EvaluateWithoutBlocks, bitwise the smaller network WithoutBlocks builds).",
	}
	if len(rec.BlockNames) > 0 {
		notes = append(notes, fmt.Sprintf("CNN ResNet: post-activation basic blocks h_i+1 = relu(S_i(h_i) + F_i(h_i)), F_i = bn2(conv2(relu(bn1(conv1 h_i)))), "+
			"evaluation mode (BatchNorm's running statistics); h_i is a ReLU output (h_i >= 0), so removing an identity block (F_i := 0) gives "+
			"h_i+1 = h_i exactly. Only the %d identity-shortcut blocks are judged, block i of the tables and plots being %s; the downsampling "+
			"blocks %s change the representation's shape (S_i = strided 1x1 convolution and BatchNorm), where cos(F_i, dL/dh_i) and the identity "+
			"removal are undefined, and are left out of every check (core's trace measures them against the shortcut's output).",
			len(rec.BlockNames), strings.Join(rec.BlockNames, ", "), strings.Join(rec.Excluded, ", ")))
	} else {
		notes = append(notes, "Residual MLP: blocks h_i+1 = h_i + F_i(h_i); the CNN ResNet setups (resnet20 at the quick scale, resnet56 at the full "+
			"scale) judge He et al.'s basic blocks with the same checks.")
	}
	if b := sum.Blocks - 1; b > 0 && !math.IsNaN(sum.Per[0].FNormIv.Estimate) && !math.IsNaN(sum.Per[b].FNormIv.Estimate) {
		notes = append(notes, fmt.Sprintf("Norms after epoch %d (means over seeds and traced examples): ||F_i(h_i)|| goes from %.3g (block 0) to %.3g "+
			"(block %d), a factor %.2f, and ||h_i|| from %.3g to %.3g, a factor %.2f; the relative change of check 2 is their ratio, so it falls "+
			"with depth only where the residuals grow more slowly than the representation.",
			rec.Epochs, sum.Per[0].FNormIv.Estimate, sum.Per[b].FNormIv.Estimate, b, sum.Per[b].FNormIv.Estimate/sum.Per[0].FNormIv.Estimate,
			sum.Per[0].HNormIv.Estimate, sum.Per[b].HNormIv.Estimate, sum.Per[b].HNormIv.Estimate/sum.Per[0].HNormIv.Estimate))
	}
	for _, m := range sum.Missing {
		notes = append(notes, m+".")
	}
	return notes
}
