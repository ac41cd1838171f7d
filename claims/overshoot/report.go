package overshoot

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// meanAt is the mean over the seeds (that have it) of get at measurement i.
func meanAt(rec record, i int, get func(point) float64) float64 {
	var xs []float64
	for _, r := range rec.Runs {
		if r.DivergedStep == 0 && i < len(r.Points) {
			if v := get(r.Points[i]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xs = append(xs, v)
			}
		}
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	return stats.Mean(xs)
}

func nPoints(rec record) int {
	n := 0
	for _, r := range rec.Runs {
		n = max(n, len(r.Points))
	}
	return n
}

func first(rec record) *runRecord {
	for i := range rec.Runs {
		if rec.Runs[i].DivergedStep == 0 && len(rec.Runs[i].Points) > 0 {
			return &rec.Runs[i]
		}
	}
	return nil
}

func medianRandom(p point) float64 {
	var xs []float64
	for _, l := range p.Random {
		xs = append(xs, f64(l.Alpha))
	}
	return median(xs)
}

func tablesOf(rec record, sum summary) []claims.Table {
	seeds := claims.Table{
		Title:   "c8: per seed, medians over the measurements after the early phase",
		Caption: "alpha* = loss-minimising fraction of the SGD step along the line (1 = the step taken; <= 0.5: the full step ends at least as high as it started); top/rest = (L(theta+Pd)-L(theta)) / |L(theta+(I-P)d)-L(theta)|; eta lambda_1 dimensionless (2 = edge of stability)",
		Header:  []string{"seed", "measurements", "val acc", "eta lambda_1", "alpha* e1", "alpha* random", "alpha* (I-P)d", "top/rest", "e1 part descends", "P d raises loss"},
	}
	for _, s := range sum.Seeds {
		if !s.OK {
			seeds.Rows = append(seeds.Rows, []string{fmt.Sprint(s.Seed), "diverged or not measured", "", "", "", "", "", "", "", ""})
			continue
		}
		seeds.Rows = append(seeds.Rows, []string{fmt.Sprint(s.Seed), fmt.Sprint(s.N), fmt.Sprintf("%.4f", s.ValAcc), stats.G3(s.EtaLambda1), stats.G3(s.E1), stats.G3(s.Random),
			stats.G3(s.Bulk), stats.G3(s.TopRatio), pct(s.E1Descends), pct(s.TopRaises)})
	}
	seeds.Rows = append(seeds.Rows, []string{"mean (95% CI)", "", "", sum.EtaLambda1.Format("%.2f", 1), sum.E1.Format("%.2f", 1), sum.Random.Format("%.2f", 1), sum.Bulk.Format("%.2f", 1), sum.TopRatio.Format("%.2f", 1), "", ""})

	eig := claims.Table{
		Title:   fmt.Sprintf("c8: loss-minimising fraction of the step along each of the top %d eigenvectors (after the early phase)", rec.K),
		Caption: "per seed the median over the measurements after the early phase, mean over seeds with its 95% t-interval; lambda_k from the same measurements (probe set)",
		Header:  []string{"direction", "alpha* (95% CI)"},
	}
	for i, iv := range sum.EigenK {
		eig.Rows = append(eig.Rows, []string{fmt.Sprintf("e%d", i+1), iv.Format("%.2f", 1)})
	}

	traj := claims.Table{
		Title:   "c8: along the trajectory (mean over seeds at each measurement)",
		Caption: "step = the step measured (before it was taken); epoch = epochs done; lambda_1 on the probe set; losses on the probe set (nats), changes relative to L(theta); * = early phase (not judged)",
		Header:  []string{"step", "epoch", "lambda_1", "eta lambda_1", "alpha* e1", "alpha* random (median)", "alpha* (I-P)d", "dL step", "dL P d", "dL (I-P)d"},
	}
	if r := first(rec); r != nil {
		for i, p := range r.Points {
			mark := ""
			if p.Early {
				mark = "*"
			}
			lam := meanAt(rec, i, func(p point) float64 { return f64(p.Eigenvalues[0]) })
			traj.Rows = append(traj.Rows, []string{fmt.Sprintf("%d%s", p.Step, mark), fmt.Sprintf("%.2f", p.Epoch), stats.G3(lam), stats.G3(rec.LR * lam),
				stats.G3(meanAt(rec, i, func(p point) float64 { return f64(p.Eigen[0].Alpha) })),
				stats.G3(meanAt(rec, i, medianRandom)),
				stats.G3(meanAt(rec, i, func(p point) float64 { return f64(p.Bulk.Alpha) })),
				stats.G3(meanAt(rec, i, func(p point) float64 { return f64(p.LossStep) - f64(p.Loss) })),
				stats.G3(meanAt(rec, i, func(p point) float64 { return f64(p.LossTop) - f64(p.Loss) })),
				stats.G3(meanAt(rec, i, func(p point) float64 { return f64(p.LossBulk) - f64(p.Loss) })),
			})
		}
	}
	return []claims.Table{seeds, eig, traj}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	slices := claims.Plot{
		Name: "c8_loss_along_e1", Title: "Loss along the sharpest direction at successive steps (seed 1)",
		XLabel: "alpha: fraction of the step's component along e1 (dimensionless; 1 = the step taken)",
		YLabel: "L(theta + alpha <d,e1> e1) - L(theta) on the probe set (nats)",
		Caption: "As thesis Fig. 3.1c: the loss along the top Hessian eigenvector through the current parameters, one curve per measured step " +
			"(early-phase steps marked early in the legend). A minimum left of alpha = 0.5 is a step that crosses the bowl's minimum and ends higher than it started.",
	}
	r := first(rec)
	lo, hi := math.Inf(1), math.Inf(-1)
	if r != nil {
		for _, p := range r.Points {
			if len(p.Slice1) != len(rec.Alphas) {
				continue
			}
			label := fmt.Sprintf("step %d (epoch %.2f)", p.Step, p.Epoch)
			if p.Early {
				label += ", early"
			}
			s := claims.Series{Label: label, Kind: claims.Line}
			for i, a := range rec.Alphas {
				y := f64(p.Slice1[i]) - f64(p.Loss)
				s.X, s.Y = append(s.X, a), append(s.Y, y)
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
			slices.Series = append(slices.Series, s)
		}
	}
	if !math.IsInf(lo, 0) {
		slices.Series = append(slices.Series,
			claims.Series{Label: "alpha = 0.5", Kind: claims.Line, Reference: true, X: []float64{0.5, 0.5}, Y: []float64{lo, hi}},
			claims.Series{Label: "alpha = 1: the step taken", Kind: claims.Line, Reference: true, Color: -1, X: []float64{1, 1}, Y: []float64{lo, hi}})
	}

	frac := claims.Plot{
		Name: "c8_fractions", Title: "Loss-minimising fraction of the SGD step along the trajectory",
		XLabel: "epochs done (epochs)", YLabel: "alpha*: loss-minimising fraction of the step (dimensionless)",
		Caption: "Mean over seeds at each measurement of the line minimum along e1, along random directions (median of the directions) and along the step without its top-K part. " +
			"Below 0.5 (dashed) the full step along that line ends higher than it started. Lines that keep falling to the grid's end are drawn at its end.",
	}
	el := claims.Plot{
		Name: "c8_eta_lambda1", Title: "Sharpness against the step: eta lambda_1 at the measured steps",
		XLabel: "epochs done (epochs)", YLabel: "eta lambda_1 (dimensionless)",
		Caption: "Learning rate times the top Hessian eigenvalue on the probe set, mean over seeds; 2 (dashed) is the edge of stability of full-batch descent on a quadratic.",
	}
	if r != nil {
		e1 := claims.Series{Label: "along e1", Kind: claims.LinePoints}
		rn := claims.Series{Label: "along random directions", Kind: claims.LinePoints}
		bk := claims.Series{Label: "along (I - P_K) d", Kind: claims.LinePoints}
		ls := claims.Series{Label: "eta lambda_1", Kind: claims.LinePoints}
		x0, x1 := math.Inf(1), math.Inf(-1)
		for i, p := range r.Points {
			x := p.Epoch
			x0, x1 = math.Min(x0, x), math.Max(x1, x)
			e1.X, e1.Y = append(e1.X, x), append(e1.Y, meanAt(rec, i, func(p point) float64 { return f64(p.Eigen[0].Alpha) }))
			rn.X, rn.Y = append(rn.X, x), append(rn.Y, meanAt(rec, i, medianRandom))
			bk.X, bk.Y = append(bk.X, x), append(bk.Y, meanAt(rec, i, func(p point) float64 { return f64(p.Bulk.Alpha) }))
			ls.X, ls.Y = append(ls.X, x), append(ls.Y, rec.LR*meanAt(rec, i, func(p point) float64 { return f64(p.Eigenvalues[0]) }))
		}
		frac.Series = []claims.Series{e1, rn, bk, {Label: "0.5", Kind: claims.Line, Reference: true, X: []float64{x0, x1}, Y: []float64{0.5, 0.5}}}
		el.Series = []claims.Series{ls, {Label: "2: edge of stability", Kind: claims.Line, Reference: true, X: []float64{x0, x1}, Y: []float64{2, 2}}}
	}
	return []claims.Plot{slices, frac, el}
}

func notesOf(rec record, sum summary, cfg config) []string {
	notes := []string{
		fmt.Sprintf("Setup scaled from P3 (SimpleCNN and ResNet-32 on CIFAR-10 and Fashion-MNIST): %s at eta = %g, S = %d, where lambda_max rises and then settles within the first epoch; "+
			"the early phase is the first %d epoch(s). The full scale adds P3's SimpleCNN on Fashion-MNIST.", cfg.Model, cfg.LR, cfg.Batch, cfg.EarlyEpochs),
		"The loss along every line is the probe set's (a fixed subset of the training images), not the step's mini-batch: along any part of the step, the mini-batch's own loss always descends at first.",
		fmt.Sprintf("K = %d (P_K, the projector of check d and of (I - P_K) d, is the top-%d Hessian eigenspace); %d random unit Gaussian directions per measurement.", cfg.K, cfg.K, cfg.Random),
	}
	for _, s := range sum.Seeds {
		if !s.OK {
			notes = append(notes, fmt.Sprintf("seed %d diverged or was not measured after the early phase: the checks cannot be formed.", s.Seed))
		}
	}
	edge, lines := 0, 0
	for _, r := range rec.Runs {
		for _, p := range r.Points {
			if p.Early {
				continue
			}
			for _, l := range p.Random {
				lines++
				if l.AtEdge {
					edge++
				}
			}
		}
	}
	if lines > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d random-direction lines after the early phase have their minimum at an end of the alpha grid (the step's component along a random "+
			"direction is about |d|/sqrt(parameters): the loss along it is nearly linear over the grid, so the minimum is an end and its side is the sign of the slope).", edge, lines))
	}
	unconv := 0
	for _, r := range rec.Runs {
		for _, p := range r.Points {
			if !p.Converged {
				unconv++
			}
		}
	}
	if unconv > 0 {
		notes = append(notes, fmt.Sprintf("%d eigenspace measurement(s) did not reach the Lanczos tolerance within its iteration cap; they are used as measured.", unconv))
	}
	return notes
}
