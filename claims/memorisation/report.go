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
		if r.CSRCurve {
			f[k+"csr_level"] = r.CSRLevelIv.Estimate
			f[k+"csr_heldout_level"] = r.CSRHeldLevelIv.Estimate
			f[k+"csr_stability"] = r.CSRStabIv.Estimate
		}
		if sum.paired(i) {
			f[k+"memorisation_cut"] = r.CutIv.Estimate
			f[k+"val_diff"] = r.ValDiffIv.Estimate
			f[k+"best_val_diff"] = r.BestValDiffIv.Estimate
			f[k+"csr_diff"] = r.CSRDiffIv.Estimate
			f[k+"csr_heldout_diff"] = r.CSRHeldDiffIv.Estimate
		}
	}
	if c, _, err := sum.noiseCorrelation(func(r rowSummary) ([]float64, stats.Interval) { return r.CSRLevel, r.CSRLevelIv }); err == nil {
		f["csr_noise_rho"] = c.Rho
	}
	if c, _, err := sum.noiseCorrelation(func(r rowSummary) ([]float64, stats.Interval) { return r.CSRHeldLevel, r.CSRHeldLevelIv }); err == nil {
		f["csr_heldout_noise_rho"] = c.Rho
	}
	return f
}

func tablesOf(rec record, sum summary) []claims.Table {
	win := fmt.Sprintf("epoch %d (mean of epochs %d-%d)", sum.FixedEpoch, sum.FixedEpoch-sum.Window+1, sum.FixedEpoch)
	main := claims.Table{
		Title: "C4: accuracies and critical sample ratio at " + win + ", per row",
		Caption: "Accuracies in % (evaluation mode, dropout off, clean inputs), mean over seeds with 95% t-intervals. 'mislabelled (noisy labels)' = accuracy on the rows " +
			"whose label the noise changed, against the label trained on: memorisation; '(true labels)' = the same rows against their original " +
			"label. 'validation' = clean held-out test images; 'best validation' = the highest over epochs (early stopping). CSR = critical " +
			"sample ratio in % of the training-row CSR set at the fixed epoch; 'held-out CSR' the same from validation images. 'half-time' = first epoch at which the part's accuracy reaches half of its " +
			"fixed-epoch value (fixed epoch + 1 if never).",
		Header: []string{"row", "label noise", "mislabelled (noisy labels)", "mislabelled (true labels)", "clean rows", "validation", "best validation",
			"CSR", "held-out CSR", "half-time clean (epochs)", "half-time mislabelled (epochs)"},
	}
	for _, r := range sum.Rows {
		main.Rows = append(main.Rows, []string{r.Name, fmt.Sprintf("%g", r.NoiseFrac), r.MisIv.Format("%.1f", 100), r.MisTrueIv.Format("%.1f", 100), r.CleanIv.Format("%.1f", 100), r.ValIv.Format("%.1f", 100), r.BestValIv.Format("%.1f", 100),
			r.CSRIv.Format("%.1f", 100), r.CSRHeldIv.Format("%.1f", 100), r.HalfCleanIv.Format("%.1f", 1), r.HalfMisIv.Format("%.1f", 1)})
	}
	diff := claims.Table{
		Title: fmt.Sprintf("C4: paired differences against the unregularised network at label noise %g (same seed: same data, initialisation and order)", baseNoise),
		Caption: "In accuracy points (%), mean over seeds with 95% t-intervals. 'memorisation cut' = the unregularised network's mislabelled-row accuracy minus this " +
			"row's (positive: less memorised). 'validation' and 'best validation' = this row minus the unregularised one (negative: worse). 'CSR' = unregularised " +
			"minus this row (positive: the unregularised network more complex). Thresholds (registered): cut > 20 points for dropout 0.5 and > 0 for weight decay " +
			"and input noise (checks 6a-6c); both validation differences > -1 point (7a-7c). The CSR differences are information (v1's check 5).",
		Header: []string{"row", "memorisation cut", "validation (fixed epoch)", "validation (best epoch)", "CSR (none minus row)",
			"held-out CSR (none minus row)"},
	}
	for i, r := range sum.Rows {
		if !sum.paired(i) {
			continue
		}
		diff.Rows = append(diff.Rows, []string{r.Name, r.CutIv.Format("%.1f", 100), r.ValDiffIv.Format("%.1f", 100), r.BestValDiffIv.Format("%.1f", 100), r.CSRDiffIv.Format("%.1f", 100), r.CSRHeldDiffIv.Format("%.1f", 100)})
	}
	csr := claims.Table{
		Title: "C4: critical sample ratio along training, unregularised networks by label-noise fraction (%)",
		Caption: fmt.Sprintf("CSR on the first %d training rows of each seed's subset (the same images at every noise level; a noise level's share of them "+
			"mislabelled), mean over seeds with 95%% t-intervals; epoch 0 is the initialisation. LASS in pixel units (inputs in [0,1]): L_inf radius %g, step %g, "+
			"Gaussian noise std %g, at most %d steps, clipped to [0,1]. 'level' = the mean of the measurements after epoch %d up to the fixed epoch (check 8 "+
			"correlates it with the noise fraction); 'largest change' = the largest |CSR(e) - CSR(%d)| over those epochs (check 9: below 10 points at every "+
			"noise level). Rows marked 'held-out' search from the first %d clean validation images instead (never trained on; information, check 10).",
			rec.CSR.Examples, rec.CSR.Radius, rec.CSR.Step, rec.CSR.NoiseStd, rec.CSR.MaxIter, sum.EarlyEpoch, sum.EarlyEpoch, rec.CSR.HeldOut),
		Header: []string{"row"},
	}
	for _, e := range rec.CSR.Epochs {
		csr.Header = append(csr.Header, fmt.Sprintf("epoch %d", e))
	}
	csr.Header = append(csr.Header, "level", "largest change", "fixed epoch: clean rows", "fixed epoch: mislabelled rows")
	noise := sum.noiseRows()
	for _, i := range noise {
		r := sum.Rows[i]
		row := []string{r.Name}
		for _, iv := range r.CSRAlong {
			row = append(row, iv.Format("%.1f", 100))
		}
		csr.Rows = append(csr.Rows, append(row, r.CSRLevelIv.Format("%.1f", 100), r.CSRStabIv.Format("%.1f", 100), r.CSRCleanIv.Format("%.1f", 100), r.CSRMisIv.Format("%.1f", 100)))
	}
	if rec.CSR.HeldOut > 0 {
		for _, i := range noise {
			r := sum.Rows[i]
			row := []string{r.Name + " (held-out)"}
			for _, iv := range r.CSRHeldAlong {
				row = append(row, iv.Format("%.1f", 100))
			}
			csr.Rows = append(csr.Rows, append(row, r.CSRHeldLevelIv.Format("%.1f", 100), "", "", ""))
		}
	}
	subsets := claims.Table{
		Title:   "C4: the training subsets",
		Caption: "Per seed and label-noise fraction: rows whose label the noise left unchanged (clean; includes the redrawn rows that drew their own label) and rows it changed (mislabelled), in the training subset and in its CSR set.",
		Header:  []string{"seed", "label noise", "clean rows", "mislabelled rows", "CSR set clean", "CSR set mislabelled"},
	}
	for _, s := range rec.Subsets {
		subsets.Rows = append(subsets.Rows, []string{fmt.Sprint(s.Seed), fmt.Sprintf("%g", s.NoiseFrac), fmt.Sprint(s.Clean), fmt.Sprint(s.Mislabelled), fmt.Sprint(s.CSRClean), fmt.Sprint(s.CSRMis)})
	}
	return []claims.Table{main, diff, csr, subsets}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	epochs := make([]float64, rec.Epochs+1)
	for e := range epochs {
		epochs[e] = float64(e)
	}
	seeds := 0
	if len(rec.Rows) > 0 {
		seeds = len(rec.Rows[0].Runs)
	}
	mem := claims.Plot{
		Name: "c4_memorisation", Title: "C4: memorisation of the mislabelled training rows, per row",
		XLabel: "epoch", YLabel: "accuracy on mislabelled rows vs their noisy labels  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds, dropout off, clean inputs. Accuracy on the training rows whose label the noise changed, against the random "+
			"label they are trained on: memorisation (near 0 while the network predicts the true class). The regularised rows train at label noise %g, "+
			"like 'none, noise %g'; the checks compare epochs %d-%d; the clean rows are in the next plot.",
			seeds, baseNoise, baseNoise, sum.FixedEpoch-sum.Window+1, sum.FixedEpoch),
	}
	clean := claims.Plot{
		Name: "c4_clean_accuracy", Title: "C4: learning the clean training rows, per row",
		XLabel: "epoch", YLabel: "accuracy on clean training rows  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds, dropout off, clean inputs. Accuracy on the training rows whose label is correct; compare the "+
			"mislabelled rows in the previous plot (check 4: real data is learned before noise).", seeds),
	}
	val := claims.Plot{
		Name: "c4_val_accuracy", Title: "C4: clean validation accuracy, per row",
		XLabel: "epoch", YLabel: "validation accuracy on clean test images  (fraction)",
		Caption: fmt.Sprintf("Mean over %d seeds. An unregularised network's validation accuracy peaks early and falls as it memorises the "+
			"mislabelled rows; checks 7a-7c compare each regulariser with it at the fixed epoch and at each network's best epoch.", seeds),
	}
	for _, r := range sum.Rows {
		mem.Series = append(mem.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.MisCurve})
		clean.Series = append(clean.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.CleanCurve})
		val.Series = append(val.Series, claims.Series{Label: r.Name, Kind: claims.Line, X: epochs, Y: r.ValCurve})
	}
	csr := claims.Plot{
		Name: "c4_csr", Title: "C4: critical sample ratio along training by label-noise fraction (cf. thesis Fig. 3.1b left)",
		XLabel: "epoch", YLabel: "critical sample ratio  (fraction of the training-row CSR set)",
		Caption: fmt.Sprintf("Unregularised networks. Fraction of %d training rows whose predicted class LASS can change inside an L_inf box of radius %g (pixels in [0,1]; "+
			"step %g, noise std %g, %d steps); epoch 0 is the initialisation. Mean over seeds with 95%% t-interval error bars. Higher = a decision "+
			"boundary closer to the data: a more complex function. Checks 8 (higher with more noise) and 9 (flat after epoch %d) read these curves.",
			rec.CSR.Examples, rec.CSR.Radius, rec.CSR.Step, rec.CSR.NoiseStd, rec.CSR.MaxIter, sum.EarlyEpoch),
	}
	held := claims.Plot{
		Name: "c4_csr_heldout", Title: "C4: critical sample ratio on held-out images by label-noise fraction (information)",
		XLabel: "epoch", YLabel: "critical sample ratio  (fraction of the held-out set)",
		Caption: fmt.Sprintf("As the critical-sample-ratio plot, but LASS starts from %d clean validation images the network never trained on "+
			"(check 10, information): the complexity of the function away from the margins training builds on its own rows.", rec.CSR.HeldOut),
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
	for _, i := range sum.noiseRows() {
		r := sum.Rows[i]
		csr.Series = append(csr.Series, series(r.Name, r.CSRAlong, r.CSREpochs))
		if rec.CSR.HeldOut > 0 {
			held.Series = append(held.Series, series(r.Name, r.CSRHeldAlong, r.CSREpochs))
		}
	}
	plots := []claims.Plot{mem, clean, val}
	if len(csr.Series) > 0 {
		plots = append(plots, csr)
		if rec.CSR.HeldOut > 0 {
			plots = append(plots, held)
		}
	}
	return plots
}

func notesOf(rec record, sum summary) []string {
	notes := []string{
		"Accuracies are measured in evaluation mode (dropout off, clean inputs) on the whole training subset after every epoch; the training loop's own running accuracy (with dropout or input noise) is not used.",
		fmt.Sprintf("Values 'at the fixed epoch' are means over epochs %d-%d: at a constant learning rate a single epoch's accuracy fluctuates by several points.",
			sum.FixedEpoch-sum.Window+1, sum.FixedEpoch),
		"The critical sample ratio's radius, step and noise are our choice in pixel units (P2's units cannot be recovered); see the CSR table. " +
			"At initialisation the logits of every class are nearly equal, so almost any perturbation changes the argmax: the epoch-0 ratio is high for that reason, not because the function is complex.",
	}
	// Where the training-row CSR peaks after the early phase, against its
	// value at the end of it and at the fixed epoch (check 9's reading).
	for _, i := range sum.noiseRows() {
		r := sum.Rows[i]
		peak, at, early, last := math.Inf(-1), -1, math.NaN(), math.NaN()
		for k, e := range r.CSREpochs {
			v := r.CSRAlong[k].Estimate
			switch {
			case e == sum.EarlyEpoch:
				early = v
			case e > sum.EarlyEpoch && e <= sum.FixedEpoch && v > peak:
				peak, at = v, e
			}
			if e == sum.FixedEpoch {
				last = v
			}
		}
		if at >= 0 {
			notes = append(notes, fmt.Sprintf("%s: the training-row CSR (mean over seeds) is %.0f%% at epoch %d, peaks at %.0f%% at epoch %d and is %.0f%% at epoch %d.",
				r.Name, 100*early, sum.EarlyEpoch, 100*peak, at, 100*last, sum.FixedEpoch))
		}
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
