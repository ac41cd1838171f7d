package train

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
)

func mixture(t *testing.T) (tr, val *data.Dataset) {
	t.Helper()
	d := data.GaussianMixture(1200, 16, 4, 3, 11)
	tr, val, err := d.Split(200, 5)
	if err != nil {
		t.Fatal(err)
	}
	return tr, val
}

func config(t *testing.T, spec string, lr float64) Config {
	t.Helper()
	tr, val := mixture(t)
	m, err := nn.New(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Model: m, Train: tr, Val: val, Epochs: 3,
		LR: optim.ConstantLR(lr), Batch: optim.ConstantBatch(32),
		Optimizer: &optim.SGD{Momentum: 0.9, WeightDecay: 1e-4}, Seed: 9,
	}
}

func TestRunLearnsAndRecords(t *testing.T) {
	c := config(t, "mlp:16-32-4", 0.05)
	steps := 0
	c.OnStep = func(s *StepInfo) error {
		steps++
		if s.Step != steps || s.BatchSize != 32 || s.LR != 0.05 {
			t.Fatalf("step info %+v at call %d", s, steps)
		}
		return nil
	}
	epochs := 0
	c.OnEpoch = func(e *EpochStats) error { epochs++; return nil }
	res, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	want := 3 * (1000 / 32) // the last partial batch of each epoch is dropped
	if res.Steps != want || steps != want || epochs != 3 || len(res.Epochs) != 3 {
		t.Fatalf("steps %d (hook %d), epochs %d (hook %d); want %d steps, 3 epochs", res.Steps, steps, len(res.Epochs), epochs, want)
	}
	last := res.Epochs[2]
	// Separation 3 on 4 classes is an easy problem: a trained MLP separates
	// it far better than chance (0.25). 0.8 leaves room for seeds.
	if last.ValAcc < 0.8 || res.Diverged {
		t.Fatalf("val acc %.3f after 3 epochs (diverged %v)", last.ValAcc, res.Diverged)
	}
	if !(last.TrainLoss < res.Epochs[0].TrainLoss) {
		t.Fatalf("train loss did not fall: %v -> %v", res.Epochs[0].TrainLoss, last.TrainLoss)
	}
}

func TestRunBitwiseDeterministicAcrossGOMAXPROCS(t *testing.T) {
	run := func(procs int) []float32 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		c := config(t, "mlp:16-64-64-4", 0.05)
		c.Model.Dropout = 0.25
		if _, err := Run(c); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), c.Model.Params()...)
	}
	a, b := run(1), run(2)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("param %d differs: %v (GOMAXPROCS=1) vs %v (GOMAXPROCS=2)", i, a[i], b[i])
		}
	}
	c := run(2)
	if math.Float32bits(c[0]) != math.Float32bits(b[0]) {
		t.Fatal("two runs with the same seed differ")
	}
}

func TestDivergenceIsRecordedNotAPanic(t *testing.T) {
	c := config(t, "mlp:16-32-4", 1e6)
	c.Optimizer = nil
	res, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diverged || res.DivergedStep < 1 || res.DivergedStep > res.Steps {
		t.Fatalf("lr 1e6: diverged=%v at step %d of %d", res.Diverged, res.DivergedStep, res.Steps)
	}
}

func TestHooksStopAndAbort(t *testing.T) {
	c := config(t, "mlp:16-8-4", 0.05)
	c.OnStep = func(s *StepInfo) error {
		if s.Step == 5 {
			return ErrStop
		}
		return nil
	}
	res, err := Run(c)
	if err != nil || !res.Stopped || res.Steps != 5 {
		t.Fatalf("ErrStop at step 5: res %+v err %v", res, err)
	}
	boom := errors.New("boom")
	c.OnStep = nil
	c.OnEpoch = func(*EpochStats) error { return boom }
	if _, err := Run(c); !errors.Is(err, boom) {
		t.Fatalf("hook error not returned: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"batch larger than the training set": func(c *Config) { c.Batch = optim.ConstantBatch(5000) },
		"epochs":                             func(c *Config) { c.Epochs = 0 },
		"inputs":                             func(c *Config) { m, _ := nn.New("mlp:8-4", 1); c.Model = m },
		"momentum":                           func(c *Config) { c.Optimizer = &optim.SGD{Momentum: 2} },
	} {
		c := config(t, "mlp:16-8-4", 0.05)
		mod(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
}
