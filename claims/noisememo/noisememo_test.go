package noisememo

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// TestClaim runs every quick setup against its golden.
func TestClaim(t *testing.T) {
	claimtest.Setups(t, "c6", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		for _, p := range rec.Points {
			for _, r := range p.Runs {
				// A run stops at its matched point: its last measurement.
				if r.Reached && (len(r.Curve) == 0 || r.Curve[len(r.Curve)-1].Clean != r.Clean || float64(r.Clean) < rec.Level) {
					t.Errorf("(%g, %d) seed %d: matched point %v is not the last measurement at the level", p.LR, p.Batch, r.Seed, r.Clean)
				}
				for i, m := range r.Curve {
					if r.Reached && i < len(r.Curve)-1 && float64(m.Clean) >= rec.Level {
						t.Errorf("(%g, %d) seed %d: measurement %d already at the level", p.LR, p.Batch, r.Seed, i)
					}
				}
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	claimtest.Registered(t, Claim{})
	claimtest.RegisteredBefore(t, "c6")
}

func TestInfo(t *testing.T) { claimtest.Info(t, Claim{}) }

func TestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the miniature spec several times")
	}
	spec := Claim{}.Spec(claims.Quick)
	cfg := spec.Config.(config)
	cfg.TrainExamples, cfg.ValExamples, cfg.MaxEpochs, cfg.Level = 400, 200, 2, 0.5
	cfg.Model = "mlp:784-16-10"
	cfg.Points = []point{at(0.02, 32), at(0.05, 32), at(0.1, 32), at(0.1, 64)}
	cfg.Low, cfg.High = 0, 2
	spec.Config = cfg
	claimtest.SkipAbsent(t, spec)
	claimtest.Split(t, Claim{}, spec)
}

// planted builds a record on the quick grid with mislabelled-row accuracy
// mis(point, seed) at the matched point; reached(point, seed) false leaves
// a run without one.
func planted(mis func(p point, seed int) float64, reached func(pi, seed int) bool) record {
	cfg := configFor(claims.Quick, setups[0])
	rec := record{Level: cfg.Level, NoiseFrac: cfg.NoiseFrac, MaxEpochs: cfg.MaxEpochs, Low: cfg.Low, High: cfg.High}
	nan := jsonfloat.Float(math.NaN())
	for pi, p := range cfg.Points {
		pr := pointRecord{point: p}
		for s := 1; s <= 3; s++ {
			r := runRecord{Seed: uint64(s), Epoch: nan, Clean: nan, Mis: nan, MisTrue: nan, Val: nan}
			if reached == nil || reached(pi, s) {
				m := mis(p, s)
				r.Reached = true
				r.Epoch, r.Clean, r.Mis, r.MisTrue = jsonfloat.Float(1e-3/p.ratio()), jsonfloat.Float(cfg.Level), jsonfloat.Float(m), jsonfloat.Float(0.9-m)
				r.Val = jsonfloat.Float(0.9 + 0.01*math.Log(p.ratio()*1e4) + 0.001*float64(s))
				r.Curve = []measure{{Epoch: float64(r.Epoch), Clean: r.Clean, Mis: r.Mis, MisTrue: r.MisTrue, Val: r.Val}}
			}
			pr.Runs = append(pr.Runs, r)
		}
		rec.Points = append(rec.Points, pr)
	}
	for s := 1; s <= 3; s++ {
		rec.Subsets = append(rec.Subsets, subsetInfo{Seed: uint64(s), Clean: 3200, Mislabelled: 1800})
	}
	return rec
}

// seedNoise is a small, fixed, seed- and point-dependent wobble.
func seedNoise(p point, seed int) float64 {
	return 0.004 * math.Sin(float64(seed)*7.1+p.LR*91+float64(p.Batch))
}

func TestPlantedOutcomes(t *testing.T) {
	c := Claim{}
	// Memorisation falls steeply with eta/S: holds.
	falls := planted(func(p point, s int) float64 { return 0.3 - 0.1*math.Log2(p.ratio()/3.125e-4) + seedNoise(p, s) }, nil)
	v := claimtest.Judge(t, c, falls)
	if v.Outcome != claims.Holds {
		t.Errorf("falling memorisation: %s (%s)", v.Outcome, v.Summary)
	}
	// It rises with eta/S: does not hold.
	rises := planted(func(p point, s int) float64 { return 0.1 + 0.05*math.Log2(p.ratio()/3.125e-4) + seedNoise(p, s) }, nil)
	v = claimtest.Judge(t, c, rises)
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "1:") != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "2:") != claims.DoesNotHold {
		t.Errorf("rising memorisation: %s (%s)", v.Outcome, v.Summary)
	}
	// Flat with noise: the correlation straddles -0.5: inconclusive.
	flat := planted(func(p point, s int) float64 { return 0.2 + 3*seedNoise(p, s) - 0.004*math.Log2(p.ratio()/3.125e-4) }, nil)
	v = claimtest.Judge(t, c, flat)
	if v.Outcome != claims.Inconclusive {
		t.Errorf("flat memorisation: %s (%s)", v.Outcome, v.Summary)
	}
	// Falling, but one low-ratio run never reaches the level: untested.
	censored := planted(func(p point, s int) float64 { return 0.3 - 0.1*math.Log2(p.ratio()/3.125e-4) + seedNoise(p, s) },
		func(pi, s int) bool { return !(pi == 0 && s == 2) })
	v = claimtest.Judge(t, c, censored)
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "0a:") != claims.Inconclusive || claimtest.CheckOutcome(t, v, "1:") != claims.Inconclusive {
		t.Errorf("censored run: %s (%s)", v.Outcome, v.Summary)
	}
	// Nothing memorised anywhere: 0b is inconclusive, never "does not hold".
	none := planted(func(p point, s int) float64 { return 0.01 + 0.001*float64(s) }, nil)
	v = claimtest.Judge(t, c, none)
	if claimtest.CheckOutcome(t, v, "0b:") != claims.Inconclusive {
		t.Errorf("no memorisation: check 0b %s", claimtest.CheckOutcome(t, v, "0b:"))
	}
	if v.Outcome == claims.Holds {
		t.Errorf("no memorisation: %s", v.Outcome)
	}
}
