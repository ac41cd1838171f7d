package schedules

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// TestClaim runs every quick setup against its golden.
func TestClaim(t *testing.T) {
	claimtest.Setups(t, "c5", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		// Before the first milestone decay, grow and control are one run.
		d, _ := runsOf(rec, kindDecay)
		g, _ := runsOf(rec, kindGrow)
		c, _ := runsOf(rec, kindControl)
		for si := range d {
			for e := 1; e <= rec.Milestones[0]; e++ {
				pd, _ := at(d[si], e)
				pg, _ := at(g[si], e)
				pc, _ := at(c[si], e)
				if pd != pg || pd != pc {
					t.Errorf("seed %d epoch %d: decay, grow and control differ before the first milestone: %+v %+v %+v", d[si].Seed, e, pd, pg, pc)
				}
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	claimtest.Registered(t, Claim{})
	claimtest.RegisteredBefore(t, "c5")
}

func TestInfo(t *testing.T) { claimtest.Info(t, Claim{}) }

func TestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the miniature spec several times")
	}
	spec := Claim{}.Spec(claims.Quick)
	cfg := spec.Config.(config)
	cfg.Model, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Batch = "mlp:784-16-10", 1000, 200, 64, 16
	cfg.Epochs, cfg.Milestones, cfg.CyclicHalf = 3, []int{1, 2}, 1
	spec.Config = cfg
	claimtest.SkipAbsent(t, spec)
	claimtest.Split(t, Claim{}, spec)
}

// TestSchedules: the schedules are what the claim says: grow's eta/S is
// decay's at every epoch, the cyclic pair's eta/S agree exactly, and the
// control changes nothing.
func TestSchedules(t *testing.T) {
	cfg := configFor(claims.Quick)
	ratio := func(kind string, e int) float64 {
		lr, bs, err := schedulesOf(cfg, kind)
		if err != nil {
			t.Fatal(err)
		}
		return lr.LR(0, e, 0) / float64(bs.Batch(e))
	}
	for e := range cfg.Epochs {
		if d, g := ratio(kindDecay, e), ratio(kindGrow, e); math.Abs(d-g) > 1e-15*d {
			t.Errorf("epoch %d: decay eta/S %g, grow %g", e, d, g)
		}
		if r, b := ratio(kindCyclicRate, e), ratio(kindCyclicBatch, e); math.Abs(r-b) > 1e-15*r {
			t.Errorf("epoch %d: cyclic rate eta/S %g, cyclic batch %g", e, r, b)
		}
		if c := ratio(kindControl, e); c != cfg.LR/float64(cfg.Batch) {
			t.Errorf("epoch %d: control eta/S %g", e, c)
		}
	}
	if d := ratio(kindDecay, cfg.Epochs-1); math.Abs(d-cfg.LR/float64(cfg.Batch)/16) > 1e-15 {
		t.Errorf("decay ends at eta/S %g, want 1/16 of the start", d)
	}
}

// planted builds a record: decay's accuracy and lambda_max follow fixed
// curves; grow adds dAcc and a log-lambda shift dLog after the first
// milestone, the control cAcc and cLog; each seed adds its own small
// wobble of amplitude noise (accuracy) and 10*noise (log lambda).
func planted(dAcc, dLog, cAcc, cLog, noise float64) record {
	cfg := configFor(claims.Quick)
	rec := record{Milestones: cfg.Milestones, Factor: cfg.Factor, Epochs: cfg.Epochs}
	for _, k := range kinds {
		sr := scheduleRecord{Kind: k}
		for s := 1; s <= 3; s++ {
			r := runRecord{Seed: uint64(s), Steps: 1000}
			for e := 1; e <= cfg.Epochs; e++ {
				acc, lg := 0.95+0.002*float64(e), math.Log(5+float64(e))
				after := e > cfg.Milestones[0]
				w := noise * (math.Sin(float64(7*s+1)) + 0.3*math.Sin(float64(3*e+s)))
				switch {
				case k == kindGrow && after:
					acc, lg = acc+dAcc+w, lg+dLog+10*w
				case k == kindControl && after:
					acc, lg = acc+cAcc+w, lg+cLog+10*w
				case k == kindCyclicBatch:
					acc, lg = acc+w, lg+10*w
				}
				r.Epochs = append(r.Epochs, epochPoint{Epoch: e, LR: 0.1, Batch: 32, Steps: 100 * e, TrainLoss: 0.1,
					ValAcc: jsonfloat.Float(acc), Lambda: jsonfloat.Float(math.Exp(lg)), Residual: 1e-3, HVPs: 8})
			}
			sr.Runs = append(sr.Runs, r)
		}
		rec.Schedules = append(rec.Schedules, sr)
	}
	return rec
}

func TestPlantedOutcomes(t *testing.T) {
	c := Claim{}
	// Grow tracks decay, the control is off by 2 points and a factor 3: holds.
	v := claimtest.Judge(t, c, planted(0.0005, 0.05, -0.02, -1.1, 0.0003))
	if v.Outcome != claims.Holds {
		t.Errorf("grow = decay: %s (%s)", v.Outcome, v.Summary)
	}
	// Grow's curvature is a factor 2.5 off (beyond log 1.5): does not hold.
	v = claimtest.Judge(t, c, planted(0.0005, math.Log(2.5), -0.02, -1.1, 0.0003))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "1b:") != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "1a:") != claims.Holds {
		t.Errorf("grow's lambda_max off: %s (%s)", v.Outcome, v.Summary)
	}
	// Grow's accuracy is 2 points off: does not hold.
	v = claimtest.Judge(t, c, planted(-0.02, 0.05, -0.02, -1.1, 0.0003))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "1a:") != claims.DoesNotHold {
		t.Errorf("grow's accuracy off: %s (%s)", v.Outcome, v.Summary)
	}
	// Grow straddles the accuracy margin (noisy seeds): inconclusive.
	v = claimtest.Judge(t, c, planted(0.004, 0.05, -0.02, -1.1, 0.004))
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "1a:") != claims.Inconclusive {
		t.Errorf("grow straddling: %s (%s)", v.Outcome, v.Summary)
	}
	// The control is as close as grow: the schedule did nothing, so the
	// agreement says nothing: inconclusive, never "does not hold".
	v = claimtest.Judge(t, c, planted(0.0005, 0.05, 0.0005, 0.05, 0.0003))
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "2a:") != claims.Inconclusive || claimtest.CheckOutcome(t, v, "2b:") != claims.Inconclusive {
		t.Errorf("control like decay: %s (%s)", v.Outcome, v.Summary)
	}
	// A diverged grow run (no epochs after the first milestone): inconclusive.
	rec := planted(0.0005, 0.05, -0.02, -1.1, 0.0003)
	rec.Schedules[1].Runs[0].Epochs = rec.Schedules[1].Runs[0].Epochs[:2]
	rec.Schedules[1].Runs[0].Diverge = 77
	v = claimtest.Judge(t, c, rec)
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "1a:") != claims.Inconclusive {
		t.Errorf("diverged grow run: %s (%s)", v.Outcome, v.Summary)
	}
}
