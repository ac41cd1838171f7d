package train

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// imageConfig is config's run on the mixture's 16 features read as 1x4x4
// images, so that augmentation applies.
func imageConfig(t *testing.T) Config {
	c := config(t, "mlp:16-32-4", 0.05)
	for _, d := range []*data.Dataset{c.Train, c.Val} {
		d.Shape = data.Shape{C: 1, H: 4, W: 4}
	}
	return c
}

func params(c Config) []float32 { return slices.Clone(c.Model.Params()) }

func sameBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// With augmentation and normalisation on, a run is still a function of its
// seed alone, for any GOMAXPROCS; and the transforms do change training.
func TestTransformsDeterministicAcrossGOMAXPROCS(t *testing.T) {
	run := func(procs int, aug data.Augment, seed uint64) []float32 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		c := imageConfig(t)
		c.Seed = seed
		c.Augment = aug
		c.Normalize = data.ChannelStats(c.Train)
		if _, err := Run(c); err != nil {
			t.Fatal(err)
		}
		return params(c)
	}
	aug := data.Augment{Pad: 1, Flip: true}
	a, b, d := run(1, aug, 9), run(2, aug, 9), run(4, aug, 9)
	if !sameBits(a, b) || !sameBits(a, d) {
		t.Fatal("augmented run differs across GOMAXPROCS 1, 2, 4")
	}
	if sameBits(a, run(2, data.Augment{}, 9)) {
		t.Fatal("augmentation changed nothing")
	}
	if sameBits(a, run(2, aug, 10)) {
		t.Fatal("another seed gave the same augmented run")
	}
}

// The identity normalisation (mean 0, std 1) trains bit for bit as no
// normalisation does: the hook costs the default path nothing but a branch.
func TestIdentityNormalizationIsNoOp(t *testing.T) {
	plain := config(t, "mlp:16-32-4", 0.05)
	if _, err := Run(plain); err != nil {
		t.Fatal(err)
	}
	id := config(t, "mlp:16-32-4", 0.05)
	id.Normalize = &data.Normalization{Mean: []float32{0}, Std: []float32{1}}
	if _, err := Run(id); err != nil {
		t.Fatal(err)
	}
	if !sameBits(params(plain), params(id)) {
		t.Fatal("identity normalisation changed the run")
	}
}

// Evaluation sees normalised (never augmented) inputs.
func TestNormalizedEvaluation(t *testing.T) {
	c := imageConfig(t)
	c.Augment = data.Augment{Pad: 1}
	c.Normalize = &data.Normalization{Mean: []float32{0.3}, Std: []float32{2}}
	c.EvalTrain = true
	val, tr := slices.Clone(c.Val.X), slices.Clone(c.Train.X)
	res, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(val, c.Val.X) || !slices.Equal(tr, c.Train.X) {
		t.Fatal("the run modified its datasets")
	}
	last := res.Epochs[len(res.Epochs)-1]
	vl, vacc := evaluate(c.Model, c.Val.Normalized(c.Normalize))
	tl, tacc := evaluate(c.Model, c.Train.Normalized(c.Normalize))
	if last.ValLoss != vl || last.ValAcc != vacc || last.TrainLoss != tl || last.TrainAcc != tacc {
		t.Fatalf("epoch figures %+v, want val %v/%v train %v/%v on normalised inputs", last, vl, vacc, tl, tacc)
	}
	if raw, _ := evaluate(c.Model, c.Val); raw == vl {
		t.Fatal("normalisation made no difference to evaluation")
	}
}

func TestValidateTransforms(t *testing.T) {
	c := config(t, "mlp:16-32-4", 0.05)
	c.Augment = data.Augment{Flip: true}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "image") {
		t.Fatalf("augmenting feature vectors: %v", err)
	}
	c = imageConfig(t)
	c.Normalize = &data.Normalization{Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "channel") {
		t.Fatalf("three channels for one: %v", err)
	}
}
