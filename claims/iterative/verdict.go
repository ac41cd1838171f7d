package iterative

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// blockSummary condenses one block across seeds (per-seed values in seed
// order; NaN where a run has no value).
type blockSummary struct {
	Block int
	// The trained network (last trace epoch).
	Cos, CosNeg, CosNext, Rel, FNorm, HNorm []float64
	CosIv, CosNegIv, CosNextIv, RelIv       stats.Interval
	FNormIv, HNormIv                        stats.Interval
	// At initialisation (trace epoch 0; empty without one).
	CosInit, RelInit     []float64
	CosInitIv, RelInitIv stats.Interval
	// Removing the block: held-out accuracy drop (full minus lesioned)
	// and loss increase (lesioned minus full).
	Drop, LossUp     []float64
	DropIv, LossUpIv stats.Interval
}

type summary struct {
	Blocks, Group, Epochs int
	Seeds                 int
	Acc                   []float64
	AccIv                 stats.Interval
	Missing               []string // runs without a final trace or removals, and why
	HasInit               bool
	Per                   []blockSummary
	// Mean over seeds of every block's cosine, per trace epoch (rows in
	// TraceEpochs order; NaN where a seed lacks the trace).
	CosByEpoch [][]float64
	// Over every (seed, block) of the trained network.
	RhoRel, RhoRelInit, RhoDrop          stats.Correlation
	RhoRelErr, RhoRelInitErr, RhoDropErr string
	// Early minus late accuracy drop, per seed.
	EarlyLate   []float64
	EarlyLateIv stats.Interval
}

// traceAt returns r's trace at epoch, nil if there is none.
func traceAt(r runRecord, epoch int) *traceRecord {
	for i := range r.Traces {
		if r.Traces[i].Epoch == epoch {
			return &r.Traces[i]
		}
	}
	return nil
}

func summarise(rec record) summary {
	B := rec.Blocks
	sum := summary{Blocks: B, Group: rec.Group, Epochs: rec.Epochs, Seeds: len(rec.Runs), HasInit: len(rec.TraceEpochs) > 0 && rec.TraceEpochs[0] == 0}
	nan := math.NaN()
	sum.Per = make([]blockSummary, B)
	for i := range sum.Per {
		sum.Per[i].Block = i
	}
	var depth, rel, depthInit, relInit, depthDrop, drop []float64
	for _, r := range rec.Runs {
		sum.Acc = append(sum.Acc, float64(r.Acc))
		fin, init := traceAt(r, rec.Epochs), traceAt(r, 0)
		switch {
		case r.Diverged > 0:
			sum.Missing = append(sum.Missing, fmt.Sprintf("seed %d diverged at step %d", r.Seed, r.Diverged))
		case fin == nil || len(fin.Blocks) != B:
			sum.Missing = append(sum.Missing, fmt.Sprintf("seed %d has no trace of its %d blocks after epoch %d", r.Seed, B, rec.Epochs))
		case len(r.Drops) != B:
			sum.Missing = append(sum.Missing, fmt.Sprintf("seed %d has %d block removals of %d", r.Seed, len(r.Drops), B))
		}
		early, late := 0.0, 0.0
		for i := range B {
			p := &sum.Per[i]
			if fin != nil && len(fin.Blocks) == B {
				b := fin.Blocks[i]
				p.Cos, p.CosNeg, p.CosNext = append(p.Cos, float64(b.Cos)), append(p.CosNeg, float64(b.CosNegative)), append(p.CosNext, float64(b.CosNext))
				p.Rel, p.FNorm, p.HNorm = append(p.Rel, float64(b.RelNorm)), append(p.FNorm, float64(b.FNorm)), append(p.HNorm, float64(b.HNorm))
				depth, rel = append(depth, float64(i)), append(rel, float64(b.RelNorm))
			} else {
				p.Cos, p.CosNeg, p.CosNext = append(p.Cos, nan), append(p.CosNeg, nan), append(p.CosNext, nan)
				p.Rel, p.FNorm, p.HNorm = append(p.Rel, nan), append(p.FNorm, nan), append(p.HNorm, nan)
				depth, rel = append(depth, float64(i)), append(rel, nan)
			}
			if sum.HasInit {
				ci, ri := nan, nan
				if init != nil && len(init.Blocks) == B {
					ci, ri = float64(init.Blocks[i].Cos), float64(init.Blocks[i].RelNorm)
				}
				p.CosInit, p.RelInit = append(p.CosInit, ci), append(p.RelInit, ri)
				depthInit, relInit = append(depthInit, float64(i)), append(relInit, ri)
			}
			d, lu := nan, nan
			if len(r.Drops) == B {
				d, lu = float64(r.Acc)-float64(r.Drops[i].Acc), float64(r.Drops[i].Loss)-float64(r.Loss)
			}
			p.Drop, p.LossUp = append(p.Drop, d), append(p.LossUp, lu)
			depthDrop, drop = append(depthDrop, float64(i)), append(drop, d)
			if i < rec.Group {
				early += d / float64(rec.Group)
			}
			if i >= B-rec.Group {
				late += d / float64(rec.Group)
			}
		}
		sum.EarlyLate = append(sum.EarlyLate, early-late)
	}
	sum.AccIv = stats.MeanTOrNaN(sum.Acc, level)
	for i := range sum.Per {
		p := &sum.Per[i]
		p.CosIv, p.CosNegIv, p.CosNextIv, p.RelIv = stats.MeanTOrNaN(p.Cos, level), stats.MeanTOrNaN(p.CosNeg, level), stats.MeanTOrNaN(p.CosNext, level), stats.MeanTOrNaN(p.Rel, level)
		p.FNormIv, p.HNormIv = stats.MeanTOrNaN(p.FNorm, level), stats.MeanTOrNaN(p.HNorm, level)
		p.CosInitIv, p.RelInitIv = stats.MeanTOrNaN(p.CosInit, level), stats.MeanTOrNaN(p.RelInit, level)
		p.DropIv, p.LossUpIv = stats.MeanTOrNaN(p.Drop, level), stats.MeanTOrNaN(p.LossUp, level)
	}
	for _, e := range rec.TraceEpochs {
		row := make([]float64, B)
		for i := range B {
			s, k := 0.0, 0
			for _, r := range rec.Runs {
				if t := traceAt(r, e); t != nil && len(t.Blocks) == B {
					s += float64(t.Blocks[i].Cos)
					k++
				}
			}
			row[i] = nan
			if k == len(rec.Runs) && k > 0 {
				row[i] = s / float64(k)
			}
		}
		sum.CosByEpoch = append(sum.CosByEpoch, row)
	}
	var err error
	if sum.RhoRel, err = stats.SpearmanTest(depth, rel, level, perms, 1); err != nil {
		sum.RhoRelErr = err.Error()
	}
	if !sum.HasInit {
		sum.RhoRelInitErr = "no trace at initialisation (trace epoch 0)"
	} else if sum.RhoRelInit, err = stats.SpearmanTest(depthInit, relInit, level, perms, 2); err != nil {
		sum.RhoRelInitErr = err.Error()
	}
	if sum.RhoDrop, err = stats.SpearmanTest(depthDrop, drop, level, perms, 3); err != nil {
		sum.RhoDropErr = err.Error()
	}
	sum.EarlyLateIv = stats.MeanTOrNaN(sum.EarlyLate, level)
	return sum
}

// above and below are Above and Below with NaN intervals inconclusive.
func above(iv stats.Interval, t float64) claims.Outcome {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return claims.Inconclusive
	}
	return claims.Above(iv, t)
}

func below(iv stats.Interval, t float64) claims.Outcome {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return claims.Inconclusive
	}
	return claims.Below(iv, t)
}

// everyBlock decides "interval below t for every block" over the
// intervals pick returns, and says which block decided (else the block
// whose interval reaches highest).
func everyBlock(per []blockSummary, t float64, pick func(blockSummary) stats.Interval) (claims.Outcome, stats.Interval, string) {
	if len(per) == 0 {
		return claims.Inconclusive, stats.NaNInterval(), "no blocks"
	}
	var outs []claims.Outcome
	var parts []string
	show := 0
	for i, p := range per {
		iv := pick(p)
		outs = append(outs, below(iv, t))
		parts = append(parts, fmt.Sprintf("%d: %s", i, iv.Format("%+.3f", 1)))
		if top := pick(per[show]).Hi; iv.Hi > top || math.IsNaN(top) {
			show = i
		}
	}
	o, at := claims.AllOf(outs)
	if at >= 0 {
		show = at
	}
	return o, pick(per[show]), fmt.Sprintf("shown: block %d; per block (0 = first): %s", show, strings.Join(parts, ", "))
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if rec.Blocks < 2 || rec.Group < 1 || 2*rec.Group > rec.Blocks {
		return nil, fmt.Errorf("c9: %d blocks in groups of %d", rec.Blocks, rec.Group)
	}
	sum := summarise(rec)
	reg := registration
	var checks []claims.Check
	missing := ""
	if len(sum.Missing) > 0 {
		missing = "; " + strings.Join(sum.Missing, "; ")
	}

	// 0: the regime.
	o0 := above(sum.AccIv, accMin)
	if o0 == claims.DoesNotHold {
		o0 = claims.Inconclusive
	}
	checks = append(checks, reg.Check(check0).New(sum.AccIv, o0,
		fmt.Sprintf("held-out accuracy %s (per seed %s)%s", sum.AccIv.Format("%.2f%%", 100), list(sum.Acc, "%.4f"), missing)))
	notJudged := func(o claims.Outcome, d string) (claims.Outcome, string) {
		if o0 != claims.Holds {
			return claims.Inconclusive, d + "; not judged: the network has not learned the task (check 0)"
		}
		return o, d
	}

	// 1: every block against the gradient.
	o1, v1, d1 := everyBlock(sum.Per, cosMax, func(p blockSummary) stats.Interval { return p.CosIv })
	o1, d1 = notJudged(o1, d1+missing)
	checks = append(checks, reg.Check(check1).New(v1, o1, d1))

	// 2: relative changes fall with depth.
	if sum.RhoRelErr != "" {
		checks = append(checks, reg.Check(check2).Failed(errors.New(sum.RhoRelErr+missing)))
	} else {
		o, d := notJudged(below(sum.RhoRel.CI, rhoMax), fmt.Sprintf("rho = %.3f over %d (seed, block) pairs, permutation p = %.2g; mean ratio block 0 %.3g, block %d %.3g%s",
			sum.RhoRel.Rho, sum.RhoRel.N, sum.RhoRel.P, sum.Per[0].RelIv.Estimate, sum.Blocks-1, sum.Per[sum.Blocks-1].RelIv.Estimate, missing))
		checks = append(checks, reg.Check(check2).New(sum.RhoRel.CI, o, d))
	}

	// 3: early minus late accuracy drop.
	o3, d3 := notJudged(above(sum.EarlyLateIv, dropMargin), fmt.Sprintf("first %d blocks minus last %d: %s accuracy points (per seed %s)%s",
		sum.Group, sum.Group, sum.EarlyLateIv.Format("%+.2f", 100), list(sum.EarlyLate, "%+.4f"), missing))
	checks = append(checks, reg.Check(check3).New(sum.EarlyLateIv, o3, d3))

	// Information.
	oi1, vi1, di1 := everyBlock(sum.Per, 0, func(p blockSummary) stats.Interval { return p.CosNextIv })
	checks = append(checks, reg.Check(checkI1).New(vi1, oi1, di1))
	if sum.HasInit {
		oi2, vi2, di2 := everyBlock(sum.Per, 0, func(p blockSummary) stats.Interval { return p.CosInitIv })
		checks = append(checks, reg.Check(checkI2).New(vi2, oi2, di2))
	} else {
		checks = append(checks, reg.Check(checkI2).Failed(errors.New("no trace at initialisation (trace epoch 0)")))
	}
	if sum.RhoRelInitErr != "" {
		checks = append(checks, reg.Check(checkI3).Failed(errors.New(sum.RhoRelInitErr)))
	} else {
		checks = append(checks, reg.Check(checkI3).New(sum.RhoRelInit.CI, below(sum.RhoRelInit.CI, rhoMax),
			fmt.Sprintf("rho = %.3f over %d (seed, block) pairs, permutation p = %.2g; mean ratio block 0 %.3g, block %d %.3g",
				sum.RhoRelInit.Rho, sum.RhoRelInit.N, sum.RhoRelInit.P, sum.Per[0].RelInitIv.Estimate, sum.Blocks-1, sum.Per[sum.Blocks-1].RelInitIv.Estimate)))
	}
	if sum.RhoDropErr != "" {
		checks = append(checks, reg.Check(checkI4).Failed(errors.New(sum.RhoDropErr)))
	} else {
		checks = append(checks, reg.Check(checkI4).New(sum.RhoDrop.CI, below(sum.RhoDrop.CI, 0),
			fmt.Sprintf("rho = %.3f over %d (seed, block) pairs, permutation p = %.2g", sum.RhoDrop.Rho, sum.RhoDrop.N, sum.RhoDrop.P)))
	}

	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = claims.PerCheck(checks) + " " + summaryLine(v.Outcome, sum)
	return v, nil
}

func summaryLine(o claims.Outcome, sum summary) string {
	worst := math.Inf(-1)
	for _, p := range sum.Per {
		worst = math.Max(worst, p.CosIv.Estimate)
	}
	s := fmt.Sprintf("After %d epochs (held-out accuracy %.1f%%), the blocks' mean cos(F_i, dL/dh_i) is at most %+.3f; ||F_i||/||h_i|| goes "+
		"from %.3g (block 0) to %.3g (block %d), rho %.2f; removing one of the first %d blocks costs %s accuracy points more than one of the last %d.",
		sum.Epochs, 100*sum.AccIv.Estimate, worst, sum.Per[0].RelIv.Estimate, sum.Per[sum.Blocks-1].RelIv.Estimate, sum.Blocks-1, sum.RhoRel.Rho,
		sum.Group, sum.EarlyLateIv.Format("%+.2f", 100), sum.Group)
	switch o {
	case claims.Holds:
		return s + " The blocks behave as iterative inference predicts."
	case claims.DoesNotHold:
		return s + " At least one part of the iterative-inference picture is contradicted (see the checks)."
	}
	return s + " Not decided (see the checks)."
}

func list(xs []float64, format string) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf(format, x))
	}
	return strings.Join(s, ", ")
}
