package schedules

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// comparison is one pair of schedules compared epoch by epoch over a
// window, per seed (A minus B).
type comparison struct {
	A, B       string
	From, To   int       // epochs, inclusive
	Acc, Log   []float64 // per seed: window means of the differences
	AccIv      stats.Interval
	LogIv      stats.Interval
	AccFinal   stats.Interval // the last epoch's difference
	LogFinal   stats.Interval
	PerEpochAc []stats.Interval // index e-From
	PerEpochLg []stats.Interval
	Err        string // why the comparison could not be made
}

// curve is one schedule's mean trajectory over seeds.
type curve struct {
	Kind           string
	Acc, Lam       []stats.Interval // index epoch-1; lambda by geometric mean
	LR             []float64        // seed 1's schedule, index epoch-1
	Batch          []int
	Steps          []float64 // mean total steps
	Diverged       []string
	HVPsPerEpoch   float64
	TotalStepsMean float64
}

type summary struct {
	Grow, Control, Cyclic comparison
	HasCyclic             bool
	Curves                []curve
	Window                [2]int
}

func runsOf(rec record, kind string) ([]runRecord, bool) {
	i := slices.IndexFunc(rec.Schedules, func(s scheduleRecord) bool { return s.Kind == kind })
	if i < 0 {
		return nil, false
	}
	return rec.Schedules[i].Runs, true
}

// at returns the epoch-e point of r (1-based), ok false when missing.
func at(r runRecord, e int) (epochPoint, bool) {
	if e < 1 || e > len(r.Epochs) || r.Epochs[e-1].Epoch != e {
		return epochPoint{}, false
	}
	return r.Epochs[e-1], true
}

func compare(rec record, a, b string, from, to int) comparison {
	c := comparison{A: a, B: b, From: from, To: to}
	nan := stats.NaNInterval()
	c.AccIv, c.LogIv, c.AccFinal, c.LogFinal = nan, nan, nan, nan
	ra, oka := runsOf(rec, a)
	rb, okb := runsOf(rec, b)
	if !oka || !okb || len(ra) != len(rb) {
		c.Err = fmt.Sprintf("schedules %s and %s not both recorded for every seed", a, b)
		return c
	}
	if from < 1 || to < from {
		c.Err = fmt.Sprintf("empty window %d-%d", from, to)
		return c
	}
	perAcc := make([][]float64, to-from+1)
	perLog := make([][]float64, to-from+1)
	for si := range ra {
		var sa, sl float64
		for e := from; e <= to; e++ {
			pa, ok1 := at(ra[si], e)
			pb, ok2 := at(rb[si], e)
			da, dl := math.NaN(), math.NaN()
			if ok1 && ok2 {
				da = float64(pa.ValAcc) - float64(pb.ValAcc)
				dl = math.Log(float64(pa.Lambda)) - math.Log(float64(pb.Lambda))
			}
			sa += da
			sl += dl
			perAcc[e-from] = append(perAcc[e-from], da)
			perLog[e-from] = append(perLog[e-from], dl)
		}
		n := float64(to - from + 1)
		c.Acc, c.Log = append(c.Acc, sa/n), append(c.Log, sl/n)
	}
	c.AccIv, c.LogIv = stats.MeanTOrNaN(c.Acc, level), stats.MeanTOrNaN(c.Log, level)
	for i := range perAcc {
		c.PerEpochAc = append(c.PerEpochAc, stats.MeanTOrNaN(perAcc[i], level))
		c.PerEpochLg = append(c.PerEpochLg, stats.MeanTOrNaN(perLog[i], level))
	}
	c.AccFinal, c.LogFinal = c.PerEpochAc[len(c.PerEpochAc)-1], c.PerEpochLg[len(c.PerEpochLg)-1]
	if math.IsNaN(c.AccIv.Lo) || math.IsNaN(c.LogIv.Lo) {
		c.Err = fmt.Sprintf("no interval over %d seeds (a run diverged, stopped early or lambda_max is not finite)", len(c.Acc))
	}
	return c
}

func summarise(rec record) summary {
	from := 1
	if len(rec.Milestones) > 0 {
		from = rec.Milestones[0] + 1
	}
	sum := summary{Window: [2]int{from, rec.Epochs}}
	sum.Grow = compare(rec, kindGrow, kindDecay, from, rec.Epochs)
	sum.Control = compare(rec, kindControl, kindDecay, from, rec.Epochs)
	_, okR := runsOf(rec, kindCyclicRate)
	_, okB := runsOf(rec, kindCyclicBatch)
	sum.HasCyclic = okR && okB
	if sum.HasCyclic {
		sum.Cyclic = compare(rec, kindCyclicBatch, kindCyclicRate, 1, rec.Epochs)
	}
	for _, sr := range rec.Schedules {
		cv := curve{Kind: sr.Kind}
		var hvps, epochs float64
		for e := 1; e <= rec.Epochs; e++ {
			var acc, lam []float64
			for _, r := range sr.Runs {
				p, ok := at(r, e)
				if !ok {
					acc, lam = append(acc, math.NaN()), append(lam, math.NaN())
					continue
				}
				acc, lam = append(acc, float64(p.ValAcc)), append(lam, float64(p.Lambda))
				hvps += float64(p.HVPs)
				epochs++
			}
			cv.Acc = append(cv.Acc, stats.MeanTOrNaN(acc, level))
			cv.Lam = append(cv.Lam, claims.SeedInterval(lam, true, level))
			if len(sr.Runs) > 0 {
				if p, ok := at(sr.Runs[0], e); ok {
					cv.LR, cv.Batch = append(cv.LR, p.LR), append(cv.Batch, p.Batch)
				} else {
					cv.LR, cv.Batch = append(cv.LR, math.NaN()), append(cv.Batch, 0)
				}
			}
		}
		for _, r := range sr.Runs {
			cv.TotalStepsMean += float64(r.Steps) / float64(len(sr.Runs))
			if r.Diverge > 0 {
				cv.Diverged = append(cv.Diverged, fmt.Sprintf("seed %d diverged at step %d", r.Seed, r.Diverge))
			}
		}
		if epochs > 0 {
			cv.HVPsPerEpoch = hvps / epochs
		}
		sum.Curves = append(sum.Curves, cv)
	}
	return sum
}

// equivalent decides a two one-sided test; differs its mirror, which is
// never "does not hold" (a control inside the margin leaves the claim
// untested, not refuted).
func equivalent(iv stats.Interval, m float64) claims.Outcome { return claims.Within(iv, -m, m) }

func differs(iv stats.Interval, m float64) claims.Outcome {
	if claims.Within(iv, -m, m) == claims.DoesNotHold {
		return claims.Holds
	}
	return claims.Inconclusive
}

func (Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	if rec.Epochs < 1 || len(rec.Milestones) == 0 {
		return nil, fmt.Errorf("c5: %d epochs, milestones %v", rec.Epochs, rec.Milestones)
	}
	sum := summarise(rec)
	reg := registration
	var checks []claims.Check
	win := fmt.Sprintf("epochs %d-%d", sum.Window[0], sum.Window[1])
	add := func(name string, c comparison, acc bool, decide func(stats.Interval, float64) claims.Outcome) {
		if c.Err != "" {
			checks = append(checks, reg.Check(name).Failed(errors.New(c.Err)))
			return
		}
		iv, m, fin := c.LogIv, lamMargin, c.LogFinal
		d := fmt.Sprintf("%s minus %s over %s: mean log ratio %s (factor %.3g); last epoch %s", c.A, c.B, fmt.Sprintf("epochs %d-%d", c.From, c.To),
			iv.Format("%.3f", 1), math.Exp(iv.Estimate), fin.Format("%.3f", 1))
		if acc {
			iv, m, fin = c.AccIv, accMargin, c.AccFinal
			d = fmt.Sprintf("%s minus %s over epochs %d-%d: %s accuracy points; last epoch %s", c.A, c.B, c.From, c.To,
				iv.Format("%.2f", 100), fin.Format("%.2f", 100))
		}
		checks = append(checks, reg.Check(name).New(iv, decide(iv, m), d))
	}
	add(check1a, sum.Grow, true, equivalent)
	add(check1b, sum.Grow, false, equivalent)
	add(check2a, sum.Control, true, differs)
	add(check2b, sum.Control, false, differs)
	if sum.HasCyclic {
		add(checkIa, sum.Cyclic, true, equivalent)
		add(checkIb, sum.Cyclic, false, equivalent)
	}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = claims.PerCheck(checks) + " " + summaryLine(v.Outcome, sum, win)
	return v, nil
}

func summaryLine(o claims.Outcome, sum summary, win string) string {
	s := fmt.Sprintf("Over %s, growing S instead of decaying eta changes the validation accuracy by %s points and lambda_max by a factor %.3g; "+
		"the control differs by %s points and a factor %.3g.", win, sum.Grow.AccIv.Format("%.2f", 100), math.Exp(sum.Grow.LogIv.Estimate),
		sum.Control.AccIv.Format("%.2f", 100), math.Exp(sum.Control.LogIv.Estimate))
	switch o {
	case claims.Holds:
		return s + " Growing the batch size replaces the rate decay here."
	case claims.DoesNotHold:
		return s + " The grow run departs from the decay run by more than the margin."
	}
	return s + " Not decided (see the checks)."
}
