package memorisation

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// rowSummary condenses one regulariser row across seeds. Per-seed values
// are kept (in seed order) so that rows can be paired.
type rowSummary struct {
	regulariser
	Key string // figure-name prefix: "p0.5", "wd0.0005"
	// At the fixed epoch (window mean), per seed.
	Mis, MisTrue, Clean, Val, CSR []float64
	BestVal                       []float64 // max over epochs 1..FixedEpoch
	BestEpoch                     []int
	HalfClean, HalfMis            []float64 // epochs to half the fixed-epoch accuracy
	// Intervals across seeds of the above.
	MisIv, MisTrueIv, CleanIv, ValIv, CSRIv, BestValIv, HalfCleanIv, HalfMisIv stats.Interval
	// HalfGap is HalfMis - HalfClean per seed, with its interval.
	HalfGap   []float64
	HalfGapIv stats.Interval
	// Paired differences against the baseline row, per seed and as
	// intervals: Cut = baseline Mis - Mis (memorisation removed), the others
	// this row minus the baseline.
	Cut, ValDiff, BestValDiff, CSRDiff         []float64
	CutIv, ValDiffIv, BestValDiffIv, CSRDiffIv stats.Interval
	// Curves, mean over seeds, index = epoch (0 = initialisation).
	MisCurve, CleanCurve, ValCurve []float64
	// CSR along training: epochs and the interval across seeds at each.
	CSREpochs []int
	CSRCurve  []stats.Interval
	// CSR among the set's clean and mislabelled rows at the fixed epoch.
	CSRCleanIv, CSRMisIv stats.Interval
	// CSR on held-out clean images (information, not verdict): along
	// training, at the fixed epoch per seed, and baseline minus this row.
	CSRHeldCurve             []stats.Interval
	CSRHeld, CSRHeldDiff     []float64
	CSRHeldIv, CSRHeldDiffIv stats.Interval
	Diverged                 []string
}

type summary struct {
	Rows       []rowSummary
	Base       int // index of the baseline row (no regulariser), -1 if none
	FixedEpoch int
	Window     int
	Epochs     int
}

func (s summary) dropoutRows() []int {
	var out []int
	for i, r := range s.Rows {
		if i != s.Base && r.Dropout > 0 && r.WeightDecay == 0 {
			out = append(out, i)
		}
	}
	return out
}

func key(r regulariser) string {
	switch {
	case r.WeightDecay > 0 && r.Dropout > 0:
		return fmt.Sprintf("p%g_wd%g", r.Dropout, r.WeightDecay)
	case r.WeightDecay > 0:
		return fmt.Sprintf("wd%g", r.WeightDecay)
	}
	return fmt.Sprintf("p%g", r.Dropout)
}

// windowMean is the mean of curve over epochs fixed-window+1 .. fixed; NaN
// if any of them is NaN or missing.
func windowMean(curve []float64, fixed, window int) float64 {
	if fixed >= len(curve) || fixed-window+1 < 1 {
		return math.NaN()
	}
	var s float64
	for e := fixed - window + 1; e <= fixed; e++ {
		s += curve[e]
	}
	return s / float64(window)
}

// halfTime is the first epoch e >= 1 at which curve[e] reaches half of
// final; fixed+1 (censored) if it never does by the fixed epoch, NaN if
// final is NaN.
func halfTime(curve []float64, final float64, fixed int) float64 {
	if math.IsNaN(final) {
		return math.NaN()
	}
	for e := 1; e <= fixed && e < len(curve); e++ {
		if curve[e] >= final/2 {
			return float64(e)
		}
	}
	return float64(fixed + 1)
}

func summarise(rec record) summary {
	sum := summary{Base: -1, FixedEpoch: rec.FixedEpoch, Window: rec.Window, Epochs: rec.Epochs}
	fe, w := rec.FixedEpoch, rec.Window
	for i, row := range rec.Rows {
		rs := rowSummary{regulariser: row.regulariser, Key: key(row.regulariser)}
		if row.Dropout == 0 && row.WeightDecay == 0 && sum.Base < 0 {
			sum.Base = i
		}
		n := rec.Epochs + 1
		rs.MisCurve, rs.CleanCurve, rs.ValCurve = make([]float64, n), make([]float64, n), make([]float64, n)
		for _, r := range row.Runs {
			mis, clean, val := jsonfloat.Float64s(r.Mislabelled), jsonfloat.Float64s(r.Clean), jsonfloat.Float64s(r.Val)
			if r.Diverged > 0 {
				rs.Diverged = append(rs.Diverged, fmt.Sprintf("seed %d diverged at step %d", r.Seed, r.Diverged))
			}
			m := windowMean(mis, fe, w)
			rs.Mis = append(rs.Mis, m)
			rs.MisTrue = append(rs.MisTrue, windowMean(jsonfloat.Float64s(r.MisTrue), fe, w))
			c := windowMean(clean, fe, w)
			rs.Clean = append(rs.Clean, c)
			rs.Val = append(rs.Val, windowMean(val, fe, w))
			best, be := math.NaN(), 0
			for e := 1; e <= fe && e < len(val); e++ {
				if math.IsNaN(val[e]) {
					best = math.NaN()
					break
				}
				if be == 0 || val[e] > best {
					best, be = val[e], e
				}
			}
			rs.BestVal, rs.BestEpoch = append(rs.BestVal, best), append(rs.BestEpoch, be)
			hc, hm := halfTime(clean, c, fe), halfTime(mis, m, fe)
			rs.HalfClean, rs.HalfMis, rs.HalfGap = append(rs.HalfClean, hc), append(rs.HalfMis, hm), append(rs.HalfGap, hm-hc)
			csr := math.NaN()
			for _, p := range r.CSR {
				if p.Epoch == fe {
					csr = float64(p.Ratio)
				}
			}
			rs.CSR = append(rs.CSR, csr)
			for e := 0; e < n && e < len(mis); e++ {
				k := float64(len(row.Runs))
				rs.MisCurve[e] += mis[e] / k
				rs.CleanCurve[e] += clean[e] / k
				rs.ValCurve[e] += val[e] / k
			}
		}
		rs.MisIv, rs.MisTrueIv, rs.CleanIv, rs.ValIv = stats.MeanTOrNaN(rs.Mis, level), stats.MeanTOrNaN(rs.MisTrue, level), stats.MeanTOrNaN(rs.Clean, level), stats.MeanTOrNaN(rs.Val, level)
		rs.CSRIv, rs.BestValIv = stats.MeanTOrNaN(rs.CSR, level), stats.MeanTOrNaN(rs.BestVal, level)
		rs.HalfCleanIv, rs.HalfMisIv, rs.HalfGapIv = stats.MeanTOrNaN(rs.HalfClean, level), stats.MeanTOrNaN(rs.HalfMis, level), stats.MeanTOrNaN(rs.HalfGap, level)
		// CSR along training, and split by part at the fixed epoch.
		rs.CSREpochs = rec.CSR.Epochs
		for _, e := range rec.CSR.Epochs {
			var xs, hs []float64
			for _, r := range row.Runs {
				v, h := math.NaN(), math.NaN()
				for _, p := range r.CSR {
					if p.Epoch == e {
						v, h = float64(p.Ratio), float64(p.HeldOut)
					}
				}
				xs, hs = append(xs, v), append(hs, h)
			}
			rs.CSRCurve = append(rs.CSRCurve, stats.MeanTOrNaN(xs, level))
			rs.CSRHeldCurve = append(rs.CSRHeldCurve, stats.MeanTOrNaN(hs, level))
			if e == fe {
				rs.CSRHeld = hs
			}
		}
		if rs.CSRHeld == nil {
			rs.CSRHeld = make([]float64, len(row.Runs))
			for k := range rs.CSRHeld {
				rs.CSRHeld[k] = math.NaN()
			}
		}
		var cc, cm []float64
		for _, r := range row.Runs {
			vc, vm := math.NaN(), math.NaN()
			for _, p := range r.CSR {
				if p.Epoch == fe {
					vc, vm = float64(p.Clean), float64(p.Mislabelled)
				}
			}
			cc, cm = append(cc, vc), append(cm, vm)
		}
		rs.CSRCleanIv, rs.CSRMisIv, rs.CSRHeldIv = stats.MeanTOrNaN(cc, level), stats.MeanTOrNaN(cm, level), stats.MeanTOrNaN(rs.CSRHeld, level)
		sum.Rows = append(sum.Rows, rs)
	}
	if sum.Base >= 0 {
		b := sum.Rows[sum.Base]
		for i := range sum.Rows {
			rs := &sum.Rows[i]
			if len(rs.Mis) != len(b.Mis) {
				continue // not paired: leave the differences empty (NaN intervals)
			}
			for s := range rs.Mis {
				rs.Cut = append(rs.Cut, b.Mis[s]-rs.Mis[s])
				rs.ValDiff = append(rs.ValDiff, rs.Val[s]-b.Val[s])
				rs.BestValDiff = append(rs.BestValDiff, rs.BestVal[s]-b.BestVal[s])
				rs.CSRDiff = append(rs.CSRDiff, b.CSR[s]-rs.CSR[s])
				rs.CSRHeldDiff = append(rs.CSRHeldDiff, b.CSRHeld[s]-rs.CSRHeld[s])
			}
		}
	}
	for i := range sum.Rows {
		rs := &sum.Rows[i]
		rs.CutIv, rs.ValDiffIv, rs.BestValDiffIv, rs.CSRDiffIv, rs.CSRHeldDiffIv = stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval()
		if rs.Cut != nil && i != sum.Base {
			rs.CutIv, rs.ValDiffIv, rs.BestValDiffIv, rs.CSRDiffIv = stats.MeanTOrNaN(rs.Cut, level), stats.MeanTOrNaN(rs.ValDiff, level), stats.MeanTOrNaN(rs.BestValDiff, level), stats.MeanTOrNaN(rs.CSRDiff, level)
			rs.CSRHeldDiffIv = stats.MeanTOrNaN(rs.CSRHeldDiff, level)
		}
	}
	return sum
}

// above is Above with NaN intervals inconclusive.
func above(iv stats.Interval, t float64) claims.Outcome {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return claims.Inconclusive
	}
	return claims.Above(iv, t)
}

func (c Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	fe := fmt.Sprintf("epoch %d (mean of epochs %d-%d)", sum.FixedEpoch, sum.FixedEpoch-sum.Window+1, sum.FixedEpoch)
	var checks []claims.Check
	if sum.Base < 0 {
		return nil, fmt.Errorf("c4: no unregularised row (dropout 0, no weight decay) to compare with")
	}
	base := sum.Rows[sum.Base]
	drops := sum.dropoutRows()

	// 0. Regime.
	regime := claims.Check{Name: "0: the unregularised network memorises",
		Statistic: "accuracy of p = 0 on the mislabelled rows against their noisy labels at " + fe,
		Threshold: fmt.Sprintf("95%% CI above %g (else inconclusive: nothing to slow)", memoriseMin),
		Reason:    "the claim is about slowing memorisation; if the baseline has not memorised most of the noise by the fixed epoch, the comparison says nothing",
		Value:     base.MisIv, Outcome: above(base.MisIv, memoriseMin)}
	if regime.Outcome == claims.DoesNotHold {
		regime.Outcome = claims.Inconclusive
	}
	regime.Detail = fmt.Sprintf("per seed %s", list(base.Mis, "%.3f"))
	checks = append(checks, regime)

	// 1. Dropout slows memorisation, one check per rate.
	for _, i := range drops {
		r := sum.Rows[i]
		t, reason := cutMild, "a milder rate: the effect must point the same way (dose-response); no margin claimed"
		if r.Dropout == strongDropout {
			t, reason = cutStrong, "the 'wide margin': 20 points is at least 40% of the baseline's memorisation (check 0: above 0.5) and several times the seed-to-seed spread"
		}
		checks = append(checks, claims.Check{Name: fmt.Sprintf("1: dropout %g slows memorisation", r.Dropout),
			Statistic: fmt.Sprintf("mislabelled-row accuracy (noisy labels) of p = 0 minus p = %g at %s, paired by seed", r.Dropout, fe),
			Threshold: fmt.Sprintf("95%% CI above %g", t), Reason: reason,
			Value: r.CutIv, Outcome: above(r.CutIv, t),
			Detail: fmt.Sprintf("p = 0: %s, p = %g: %s; per seed cut %s", base.MisIv.String(), r.Dropout, r.MisIv.String(), list(r.Cut, "%.3f"))})
	}

	// 2 and 3. Clean learning not hindered, across dropout rates.
	valCheck := func(name, stat string, pick func(rowSummary) (stats.Interval, []float64), reason string) claims.Check {
		ck := claims.Check{Name: name, Statistic: stat, Threshold: fmt.Sprintf("95%% CI above %g for every dropout rate", -valDrop), Reason: reason, Value: stats.NaNInterval()}
		var outs []claims.Outcome
		var parts []string
		for _, i := range drops {
			iv, per := pick(sum.Rows[i])
			outs = append(outs, above(iv, -valDrop))
			parts = append(parts, fmt.Sprintf("p = %g: %s (per seed %s)", sum.Rows[i].Dropout, iv.String(), list(per, "%+.4f")))
		}
		o, at := claims.AllOf(outs)
		ck.Outcome = o
		// Show the deciding rate, else the one with the lowest lower end.
		show, lo := at, math.Inf(1)
		if show < 0 {
			for k, i := range drops {
				if iv, _ := pick(sum.Rows[i]); show < 0 || iv.Lo < lo {
					show, lo = k, iv.Lo
				}
			}
		}
		if show >= 0 {
			ck.Value, _ = pick(sum.Rows[drops[show]])
			ck.Detail = fmt.Sprintf("shown: p = %g; ", sum.Rows[drops[show]].Dropout)
		}
		ck.Detail += strings.Join(parts, "; ")
		return ck
	}
	checks = append(checks,
		valCheck("2: clean validation accuracy kept (fixed epoch)",
			"clean validation accuracy of dropout p minus p = 0 at "+fe+", paired by seed",
			func(r rowSummary) (stats.Interval, []float64) { return r.ValDiffIv, r.ValDiff },
			"CLAIMS.md: drops by at most about 1 point; one point is also about the binomial error of one run's accuracy on the validation set"),
		valCheck("3: clean validation accuracy kept (best epoch)",
			fmt.Sprintf("best clean validation accuracy over epochs 1-%d of dropout p minus that of p = 0, paired by seed", sum.FixedEpoch),
			func(r rowSummary) (stats.Interval, []float64) { return r.BestValDiffIv, r.BestValDiff },
			"check 2 is weak because memorisation lowers p = 0's accuracy at the fixed epoch; this compares each network at its best (early-stopped) epoch, both maxima with the same selection bias; same 1-point margin"),
	)

	// 4. Real data first.
	checks = append(checks, claims.Check{Name: "4: real data is learned before noise",
		Statistic: fmt.Sprintf("p = 0: epochs to reach half of the %s accuracy, mislabelled rows minus clean rows", fe),
		Threshold: fmt.Sprintf("95%% CI above %g epochs", halfTimeMargin),
		Reason:    "the claim is an ordering (clean first), so no margin is claimed; the size is in the table",
		Value:     base.HalfGapIv, Outcome: above(base.HalfGapIv, halfTimeMargin),
		Detail: fmt.Sprintf("clean rows %s, mislabelled rows %s epochs; per seed gap %s", list(base.HalfClean, "%g"), list(base.HalfMis, "%g"), list(base.HalfGap, "%g"))})

	// 5. CSR higher when memorising.
	csr := claims.Check{Name: "5: critical sample ratio higher when memorising",
		Statistic: fmt.Sprintf("CSR at epoch %d of p = 0 minus p = %g, paired by seed", sum.FixedEpoch, strongDropout),
		Threshold: fmt.Sprintf("95%% CI above %g", csrMargin),
		Reason:    "P2 Sec. 4: a network that memorises has a more complex decision boundary near the data; an ordering, no margin claimed"}
	strong := -1
	for _, i := range drops {
		if sum.Rows[i].Dropout == strongDropout {
			strong = i
		}
	}
	if strong < 0 {
		csr = claims.Failed(csr.Name, csr.Statistic, csr.Threshold, csr.Reason, fmt.Errorf("no dropout %g row", strongDropout))
	} else {
		r := sum.Rows[strong]
		csr.Value, csr.Outcome = r.CSRDiffIv, above(r.CSRDiffIv, csrMargin)
		csr.Detail = fmt.Sprintf("p = 0: %s, p = %g: %s; per seed difference %s", base.CSRIv.String(), r.Dropout, r.CSRIv.String(), list(r.CSRDiff, "%+.3f"))
	}
	checks = append(checks, csr)
	for _, r := range sum.Rows {
		if len(r.Diverged) > 0 {
			for k := range checks {
				checks[k].Detail += "; " + r.Name + ": " + strings.Join(r.Diverged, ", ")
			}
		}
	}

	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
}

func summaryText(v *claims.Verdict, sum summary) string {
	s := claims.PerCheck(v.Checks)
	b := sum.Rows[sum.Base]
	for _, i := range sum.dropoutRows() {
		r := sum.Rows[i]
		if r.Dropout == strongDropout {
			s += fmt.Sprintf(" At epoch %d the unregularised network fits %.0f%% of the mislabelled rows, dropout %g %.0f%%; clean validation accuracy %.1f%% vs %.1f%% (best epochs %.1f%% vs %.1f%%).",
				sum.FixedEpoch, 100*b.MisIv.Estimate, r.Dropout, 100*r.MisIv.Estimate, 100*b.ValIv.Estimate, 100*r.ValIv.Estimate, 100*b.BestValIv.Estimate, 100*r.BestValIv.Estimate)
		}
	}
	return s
}

func list(xs []float64, format string) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf(format, x))
	}
	return strings.Join(s, ", ")
}
