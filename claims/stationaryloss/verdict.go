package stationaryloss

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// pointSummary condenses one grid point of one tier across seeds.
type pointSummary struct {
	LR, Kappa      float64
	Batch          int
	Discrete       bool
	Excess         stats.Interval
	PredC, PredH   float64 // means over seeds
	RatioC, RatioH stats.Interval
	RatioDiscrete  float64        // mean of excess / discrete prediction
	RatioExact     stats.Interval // tier a: excess / exact prediction
	ExactOverC     float64        // tier a: mean exact / first-order prediction: the expected bias
	DriftShare     float64        // mean over seeds of drift / excess (settled tiers); NaN otherwise
	Transient      float64
	EtaLambdaMax   float64 // largest over seeds
	Reshuffled     stats.Interval
	Problem        string // why intervals are missing (a diverged run, ...)
}

// NoiseScale is eta kappa = eta/S (N-S)/(N-1).
func (p pointSummary) NoiseScale() float64 { return p.LR * p.Kappa }

type tierSummary struct {
	ID, Title  string
	WD         float64
	P          int
	Points     []pointSummary
	TrCOverTrH stats.Interval
	// PLambdaMaxOverTrH is the mean over seeds of P lambda_max / Tr(H):
	// how far a form in lambda_max alone would be from the Tr(H) form.
	PLambdaMaxOverTrH float64
	Slope             stats.Fit
	SlopeErr          string
}

type summary struct{ Tiers []tierSummary }

func (s summary) tier(id string) *tierSummary {
	for i := range s.Tiers {
		if s.Tiers[i].ID == id {
			return &s.Tiers[i]
		}
	}
	return nil
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func summarise(rec record) summary {
	var out summary
	for _, t := range rec.Tiers {
		ts := tierSummary{ID: t.ID, Title: t.Title, WD: t.WD, P: t.P}
		var ratios, plm []float64
		for _, m := range t.Minima {
			ratios = append(ratios, float64(m.TrC/m.TrH))
			plm = append(plm, float64(t.P)*float64(m.LambdaMax/m.TrH))
		}
		ts.TrCOverTrH = stats.MeanTOrNaN(ratios, level)
		ts.PLambdaMaxOverTrH = math.NaN()
		if len(plm) > 0 {
			ts.PLambdaMaxOverTrH = meanOf(plm)
		}
		var xs, ys []float64
		var groups []int
		for _, p := range t.Points {
			ps := pointSummary{LR: p.LR, Batch: p.Batch, Kappa: p.Kappa, Discrete: p.Discrete, Excess: stats.NaNInterval(), RatioC: stats.NaNInterval(),
				RatioH: stats.NaNInterval(), RatioExact: stats.NaNInterval(), Reshuffled: stats.NaNInterval(), DriftShare: math.NaN()}
			var ex, rc, rh, rd, rx, xc, tr, pc, ph, dr []float64
			for si, r := range p.Runs {
				if r.Diverged || math.IsNaN(float64(r.Excess)) {
					ps.Problem = fmt.Sprintf("seed %d diverged or was not measured", r.Seed)
					continue
				}
				e := float64(r.Excess)
				ex = append(ex, e)
				rc = append(rc, e/float64(r.PredC))
				rh = append(rh, e/float64(r.PredH))
				rd = append(rd, e/float64(r.PredDiscrete))
				rx = append(rx, e/float64(r.PredExact))
				xc = append(xc, float64(r.PredExact/r.PredC))
				tr = append(tr, float64(r.Transient))
				pc = append(pc, float64(r.PredC))
				ph = append(ph, float64(r.PredH))
				if !math.IsNaN(float64(r.LEnd)) {
					dr = append(dr, float64(r.Drift)/e)
				}
				ps.EtaLambdaMax = math.Max(ps.EtaLambdaMax, float64(r.EtaLambdaMax))
				if !p.Discrete {
					xs = append(xs, p.LR*p.Kappa)
					ys = append(ys, e)
					groups = append(groups, si)
				}
			}
			if ps.Problem == "" {
				ps.Excess, ps.RatioC, ps.RatioH = stats.MeanTOrNaN(ex, level), stats.MeanTOrNaN(rc, level), stats.MeanTOrNaN(rh, level)
				ps.RatioDiscrete, ps.ExactOverC = meanOf(rd), meanOf(xc)
				ps.RatioExact = stats.MeanTOrNaN(rx, level)
				ps.Transient, ps.PredC, ps.PredH = meanOf(tr), meanOf(pc), meanOf(ph)
				if len(dr) > 0 {
					ps.DriftShare = meanOf(dr)
				}
			}
			var rr []float64
			for _, r := range p.Reshuffled {
				rr = append(rr, float64(r.Excess/r.PredC))
			}
			if len(rr) > 0 {
				ps.Reshuffled = stats.MeanTOrNaN(rr, level)
			}
			ts.Points = append(ts.Points, ps)
		}
		f, err := stats.GroupedLogLogSlope(xs, ys, groups, level)
		if err != nil {
			ts.SlopeErr = err.Error()
			f = stats.Fit{Slope: math.NaN(), SlopeCI: stats.NaNInterval()}
		}
		ts.Slope = f
		out.Tiers = append(out.Tiers, ts)
	}
	return out
}

// firstOrder and discreteOnly select grid points.
func firstOrder(p pointSummary) bool   { return !p.Discrete }
func discreteOnly(p pointSummary) bool { return p.Discrete }
func anyPoint(pointSummary) bool       { return true }

// ratioCheck judges rc on the points of t that keep selects: each
// point's interval pick(p) must lie inside [lo, hi] (Within, AllOf). The
// value shown is the deciding point's, else the worst one's.
func ratioCheck(rc claims.RegisteredCheck, t *tierSummary, keep func(pointSummary) bool, pick func(pointSummary) stats.Interval, decide func(stats.Interval) claims.Outcome, dist func(stats.Interval) float64) claims.Check {
	if t == nil {
		return rc.Failed(fmt.Errorf("tier not run"))
	}
	var pts []pointSummary
	for _, p := range t.Points {
		if keep(p) {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return rc.Failed(fmt.Errorf("tier %s has no such grid point", t.ID))
	}
	var outs []claims.Outcome
	worst, worstDist := -1, math.Inf(-1)
	for i, p := range pts {
		iv := pick(p)
		if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
			outs = append(outs, claims.Inconclusive)
			continue
		}
		outs = append(outs, decide(iv))
		if d := dist(iv); d > worstDist {
			worst, worstDist = i, d
		}
	}
	o, decider := claims.AllOf(outs)
	show := worst
	if decider >= 0 {
		show = decider
	}
	value, detail := stats.NaNInterval(), ""
	if show >= 0 {
		p := pts[show]
		value = pick(p)
		detail = fmt.Sprintf("%s at eta=%g, S=%d (eta/S=%.3g, eta lambda_max=%.3g)", map[bool]string{true: "deciding point", false: "worst point"}[decider >= 0], p.LR, p.Batch, p.LR/float64(p.Batch), p.EtaLambdaMax)
		if p.Problem != "" {
			detail += ": " + p.Problem
		}
	} else {
		detail = pts[0].Problem
	}
	var all []string
	for _, p := range pts {
		all = append(all, fmt.Sprintf("%.3g", pick(p).Estimate))
	}
	detail += "; all points: " + strings.Join(all, ", ")
	return rc.New(value, o, detail)
}

// inside decides "inside [lo, hi]"; its distance is how far the
// interval's far end lies from the centre 1, in margin units.
func inside(lo, hi float64) (func(stats.Interval) claims.Outcome, func(stats.Interval) float64) {
	return func(iv stats.Interval) claims.Outcome { return claims.Within(iv, lo, hi) },
		func(iv stats.Interval) float64 { return math.Max((iv.Hi-1)/(hi-1), (1-iv.Lo)/(1-lo)) }
}

func within(rc claims.RegisteredCheck, t *tierSummary, keep func(pointSummary) bool, pick func(pointSummary) stats.Interval, lo, hi float64) claims.Check {
	d, dist := inside(lo, hi)
	return ratioCheck(rc, t, keep, pick, d, dist)
}

func slopeCheck(rc claims.RegisteredCheck, t *tierSummary) claims.Check {
	if t == nil {
		return rc.Failed(fmt.Errorf("tier not run"))
	}
	if t.SlopeErr != "" {
		return rc.Failed(fmt.Errorf("%s", t.SlopeErr))
	}
	return rc.New(t.Slope.SlopeCI, claims.Within(t.Slope.SlopeCI, slopeLo, slopeHi),
		fmt.Sprintf("slope %.3f, SE %.3f, %d runs", t.Slope.Slope, t.Slope.SlopeSE, t.Slope.N))
}

// shuffled is the information check on epoch-shuffled SGD: the worst
// point's ratio, every point's next to the independent-batch one.
func shuffled(rc claims.RegisteredCheck, t *tierSummary) claims.Check {
	if t == nil {
		return rc.Failed(fmt.Errorf("tier not run"))
	}
	var parts []string
	value := stats.NaNInterval()
	for _, p := range t.Points {
		if math.IsNaN(p.Reshuffled.Estimate) {
			return rc.Failed(fmt.Errorf("no epoch-shuffled runs at eta=%g, S=%d", p.LR, p.Batch))
		}
		parts = append(parts, fmt.Sprintf("(%g, %d): %.3g vs %.3g independent", p.LR, p.Batch, p.Reshuffled.Estimate, p.RatioC.Estimate))
		if math.IsNaN(value.Estimate) || p.Reshuffled.Estimate < value.Estimate {
			value = p.Reshuffled
		}
	}
	return rc.New(value, claims.Inconclusive, "lowest ratio shown; per point (eta, S): "+strings.Join(parts, "; "))
}

func ratioC(p pointSummary) stats.Interval     { return p.RatioC }
func ratioH(p pointSummary) stats.Interval     { return p.RatioH }
func ratioExact(p pointSummary) stats.Interval { return p.RatioExact }

func (c Claim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var rec record
	if err := ev.GetMeasurements(&rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	reg := registration
	var checks []claims.Check
	if a := sum.tier("a"); a != nil {
		above := func(iv stats.Interval) claims.Outcome { return claims.Above(iv, missA) }
		checks = append(checks,
			// v1's checks, kept as information, read as they were
			// written: every grid point (v1 had no discrete one).
			within(reg.Check(ckAC), a, anyPoint, ratioC, 1-marginA, 1+marginA),
			within(reg.Check(ckAH), a, anyPoint, ratioH, 1-marginA, 1+marginA),
			within(reg.Check(ckAnisoC), a, firstOrder, ratioC, 1-marginA, 1+marginA),
			within(reg.Check(ckAnisoH), a, firstOrder, ratioH, 1-marginA, 1+marginA),
			within(reg.Check(ckDisExact), a, discreteOnly, ratioExact, 1-marginA, 1+marginA),
			ratioCheck(reg.Check(ckDisMiss), a, discreteOnly, ratioC, above, func(iv stats.Interval) float64 { return -iv.Lo }),
			shuffled(reg.Check(ckAShuf), a),
		)
	}
	if b := sum.tier("b"); b != nil {
		checks = append(checks,
			within(reg.Check(ckBC), b, anyPoint, ratioC, 1-marginB, 1+marginB),
			within(reg.Check(ckBH), b, anyPoint, ratioH, 1-marginB, 1+marginB))
	}
	if cc := sum.tier("c"); cc != nil {
		checks = append(checks,
			slopeCheck(reg.Check(ckCSlope), cc),
			within(reg.Check(ckCC), cc, anyPoint, ratioC, ratioCLo, ratioCHi),
			within(reg.Check(ckCH), cc, anyPoint, ratioH, ratioCLo, ratioCHi))
	}
	if m := sum.tier("mlp"); m != nil {
		checks = append(checks,
			slopeCheck(reg.Check(ckMSlope), m),
			within(reg.Check(ckMC), m, anyPoint, ratioC, ratioCLo, ratioCHi),
			within(reg.Check(ckMH), m, anyPoint, ratioH, ratioCLo, ratioCHi))
		if len(rec.Tiers) > 0 && hasReshuffled(rec, "mlp") {
			checks = append(checks, shuffled(reg.Check(ckMShuf), m))
		}
	}
	if len(checks) == 0 {
		return nil, fmt.Errorf("c2: the record has no tier (a, b, c or mlp)")
	}
	v := &claims.Verdict{Outcome: claims.Combine(checks), Checks: checks}
	v.Summary = summaryText(v, sum)
	return v, nil
}

func hasReshuffled(rec record, id string) bool {
	for _, t := range rec.Tiers {
		if t.ID == id {
			for _, p := range t.Points {
				if len(p.Reshuffled) > 0 {
					return true
				}
			}
		}
	}
	return false
}

func summaryText(v *claims.Verdict, sum summary) string {
	s := claims.PerCheck(v.Checks)
	if a := sum.tier("a"); a != nil && !math.IsNaN(a.PLambdaMaxOverTrH) {
		s += fmt.Sprintf(" Tier a: P lambda_max / Tr(H) = %.3g.", a.PLambdaMaxOverTrH)
	}
	if b := sum.tier("b"); b != nil && !math.IsNaN(b.TrCOverTrH.Estimate) {
		s += fmt.Sprintf(" At the softmax-regression minimum Tr(C)/Tr(H) = %.3g.", b.TrCOverTrH.Estimate)
	}
	for _, id := range []string{"c", "mlp"} {
		if c := sum.tier(id); c != nil && !math.IsNaN(c.TrCOverTrH.Estimate) {
			s += fmt.Sprintf(" At the %s minimum Tr(C)/Tr(H) = %.3g", map[string]string{"c": "synthetic MLP", "mlp": "MLP"}[id], c.TrCOverTrH.Estimate)
			if c.WD > 0 {
				s += fmt.Sprintf(" (H of loss + wd/2 |theta|^2, whose trace includes wd P = %.3g)", c.WD*float64(c.P))
			}
			s += "."
		}
	}
	return s
}
