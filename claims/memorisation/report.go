package memorisation

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// figures are the key numbers goldens compare and BenchmarkClaim reports,
// per regulariser row ("p0", "p0.25", "p0.5", "wd0.0005"). Names are
// stable: add, don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{}
	for i, r := range sum.Rows {
		k := r.Key + "/"
		f[k+"mislabelled_acc"] = r.MisIv.Estimate
		f[k+"mislabelled_true_acc"] = r.MisTrueIv.Estimate
		f[k+"clean_acc"] = r.CleanIv.Estimate
		f[k+"val_acc"] = r.ValIv.Estimate
		f[k+"best_val_acc"] = r.BestValIv.Estimate
		f[k+"csr"] = r.CSRIv.Estimate
		f[k+"csr_heldout"] = r.CSRHeldIv.Estimate
		f[k+"half_epochs_clean"] = r.HalfCleanIv.Estimate
		f[k+"half_epochs_mislabelled"] = r.HalfMisIv.Estimate
		if i != sum.Base {
			f[k+"memorisation_cut"] = r.CutIv.Estimate
			f[k+"val_diff"] = r.ValDiffIv.Estimate
			f[k+"best_val_diff"] = r.BestValDiffIv.Estimate
			f[k+"csr_diff"] = r.CSRDiffIv.Estimate
			f[k+"csr_heldout_diff"] = r.CSRHeldDiffIv.Estimate
		}
	}
	return f
}

func tablesOf(rec record, sum summary) []claims.Table {
	win := fmt.Sprintf("epoch %d (mean of epochs %d-%d)", sum.FixedEpoch, sum.FixedEpoch-sum.Window+1, sum.FixedEpoch)
	main := claims.Table{
		Title: "C4: accuracies and critical sample ratio at " + win + ", per regulariser",
		Caption: "Accuracies in % (evaluation mode, dropout off), mean over seeds with 95% t-intervals. 'mislabelled (noisy labels)' = accuracy on the rows " +
			"whose label the noise changed, against the label trained on: memorisation; '(true labels)' = the same rows against their original " +
			"label. 'validation' = clean held-out MNIST test images; 'best validation' = the highest over epochs (early stopping). CSR = critical " +
			"sample ratio in % of the CSR set at the fixed epoch. 'half-time' = first epoch at which the part's accuracy reaches half of its " +
			"fixed-epoch value (fixed epoch + 1 if never).",
		Header: []string{"regulariser", "mislabelled (noisy labels)", "mislabelled (true labels)", "clean rows", "validation", "best validation",
			"CSR", "half-time clean (epochs)", "half-time mislabelled (epochs)"},
	}
	for _, r := range sum.Rows {
		main.Rows = append(main.Rows, []string{r.Name, r.MisIv.Format("%.1f", 100), r.MisTrueIv.Format("%.1f", 100), r.CleanIv.Format("%.1f", 100), r.ValIv.Format("%.1f", 100), r.BestValIv.Format("%.1f", 100),
			r.CSRIv.Format("%.1f", 100), r.HalfCleanIv.Format("%.1f", 1), r.HalfMisIv.Format("%.1f", 1)})
	}
	diff := claims.Table{
		Title: "C4: paired differences against the unregularised network (same seed: same data, initialisation and order)",
		Caption: "In accuracy points (%), mean over seeds with 95% t-intervals. 'memorisation cut' = p = 0's mislabelled-row accuracy minus this " +
			"row's (positive: less memorised). 'validation' and 'best validation' = this row minus p = 0 (negative: worse). 'CSR' = p = 0 " +
			"minus this row (positive: p = 0 more complex). Thresholds (fixed in advance): cut > 20 points for dropout 0.5 and > 0 for 0.25; " +
			"validation differences > -1 point; CSR difference for dropout 0.5 > 0.",
		Header: []string{"regulariser", "memorisation cut", "validation (fixed epoch)", "validation (best epoch)", "CSR (p = 0 minus row)",
			"held-out CSR (p = 0 minus row; information)"},
	}
	for i, r := range sum.Rows {
		if i == sum.Base {
			continue
		}
		diff.Rows = append(diff.Rows, []string{r.Name, r.CutIv.Format("%.1f", 100), r.ValDiffIv.Format("%.1f", 100), r.BestValDiffIv.Format("%.1f", 100), r.CSRDiffIv.Format("%.1f", 100), r.CSRHeldDiffIv.Format("%.1f", 100)})
	}
	csr := claims.Table{
		Title: "C4: critical sample ratio along training (%)",
		Caption: fmt.Sprintf("CSR on the first %d training rows of each seed's subset (about half of them mislabelled), mean over seeds with 95%% "+
			"t-intervals; epoch 0 is the initialisation. LASS in pixel units (inputs in [0,1]): L_inf radius %g, step %g, Gaussian noise std %g, "+
			"at most %d steps, clipped to [0,1]. The last two columns split the fixed-epoch CSR into the set's clean and mislabelled rows. "+
			"Rows marked 'held-out' search from the first %d clean validation images instead (never trained on): information, added after the "+
			"verdict run was seen, not part of the verdict.",
			rec.CSR.Examples, rec.CSR.Radius, rec.CSR.Step, rec.CSR.NoiseStd, rec.CSR.MaxIter, rec.CSR.HeldOut),
		Header: []string{"regulariser"},
	}
	for _, e := range rec.CSR.Epochs {
		csr.Header = append(csr.Header, fmt.Sprintf("epoch %d", e))
	}
	csr.Header = append(csr.Header, "clean rows", "mislabelled rows")
	for _, r := range sum.Rows {
		row := []string{r.Name}
		for _, iv := range r.CSRCurve {
			row = append(row, iv.Format("%.1f", 100))
		}
		csr.Rows = append(csr.Rows, append(row, r.CSRCleanIv.Format("%.1f", 100), r.CSRMisIv.Format("%.1f", 100)))
	}
	if rec.CSR.HeldOut > 0 {
		for _, r := range sum.Rows {
			row := []string{r.Name + " (held-out)"}
			for _, iv := range r.CSRHeldCurve {
				row = append(row, iv.Format("%.1f", 100))
			}
			csr.Rows = append(csr.Rows, append(row, "", ""))
		}
	}
	subsets := claims.Table{
		Title:   "C4: the training subsets",
		Caption: "Per seed: rows whose label the noise left unchanged (clean; includes the redrawn rows that drew their own label) and rows it changed (mislabelled), in the training subset and in its CSR set.",
		Header:  []string{"seed", "clean rows", "mislabelled rows", "CSR set clean", "CSR set mislabelled"},
	}
	for _, s := range rec.Subsets {
		subsets.Rows = append(subsets.Rows, []string{fmt.Sprint(s.Seed), fmt.Sprint(s.Clean), fmt.Sprint(s.Mislabelled), fmt.Sprint(s.CSRClean), fmt.Sprint(s.CSRMis)})
	}
	return []claims.Table{main, diff, csr, subsets}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	epochs := make([]float64, rec.Epochs+1)
	for e := range epochs {
		epochs[e] = float64(e)
	}
	mem := claims.Plot{
		Name: "c4_memorisation", Title: "C4: memorisation of the mislabelled training rows, per regulariser",
		XLabel: "epoch", YLabel: "accuracy on mislabelled rows vs their noisy labels  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds, dropout off. Accuracy on the training rows whose label the noise changed, against the random "+
			"label they are trained on: memorisation (near 0 while the network predicts the true class). The unregularised network fits the "+
			"noise after its first few epochs; dropout slows it. The checks compare epochs %d-%d; the clean rows are in the next plot.",
			len(rec.Subsets), sum.FixedEpoch-sum.Window+1, sum.FixedEpoch),
	}
	clean := claims.Plot{
		Name: "c4_clean_accuracy", Title: "C4: learning the clean training rows, per regulariser",
		XLabel: "epoch", YLabel: "accuracy on clean training rows  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds, dropout off. Accuracy on the training rows whose label is correct: every regulariser learns "+
			"them within the first epochs, long before the mislabelled rows are fitted (previous plot): real data is learned before noise.",
			len(rec.Subsets)),
	}
	val := claims.Plot{
		Name: "c4_val_accuracy", Title: "C4: clean validation accuracy, per regulariser",
		XLabel: "epoch", YLabel: "validation accuracy on clean MNIST test images  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds. The unregularised network's validation accuracy peaks early and falls as it memorises the "+
			"mislabelled rows; a regulariser that slows memorisation keeps it up.", len(rec.Subsets)),
	}
	for _, r := range sum.Rows {
		mem.Series = append(mem.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.MisCurve})
		clean.Series = append(clean.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.CleanCurve})
		val.Series = append(val.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.ValCurve})
	}
	csr := claims.Plot{
		Name: "c4_csr", Title: "C4: critical sample ratio along training, per regulariser",
		XLabel: "epoch", YLabel: "critical sample ratio  (fraction of the CSR set)",
		Caption: fmt.Sprintf("Fraction of %d training rows whose predicted class LASS can change inside an L_inf box of radius %g (pixels in [0,1]; "+
			"step %g, noise std %g, %d steps); epoch 0 is the initialisation. Mean over seeds with 95%% t-interval error bars. Higher = a decision "+
			"boundary closer to the data: a more complex function.", rec.CSR.Examples, rec.CSR.Radius, rec.CSR.Step, rec.CSR.NoiseStd, rec.CSR.MaxIter),
	}
	held := claims.Plot{
		Name: "c4_csr_heldout", Title: "C4: critical sample ratio on held-out images, per regulariser (information)",
		XLabel: "epoch", YLabel: "critical sample ratio  (fraction of the held-out set)",
		Caption: fmt.Sprintf("As the critical-sample-ratio plot, but LASS starts from %d clean validation images the network never trained on. "+
			"Added after the verdict run was seen, to separate the complexity of the function near the data from the margins training "+
			"builds on its own rows; not part of the verdict.", rec.CSR.HeldOut),
	}
	series := func(label string, curve []stats.Interval, epochs []int) claims.Series {
		s := claims.Series{Label: label, Kind: claims.LinePoints}
		for k, e := range epochs {
			iv := curve[k]
			if math.IsNaN(iv.Estimate) {
				continue
			}
			s.X, s.Y = append(s.X, float64(e)), append(s.Y, iv.Estimate)
			lo, hi := iv.Lo, iv.Hi
			if math.IsNaN(lo) {
				lo, hi = iv.Estimate, iv.Estimate
			}
			s.YLo, s.YHi = append(s.YLo, lo), append(s.YHi, hi)
		}
		return s
	}
	for _, r := range sum.Rows {
		csr.Series = append(csr.Series, series(r.Name, r.CSRCurve, r.CSREpochs))
		if rec.CSR.HeldOut > 0 {
			held.Series = append(held.Series, series(r.Name, r.CSRHeldCurve, r.CSREpochs))
		}
	}
	if rec.CSR.HeldOut > 0 {
		return []claims.Plot{mem, clean, val, csr, held}
	}
	return []claims.Plot{mem, clean, val, csr}
}

func notesOf(rec record, sum summary) []string {
	notes := []string{
		"Accuracies are measured in evaluation mode (dropout off) on the whole training subset after every epoch; the training loop's own running accuracy (with dropout) is not used.",
		fmt.Sprintf("Values 'at the fixed epoch' are means over epochs %d-%d: at a constant learning rate a single epoch's accuracy fluctuates by several points.",
			sum.FixedEpoch-sum.Window+1, sum.FixedEpoch),
		"The critical sample ratio's radius, step and noise are our choice in pixel units (P2's units cannot be recovered); see the CSR table.",
	}
	var cens []string
	for i, r := range sum.Rows {
		for s, h := range r.HalfMis {
			if h > float64(sum.FixedEpoch) {
				// The seed from the run, not from the index: a merge of
				// partial results may lack any seed.
				seed := uint64(s + 1)
				if i < len(rec.Rows) && s < len(rec.Rows[i].Runs) {
					seed = rec.Rows[i].Runs[s].Seed
				}
				cens = append(cens, fmt.Sprintf("%s seed %d", r.Name, seed))
			}
		}
		if len(r.Diverged) > 0 {
			notes = append(notes, r.Name+": "+strings.Join(r.Diverged, ", ")+"; its curves stop there.")
		}
	}
	if len(cens) > 0 {
		notes = append(notes, "Half-times censored at the fixed epoch + 1 (the part never reached half its fixed-epoch accuracy): "+strings.Join(cens, ", ")+".")
	}
	return notes
}
