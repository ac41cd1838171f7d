package overshoot

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// seedSummary is one run reduced: medians over its measurements after the
// early phase.
type seedSummary struct {
	Seed     uint64
	OK       bool // trained without divergence, measured after the early phase
	N        int  // measurements after the early phase
	E1       float64
	Random   float64
	Bulk     float64
	TopRatio float64
	// For the tables: medians of the fraction along every e_k, of eta
	// lambda_1, and the share of lines whose full part descends.
	EigenK       []float64
	EtaLambda1   float64
	E1Descends   float64
	RandDescends float64
	BulkDescends float64
	TopRaises    float64
	ValAcc       float64
}

type summary struct {
	Seeds                      []seedSummary
	E1, Random, Bulk, TopRatio stats.Interval
	EigenK                     []stats.Interval
	EtaLambda1                 stats.Interval
	Err                        string // why the intervals could not be formed
}

func f64(x jsonfloat.Float) float64 { return float64(x) }

func median(xs []float64) float64 {
	var fin []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			fin = append(fin, x)
		}
	}
	if len(fin) == 0 {
		return math.NaN()
	}
	return stats.Median(fin)
}

func share(bs []bool) float64 {
	if len(bs) == 0 {
		return math.NaN()
	}
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return float64(n) / float64(len(bs))
}

func summariseRun(r runRecord, lr float64, k int) seedSummary {
	s := seedSummary{Seed: r.Seed, ValAcc: f64(r.ValAcc), EigenK: make([]float64, k)}
	if r.DivergedStep > 0 {
		return s
	}
	var e1, rnd, bulk, top, el []float64
	eig := make([][]float64, k)
	var e1d, rd, bd, tr []bool
	for _, p := range r.Points {
		if p.Early || len(p.Eigen) == 0 {
			continue
		}
		s.N++
		e1 = append(e1, f64(p.Eigen[0].Alpha))
		e1d = append(e1d, p.Eigen[0].Descends)
		for i := range min(k, len(p.Eigen)) {
			eig[i] = append(eig[i], f64(p.Eigen[i].Alpha))
		}
		for _, l := range p.Random {
			rnd = append(rnd, f64(l.Alpha))
			rd = append(rd, l.Descends)
		}
		bulk = append(bulk, f64(p.Bulk.Alpha))
		bd = append(bd, p.Bulk.Descends)
		dt, db := f64(p.LossTop)-f64(p.Loss), f64(p.LossBulk)-f64(p.Loss)
		top = append(top, dt/math.Abs(db))
		tr = append(tr, dt >= 0)
		if len(p.Eigenvalues) > 0 {
			el = append(el, lr*f64(p.Eigenvalues[0]))
		}
	}
	if s.N == 0 {
		return s
	}
	s.OK = true
	s.E1, s.Random, s.Bulk, s.TopRatio, s.EtaLambda1 = median(e1), median(rnd), median(bulk), median(top), median(el)
	for i := range eig {
		s.EigenK[i] = median(eig[i])
	}
	s.E1Descends, s.RandDescends, s.BulkDescends, s.TopRaises = share(e1d), share(rd), share(bd), share(tr)
	return s
}

func summarise(rec record) summary {
	sum := summary{}
	var e1, rnd, bulk, top, el []float64
	eig := make([][]float64, rec.K)
	for _, r := range rec.Runs {
		s := summariseRun(r, rec.LR, rec.K)
		sum.Seeds = append(sum.Seeds, s)
		if !s.OK {
			sum.Err = fmt.Sprintf("seed %d: diverged or not measured after the early phase", s.Seed)
			continue
		}
		e1, rnd, bulk, top, el = append(e1, s.E1), append(rnd, s.Random), append(bulk, s.Bulk), append(top, s.TopRatio), append(el, s.EtaLambda1)
		for i := range eig {
			eig[i] = append(eig[i], s.EigenK[i])
		}
	}
	sum.E1, sum.Random, sum.Bulk, sum.TopRatio = stats.MeanTOrNaN(e1, level), stats.MeanTOrNaN(rnd, level), stats.MeanTOrNaN(bulk, level), stats.MeanTOrNaN(top, level)
	sum.EtaLambda1 = stats.MeanTOrNaN(el, level)
	for i := range eig {
		sum.EigenK = append(sum.EigenK, stats.MeanTOrNaN(eig[i], level))
	}
	return sum
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if len(rec.Runs) == 0 {
		return nil, errors.New("c8: no runs in the evidence")
	}
	sum := summarise(rec)
	perSeedText := func(get func(seedSummary) float64) string {
		var parts []string
		for _, s := range sum.Seeds {
			parts = append(parts, fmt.Sprintf("%d: %s", s.Seed, stats.G3(get(s))))
		}
		return "per seed " + strings.Join(parts, ", ")
	}
	decide := func(name string, iv stats.Interval, rule func(stats.Interval) claims.Outcome, detail string) claims.Check {
		rc := registration.Check(name)
		if sum.Err != "" {
			return rc.Failed(errors.New(sum.Err))
		}
		if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
			return rc.Failed(fmt.Errorf("no interval: %s", iv.Method))
		}
		return rc.New(iv, rule(iv), detail)
	}
	below := func(iv stats.Interval) claims.Outcome { return claims.Below(iv, alphaMax) }
	above := func(iv stats.Interval) claims.Outcome { return claims.Above(iv, alphaMax) }
	a := decide(checkE1, sum.E1, below, perSeedText(func(s seedSummary) float64 { return s.E1 })+
		fmt.Sprintf("; the full part along e1 descends at %s of the measurements (mean over seeds)", pct(meanOf(sum.Seeds, func(s seedSummary) float64 { return s.E1Descends }))))
	b := decide(checkRandom, sum.Random, above, perSeedText(func(s seedSummary) float64 { return s.Random })+
		fmt.Sprintf("; the full part descends along %s of the random lines", pct(meanOf(sum.Seeds, func(s seedSummary) float64 { return s.RandDescends }))))
	c := decide(checkBulk, sum.Bulk, above, perSeedText(func(s seedSummary) float64 { return s.Bulk })+
		fmt.Sprintf("; (I - P) d descends at %s of the measurements", pct(meanOf(sum.Seeds, func(s seedSummary) float64 { return s.BulkDescends }))))
	d := decide(checkTop, sum.TopRatio, func(iv stats.Interval) claims.Outcome { return claims.Above(iv, -topShare) },
		perSeedText(func(s seedSummary) float64 { return s.TopRatio })+
			fmt.Sprintf("; P d raises the loss at %s of the measurements", pct(meanOf(sum.Seeds, func(s seedSummary) float64 { return s.TopRaises }))))
	checks := []claims.Check{a, b, c, d}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = claims.PerCheck(checks)
	if !math.IsNaN(sum.EtaLambda1.Estimate) {
		v.Summary += fmt.Sprintf(" eta lambda_1 after the early phase: %s (median per seed, mean over seeds; 2 is the full-batch edge of stability).", sum.EtaLambda1.Format("%.2f", 1))
	}
	return v, nil
}

func meanOf(ss []seedSummary, get func(seedSummary) float64) float64 {
	var xs []float64
	for _, s := range ss {
		if s.OK {
			xs = append(xs, get(s))
		}
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	return stats.Mean(xs)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}

// figuresOf are the key numbers goldens compare. Names are stable: add,
// don't rename.
func figuresOf(sum summary) map[string]float64 {
	f := map[string]float64{
		"a/alpha_e1":      sum.E1.Estimate,
		"b/alpha_random":  sum.Random.Estimate,
		"c/alpha_bulk":    sum.Bulk.Estimate,
		"d/top_ratio":     sum.TopRatio.Estimate,
		"eta_lambda1":     sum.EtaLambda1.Estimate,
		"val_acc":         meanOf(sum.Seeds, func(s seedSummary) float64 { return s.ValAcc }),
		"e1_descends":     meanOf(sum.Seeds, func(s seedSummary) float64 { return s.E1Descends }),
		"random_descends": meanOf(sum.Seeds, func(s seedSummary) float64 { return s.RandDescends }),
	}
	for i, iv := range sum.EigenK {
		f[fmt.Sprintf("alpha_e%d", i+1)] = iv.Estimate
	}
	return f
}
