package memorisation

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// rowSummary condenses one row across seeds. Per-seed values are kept (in
// seed order) so that rows can be paired.
type rowSummary struct {
	regulariser
	Key string // figure-name prefix: "n0.5/p0", "n0.5/wd0.0005", "n0.2/p0"
	// At the fixed epoch (window mean), per seed.
	Mis, MisTrue, Clean, Val []float64
	// The CSR at the fixed epoch (training rows, held-out images), per seed.
	CSR, CSRHeld []float64
	BestVal      []float64 // max over epochs 1..FixedEpoch
	BestEpoch    []int
	HalfClean    []float64 // epochs to half the fixed-epoch accuracy
	HalfMis      []float64
	// CSR rows: the level after the early phase (mean of the measurements
	// after EarlyEpoch up to FixedEpoch) on training rows and held-out
	// images, and the largest change from EarlyEpoch on (training rows).
	CSRLevel, CSRHeldLevel, CSRStab []float64
	// Intervals across seeds of the above.
	MisIv, MisTrueIv, CleanIv, ValIv, CSRIv, CSRHeldIv, BestValIv, HalfCleanIv, HalfMisIv stats.Interval
	CSRLevelIv, CSRHeldLevelIv, CSRStabIv                                                 stats.Interval
	// HalfGap is HalfMis - HalfClean per seed, with its interval.
	HalfGap   []float64
	HalfGapIv stats.Interval
	// Paired differences against the baseline row (rows at its noise
	// fraction), per seed and as intervals: Cut = baseline Mis - Mis
	// (memorisation removed), ValDiff and BestValDiff this row minus the
	// baseline, CSRDiff and CSRHeldDiff the baseline minus this row.
	Cut, ValDiff, BestValDiff, CSRDiff, CSRHeldDiff           []float64
	CutIv, ValDiffIv, BestValDiffIv, CSRDiffIv, CSRHeldDiffIv stats.Interval
	// Curves, mean over seeds, index = epoch (0 = initialisation).
	MisCurve, CleanCurve, ValCurve []float64
	// CSR along training: the row's epochs and the interval across seeds at each.
	CSREpochs              []int
	CSRAlong, CSRHeldAlong []stats.Interval
	CSRCleanIv, CSRMisIv   stats.Interval // at the fixed epoch, by part of the CSR set
	Diverged               []string
}

type summary struct {
	Rows       []rowSummary
	Base       int // index of the baseline row (no regulariser, label noise baseNoise), -1 if none
	FixedEpoch int
	Window     int
	Epochs     int
	EarlyEpoch int
}

func key(r regulariser) string {
	k := fmt.Sprintf("n%g/", r.NoiseFrac)
	var parts []string
	if r.Dropout > 0 || r.plain() {
		parts = append(parts, fmt.Sprintf("p%g", r.Dropout))
	}
	if r.WeightDecay > 0 {
		parts = append(parts, fmt.Sprintf("wd%g", r.WeightDecay))
	}
	if r.InputNoise > 0 {
		parts = append(parts, fmt.Sprintf("in%g", r.InputNoise))
	}
	return k + strings.Join(parts, "_")
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

// csrAt returns run r's CSR on training rows and held-out images at epoch
// e (NaN where not measured).
func csrAt(r runRecord, e int) (train, held float64) {
	for _, p := range r.CSR {
		if p.Epoch == e {
			return float64(p.Ratio), float64(p.HeldOut)
		}
	}
	return math.NaN(), math.NaN()
}

// csrLevel is the mean CSR (training rows and held-out) over r's
// measurements after early up to fixed; NaN without one.
func csrLevel(r runRecord, early, fixed int) (train, held float64) {
	var st, sh float64
	n := 0
	for _, p := range r.CSR {
		if p.Epoch > early && p.Epoch <= fixed {
			st += float64(p.Ratio)
			sh += float64(p.HeldOut)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	return st / float64(n), sh / float64(n)
}

// csrStability is the largest |CSR(e) - CSR(early)| over r's training-row
// measurements after early up to fixed; NaN when CSR(early) or every later
// one is missing.
func csrStability(r runRecord, early, fixed int) float64 {
	ref, _ := csrAt(r, early)
	if math.IsNaN(ref) {
		return math.NaN()
	}
	worst, n := 0.0, 0
	for _, p := range r.CSR {
		if p.Epoch > early && p.Epoch <= fixed {
			worst = math.Max(worst, math.Abs(float64(p.Ratio)-ref))
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return worst
}

func summarise(rec record) summary {
	sum := summary{Base: -1, FixedEpoch: rec.FixedEpoch, Window: rec.Window, Epochs: rec.Epochs, EarlyEpoch: rec.EarlyEpoch}
	fe, w := rec.FixedEpoch, rec.Window
	for i, row := range rec.Rows {
		rs := rowSummary{regulariser: row.regulariser, Key: key(row.regulariser)}
		if row.plain() && row.NoiseFrac == baseNoise && sum.Base < 0 {
			sum.Base = i
		}
		n := rec.Epochs + 1
		rs.MisCurve, rs.CleanCurve, rs.ValCurve = make([]float64, n), make([]float64, n), make([]float64, n)
		rs.CSREpochs = rec.CSR.epochsFor(row.regulariser, fe)
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
			ct, ch := csrAt(r, fe)
			rs.CSR, rs.CSRHeld = append(rs.CSR, ct), append(rs.CSRHeld, ch)
			lt, lh := csrLevel(r, rec.EarlyEpoch, fe)
			rs.CSRLevel, rs.CSRHeldLevel = append(rs.CSRLevel, lt), append(rs.CSRHeldLevel, lh)
			rs.CSRStab = append(rs.CSRStab, csrStability(r, rec.EarlyEpoch, fe))
			for e := 0; e < n && e < len(mis); e++ {
				k := float64(len(row.Runs))
				rs.MisCurve[e] += mis[e] / k
				rs.CleanCurve[e] += clean[e] / k
				rs.ValCurve[e] += val[e] / k
			}
		}
		iv := func(xs []float64) stats.Interval { return stats.MeanTOrNaN(xs, level) }
		rs.MisIv, rs.MisTrueIv, rs.CleanIv, rs.ValIv = iv(rs.Mis), iv(rs.MisTrue), iv(rs.Clean), iv(rs.Val)
		rs.CSRIv, rs.CSRHeldIv, rs.BestValIv = iv(rs.CSR), iv(rs.CSRHeld), iv(rs.BestVal)
		rs.HalfCleanIv, rs.HalfMisIv, rs.HalfGapIv = iv(rs.HalfClean), iv(rs.HalfMis), iv(rs.HalfGap)
		rs.CSRLevelIv, rs.CSRHeldLevelIv, rs.CSRStabIv = iv(rs.CSRLevel), iv(rs.CSRHeldLevel), iv(rs.CSRStab)
		for _, e := range rs.CSREpochs {
			var xs, hs []float64
			for _, r := range row.Runs {
				v, h := csrAt(r, e)
				xs, hs = append(xs, v), append(hs, h)
			}
			rs.CSRAlong = append(rs.CSRAlong, iv(xs))
			rs.CSRHeldAlong = append(rs.CSRHeldAlong, iv(hs))
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
		rs.CSRCleanIv, rs.CSRMisIv = iv(cc), iv(cm)
		sum.Rows = append(sum.Rows, rs)
	}
	for i := range sum.Rows {
		rs := &sum.Rows[i]
		rs.CutIv, rs.ValDiffIv, rs.BestValDiffIv, rs.CSRDiffIv, rs.CSRHeldDiffIv = stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval(), stats.NaNInterval()
		if sum.Base < 0 || i == sum.Base || !sum.paired(i) {
			continue
		}
		b := sum.Rows[sum.Base]
		for s := range rs.Mis {
			rs.Cut = append(rs.Cut, b.Mis[s]-rs.Mis[s])
			rs.ValDiff = append(rs.ValDiff, rs.Val[s]-b.Val[s])
			rs.BestValDiff = append(rs.BestValDiff, rs.BestVal[s]-b.BestVal[s])
			rs.CSRDiff = append(rs.CSRDiff, b.CSR[s]-rs.CSR[s])
			rs.CSRHeldDiff = append(rs.CSRHeldDiff, b.CSRHeld[s]-rs.CSRHeld[s])
		}
		rs.CutIv, rs.ValDiffIv, rs.BestValDiffIv = stats.MeanTOrNaN(rs.Cut, level), stats.MeanTOrNaN(rs.ValDiff, level), stats.MeanTOrNaN(rs.BestValDiff, level)
		rs.CSRDiffIv, rs.CSRHeldDiffIv = stats.MeanTOrNaN(rs.CSRDiff, level), stats.MeanTOrNaN(rs.CSRHeldDiff, level)
	}
	return sum
}

// paired reports whether row i is compared with the baseline: another row
// at its noise fraction with a run for every seed of it.
func (s summary) paired(i int) bool {
	if s.Base < 0 || i == s.Base {
		return false
	}
	r, b := s.Rows[i], s.Rows[s.Base]
	return r.NoiseFrac == b.NoiseFrac && len(r.Mis) == len(b.Mis)
}

// find returns the index of the first row paired with the baseline that
// match accepts, -1 if none.
func (s summary) find(match func(regulariser) bool) int {
	for i, r := range s.Rows {
		if s.paired(i) && match(r.regulariser) {
			return i
		}
	}
	return -1
}

// dropoutRows are the rows paired with the baseline that differ from it
// by dropout only.
func (s summary) dropoutRows() []int {
	var out []int
	for i, r := range s.Rows {
		if s.paired(i) && r.Dropout > 0 && r.WeightDecay == 0 && r.InputNoise == 0 {
			out = append(out, i)
		}
	}
	return out
}

// noiseRows are the unregularised rows with a CSR curve, by rising noise
// fraction.
func (s summary) noiseRows() []int {
	var out []int
	for i, r := range s.Rows {
		if r.plain() && r.CSRCurve {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		switch fa, fb := s.Rows[a].NoiseFrac, s.Rows[b].NoiseFrac; {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	})
	return out
}

// above is Above with NaN intervals inconclusive.
func above(iv stats.Interval, t float64) claims.Outcome {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return claims.Inconclusive
	}
	return claims.Above(iv, t)
}

// below is Below with NaN intervals inconclusive.
func below(iv stats.Interval, t float64) claims.Outcome {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return claims.Inconclusive
	}
	return claims.Below(iv, t)
}

// noiseCorrelation is Spearman's rho between noise fraction and the CSR
// level (pick: training rows or held-out) over the noise rows' runs, with
// the per-level intervals for the detail.
func (s summary) noiseCorrelation(pick func(rowSummary) ([]float64, stats.Interval)) (stats.Correlation, string, error) {
	var x, y []float64
	var parts []string
	levels := 0
	for _, i := range s.noiseRows() {
		r := s.Rows[i]
		vals, iv := pick(r)
		levels++
		for _, v := range vals {
			x, y = append(x, r.NoiseFrac), append(y, v)
		}
		parts = append(parts, fmt.Sprintf("noise %g: %s (per seed %s)", r.NoiseFrac, iv.String(), list(vals, "%.3f")))
	}
	detail := "CSR level after the early phase by noise fraction: " + strings.Join(parts, "; ")
	if levels < 3 {
		return stats.Correlation{}, detail, fmt.Errorf("%d unregularised noise levels with a CSR curve, at least 3 needed", levels)
	}
	corr, err := stats.SpearmanTest(x, y, level, spearmanPerms, spearmanSeed)
	if err != nil {
		return corr, detail, err
	}
	return corr, fmt.Sprintf("rho = %.3f over %d runs (permutation p = %.3g); %s", corr.Rho, corr.N, corr.P, detail), nil
}

func (c Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	reg := c.Registration()
	sum := summarise(rec)
	if sum.Base < 0 {
		return nil, fmt.Errorf("c4: no unregularised row at label noise %g to compare with", baseNoise)
	}
	base := sum.Rows[sum.Base]
	at := fmt.Sprintf("at epoch %d (mean of epochs %d-%d)", sum.FixedEpoch, sum.FixedEpoch-sum.Window+1, sum.FixedEpoch)
	var checks []claims.Check

	// 0. Regime.
	o := above(base.MisIv, memoriseMin)
	if o == claims.DoesNotHold {
		o = claims.Inconclusive
	}
	checks = append(checks, reg.Check(ckRegime).New(base.MisIv, o, fmt.Sprintf("%s; per seed %s", at, list(base.Mis, "%.3f"))))

	// 6 and 7: each regulariser slows memorisation and keeps clean accuracy.
	type judged struct {
		slow, keep, what string
		cut              float64
		match            func(regulariser) bool
	}
	regs := []judged{
		{ckSlowDrop, ckKeepDrop, "dropout 0.5", cutStrong, func(r regulariser) bool {
			return r.Dropout == strongDropout && r.WeightDecay == 0 && r.InputNoise == 0
		}},
		{ckSlowWD, ckKeepWD, "weight decay 5e-4", cutOther, func(r regulariser) bool {
			return r.WeightDecay == weightDecay && r.Dropout == 0 && r.InputNoise == 0
		}},
		{ckSlowInput, ckKeepInput, "input noise 0.1", cutOther, func(r regulariser) bool {
			return r.InputNoise == inputNoise && r.Dropout == 0 && r.WeightDecay == 0
		}},
	}
	var slows, keeps []claims.Check
	for _, j := range regs {
		i := sum.find(j.match)
		if i < 0 {
			err := fmt.Errorf("no %s row at label noise %g in this setup", j.what, baseNoise)
			slows, keeps = append(slows, reg.Check(j.slow).Failed(err)), append(keeps, reg.Check(j.keep).Failed(err))
			continue
		}
		r := sum.Rows[i]
		slows = append(slows, reg.Check(j.slow).New(r.CutIv, above(r.CutIv, j.cut),
			fmt.Sprintf("%s: none %s, %s %s; per seed cut %s", at, base.MisIv.String(), r.Name, r.MisIv.String(), list(r.Cut, "%.3f"))))
		of, ob := above(r.ValDiffIv, -valDrop), above(r.BestValDiffIv, -valDrop)
		out, k := claims.AllOf([]claims.Outcome{of, ob})
		shown := r.ValDiffIv
		if k == 1 || (k < 0 && r.BestValDiffIv.Lo < r.ValDiffIv.Lo) {
			shown = r.BestValDiffIv
		}
		keeps = append(keeps, reg.Check(j.keep).New(shown, out,
			fmt.Sprintf("%s: %s (per seed %s); best epoch: %s (per seed %s; epochs %v, none's %v); shown: the one with the lower end that decides",
				at, r.ValDiffIv.String(), list(r.ValDiff, "%+.4f"), r.BestValDiffIv.String(), list(r.BestValDiff, "%+.4f"), r.BestEpoch, base.BestEpoch)))
	}
	checks = append(checks, slows...)
	checks = append(checks, keeps...)

	// 4. Real data first.
	checks = append(checks, reg.Check(ckRealFirst).New(base.HalfGapIv, above(base.HalfGapIv, halfTimeMargin),
		fmt.Sprintf("half of the accuracy %s; clean rows %s, mislabelled rows %s epochs; per seed gap %s", at, list(base.HalfClean, "%g"), list(base.HalfMis, "%g"), list(base.HalfGap, "%g"))))

	// 8. CSR rises with the noise fraction (training rows).
	corr, detail, err := sum.noiseCorrelation(func(r rowSummary) ([]float64, stats.Interval) { return r.CSRLevel, r.CSRLevelIv })
	if err != nil {
		checks = append(checks, reg.Check(ckCSRNoise).Failed(err))
	} else {
		checks = append(checks, reg.Check(ckCSRNoise).New(corr.CI, above(corr.CI, csrRhoMin), detail))
	}

	// 9. CSR stabilises after the early phase.
	{
		var outs []claims.Outcome
		var parts []string
		rows := sum.noiseRows()
		for _, i := range rows {
			r := sum.Rows[i]
			outs = append(outs, below(r.CSRStabIv, csrStable))
			parts = append(parts, fmt.Sprintf("noise %g: %s (per seed %s)", r.NoiseFrac, r.CSRStabIv.String(), list(r.CSRStab, "%.3f")))
		}
		ck := reg.Check(ckCSRStable)
		if len(rows) == 0 {
			checks = append(checks, ck.Failed(fmt.Errorf("no unregularised row with a CSR curve")))
		} else {
			out, k := claims.AllOf(outs)
			if k < 0 { // all hold: show the level with the highest upper end
				for n, i := range rows {
					if k < 0 || sum.Rows[i].CSRStabIv.Hi > sum.Rows[rows[k]].CSRStabIv.Hi {
						k = n
					}
				}
			}
			checks = append(checks, ck.New(sum.Rows[rows[k]].CSRStabIv, out,
				fmt.Sprintf("shown: noise %g; largest change from epoch %d up to epoch %d: %s", sum.Rows[rows[k]].NoiseFrac, sum.EarlyEpoch, sum.FixedEpoch, strings.Join(parts, "; "))))
		}
	}

	// Information: v1's checks 1, 2, 3 and 5, and check 10.
	for _, dj := range []struct {
		name string
		p, t float64
	}{{ckDrop25, 0.25, cutMild}, {ckDrop50, strongDropout, cutStrong}} {
		i := sum.find(func(r regulariser) bool { return r.Dropout == dj.p && r.WeightDecay == 0 && r.InputNoise == 0 })
		if i < 0 {
			checks = append(checks, reg.Check(dj.name).Failed(fmt.Errorf("no dropout %g row in this setup", dj.p)))
			continue
		}
		r := sum.Rows[i]
		checks = append(checks, reg.Check(dj.name).New(r.CutIv, above(r.CutIv, dj.t),
			fmt.Sprintf("%s: p = 0: %s, p = %g: %s; per seed cut %s", at, base.MisIv.String(), r.Dropout, r.MisIv.String(), list(r.Cut, "%.3f"))))
	}
	valCheck := func(name string, pick func(rowSummary) (stats.Interval, []float64)) claims.Check {
		drops := sum.dropoutRows()
		if len(drops) == 0 {
			return reg.Check(name).Failed(fmt.Errorf("no dropout row"))
		}
		var outs []claims.Outcome
		var parts []string
		for _, i := range drops {
			iv, per := pick(sum.Rows[i])
			outs = append(outs, above(iv, -valDrop))
			parts = append(parts, fmt.Sprintf("p = %g: %s (per seed %s)", sum.Rows[i].Dropout, iv.String(), list(per, "%+.4f")))
		}
		out, k := claims.AllOf(outs)
		if k < 0 {
			lo := math.Inf(1)
			for n, i := range drops {
				if iv, _ := pick(sum.Rows[i]); k < 0 || iv.Lo < lo {
					k, lo = n, iv.Lo
				}
			}
		}
		shown, _ := pick(sum.Rows[drops[k]])
		return reg.Check(name).New(shown, out, fmt.Sprintf("%s; shown: p = %g; %s", at, sum.Rows[drops[k]].Dropout, strings.Join(parts, "; ")))
	}
	checks = append(checks,
		valCheck(ckValFixed, func(r rowSummary) (stats.Interval, []float64) { return r.ValDiffIv, r.ValDiff }),
		valCheck(ckValBest, func(r rowSummary) (stats.Interval, []float64) { return r.BestValDiffIv, r.BestValDiff }))
	if i := sum.find(func(r regulariser) bool { return r.Dropout == strongDropout && r.WeightDecay == 0 && r.InputNoise == 0 }); i < 0 {
		checks = append(checks, reg.Check(ckCSRDropout).Failed(fmt.Errorf("no dropout %g row", strongDropout)))
	} else {
		r := sum.Rows[i]
		checks = append(checks, reg.Check(ckCSRDropout).New(r.CSRDiffIv, above(r.CSRDiffIv, csrMargin),
			fmt.Sprintf("epoch %d, training rows: p = 0: %s, p = %g: %s; per seed difference %s; held-out images: p = 0: %s, p = %g: %s, difference %s",
				sum.FixedEpoch, base.CSRIv.String(), r.Dropout, r.CSRIv.String(), list(r.CSRDiff, "%+.3f"), base.CSRHeldIv.String(), r.Dropout, r.CSRHeldIv.String(), r.CSRHeldDiffIv.String())))
	}
	corrH, detailH, err := sum.noiseCorrelation(func(r rowSummary) ([]float64, stats.Interval) { return r.CSRHeldLevel, r.CSRHeldLevelIv })
	if err != nil {
		checks = append(checks, reg.Check(ckCSRHeld).Failed(err))
	} else {
		checks = append(checks, reg.Check(ckCSRHeld).New(corrH.CI, above(corrH.CI, csrRhoMin), detailH))
	}

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
	var judged, info []claims.Check
	for _, c := range v.Checks {
		if c.Information {
			info = append(info, c)
		} else {
			judged = append(judged, c)
		}
	}
	s := claims.PerCheck(judged)
	b := sum.Rows[sum.Base]
	s += fmt.Sprintf(" At epoch %d the unregularised network (label noise %g) fits %.0f%% of the mislabelled rows", sum.FixedEpoch, b.NoiseFrac, 100*b.MisIv.Estimate)
	var parts []string
	for i, r := range sum.Rows {
		if sum.paired(i) {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", r.Name, 100*r.MisIv.Estimate))
		}
	}
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, ", ")
	}
	s += fmt.Sprintf("; best clean validation accuracy %.1f%% unregularised.", 100*b.BestValIv.Estimate)
	var lv []string
	for _, i := range sum.noiseRows() {
		r := sum.Rows[i]
		lv = append(lv, fmt.Sprintf("%.0f%% at noise %g", 100*r.CSRLevelIv.Estimate, r.NoiseFrac))
	}
	if len(lv) > 0 {
		s += " Training-row CSR after epoch " + fmt.Sprint(sum.EarlyEpoch) + ": " + strings.Join(lv, ", ") + "."
	}
	if len(info) > 0 {
		var names []string
		for _, c := range info {
			names = append(names, fmt.Sprintf("%s: %s", c.Name, c.Outcome))
		}
		s += " Information: " + strings.Join(names, "; ") + "."
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
