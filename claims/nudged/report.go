package nudged

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

func expIv(iv stats.Interval) string {
	if math.IsNaN(iv.Estimate) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f]", math.Exp(iv.Estimate), math.Exp(iv.Lo), math.Exp(iv.Hi))
}

func tablesOf(rec record, sum summary) []claims.Table {
	t := claims.Table{
		Title: "c7: endpoint curvature and validation accuracy by gamma",
		Caption: "lambda_max: top Hessian eigenvalue on the probe set at the end, geometric mean over seeds (95% CI); ratio: lambda_max(gamma)/lambda_max(SGD) paired by seed; " +
			"accuracies as fractions; difference = gamma minus SGD paired by seed; eta lambda_max dimensionless",
		Header: []string{"gamma", "lambda_max", "eta lambda_max", "ratio to SGD", "val acc", "val acc - SGD", "train acc", "diverged"},
	}
	for gi, g := range sum.Gammas {
		var tacc []float64
		for _, r := range rec.Gammas[gi].Runs {
			if r.DivergedStep == 0 {
				tacc = append(tacc, float64(r.TrainAcc))
			}
		}
		ratio, dacc := "1 (SGD)", "0 (SGD)"
		if g.Gamma != 1 {
			ratio, dacc = expIv(g.LogRatio), g.DAcc.Format("%.4f", 1)
		}
		ta := "n/a"
		if len(tacc) > 0 {
			ta = fmt.Sprintf("%.4f", stats.Mean(tacc))
		}
		t.Rows = append(t.Rows, []string{fmt.Sprint(g.Gamma), g.Lambda.Format("%.3g", 1), stats.G3(rec.LR * g.Lambda.Estimate), ratio,
			g.ValAcc.Format("%.4f", 1), dacc, ta, fmt.Sprintf("%d of %d", g.Diverged, len(rec.Gammas[gi].Runs))})
	}
	seeds := claims.Table{
		Title:   "c7: per seed, lambda_max and validation accuracy at the end",
		Caption: "each cell: lambda_max / validation accuracy; runs of a seed share initialisation and data order",
		Header:  []string{"seed"},
	}
	for _, g := range rec.Gammas {
		seeds.Header = append(seeds.Header, fmt.Sprintf("gamma %g", g.Gamma))
	}
	for si := range rec.Gammas[0].Runs {
		row := []string{fmt.Sprint(rec.Gammas[0].Runs[si].Seed)}
		for _, g := range rec.Gammas {
			r := g.Runs[si]
			if r.DivergedStep > 0 {
				row = append(row, fmt.Sprintf("diverged at step %d", r.DivergedStep))
				continue
			}
			row = append(row, fmt.Sprintf("%s / %.4f", stats.G3(float64(r.Lambda)), float64(r.ValAcc)))
		}
		seeds.Rows = append(seeds.Rows, row)
	}
	return []claims.Table{t, seeds}
}

func plotsOf(rec record, sum summary) []claims.Plot {
	traj := claims.Plot{
		Name: "c7_lambda_trajectory", Title: "Top Hessian eigenvalue along Nudged SGD, by gamma",
		XLabel: "epochs done (epochs)", YLabel: "lambda_1 on the probe set (loss / parameter^2)", LogY: true,
		Caption: fmt.Sprintf("lambda_1 at every refresh of P_K (K = %d, every M = %d steps), geometric mean over seeds. Dashed: 2/(gamma eta), "+
			"where the nudged step along the top eigenvector reaches the full-batch edge of stability.", rec.K, rec.M),
	}
	end := claims.Plot{
		Name: "c7_curvature_vs_accuracy", Title: "Endpoint sharpness against validation accuracy, by gamma",
		XLabel: "lambda_max at the end, probe set (loss / parameter^2)", YLabel: "validation accuracy (fraction)", LogX: true,
		Caption: "One point per seed and gamma. The claim: gamma moves the points left or right (curvature) without moving them up or down (accuracy) by more than the margin.",
	}
	x0, x1 := math.Inf(1), math.Inf(-1)
	for ci, g := range rec.Gammas {
		s := claims.Series{Label: fmt.Sprintf("gamma = %g", g.Gamma), Kind: claims.LinePoints, Color: ci + 1}
		pts := claims.Series{Label: fmt.Sprintf("gamma = %g", g.Gamma), Kind: claims.Points, Color: ci + 1}
		var base *runRecord
		for i := range g.Runs {
			r := &g.Runs[i]
			if r.DivergedStep == 0 {
				if base == nil || len(r.Refreshes) < len(base.Refreshes) {
					base = r
				}
				pts.X, pts.Y = append(pts.X, float64(r.Lambda)), append(pts.Y, float64(r.ValAcc))
			}
		}
		if base != nil {
			for k := range base.Refreshes {
				var ls []float64
				for _, r := range g.Runs {
					if r.DivergedStep == 0 && k < len(r.Refreshes) && len(r.Refreshes[k].Eigenvalues) > 0 && r.Refreshes[k].Eigenvalues[0] > 0 {
						ls = append(ls, math.Log(float64(r.Refreshes[k].Eigenvalues[0])))
					}
				}
				if len(ls) == 0 {
					continue
				}
				x := float64(base.Refreshes[k].Step-1) / float64(base.StepsPerEpoch)
				s.X, s.Y = append(s.X, x), append(s.Y, math.Exp(stats.Mean(ls)))
				x0, x1 = math.Min(x0, x), math.Max(x1, x)
			}
		}
		traj.Series = append(traj.Series, s)
		end.Series = append(end.Series, pts)
	}
	if !math.IsInf(x0, 0) {
		for ci, g := range rec.Gammas {
			if g.Gamma > 0 {
				y := 2 / (g.Gamma * rec.LR)
				traj.Series = append(traj.Series, claims.Series{Label: fmt.Sprintf("2/(gamma eta), gamma = %g", g.Gamma), Kind: claims.Line, Reference: true, Color: ci + 1,
					X: []float64{x0, x1}, Y: []float64{y, y}})
			}
		}
	}
	return []claims.Plot{traj, end}
}

func notesOf(rec record, sum summary, cfg config) []string {
	notes := []string{
		fmt.Sprintf("K = %d top eigenvectors, refreshed every M = %d steps (P3 nudges the top few; the refresh costs Lanczos on %d images, so M sets the price). "+
			"Setup scaled from P3 (SimpleCNN and ResNet-32 on CIFAR-10 and Fashion-MNIST): %s at eta = %g, S = %d; the full scale adds P3's SimpleCNN on Fashion-MNIST.",
			cfg.K, cfg.M, cfg.ProbeN, cfg.Model, cfg.LR, cfg.Batch),
		"gamma = 1 runs through the same Nudger (bitwise plain SGD, eigenvectors still computed), so its eigenvalue trajectory is measured as the others are.",
	}
	hv, n := 0, 0
	for _, g := range rec.Gammas {
		for _, r := range g.Runs {
			hv += r.HVPs
			n++
		}
	}
	if n > 0 {
		notes = append(notes, fmt.Sprintf("The refreshes cost %d Hessian-vector products per run on average.", hv/n))
	}
	for _, g := range sum.Gammas {
		if g.Diverged > 0 {
			notes = append(notes, fmt.Sprintf("gamma %g: %d run(s) diverged; the checks that need them are inconclusive.", g.Gamma, g.Diverged))
		}
	}
	return notes
}
