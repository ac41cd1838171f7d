package memorisation

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// TestClaimC4 runs every quick setup of C4 (claimtest.Setups: MNIST and
// Fashion-MNIST) against its golden, goldens/c4-<setup>.json (rewrite with
// -update). The verdict asserted is whatever the golden records, "does not
// hold" included: the test guards reproducibility, the golden's diff shows
// any change of outcome. What else is checked is independent of the claim.
func TestClaimC4(t *testing.T) {
	claimtest.Setups(t, "c4", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		cfg := res.Evidence.Spec.Config
		var c config
		b, _ := json.Marshal(cfg)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		if len(rec.Rows) != len(c.Rows) {
			t.Fatalf("%d rows, want %d", len(rec.Rows), len(c.Rows))
		}
		for _, row := range rec.Rows {
			if len(row.Runs) != len(res.Evidence.Seeds) {
				t.Errorf("%s: %d runs for %d seeds", row.Name, len(row.Runs), len(res.Evidence.Seeds))
			}
			for _, r := range row.Runs {
				if r.Diverged != 0 {
					t.Errorf("%s seed %d diverged at step %d", row.Name, r.Seed, r.Diverged)
				}
				if len(r.Clean) != rec.Epochs+1 || len(r.CSR) != len(rec.CSR.epochsFor(row.regulariser, rec.FixedEpoch)) {
					t.Errorf("%s seed %d: %d epochs of curves, %d CSR points", row.Name, r.Seed, len(r.Clean), len(r.CSR))
					continue
				}
				// Sanity, independent of the claim: at initialisation accuracy
				// is near chance; after training the clean rows are learned
				// (above 70% even at 80% label noise on Fashion-MNIST).
				if a := float64(r.Clean[0]); a > 0.3 {
					t.Errorf("%s seed %d: clean accuracy %.3f at initialisation", row.Name, r.Seed, a)
				}
				if a := float64(r.Clean[rec.Epochs]); a < 0.7 {
					t.Errorf("%s seed %d: clean accuracy %.3f after training", row.Name, r.Seed, a)
				}
			}
		}
		// The mislabelled share is close to the expected frac x 0.9.
		for _, s := range rec.Subsets {
			if f := float64(s.Mislabelled) / float64(s.Clean+s.Mislabelled); math.Abs(f-s.NoiseFrac*0.9) > 0.02 {
				t.Errorf("seed %d, noise %g: %.3f of the rows mislabelled, want about %.3f", s.Seed, s.NoiseFrac, f, s.NoiseFrac*0.9)
			}
		}
	})
}

// v1 is C4 with its first registration, so that the lock keeps v1 and
// TestRegistration checks that it still does.
type v1 struct{ Claim }

func (v1) Registration() claims.Registration { return registrationV1 }

// TestRegistration: both versions are locked in registrations/c4.json with
// their hashes (-register appends a new one), and every golden was decided
// by a registration committed before it.
func TestRegistration(t *testing.T) {
	claimtest.Registered(t, v1{})
	reg := claimtest.Registered(t, Claim{})
	if reg.Version != 2 {
		t.Errorf("version %d", reg.Version)
	}
	// v1's checks are all kept in v2: the superseded ones as information.
	for _, c := range registrationV1.Checks {
		if !slices.ContainsFunc(reg.Checks, func(r claims.RegisteredCheck) bool { return r.Name == c.Name }) {
			t.Errorf("v1 check %q dropped from v2", c.Name)
		}
	}
	claimtest.RegisteredBefore(t, "c4")
}

func TestC4Info(t *testing.T) {
	claimtest.Info(t, Claim{})
	ids := claims.SetupIDs(Claim{}, claims.Quick)
	if !slices.Equal(ids, []string{"mlp-mnist", "mlp-fashion-mnist"}) {
		t.Errorf("quick setups %v", ids)
	}
	if ids := claims.SetupIDs(Claim{}, claims.Full); !slices.Equal(ids, []string{"mlp-mnist"}) {
		t.Errorf("full setups %v", ids)
	}
	for _, sc := range []claims.Scale{claims.Quick, claims.Full} {
		for _, spec := range claims.Specs(Claim{}, sc) {
			if _, err := configOf(spec); err != nil {
				t.Errorf("%s %s: %v", sc, spec.SetupID, err)
			}
		}
	}
}

func TestC4Helpers(t *testing.T) {
	curve := []float64{0.1, 0.2, 0.3, 0.6, 0.8, 0.8, 1.0}
	if got := windowMean(curve, 6, 3); math.Abs(got-(0.8+0.8+1.0)/3) > 1e-12 {
		t.Errorf("window mean %g", got)
	}
	if got := windowMean(curve, 6, 7); !math.IsNaN(got) {
		t.Errorf("a window reaching epoch 0 should be NaN, got %g", got)
	}
	// Half of 0.8 is 0.4, first reached at epoch 3 (epoch 0 never counts).
	if got := halfTime(curve, 0.8, 6); got != 3 {
		t.Errorf("half-time %g, want 3", got)
	}
	if got := halfTime([]float64{0.9, 0.01, 0.02}, 0.5, 2); got != 3 {
		t.Errorf("never reached: half-time %g, want the censored 3", got)
	}
	if got := halfTime(curve, math.NaN(), 6); !math.IsNaN(got) {
		t.Errorf("NaN final gave %g", got)
	}
	for r, want := range map[regulariser]string{
		{NoiseFrac: 0.5, Dropout: 0.25}: "n0.5/p0.25", {NoiseFrac: 0.5, WeightDecay: 5e-4}: "n0.5/wd0.0005",
		{NoiseFrac: 0.5, InputNoise: 0.1}: "n0.5/in0.1", {NoiseFrac: 0.2}: "n0.2/p0",
	} {
		if got := key(r); got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	// CSR level, stability: measurements after epoch 1 up to the fixed epoch 10.
	r := runRecord{CSR: []csrPoint{{Epoch: 0, Ratio: 0.8, HeldOut: 0.9}, {Epoch: 1, Ratio: 0.3, HeldOut: 0.4}, {Epoch: 5, Ratio: 0.5, HeldOut: 0.5},
		{Epoch: 10, Ratio: 0.2, HeldOut: 0.7}, {Epoch: 20, Ratio: 0.9, HeldOut: 0.9}}}
	if lt, lh := csrLevel(r, 1, 10); math.Abs(lt-0.35) > 1e-9 || math.Abs(lh-0.6) > 1e-9 {
		t.Errorf("CSR level %g, %g; want 0.35, 0.6", lt, lh)
	}
	if s := csrStability(r, 1, 10); math.Abs(s-0.2) > 1e-9 {
		t.Errorf("CSR stability %g, want 0.2", s)
	}
	if s := csrStability(runRecord{CSR: []csrPoint{{Epoch: 10, Ratio: 0.2}}}, 1, 10); !math.IsNaN(s) {
		t.Errorf("no epoch-1 measurement: stability %g", s)
	}
}

// --- planted outcomes ---------------------------------------------------

// plant describes a synthetic record: three seeds, ten epochs (fixed epoch
// 10, window 2, early phase to epoch 1), the six quick rows. Everything is
// set so that every judged check holds; a case changes what it tests.
type plant struct {
	mis     map[string]float64 // final mislabelled accuracy by row name (seed s adds jit*s, the baseline +0.01 s, others -0.01 s)
	val     map[string]func(seed uint64, f float64) float64
	csr     map[float64][]float64 // training-row CSR at epochs 0, 1, 2, 5, 10 by noise fraction
	csrLast map[float64]float64   // added times the seed to the last CSR point
	held    map[float64][]float64 // held-out CSR likewise
	// noiseFirst: the mislabelled rows are learned at the clean rows' pace
	// (sameShape) or before them (first).
	sameShape, first bool
	drop             []string // rows left out
}

var plantRows = []regulariser{
	{Name: "none, noise 0.5", NoiseFrac: 0.5, CSRCurve: true},
	{Name: "dropout 0.5", NoiseFrac: 0.5, Dropout: 0.5},
	{Name: "weight decay 5e-4", NoiseFrac: 0.5, WeightDecay: 5e-4},
	{Name: "input noise 0.1", NoiseFrac: 0.5, InputNoise: 0.1},
	{Name: "none, noise 0.2", NoiseFrac: 0.2, CSRCurve: true},
	{Name: "none, noise 0.8", NoiseFrac: 0.8, CSRCurve: true},
}

func goodPlant() plant {
	flat := func(_ uint64, _ float64) float64 { return 0.85 }
	return plant{
		mis: map[string]float64{"none, noise 0.5": 0.9, "dropout 0.5": 0.2, "weight decay 5e-4": 0.8, "input noise 0.1": 0.7, "none, noise 0.2": 0.9, "none, noise 0.8": 0.9},
		val: map[string]func(uint64, float64) float64{"none, noise 0.5": flat, "dropout 0.5": flat, "weight decay 5e-4": flat, "input noise 0.1": flat, "none, noise 0.2": flat, "none, noise 0.8": flat},
		csr: map[float64][]float64{
			0.2: {0.76, 0.20, 0.21, 0.20, 0.21},
			0.5: {0.76, 0.30, 0.31, 0.30, 0.31},
			0.8: {0.76, 0.40, 0.41, 0.40, 0.41},
		},
		csrLast: map[float64]float64{0.2: 0.002, 0.5: 0.002, 0.8: 0.002},
		held: map[float64][]float64{
			0.2: {0.78, 0.3, 0.35, 0.4, 0.45},
			0.5: {0.78, 0.3, 0.45, 0.55, 0.65},
			0.8: {0.78, 0.3, 0.5, 0.65, 0.8},
		},
	}
}

func (p plant) record() record {
	const epochs = 10
	csrEpochs := []int{0, 1, 2, 5, 10}
	rec := record{Epochs: epochs, FixedEpoch: epochs, Window: 2, EarlyEpoch: 1,
		CSR: csrSpec{Examples: 10, HeldOut: 10, Epochs: csrEpochs, Radius: 0.02, Step: 0.005, MaxIter: 5}}
	for _, reg := range plantRows {
		if slices.Contains(p.drop, reg.Name) {
			continue
		}
		row := rowRecord{regulariser: reg}
		for s := uint64(1); s <= 3; s++ {
			mis := p.mis[reg.Name] - 0.01*float64(s)
			if reg.Name == "none, noise 0.5" {
				mis = p.mis[reg.Name] + 0.01*float64(s)
			}
			r := runRecord{Seed: s}
			for e := 0; e <= epochs; e++ {
				f := float64(e) / epochs
				cl, ml := 0.1+0.85*math.Min(1, 4*f), 0.02+(mis-0.02)*f*f
				switch {
				case p.first:
					cl, ml = 0.1+0.85*f*f, 0.02+(mis-0.02)*math.Min(1, 4*f)
				case p.sameShape:
					ml = 0.02 + (mis-0.02)*math.Min(1, 4*f)
				}
				r.Clean = append(r.Clean, jsonfloat.Float(cl))
				r.Mislabelled = append(r.Mislabelled, jsonfloat.Float(ml))
				r.MisTrue = append(r.MisTrue, jsonfloat.Float(0.9-0.8*f*f))
				r.Val = append(r.Val, jsonfloat.Float(p.val[reg.Name](s, f)+0.001*float64(s)))
				r.TrainLoss = append(r.TrainLoss, 1)
			}
			for _, e := range rec.CSR.epochsFor(reg, epochs) {
				k := slices.Index(csrEpochs, e)
				curve, held := p.csr[reg.NoiseFrac], p.held[reg.NoiseFrac]
				v, h := curve[k], held[k]
				if k == len(csrEpochs)-1 {
					v += p.csrLast[reg.NoiseFrac] * float64(s)
				}
				if !reg.plain() { // regularised rows: a lower CSR at the fixed epoch
					v, h = v-0.1, h-0.1
				}
				r.CSR = append(r.CSR, csrPoint{Epoch: e, Ratio: jsonfloat.Float(v + 0.001*float64(s)), HeldOut: jsonfloat.Float(h + 0.002*float64(s)),
					Clean: jsonfloat.Float(v), Mislabelled: jsonfloat.Float(v)})
			}
			row.Runs = append(row.Runs, r)
		}
		rec.Rows = append(rec.Rows, row)
	}
	for s := uint64(1); s <= 3; s++ {
		for _, f := range []float64{0.2, 0.5, 0.8} {
			rec.Subsets = append(rec.Subsets, subsetInfo{Seed: s, NoiseFrac: f, Clean: 100 - int(90*f), Mislabelled: int(90 * f)})
		}
	}
	return rec
}

// TestC4PlantedOutcomes judges records made by hand (claimtest.Judge): every
// check of the registration comes out holds, does not hold and
// inconclusive where its design allows (check 0 is never "does not hold";
// information checks never decide), so a verdict from the real runs means
// something.
func TestC4PlantedOutcomes(t *testing.T) {
	const (
		H = claims.Holds
		N = claims.DoesNotHold
		I = claims.Inconclusive
	)
	peaked := func(_ uint64, f float64) float64 { return 0.8 + 0.1*math.Max(0, 1-math.Abs(f-0.3)/0.2) } // 0.9 at epoch 3, 0.8 at the end
	spread := func(c float64) func(uint64, float64) float64 {
		return func(s uint64, _ float64) float64 { return c + 0.006*float64(s) }
	}
	cases := []struct {
		name   string
		change func(p *plant)
		want   map[string]claims.Outcome // check-name prefix -> outcome
		claim  claims.Outcome
	}{
		{"every check holds", func(p *plant) {},
			map[string]claims.Outcome{"0:": H, "6a:": H, "6b:": H, "6c:": H, "7a:": H, "7b:": H, "7c:": H, "4:": H, "8:": H, "9:": H,
				"1: dropout 0.5": H, "1: dropout 0.25": I, "2:": H, "3:": H, "5:": H, "10:": H}, H},
		{"no memorisation: regime inconclusive, never does not hold", func(p *plant) { p.mis["none, noise 0.5"] = 0.3 },
			map[string]claims.Outcome{"0:": I}, N}, // the cuts turn negative too
		{"memorisation near 50%: regime inconclusive", func(p *plant) {
			p.mis["none, noise 0.5"], p.mis["dropout 0.5"], p.mis["weight decay 5e-4"], p.mis["input noise 0.1"] = 0.48, 0.1, 0.3, 0.3
		}, map[string]claims.Outcome{"0:": I, "6a:": H}, I},
		{"dropout barely slows memorisation", func(p *plant) { p.mis["dropout 0.5"] = 0.85 },
			map[string]claims.Outcome{"6a:": N, "1: dropout 0.5": N}, N},
		{"dropout cut near 20 points", func(p *plant) { p.mis["dropout 0.5"] = 0.7 },
			map[string]claims.Outcome{"6a:": I}, I},
		{"weight decay speeds memorisation", func(p *plant) { p.mis["weight decay 5e-4"] = 1.0 },
			map[string]claims.Outcome{"6b:": N}, N},
		{"weight decay cut near 0", func(p *plant) { p.mis["weight decay 5e-4"] = 0.9 },
			map[string]claims.Outcome{"6b:": I}, I},
		{"input noise speeds memorisation", func(p *plant) { p.mis["input noise 0.1"] = 1.0 },
			map[string]claims.Outcome{"6c:": N}, N},
		{"input noise cut near 0", func(p *plant) { p.mis["input noise 0.1"] = 0.9 },
			map[string]claims.Outcome{"6c:": I}, I},
		{"dropout costs 5 points", func(p *plant) { p.val["dropout 0.5"] = func(uint64, float64) float64 { return 0.80 } },
			map[string]claims.Outcome{"7a:": N, "2:": N, "3:": N}, N},
		{"dropout fine at the fixed epoch, worse at the best epoch", func(p *plant) {
			p.val["none, noise 0.5"] = peaked
			p.val["dropout 0.5"] = func(uint64, float64) float64 { return 0.85 }
		}, map[string]claims.Outcome{"7a:": N, "2:": H, "3:": N}, N},
		{"dropout's validation cost near 1 point", func(p *plant) { p.val["dropout 0.5"] = spread(0.828) },
			map[string]claims.Outcome{"7a:": I}, I},
		{"weight decay costs 5 points", func(p *plant) { p.val["weight decay 5e-4"] = func(uint64, float64) float64 { return 0.80 } },
			map[string]claims.Outcome{"7b:": N}, N},
		{"weight decay's validation cost near 1 point", func(p *plant) { p.val["weight decay 5e-4"] = spread(0.828) },
			map[string]claims.Outcome{"7b:": I}, I},
		{"input noise costs 5 points", func(p *plant) { p.val["input noise 0.1"] = func(uint64, float64) float64 { return 0.80 } },
			map[string]claims.Outcome{"7c:": N}, N},
		{"input noise's validation cost near 1 point", func(p *plant) { p.val["input noise 0.1"] = spread(0.828) },
			map[string]claims.Outcome{"7c:": I}, I},
		{"noise learned before real data", func(p *plant) { p.first = true },
			map[string]claims.Outcome{"4:": N}, N},
		{"noise learned with real data", func(p *plant) { p.sameShape = true },
			map[string]claims.Outcome{"4:": I}, I},
		{"CSR falls with the noise fraction", func(p *plant) { p.csr[0.2], p.csr[0.8] = p.csr[0.8], p.csr[0.2] },
			map[string]claims.Outcome{"8:": N}, N},
		{"CSR unrelated to the noise fraction", func(p *plant) {
			p.csr[0.2], p.csr[0.5], p.csr[0.8] = []float64{0.76, 0.3, 0.3, 0.3, 0.30}, []float64{0.76, 0.3, 0.3, 0.3, 0.28}, []float64{0.76, 0.3, 0.3, 0.3, 0.305}
			p.csrLast = map[float64]float64{0.2: 0.004, 0.5: 0.012, 0.8: -0.002}
		}, map[string]claims.Outcome{"8:": I}, I},
		{"CSR keeps rising after the first epoch", func(p *plant) { p.csr[0.8] = []float64{0.76, 0.40, 0.45, 0.55, 0.70} },
			map[string]claims.Outcome{"9:": N, "8:": H}, N},
		{"CSR changes by about 10 points after the first epoch", func(p *plant) {
			p.csr[0.5] = []float64{0.76, 0.30, 0.31, 0.32, 0.36}
			p.csrLast[0.5] = 0.02
		}, map[string]claims.Outcome{"9:": I}, I},
		{"information checks do not decide", func(p *plant) {
			p.held[0.2], p.held[0.8] = p.held[0.8], p.held[0.2] // held-out CSR falls with noise
		}, map[string]claims.Outcome{"10:": N}, H},
		{"regularised rows missing: 6 and 7 inconclusive", func(p *plant) { p.drop = []string{"weight decay 5e-4"} },
			map[string]claims.Outcome{"6b:": I, "7b:": I, "6a:": H}, I},
		{"two noise levels only: 8 cannot be judged", func(p *plant) { p.drop = []string{"none, noise 0.8"} },
			map[string]claims.Outcome{"8:": I, "9:": H, "10:": I}, I},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := goodPlant()
			tc.change(&p)
			v := claimtest.Judge(t, Claim{}, p.record())
			for prefix, want := range tc.want {
				if got := claimtest.CheckOutcome(t, v, prefix); got != want {
					t.Errorf("check %s: %s, want %s", prefix, got, want)
				}
			}
			if v.Outcome != tc.claim {
				t.Errorf("claim %s, want %s; %s", v.Outcome, tc.claim, v.Summary)
			}
			for _, c := range v.Checks {
				if c.Name == ckRegime && c.Outcome == claims.DoesNotHold {
					t.Error("check 0 said does not hold")
				}
			}
			if t.Failed() {
				for _, c := range v.Checks {
					t.Logf("%s: %s = %s (%s)", c.Name, c.Outcome, c.Value, c.Detail)
				}
			}
		})
	}
	// The verdict carries the registered checks, in the registered order.
	v := claimtest.Judge(t, Claim{}, goodPlant().record())
	var got, want []string
	for _, c := range v.Checks {
		got = append(got, c.Name)
	}
	for _, c := range registrationV2.Checks {
		want = append(want, c.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("checks %q, registered %q", got, want)
	}
	if !strings.HasPrefix(v.Registration, "c4 v2 ") {
		t.Errorf("stamp %q", v.Registration)
	}
	// The report's notes say where each noise level's CSR peaks.
	rec := goodPlant().record()
	rec.Rows[0].Runs[0].CSR[3].Ratio = 0.6 // noise 0.5, epoch 5
	notes := strings.Join(notesOf(rec, summarise(rec)), "\n")
	if want := "none, noise 0.5: the training-row CSR (mean over seeds) is 30% at epoch 1, peaks at 40% at epoch 5 and is 32% at epoch 10."; !strings.Contains(notes, want) {
		t.Errorf("notes lack %q:\n%s", want, notes)
	}
}

// --- the pipeline -----------------------------------------------------------

// TestC4Deterministic runs a miniature C4 twice, with one worker on one
// core and with two workers on two cores, and requires bitwise identical
// measurements: the determinism contract (same spec, seed and ISA, any
// GOMAXPROCS) for the whole pipeline of the claim, dropout masks, input
// noise and LASS noise included.
func TestC4Deterministic(t *testing.T) {
	c := Claim{}
	spec := mini()
	run := func(procs, workers int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		ev, err := c.Run(context.Background(), &claims.Env{Workers: workers, Data: spec.Data}, spec)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Measurements
	}
	a, b := run(1, 1), run(2, 2)
	if !bytes.Equal(a, b) {
		t.Errorf("measurements differ between GOMAXPROCS 1 / 1 worker and 2 / 2 workers:\n%s\n%s", a, b)
	}
	var rec record
	if err := json.Unmarshal(a, &rec); err != nil {
		t.Fatal(err)
	}
	base := rec.Rows[0]
	for s := range base.Runs {
		for _, row := range rec.Rows[1:] {
			r := row.Runs[s]
			// The rows of a seed start from the same network: at the same
			// noise fraction, equal accuracies at epoch 0; the CSR at epoch
			// 0 (labels unused, same images) equal at every fraction.
			if row.NoiseFrac == base.NoiseFrac && r.Clean[0] != base.Runs[s].Clean[0] {
				t.Errorf("seed %d: %s does not start from the baseline's initialisation", s+1, row.Name)
			}
			if b0 := base.Runs[s].CSR[0]; row.CSRCurve && (r.CSR[0].Ratio != b0.Ratio || r.CSR[0].HeldOut != b0.HeldOut) {
				t.Errorf("seed %d: %s's CSR at initialisation %+v, baseline %+v", s+1, row.Name, r.CSR[0], base.Runs[s].CSR[0])
			}
			// Every regulariser changes the training.
			if row.NoiseFrac == base.NoiseFrac && slices.Equal(r.TrainLoss[1:], base.Runs[s].TrainLoss[1:]) {
				t.Errorf("seed %d: %s trains exactly as the baseline", s+1, row.Name)
			}
		}
	}
}

// mini is C4 shrunk to run in about a second per seed: a narrow MLP, a
// few hundred images, two epochs, every row and the CSR along training.
func mini() claims.Spec {
	spec := Claim{}.Spec(claims.Quick)
	cfg := spec.Config.(config)
	cfg.Model, cfg.TrainExamples, cfg.ValExamples, cfg.Epochs, cfg.FixedEpoch, cfg.Window = "mlp:784-32-32-10", 640, 200, 2, 2, 1
	cfg.CSR.Examples, cfg.CSR.HeldOut, cfg.CSR.Epochs = 40, 40, []int{0, 1, 2}
	spec.Config, spec.Seeds = cfg, 2
	return spec
}

// TestC4Split checks C4's units against the Splitter contract (claimtest.Split)
// on the miniature config with three seeds, and that unit names are made
// from the rows' settings.
func TestC4Split(t *testing.T) {
	c := Claim{}
	spec := mini()
	spec.Seeds = 3
	units := c.Units(spec)
	var names []string
	for _, u := range units {
		names = append(names, u.Name)
	}
	want := []string{"noise=0.5 dropout=0 seed=1", "noise=0.5 dropout=0.5 seed=1", "noise=0.5 weight_decay=0.0005 seed=1",
		"noise=0.5 input_noise=0.1 seed=1", "noise=0.2 dropout=0 seed=1", "noise=0.8 dropout=0 seed=1"}
	if len(units) != 18 || !slices.Equal(names[:6], want) || names[17] != "noise=0.8 dropout=0 seed=3" {
		t.Fatalf("units %q", names)
	}
	if n := unitName(regulariser{NoiseFrac: 0.5, Dropout: 0.5, WeightDecay: 5e-3}, 4); n != "noise=0.5 dropout=0.5 weight_decay=0.005 seed=4" {
		t.Errorf("unit name %q", n)
	}
	claimtest.Split(t, c, spec)
}
