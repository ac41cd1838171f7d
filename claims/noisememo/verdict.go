package noisememo

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// pointSummary condenses one grid point across seeds (per-seed values in
// seed order, so that points pair by seed).
type pointSummary struct {
	point
	Key                              string // figure-name prefix: "eta0.02_S64"
	Reached                          int
	Epoch, Mis, MisTrue, Clean, Val  []float64
	EpochIv, MisIv, MisTrueIv, ValIv stats.Interval
	// MaxDrop is, per seed, the largest fall of the clean-row accuracy
	// from one measurement to the next before the matched point: how much
	// the fit of the clean part fluctuates at this (eta, S).
	MaxDrop   []float64
	MaxDropIv stats.Interval
	Diverged  []string
}

type summary struct {
	Points    []pointSummary
	Level     float64
	Runs      int // grid points x seeds
	Reached   int
	Low, High int
	// Over every run that reached the level: log(eta/S), and the
	// mislabelled-row and held-out accuracy at the matched point.
	LogRatio, Mis, Val []float64
	Rho, RhoVal        stats.Correlation
	RhoErr, RhoValErr  string
	// Ends: low-ratio minus high-ratio mislabelled accuracy, per seed.
	EndsDiff   []float64
	EndsDiffIv stats.Interval
}

func (p point) key() string { return fmt.Sprintf("eta%g_S%d", p.LR, p.Batch) }

func summarise(rec record) summary {
	sum := summary{Level: rec.Level, Low: rec.Low, High: rec.High}
	for _, pr := range rec.Points {
		ps := pointSummary{point: pr.point, Key: pr.point.key()}
		for _, r := range pr.Runs {
			sum.Runs++
			if r.Diverge > 0 {
				ps.Diverged = append(ps.Diverged, fmt.Sprintf("seed %d diverged at step %d", r.Seed, r.Diverge))
			}
			ps.Epoch = append(ps.Epoch, float64(r.Epoch))
			ps.Mis = append(ps.Mis, float64(r.Mis))
			ps.MisTrue = append(ps.MisTrue, float64(r.MisTrue))
			ps.Clean = append(ps.Clean, float64(r.Clean))
			ps.Val = append(ps.Val, float64(r.Val))
			drop := 0.0
			for i := 1; i < len(r.Curve); i++ {
				drop = math.Max(drop, float64(r.Curve[i-1].Clean)-float64(r.Curve[i].Clean))
			}
			ps.MaxDrop = append(ps.MaxDrop, drop)
			if r.Reached && !math.IsNaN(float64(r.Mis)) {
				ps.Reached++
				sum.Reached++
				sum.LogRatio = append(sum.LogRatio, math.Log(pr.ratio()))
				sum.Mis = append(sum.Mis, float64(r.Mis))
				sum.Val = append(sum.Val, float64(r.Val))
			}
		}
		ps.EpochIv = stats.MeanTOrNaN(ps.Epoch, level)
		ps.MisIv = stats.MeanTOrNaN(ps.Mis, level)
		ps.MisTrueIv = stats.MeanTOrNaN(ps.MisTrue, level)
		ps.ValIv = stats.MeanTOrNaN(ps.Val, level)
		ps.MaxDropIv = stats.MeanTOrNaN(ps.MaxDrop, level)
		sum.Points = append(sum.Points, ps)
	}
	var err error
	if sum.Rho, err = stats.SpearmanTest(sum.LogRatio, sum.Mis, level, perms, 1); err != nil {
		sum.RhoErr = err.Error()
	}
	if sum.RhoVal, err = stats.SpearmanTest(sum.LogRatio, sum.Val, level, perms, 2); err != nil {
		sum.RhoValErr = err.Error()
	}
	sum.EndsDiffIv = stats.NaNInterval()
	if rec.Low < len(sum.Points) && rec.High < len(sum.Points) {
		lo, hi := sum.Points[rec.Low], sum.Points[rec.High]
		for i := range min(len(lo.Mis), len(hi.Mis)) {
			sum.EndsDiff = append(sum.EndsDiff, lo.Mis[i]-hi.Mis[i])
		}
		sum.EndsDiffIv = stats.MeanTOrNaN(sum.EndsDiff, level)
	}
	return sum
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Points) < 2 || rec.Low >= len(rec.Points) || rec.High >= len(rec.Points) {
		return nil, fmt.Errorf("c6: %d grid points, ends %d and %d", len(rec.Points), rec.Low, rec.High)
	}
	sum := summarise(rec)
	reg := registration
	var checks []claims.Check

	// 0a: every run reaches the level.
	frac := float64(sum.Reached) / float64(max(sum.Runs, 1))
	fiv := stats.Interval{Estimate: frac, Lo: frac, Hi: frac, Level: 1, N: sum.Runs, Method: "a count"}
	o0a := claims.Inconclusive
	if sum.Runs > 0 && sum.Reached == sum.Runs {
		o0a = claims.Holds
	}
	var missing []string
	for _, ps := range sum.Points {
		if ps.Reached < len(ps.Mis) {
			missing = append(missing, fmt.Sprintf("(%g, %d): %d of %d", ps.LR, ps.Batch, len(ps.Mis)-ps.Reached, len(ps.Mis)))
		}
	}
	d0a := fmt.Sprintf("%d of %d runs reached clean-row accuracy %g within %d epochs", sum.Reached, sum.Runs, rec.Level, rec.MaxEpochs)
	if len(missing) > 0 {
		d0a += "; not reached: " + strings.Join(missing, "; ")
	}
	checks = append(checks, reg.Check(check0a).New(fiv, o0a, d0a))
	allReached := o0a == claims.Holds

	// 0b: the lowest ratio memorises.
	low := sum.Points[rec.Low]
	o0b := claims.Above(low.MisIv, memoriseMin)
	if o0b == claims.DoesNotHold {
		o0b = claims.Inconclusive
	}
	checks = append(checks, reg.Check(check0b).New(low.MisIv, o0b,
		fmt.Sprintf("(%g, %d): mislabelled-row accuracy %s at the level", low.LR, low.Batch, low.MisIv.Format("%.3f", 1))))

	// 1: the rank correlation.
	switch {
	case !allReached:
		checks = append(checks, reg.Check(check1).Failed(errors.New("not every run reached the level (check 0a)")))
	case sum.RhoErr != "":
		checks = append(checks, reg.Check(check1).Failed(errors.New(sum.RhoErr)))
	default:
		o := claims.Below(sum.Rho.CI, rhoMax)
		d := fmt.Sprintf("rho = %.3f over %d runs, permutation p = %.2g", sum.Rho.Rho, sum.Rho.N, sum.Rho.P)
		if o0b != claims.Holds {
			o, d = claims.Inconclusive, d+"; not judged: no memorisation to compare (check 0b)"
		}
		checks = append(checks, reg.Check(check1).New(sum.Rho.CI, o, d))
	}

	// 2: the ends, paired by seed.
	hi := sum.Points[rec.High]
	if !allReached || math.IsNaN(sum.EndsDiffIv.Lo) {
		err := errors.New("not every run reached the level (check 0a)")
		if allReached {
			err = fmt.Errorf("no interval from %d paired differences", len(sum.EndsDiff))
		}
		checks = append(checks, reg.Check(check2).Failed(err))
	} else {
		o := claims.Above(sum.EndsDiffIv, endsMargin)
		d := fmt.Sprintf("(%g, %d) minus (%g, %d): %s accuracy points", low.LR, low.Batch, hi.LR, hi.Batch, sum.EndsDiffIv.Format("%.1f", 100))
		if o0b != claims.Holds {
			o, d = claims.Inconclusive, d+"; not judged: no memorisation to compare (check 0b)"
		}
		checks = append(checks, reg.Check(check2).New(sum.EndsDiffIv, o, d))
	}

	// i: held-out accuracy (information).
	if !allReached || sum.RhoValErr != "" {
		err := errors.New("not every run reached the level (check 0a)")
		if allReached {
			err = errors.New(sum.RhoValErr)
		}
		checks = append(checks, reg.Check(checkI).Failed(err))
	} else {
		checks = append(checks, reg.Check(checkI).New(sum.RhoVal.CI, claims.Above(sum.RhoVal.CI, 0),
			fmt.Sprintf("rho = %.3f over %d runs, permutation p = %.2g", sum.RhoVal.Rho, sum.RhoVal.N, sum.RhoVal.P)))
	}

	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = claims.PerCheck(checks) + " " + summaryLine(v.Outcome, sum)
	return v, nil
}

func summaryLine(o claims.Outcome, sum summary) string {
	lo, hi := sum.Points[sum.Low], sum.Points[sum.High]
	s := fmt.Sprintf("At clean-row accuracy %g, the mislabelled rows are fitted to %s at eta/S = %.3g and %s at %.3g (rho %.2f).",
		sum.Level, lo.MisIv.Format("%.1f%%", 100), lo.ratio(), hi.MisIv.Format("%.1f%%", 100), hi.ratio(), sum.Rho.Rho)
	switch o {
	case claims.Holds:
		return s + " A higher eta/S memorises less at equal fit of the clean part."
	case claims.DoesNotHold:
		return s + " The ordering by eta/S the claim predicts is not there."
	}
	return s + " Not decided (see the checks)."
}
