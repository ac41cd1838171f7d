package nudged

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

// TestClaim runs every quick setup of C7 and compares it with its golden
// (goldens/c7-<setup>.json; rewrite with -update). The verdict asserted is
// whatever the golden records.
func TestClaim(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick setups")
	}
	claimtest.Setups(t, "c7", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		var sgd *gammaRow
		for i := range rec.Gammas {
			if rec.Gammas[i].Gamma == 1 {
				sgd = &rec.Gammas[i]
			}
		}
		if sgd == nil {
			t.Fatal("no gamma = 1 row")
		}
		for _, g := range rec.Gammas {
			for si, r := range g.Runs {
				if r.DivergedStep != 0 {
					continue
				}
				// Sanity, independent of the claim: the network learned, and
				// every refresh measured K positive eigenvalues.
				if float64(r.ValAcc) < 0.6 {
					t.Errorf("gamma %g seed %d: validation accuracy %.3f", g.Gamma, r.Seed, float64(r.ValAcc))
				}
				if want := (r.Steps + rec.M - 1) / rec.M; len(r.Refreshes) != want {
					t.Errorf("gamma %g seed %d: %d refreshes for %d steps at M = %d", g.Gamma, r.Seed, len(r.Refreshes), r.Steps, rec.M)
				}
				// The first refresh is at the shared initialisation: the same
				// eigenvalues for every gamma of a seed.
				if len(r.Refreshes) > 0 && len(sgd.Runs[si].Refreshes) > 0 && r.Refreshes[0].Eigenvalues[0] != sgd.Runs[si].Refreshes[0].Eigenvalues[0] {
					t.Errorf("gamma %g seed %d: first refresh %v, SGD's %v: the runs are not paired", g.Gamma, r.Seed, r.Refreshes[0].Eigenvalues, sgd.Runs[si].Refreshes[0].Eigenvalues)
				}
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	claimtest.Registered(t, Claim{})
	claimtest.RegisteredBefore(t, "c7")
}

func TestInfo(t *testing.T) { claimtest.Info(t, Claim{}) }

func smoke() config {
	c := base()
	c.Model, c.TrainN, c.ValN, c.ProbeN, c.Epochs, c.K, c.M = "mlp:784-8-10", 512, 256, 64, 2, 2, 4
	return c
}

// TestSplit runs the split contract on a miniature setup: a 784-8-10
// network, 512 images, 2 epochs, 3 gammas x 3 seeds (the smoke
// configuration).
func TestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 9 tiny networks several times")
	}
	spec := Claim{}.Spec(claims.Quick)
	claimtest.SkipAbsent(t, spec)
	spec.Config, spec.Seeds = smoke(), 3
	claimtest.Split(t, Claim{}, spec)
}

// planted builds a record of 4 seeds at gammas 0.25, 1, 4 with the given
// lambda_max and validation accuracy per gamma (seed s adds s x jitter).
func planted(lam, acc [3]float64, jitter float64) record {
	rec := record{LR: 0.1, K: 2, M: 10}
	for gi, g := range []float64{0.25, 1, 4} {
		row := gammaRow{Gamma: g}
		for s := range 4 {
			j := jitter * float64(s%2*2-1) * float64(1+gi)
			row.Runs = append(row.Runs, runRecord{Seed: uint64(s + 1), Gamma: g, StepsPerEpoch: 10, Steps: 20,
				Lambda: jsonfloat.Float(lam[gi] * (1 + j)), ValAcc: jsonfloat.Float(acc[gi] + j/100), TrainAcc: 0.95,
				Refreshes: []refresh{{Step: 1, Eigenvalues: []jsonfloat.Float{5, 3}}, {Step: 11, Eigenvalues: []jsonfloat.Float{jsonfloat.Float(lam[gi]), 3}}}})
		}
		rec.Gammas = append(rec.Gammas, row)
	}
	return rec
}

func TestPlantedOutcomes(t *testing.T) {
	c := Claim{}
	// Holds: lambda_max 30 / 15 / 5, accuracy the same within 0.3 points.
	v := claimtest.Judge(t, c, planted([3]float64{30, 15, 5}, [3]float64{0.912, 0.914, 0.911}, 0.02))
	if v.Outcome != claims.Holds {
		t.Fatalf("planted holding record: %s\n%+v", v.Outcome, v.Checks)
	}
	// Does not hold: gamma 4 gives up 4 points of accuracy, and gamma 0.25
	// does not sharpen (the same lambda_max as SGD).
	v = claimtest.Judge(t, c, planted([3]float64{15, 15, 5}, [3]float64{0.912, 0.914, 0.874}, 0.02))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "a:") != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "c:") != claims.DoesNotHold {
		t.Fatalf("planted failing record: %s\n%+v", v.Outcome, v.Checks)
	}
	if claimtest.CheckOutcome(t, v, "b:") != claims.Holds {
		t.Errorf("check b should hold: %+v", v.Checks)
	}
	// Inconclusive: a ratio of 1.3 with a seed spread that straddles 1.25,
	// and an accuracy difference that straddles the margin.
	v = claimtest.Judge(t, c, planted([3]float64{19.5, 15, 5}, [3]float64{0.912, 0.914, 0.9}, 0.3))
	if v.Outcome != claims.Inconclusive || claimtest.CheckOutcome(t, v, "a:") != claims.Inconclusive {
		t.Fatalf("planted straddling record: %s\n%+v", v.Outcome, v.Checks)
	}
	// A diverged gamma = 4 run leaves b and c inconclusive.
	rec := planted([3]float64{30, 15, 5}, [3]float64{0.912, 0.914, 0.911}, 0.02)
	rec.Gammas[2].Runs[1].DivergedStep = 3
	v = claimtest.Judge(t, c, rec)
	if claimtest.CheckOutcome(t, v, "b:") != claims.Inconclusive || claimtest.CheckOutcome(t, v, "c:") != claims.Inconclusive || claimtest.CheckOutcome(t, v, "a:") != claims.Holds {
		t.Errorf("a diverged run: %+v", v.Checks)
	}
}

// TestFullScaleSetupsStart starts seed 1 of every full-scale setup (the
// SimpleCNN one included) for a moment and requires that it got past its
// setup and stops promptly when cancelled.
func TestFullScaleSetupsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the full-scale units")
	}
	for _, spec := range (Claim{}).Specs(claims.Full) {
		if absent, _ := claims.DataAbsent(spec); absent {
			continue
		}
		u := Claim{}.Units(spec)[0]
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		start := time.Now()
		_, err := claims.RunUnit(ctx, &claims.Env{Data: spec.Data, Workers: 1}, Claim{}, spec, u)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v", spec.SetupID, err)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("%s: took %v to stop", spec.SetupID, took)
		}
	}
}

// TestSmokeTiming times one unit of a quick setup without looking at its
// results (SGDCLAIMS_C7_TIMING=1).
func TestSmokeTiming(t *testing.T) {
	if os.Getenv("SGDCLAIMS_C7_TIMING") == "" {
		t.Skip("set SGDCLAIMS_C7_TIMING=1")
	}
	spec := Claim{}.Spec(claims.Quick)
	cfg := base()
	cfg.Epochs = 1
	spec.Config = cfg
	start := time.Now()
	if _, err := claims.RunUnit(t.Context(), &claims.Env{Data: spec.Data}, Claim{}, spec, claims.Unit{Name: "gamma=4 seed=1", Seed: 1, Point: 2}); err != nil {
		t.Fatal(err)
	}
	t.Logf("1 epoch: %.1f s wall, GOMAXPROCS %d", time.Since(start).Seconds(), runtime.GOMAXPROCS(0))
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
// pieces of it, without looking at any result (SGDCLAIMS_C7_FULL_TIMING=1):
// the CPU seconds of one SGD step, and of one refresh of P_K on 64 probe
// images scaled linearly to the setup's (a refresh is Hessian-vector
// products on the probe set), and from them a whole unit.
func TestFullScaleTiming(t *testing.T) {
	if os.Getenv("SGDCLAIMS_C7_FULL_TIMING") == "" {
		t.Skip("set SGDCLAIMS_C7_FULL_TIMING=1")
	}
	for _, spec := range (Claim{}).Specs(claims.Full) {
		full := spec.Config.(config)
		env := &claims.Env{Data: spec.Data, Workers: 1}
		if _, _, err := env.Dataset(); err != nil {
			t.Fatal(err)
		}
		const probe = 64
		piece := func(epochs, m int) float64 {
			cfg := full
			cfg.TrainN, cfg.ProbeN, cfg.Epochs, cfg.M = 20*cfg.Batch, probe, epochs, m
			s := spec
			s.Config = cfg
			c0 := cpuSeconds()
			if _, err := claims.RunUnit(t.Context(), env, Claim{}, s, claims.Unit{Name: "gamma=0.1 seed=1", Seed: 1, Point: 0}); err != nil {
				t.Fatal(err)
			}
			return cpuSeconds() - c0
		}
		a, b, c := piece(1, 1000), piece(2, 1000), piece(1, 5)
		step, refresh := (b-a)/20, (c-a)/3*float64(full.ProbeN)/probe
		steps := full.Epochs * (50000 / full.Batch)
		unit := float64(steps)*step + float64((steps+full.M-1)/full.M)*refresh
		t.Logf("%s: %.3f CPU s per SGD step, %.2f CPU s per refresh (K = %d, %d images): a unit (%d steps, M = %d) about %.0f CPU s; %d units %.1f CPU h",
			spec.SetupID, step, refresh, full.K, full.ProbeN, steps, full.M, unit, spec.Seeds*len(full.Gammas), unit*float64(spec.Seeds*len(full.Gammas))/3600)
	}
}
