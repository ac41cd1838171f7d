package overshoot

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// TestClaim runs every quick setup of C8 and compares it with its golden
// (goldens/c8-<setup>.json; rewrite with -update). The verdict asserted is
// whatever the golden records.
func TestClaim(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick setups")
	}
	claimtest.Setups(t, "c8", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		cfg := res.Evidence.Spec.Config
		_ = cfg
		for _, r := range rec.Runs {
			if r.DivergedStep != 0 {
				t.Errorf("seed %d diverged at step %d", r.Seed, r.DivergedStep)
			}
			// Sanity, independent of the claim: the network learned.
			if float64(r.ValAcc) < 0.6 {
				t.Errorf("seed %d: validation accuracy %.3f", r.Seed, float64(r.ValAcc))
			}
			for _, p := range r.Points {
				// The step's own split is exact: P d + (I - P) d = d.
				if len(p.Eigenvalues) != rec.K || len(p.Eigen) != rec.K || len(p.Slice1) != len(rec.Alphas) {
					t.Errorf("seed %d step %d: %d eigenvalues, %d lines, %d slice points", r.Seed, p.Step, len(p.Eigenvalues), len(p.Eigen), len(p.Slice1))
				}
				if n := math.Hypot(float64(p.TopNorm), float64(p.BulkNorm)); math.Abs(n-float64(p.StepNorm)) > 1e-6*float64(p.StepNorm) {
					t.Errorf("seed %d step %d: |Pd|, |(I-P)d| = %g, %g do not make |d| = %g", r.Seed, p.Step, p.TopNorm, p.BulkNorm, p.StepNorm)
				}
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	claimtest.Registered(t, Claim{})
	claimtest.RegisteredBefore(t, "c8")
}

func TestInfo(t *testing.T) { claimtest.Info(t, Claim{}) }

// TestSplit runs the split contract on a miniature setup: a 784-8-10
// network, 512 images, 3 epochs, 3 seeds (the smoke configuration).
func TestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 3 tiny networks several times")
	}
	spec := Claim{}.Spec(claims.Quick)
	claimtest.SkipAbsent(t, spec)
	spec.Config, spec.Seeds = smoke(), 3
	claimtest.Split(t, Claim{}, spec)
}

func smoke() config {
	c := base()
	c.Model, c.TrainN, c.ValN, c.ProbeN, c.Epochs, c.EarlyPoints, c.Points, c.K, c.Random, c.AlphaN = "mlp:784-8-10", 512, 256, 128, 3, 1, 2, 2, 2, 11
	return c
}

func TestMeasureSteps(t *testing.T) {
	c := base() // 78 steps per epoch at 10,000 images, S = 128
	steps, early := measureSteps(c, 78)
	want := []int{39, 78, 107, 137, 166, 195, 224, 254, 283, 312}
	if early != 78 || len(steps) != len(want) {
		t.Fatalf("steps %v, early %d", steps, early)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Fatalf("steps %v, want %v", steps, want)
		}
	}
}

// planted builds a record of 3 seeds x 4 measurements after the early
// phase (and one early one, which must not count), with the given line
// minima and top/rest losses.
func planted(e1, rnd, bulk []float64, dTop, dBulk float64) record {
	rec := record{LR: 0.1, K: 2, EarlyEpochs: 1, Alphas: []float64{-0.5, 0, 0.5, 1, 1.5, 2, 2.5}}
	for s := range 3 {
		r := runRecord{Seed: uint64(s + 1), StepsPerEpoch: 10, Steps: 40, EarlyStep: 10, ValAcc: 0.9}
		early := point{Step: 5, Early: true, Eigenvalues: []jsonfloat.Float{30, 10}, Eigen: []line{{Alpha: 3}, {Alpha: 3}},
			Random: []line{{Alpha: -1}}, Bulk: line{Alpha: -1}, Loss: 1, LossTop: 0, LossBulk: 2}
		r.Points = append(r.Points, early)
		for i := range 4 {
			j := float64(i) * 0.01
			p := point{Step: 11 + 10*i, Eigenvalues: []jsonfloat.Float{15, 8},
				Eigen:  []line{{Alpha: jsonfloat.Float(e1[s] + j)}, {Alpha: 0.8}},
				Random: []line{{Alpha: jsonfloat.Float(rnd[s] + j)}, {Alpha: jsonfloat.Float(rnd[s] - j)}},
				Bulk:   line{Alpha: jsonfloat.Float(bulk[s] + j)},
				Loss:   1, LossTop: jsonfloat.Float(1 + dTop*(1+j)), LossBulk: jsonfloat.Float(1 + dBulk), Converged: true}
			r.Points = append(r.Points, p)
		}
		rec.Runs = append(rec.Runs, r)
	}
	return rec
}

func TestPlantedOutcomes(t *testing.T) {
	c := Claim{}
	// Holds: overshoot along e1, descent elsewhere, the top part useless.
	v := claimtest.Judge(t, c, planted([]float64{0.3, 0.35, 0.25}, []float64{2, 2.5, 1.8}, []float64{1.2, 1.1, 1.3}, 0.001, -0.01))
	if v.Outcome != claims.Holds {
		t.Fatalf("planted holding record: %s\n%+v", v.Outcome, v.Checks)
	}
	// Does not hold: the step is not too large along e1 (alpha* near 1),
	// and the top part carries half the descent.
	v = claimtest.Judge(t, c, planted([]float64{0.95, 1.0, 1.05}, []float64{2, 2.5, 1.8}, []float64{1.2, 1.1, 1.3}, -0.005, -0.01))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "a:") != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "d:") != claims.DoesNotHold {
		t.Fatalf("planted failing record: %s\n%+v", v.Outcome, v.Checks)
	}
	if claimtest.CheckOutcome(t, v, "b:") != claims.Holds || claimtest.CheckOutcome(t, v, "c:") != claims.Holds {
		t.Errorf("checks b and c should still hold: %+v", v.Checks)
	}
	// Inconclusive: e1's fraction straddles 0.5 across seeds.
	v = claimtest.Judge(t, c, planted([]float64{0.2, 0.5, 0.8}, []float64{2, 2.5, 1.8}, []float64{1.2, 1.1, 1.3}, 0.001, -0.01))
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "a:") != claims.Inconclusive {
		t.Fatalf("planted straddling record: %s\n%+v", v.Outcome, v.Checks)
	}
	// Random directions that do not descend fail check b.
	v = claimtest.Judge(t, c, planted([]float64{0.3, 0.35, 0.25}, []float64{0.1, 0.2, 0.15}, []float64{1.2, 1.1, 1.3}, 0.001, -0.01))
	if claimtest.CheckOutcome(t, v, "b:") != claims.DoesNotHold || v.Outcome != claims.DoesNotHold {
		t.Errorf("random directions past their minimum: %s\n%+v", v.Outcome, v.Checks)
	}
	// A diverged seed leaves every check inconclusive.
	rec := planted([]float64{0.3, 0.35, 0.25}, []float64{2, 2.5, 1.8}, []float64{1.2, 1.1, 1.3}, 0.001, -0.01)
	rec.Runs[1].DivergedStep = 7
	if v = claimtest.Judge(t, c, rec); v.Outcome != claims.Inconclusive {
		t.Errorf("a diverged seed: %s", v.Outcome)
	}
}

// TestSmokeTiming runs one seed of a quick setup with fewer measurements
// to time it, without looking at its results (SGDCLAIMS_C8_TIMING=1).
func TestSmokeTiming(t *testing.T) {
	if os.Getenv("SGDCLAIMS_C8_TIMING") == "" {
		t.Skip("set SGDCLAIMS_C8_TIMING=1")
	}
	spec := Claim{}.Spec(claims.Quick)
	cfg := base()
	cfg.Epochs, cfg.EarlyPoints, cfg.Points = 2, 0, 2
	spec.Config = cfg
	start := time.Now()
	if _, err := claims.RunUnit(t.Context(), &claims.Env{Data: spec.Data}, Claim{}, spec, claims.Unit{Name: "seed=1", Seed: 1}); err != nil {
		t.Fatal(err)
	}
	t.Logf("2 epochs + 2 measurements: %.1f s wall, GOMAXPROCS %d", time.Since(start).Seconds(), runtime.GOMAXPROCS(0))
}

// TestFullScaleSetupsStart starts seed 1 of every full-scale setup (the
// SimpleCNN one included, which claims/all's test does not reach: it takes
// the first setup) for a moment and requires that it got past its setup
// and stops promptly when cancelled.
func TestFullScaleSetupsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the full-scale units")
	}
	for _, spec := range (Claim{}).Specs(claims.Full) {
		absent, _ := claims.DataAbsent(spec)
		if absent {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		start := time.Now()
		_, err := claims.RunUnit(ctx, &claims.Env{Data: spec.Data, Workers: 1}, Claim{}, spec, claims.Unit{Name: "seed=1", Seed: 1})
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v", spec.SetupID, err)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("%s: took %v to stop", spec.SetupID, took)
		}
	}
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// TestFullScaleTiming estimates what a full-scale unit costs, from short
// pieces of it, without looking at any result (SGDCLAIMS_C8_FULL_TIMING=1):
// the CPU seconds of one SGD step, and of one measurement on a probe set
// of 64 images scaled linearly to the setup's (a measurement is forward
// passes and Hessian-vector products on the probe set), and from them a
// whole unit (Epochs x steps per epoch steps, EarlyPoints + Points
// measurements).
func TestFullScaleTiming(t *testing.T) {
	if os.Getenv("SGDCLAIMS_C8_FULL_TIMING") == "" {
		t.Skip("set SGDCLAIMS_C8_FULL_TIMING=1")
	}
	for _, spec := range (Claim{}).Specs(claims.Full) {
		full := spec.Config.(config)
		env := &claims.Env{Data: spec.Data, Workers: 1}
		if _, _, err := env.Dataset(); err != nil {
			t.Fatal(err)
		}
		const probe = 64
		piece := func(epochs, points int) float64 {
			cfg := full
			cfg.TrainN, cfg.ProbeN, cfg.Epochs, cfg.EarlyEpochs, cfg.EarlyPoints, cfg.Points = 20*cfg.Batch, probe, epochs, 1, 0, points
			s := spec
			s.Config = cfg
			c0 := cpuSeconds()
			if _, err := claims.RunUnit(t.Context(), env, Claim{}, s, claims.Unit{Name: "seed=1", Seed: 1}); err != nil {
				t.Fatal(err)
			}
			return cpuSeconds() - c0
		}
		a, b, c := piece(2, 1), piece(2, 2), piece(4, 1)
		meas, step := (b-a)*float64(full.ProbeN)/probe, (c-a)/40
		spe := 50000 / full.Batch
		unit := float64(full.Epochs*spe)*step + float64(full.EarlyPoints+full.Points)*meas
		t.Logf("%s: %.3f CPU s per SGD step, %.1f CPU s per measurement on %d images: a unit (%d steps, %d measurements) about %.0f CPU s; %d units %.1f CPU h",
			spec.SetupID, step, meas, full.ProbeN, full.Epochs*spe, full.EarlyPoints+full.Points, unit, spec.Seeds, unit*float64(spec.Seeds)/3600)
	}
}
