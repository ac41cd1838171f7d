package iterative

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"github.com/sgdclaims/sgdclaims/reports"
)

// TestClaim runs every quick setup against its golden.
func TestClaim(t *testing.T) {
	claimtest.Setups(t, "c9", func(t *testing.T, res *claims.Result) {
		var rec record
		if err := res.Evidence.GetMeasurements(&rec); err != nil {
			t.Fatal(err)
		}
		for _, r := range rec.Runs {
			if r.Diverged > 0 {
				continue
			}
			if len(r.Traces) != len(rec.TraceEpochs) || len(r.Drops) != rec.Blocks {
				t.Errorf("seed %d: %d traces for epochs %v, %d removals of %d blocks", r.Seed, len(r.Traces), rec.TraceEpochs, len(r.Drops), rec.Blocks)
			}
			for k, tr := range r.Traces {
				if tr.Epoch != rec.TraceEpochs[k] || len(tr.Blocks) != rec.Blocks {
					t.Errorf("seed %d: trace %d is of epoch %d with %d blocks", r.Seed, k, tr.Epoch, len(tr.Blocks))
				}
				for i, b := range tr.Blocks {
					// Cosines are cosines; the relative change is positive.
					if math.Abs(float64(b.Cos)) > 1 || math.Abs(float64(b.CosNext)) > 1 || !(b.RelNorm > 0) || b.CosNegative < 0 || b.CosNegative > 1 {
						t.Errorf("seed %d epoch %d block %d: %+v", r.Seed, tr.Epoch, i, b)
					}
				}
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	claimtest.Registered(t, Claim{})
	claimtest.RegisteredBefore(t, "c9")
}

func TestInfo(t *testing.T) { claimtest.Info(t, Claim{}) }

// tiny is a miniature spec: a small resmlp for two epochs on a few hundred
// images.
func tiny() claims.Spec {
	spec := Claim{}.Spec(claims.Quick)
	cfg := spec.Config.(config)
	cfg.Model, cfg.TrainExamples, cfg.ValExamples, cfg.TraceExamples = "resmlp:784-16x4-10", 320, 200, 100
	cfg.Batch, cfg.Epochs, cfg.TraceEpochs, cfg.Group = 32, 2, []int{0, 2}, 1
	spec.Config = cfg
	return spec
}

func TestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the miniature spec several times")
	}
	spec := tiny()
	claimtest.SkipAbsent(t, spec)
	claimtest.Split(t, Claim{}, spec)
}

// TestSmoke runs the miniature spec through the framework and checks the
// shape of what it records (not its values).
func TestSmoke(t *testing.T) {
	spec := tiny()
	claimtest.SkipAbsent(t, spec)
	res, err := claims.RunSpec(context.Background(), Claim{}, spec, &claims.Env{})
	if err != nil {
		t.Fatal(err)
	}
	claimtest.Evidence(t, Claim{}, res)
	var rec record
	if err := res.Evidence.GetMeasurements(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Blocks != 4 || rec.Width != 16 || len(rec.Runs) != 3 {
		t.Fatalf("record: %d blocks of width %d, %d runs", rec.Blocks, rec.Width, len(rec.Runs))
	}
	if len(res.Verdict.Checks) != len(registration.Checks) {
		t.Errorf("%d checks, %d registered", len(res.Verdict.Checks), len(registration.Checks))
	}
	for _, p := range res.Evidence.Plots {
		if len(p.Series) == 0 {
			t.Errorf("plot %s has no series", p.Name)
		}
	}
	// The report renders it (tables, plots drawn to files).
	out := t.TempDir()
	if err := reports.Write(out, &claims.Results{Scale: claims.Quick, Results: []claims.Result{*res}}, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "iterative inference") {
		t.Errorf("the report does not show the claim (%v)", err)
	}
}

func TestConfig(t *testing.T) {
	for _, sc := range []claims.Scale{claims.Quick, claims.Full} {
		for _, spec := range (Claim{}).Specs(sc) {
			cfg, err := configOf(spec)
			if err != nil {
				t.Errorf("%s %s: %v", sc, spec.SetupID, err)
				continue
			}
			bs, _ := blocksOf(cfg.Model)
			b := bs.n()
			if cfg.Group != max(1, b/4) {
				t.Errorf("%s %s: group %d of %d blocks", sc, spec.SetupID, cfg.Group, b)
			}
			if n := len(Claim{}.Units(spec)); n != spec.Seeds {
				t.Errorf("%s %s: %d units for %d seeds", sc, spec.SetupID, n, spec.Seeds)
			}
		}
	}
	bad := func(edit func(*config)) error {
		spec := tiny()
		cfg := spec.Config.(config)
		edit(&cfg)
		spec.Config = cfg
		_, err := configOf(spec)
		return err
	}
	for name, edit := range map[string]func(*config){
		"not a resmlp":          func(c *config) { c.Model = "mlp:784-16-10" },
		"not a ResNet":          func(c *config) { c.Model = "simplecnn:1x28x28-10" },
		"bad ResNet spec":       func(c *config) { c.Model = "resnet20:28x28-10" },
		"negative chunk":        func(c *config) { c.Chunk = -1 },
		"one block":             func(c *config) { c.Model = "resmlp:784-16x1-10" },
		"groups overlap":        func(c *config) { c.Group = 3 },
		"last trace not last":   func(c *config) { c.TraceEpochs = []int{0, 1} },
		"traces out of order":   func(c *config) { c.TraceEpochs = []int{2, 0, 2} },
		"more traced than held": func(c *config) { c.TraceExamples = 300 },
	} {
		if bad(edit) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// planted builds a record of B = 8 blocks and three seeds from the given
// per-block values (i = block, s = seed 1..3); diverged(s) leaves seed s
// without a final trace and removals.
type plant struct {
	acc      func(s int) float64
	cos      func(i, s int) float64
	rel      func(i, s int) float64
	drop     func(i, s int) float64
	cosInit  func(i, s int) float64
	diverged func(s int) bool
}

func planted(p plant) record {
	return plantedBlocks(p, record{Model: "resmlp:784-128x8-10", Blocks: 8, Width: 128, Group: 2})
}

// plantedCNN is planted for resnet20's seven identity blocks (q = 1).
func plantedCNN(p plant) record {
	bs, err := blocksOf("resnet20:1x28x28-10")
	if err != nil {
		panic(err)
	}
	return plantedBlocks(p, record{Model: "resnet20:1x28x28-10", Blocks: bs.n(), Group: 1, BlockNames: bs.names, Excluded: bs.excluded})
}

func plantedBlocks(p plant, rec record) record {
	B := rec.Blocks
	rec.Epochs, rec.TraceEpochs, rec.ValExamples, rec.TraceExamples = 12, []int{0, 12}, 2000, 2000
	if p.cosInit == nil {
		p.cosInit = func(i, s int) float64 { return 0.002 * math.Sin(float64(3*i+s)) }
	}
	nan := jsonfloat.Float(math.NaN())
	for s := 1; s <= 3; s++ {
		r := runRecord{Seed: uint64(s), Acc: jsonfloat.Float(p.acc(s)), Loss: jsonfloat.Float(0.2)}
		trace := func(epoch int, cos, rel func(i, s int) float64) traceRecord {
			tr := traceRecord{Epoch: epoch, Acc: r.Acc, Loss: r.Loss}
			for i := range B {
				c := cos(i, s)
				tr.Blocks = append(tr.Blocks, blockRecord{Cos: jsonfloat.Float(c), CosMedian: jsonfloat.Float(c), CosNegative: jsonfloat.Float(0.5 - c),
					CosNext: jsonfloat.Float(c / 2), RelNorm: jsonfloat.Float(rel(i, s)), RelMedian: jsonfloat.Float(rel(i, s)),
					FNorm: jsonfloat.Float(rel(i, s) * float64(5+i)), HNorm: jsonfloat.Float(float64(5 + i))})
			}
			return tr
		}
		r.Traces = append(r.Traces, trace(0, p.cosInit, func(i, s int) float64 { return 0.3 / math.Sqrt(float64(1+i)) }))
		if p.diverged != nil && p.diverged(s) {
			r.Diverged, r.Acc, r.Loss = 700, nan, nan
		} else {
			r.Traces = append(r.Traces, trace(12, p.cos, p.rel))
			for i := range B {
				r.Drops = append(r.Drops, dropRecord{Acc: jsonfloat.Float(p.acc(s) - p.drop(i, s)), Loss: jsonfloat.Float(0.2 + 10*p.drop(i, s))})
			}
		}
		rec.Runs = append(rec.Runs, r)
	}
	return rec
}

// wobble is a small, fixed, block- and seed-dependent perturbation.
func wobble(i, s int) float64 { return math.Sin(float64(7*s) + 1.3*float64(i)) }

// iterative is a planted network that behaves as the claim says.
func iterative() plant {
	return plant{
		acc:  func(s int) float64 { return 0.95 + 0.002*float64(s) },
		cos:  func(i, s int) float64 { return -0.1 - 0.01*float64(i) + 0.005*wobble(i, s) },
		rel:  func(i, s int) float64 { return 0.6/float64(1+i) + 0.005*wobble(i, s) },
		drop: func(i, s int) float64 { return 0.08/float64(1+i*i) + 0.001*wobble(i, s) },
	}
}

func TestPlantedOutcomes(t *testing.T) {
	c := Claim{}
	outcomes := func(v *claims.Verdict) map[string]claims.Outcome {
		m := map[string]claims.Outcome{}
		for _, ck := range v.Checks {
			m[ck.Name[:2]] = ck.Outcome
		}
		return m
	}

	// As the claim says: holds, every judged check holds.
	v := claimtest.Judge(t, c, planted(iterative()))
	if v.Outcome != claims.Holds {
		t.Errorf("iterative network: %s (%s)", v.Outcome, v.Summary)
	}
	for _, p := range []string{"0:", "1:", "2:", "3:"} {
		if o := claimtest.CheckOutcome(t, v, p); o != claims.Holds {
			t.Errorf("iterative network: check %s %s", p, o)
		}
	}
	// Information checks do not decide: a random-looking initialisation
	// (i2 inconclusive) left the verdict at holds above.
	if o := claimtest.CheckOutcome(t, v, "i2:"); o == claims.Holds {
		t.Errorf("planted initialisation cosines near 0: i2 %s", o)
	}

	// One block moves with the gradient: check 1 does not hold.
	p := iterative()
	p.cos = func(i, s int) float64 {
		if i == 5 {
			return 0.08 + 0.005*wobble(i, s)
		}
		return -0.1 + 0.005*wobble(i, s)
	}
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.DoesNotHold || o["1:"] != claims.DoesNotHold || o["2:"] != claims.Holds || o["3:"] != claims.Holds {
		t.Errorf("block 5 along the gradient: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// Relative changes grow with depth: check 2 does not hold.
	p = iterative()
	p.rel = func(i, s int) float64 { return 0.05*float64(1+i) + 0.002*wobble(i, s) }
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.DoesNotHold || o["2:"] != claims.DoesNotHold || o["1:"] != claims.Holds {
		t.Errorf("growing relative changes: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// Late blocks matter more than early ones: check 3 does not hold.
	p = iterative()
	p.drop = func(i, s int) float64 { return 0.01*float64(i) + 0.001*wobble(i, s) }
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.DoesNotHold || o["3:"] != claims.DoesNotHold {
		t.Errorf("late blocks matter more: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// One block's cosine is noise around 0 across seeds: check 1 is
	// inconclusive, and so is the claim.
	p = iterative()
	p.cos = func(i, s int) float64 {
		if i == 2 {
			return 0.05 * float64(s-2)
		}
		return -0.1 + 0.005*wobble(i, s)
	}
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.Inconclusive || o["1:"] != claims.Inconclusive {
		t.Errorf("block 2 at noise: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// Removals cost nothing anywhere: check 3 is inconclusive.
	p = iterative()
	p.drop = func(i, s int) float64 {
		if i < 2 {
			return 0.0005 * float64(s-2) // early minus late: -0.05, 0, +0.05 points
		}
		return 0
	}
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.Inconclusive || o["3:"] != claims.Inconclusive {
		t.Errorf("free removals: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// The network has not learned: check 0 inconclusive (never does not
	// hold), checks 1-3 not judged, even with a contradicting check 1.
	p = iterative()
	p.acc = func(s int) float64 { return 0.3 + 0.01*float64(s) }
	p.cos = func(i, s int) float64 { return 0.1 }
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.Inconclusive || o["0:"] != claims.Inconclusive || o["1:"] != claims.Inconclusive ||
		o["2:"] != claims.Inconclusive || o["3:"] != claims.Inconclusive {
		t.Errorf("untrained network: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// A seed diverged: nothing can be decided from a missing run.
	p = iterative()
	p.diverged = func(s int) bool { return s == 2 }
	v = claimtest.Judge(t, c, planted(p))
	if o := outcomes(v); v.Outcome != claims.Inconclusive || o["0:"] != claims.Inconclusive || o["1:"] != claims.Inconclusive {
		t.Errorf("diverged seed: %s %v (%s)", v.Outcome, o, v.Summary)
	}

	// A record with no early/late groups is refused.
	bad := planted(iterative())
	bad.Group = 5
	ev := &claims.Evidence{Info: c.Info()}
	if err := ev.SetMeasurements(bad); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verdict(ev); err == nil {
		t.Error("groups of 5 of 8 blocks accepted")
	}
}

// TestPlantedReport renders the planted record's evidence: every plot is
// drawable and the tables have a row per block.
func TestPlantedReport(t *testing.T) {
	rec := planted(iterative())
	sum := summarise(rec)
	for _, p := range plotsOf(rec, sum) {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	tabs := tablesOf(rec, sum)
	if len(tabs[0].Rows) != rec.Blocks || len(tabs[2].Rows) != len(rec.TraceEpochs) {
		t.Errorf("tables: %d block rows, %d epoch rows", len(tabs[0].Rows), len(tabs[2].Rows))
	}
	f := figuresOf(sum)
	if f["block0/drop_acc"] <= f["block7/drop_acc"] || !(f["rho_rel"] < -0.9) {
		t.Errorf("figures: drop %v vs %v, rho %v", f["block0/drop_acc"], f["block7/drop_acc"], f["rho_rel"])
	}
}

// tinyCNN is a miniature resnet20 spec: a few dozen images, one epoch.
func tinyCNN(t *testing.T) claims.Spec {
	for _, spec := range (Claim{}).Specs(claims.Quick) {
		if spec.SetupID == "resnet20-fashion-mnist" {
			cfg := spec.Config.(config)
			cfg.TrainExamples, cfg.ValExamples, cfg.TraceExamples = 64, 40, 20
			cfg.Epochs, cfg.TraceEpochs = 1, []int{0, 1}
			spec.Config = cfg
			return spec
		}
	}
	t.Fatal("no resnet20-fashion-mnist setup")
	return claims.Spec{}
}

// TestSmokeCNN runs the miniature resnet20 spec through the framework:
// the seven identity blocks are traced and removed, the two downsampling
// blocks named and left out.
func TestSmokeCNN(t *testing.T) {
	spec := tinyCNN(t)
	claimtest.SkipAbsent(t, spec)
	res, err := claims.RunSpec(context.Background(), Claim{}, spec, &claims.Env{})
	if err != nil {
		t.Fatal(err)
	}
	claimtest.Evidence(t, Claim{}, res)
	var rec record
	if err := res.Evidence.GetMeasurements(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Blocks != 7 || rec.Width != 0 || len(rec.Runs) != 3 || strings.Join(rec.BlockNames, " ") != "layer1.0 layer1.1 layer1.2 layer2.1 layer2.2 layer3.1 layer3.2" ||
		strings.Join(rec.Excluded, " ") != "layer2.0 layer3.0" {
		t.Fatalf("record: %d blocks %v (excluded %v), width %d, %d runs", rec.Blocks, rec.BlockNames, rec.Excluded, rec.Width, len(rec.Runs))
	}
	for _, r := range rec.Runs {
		if len(r.Traces) != 2 || len(r.Drops) != 7 || len(r.Traces[1].Blocks) != 7 {
			t.Fatalf("seed %d: %d traces, %d removals", r.Seed, len(r.Traces), len(r.Drops))
		}
		for i, b := range r.Traces[1].Blocks {
			if math.IsNaN(float64(b.Cos)) || !(b.RelNorm > 0) || !(b.HNorm > 0) {
				t.Errorf("seed %d block %d: %+v", r.Seed, i, b)
			}
		}
	}
	if len(res.Verdict.Checks) != len(registration.Checks) {
		t.Errorf("%d checks, %d registered", len(res.Verdict.Checks), len(registration.Checks))
	}
	found := false
	for _, n := range res.Evidence.Notes {
		found = found || strings.Contains(n, "layer2.0, layer3.0")
	}
	if !found {
		t.Errorf("no note names the excluded downsampling blocks: %q", res.Evidence.Notes)
	}
}

// The checks on resnet20's seven identity blocks (q = 1): as the claim
// says, holds; relative changes growing with depth, does not hold; a late
// block that matters most, does not hold by check 3.
func TestPlantedOutcomesCNN(t *testing.T) {
	c := Claim{}
	if v := claimtest.Judge(t, c, plantedCNN(iterative())); v.Outcome != claims.Holds {
		t.Errorf("iterative ResNet: %s (%s)", v.Outcome, v.Summary)
	}
	p := iterative()
	p.rel = func(i, s int) float64 { return 0.05*float64(1+i) + 0.002*wobble(i, s) }
	v := claimtest.Judge(t, c, plantedCNN(p))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "2:") != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "1:") != claims.Holds {
		t.Errorf("growing relative changes: %s (%s)", v.Outcome, v.Summary)
	}
	p = iterative()
	p.drop = func(i, s int) float64 { return 0.01*float64(i) + 0.001*wobble(i, s) }
	v = claimtest.Judge(t, c, plantedCNN(p))
	if v.Outcome != claims.DoesNotHold || claimtest.CheckOutcome(t, v, "3:") != claims.DoesNotHold {
		t.Errorf("late blocks matter more: %s (%s)", v.Outcome, v.Summary)
	}
	rec := plantedCNN(iterative())
	tabs := tablesOf(rec, summarise(rec))
	if len(tabs[0].Rows) != 7 || tabs[0].Rows[3][0] != "3 (layer2.1)" {
		t.Errorf("block rows %d, row 3 labelled %q", len(tabs[0].Rows), tabs[0].Rows[3][0])
	}
}
