package nn

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

func TestSpecErrors(t *testing.T) {
	cases := map[string]string{
		"":                       `model spec "": want "mlp:IN-H1-...-OUT"`,
		"rnn:1-2":                `model spec "rnn:1-2": unknown architecture "rnn"`,
		"mlp:784":                `model spec "mlp:784": an mlp needs at least an input and an output size`,
		"mlp:784-0-10":           `model spec "mlp:784-0-10": hidden width "0" is not a positive integer`,
		"mlp:784-a-10":           `hidden width "a" is not a positive integer`,
		"mlp:-5-10":              `input size "" is not a positive integer`,
		"mlp:784-10-":            `output size "" is not a positive integer`,
		"mlp:99999999-10":        `input size 99999999 exceeds the limit 16777216`,
		"mlp:16000000-16000000":  `parameters exceed the limit`,
		"resmlp:784-128-10":      `middle part "128" is not WIDTHxBLOCKS`,
		"resmlp:784-128x0-10":    `block count "0" is not a positive integer`,
		"resmlp:784-128x8":       `a resmlp is IN-WIDTHxBLOCKS-OUT`,
		"resmlp:784-x8-10":       `width "" is not a positive integer`,
		"resmlp:784-128x9999-10": `block count 9999 exceeds the limit 4096`,
	}
	for spec, want := range cases {
		m, err := New(spec, 1)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q) = %v, %v; want error containing %q", spec, m, err, want)
		}
	}
}

func TestArchitectures(t *testing.T) {
	cases := []struct {
		spec    string
		nparams int
		names   []string
	}{
		{"mlp:784-10", 7850, []string{"0.weight", "0.bias"}},
		{"mlp:784-128-128-10", 784*128 + 128 + 128*128 + 128 + 128*10 + 10,
			[]string{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}},
		{"mlp:784-512-512-10", 669706, nil},
		{"resmlp:6-4x2-3", 6*4 + 4 + 2*2*(4*4+4) + 4*3 + 3,
			[]string{"0.weight", "0.bias", "2.lin1.weight", "2.lin1.bias", "2.lin2.weight", "2.lin2.bias",
				"3.lin1.weight", "3.lin1.bias", "3.lin2.weight", "3.lin2.bias", "4.weight", "4.bias"}},
	}
	for _, c := range cases {
		m, err := New(c.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if m.NumParams() != c.nparams || len(m.Params()) != c.nparams {
			t.Errorf("%s: %d parameters, want %d", c.spec, m.NumParams(), c.nparams)
		}
		if m.Spec() != c.spec {
			t.Errorf("Spec() = %q", m.Spec())
		}
		// Blocks tile Params in order.
		off := 0
		var names []string
		for _, b := range m.Blocks() {
			if b.Offset != off {
				t.Errorf("%s: block %s at %d, want %d", c.spec, b.Name, b.Offset, off)
			}
			off += b.Size()
			names = append(names, b.Name)
		}
		if off != c.nparams {
			t.Errorf("%s: blocks cover %d of %d", c.spec, off, c.nparams)
		}
		if c.names != nil && !reflect.DeepEqual(names, c.names) {
			t.Errorf("%s: names %v, want %v", c.spec, names, c.names)
		}
	}
}

// TestInitialisation checks the He/Glorot scales and zero biases, and that
// the same seed gives the same weights and another seed others.
func TestInitialisation(t *testing.T) {
	m, _ := New("resmlp:400-300x4-200", 5)
	want := map[string]float64{
		"0.weight":      math.Sqrt(2.0 / 400),         // He: feeds a ReLU
		"2.lin1.weight": math.Sqrt(2.0 / 300),         // He
		"2.lin2.weight": math.Sqrt(1.0/300) / 2,       // Glorot / sqrt(4 blocks)
		"6.weight":      math.Sqrt(2.0 / (300 + 200)), // Glorot
	}
	for _, b := range m.Blocks() {
		x := m.Params()[b.Offset : b.Offset+b.Size()]
		var s, s2 float64
		for _, v := range x {
			s += float64(v)
			s2 += float64(v) * float64(v)
		}
		n := float64(len(x))
		if strings.HasSuffix(b.Name, ".bias") {
			if s2 != 0 {
				t.Errorf("%s not zero", b.Name)
			}
			continue
		}
		std := math.Sqrt(s2/n - (s/n)*(s/n))
		if w, ok := want[b.Name]; ok && math.Abs(std/w-1) > 0.02 {
			t.Errorf("%s: std %.5f, want %.5f", b.Name, std, w)
		}
	}
	a, _ := New("mlp:20-30-5", 9)
	b, _ := New("mlp:20-30-5", 9)
	c, _ := New("mlp:20-30-5", 10)
	if !reflect.DeepEqual(a.Params(), b.Params()) {
		t.Error("same seed, different weights")
	}
	if reflect.DeepEqual(a.Params(), c.Params()) {
		t.Error("different seeds, same weights")
	}
}

func TestCloneIsIndependent(t *testing.T) {
	m := newTestModel(t, "mlp:4-3-2", CrossEntropy, 1)
	m.Dropout = 0.5
	c := m.Clone()
	if !reflect.DeepEqual(c.Params(), m.Params()) || c.Dropout != 0.5 || c.Spec() != m.Spec() {
		t.Fatal("clone differs")
	}
	c.Params()[0]++
	if c.Params()[0] == m.Params()[0] {
		t.Fatal("clone shares parameters")
	}
	// The dropout stream position is copied: both draw the same next mask.
	b := testBatch(m, 6, 2)
	g1, g2 := make([]float32, m.NumParams()), make([]float32, m.NumParams())
	c = m.Clone()
	m.LossGrad(b, true, g1)
	c.LossGrad(b, true, g2)
	if !reflect.DeepEqual(g1, g2) {
		t.Error("clone draws a different dropout mask")
	}
}

func TestCheckFinite(t *testing.T) {
	m, _ := New("mlp:4-3-2", 1)
	if err := m.CheckFinite(); err != nil {
		t.Fatal(err)
	}
	m.Params()[m.Blocks()[2].Offset+5] = float32(math.Inf(-1))
	err := m.CheckFinite()
	if err == nil || err.Error() != "model mlp:4-3-2: parameter 2.weight[1 2] is -Inf" {
		t.Errorf("CheckFinite = %v", err)
	}
}

// TestDropoutMask checks the mask statistics: the dropped fraction is p
// and the inverted scaling keeps the mean at 1.
func TestDropoutMask(t *testing.T) {
	for _, p := range []float32{0.1, 0.25, 0.5, 0.9} {
		d := dropoutFor(p, rng.New(1, "dropout", 0))
		const n = 200000
		y := make([]float32, n)
		for i := range y {
			y[i] = 1
		}
		d.apply(y)
		zeros, sum := 0, 0.0
		for _, v := range y {
			if v == 0 {
				zeros++
			}
			sum += float64(v)
		}
		frac := float64(zeros) / n
		sigma := math.Sqrt(float64(p) * (1 - float64(p)) / n)
		if math.Abs(frac-float64(p)) > 5*sigma {
			t.Errorf("p=%v: dropped %.4f", p, frac)
		}
		// mean of kept*scale: relative error sigma/(1-p)
		if math.Abs(sum/n-1) > 5*sigma/(1-float64(p)) {
			t.Errorf("p=%v: mean after scaling %.4f, want 1", p, sum/n)
		}
	}
	if dropoutFor(0, nil) != nil {
		t.Error("p=0 should need no mask")
	}
}

// TestDropoutModes: evaluation mode ignores Dropout; training mode draws a
// new mask per call; SetDropoutSeed replays the sequence.
func TestDropoutModes(t *testing.T) {
	m := newTestModel(t, "mlp:6-16-16-3", CrossEntropy, 2)
	b := testBatch(m, 20, 3)
	g := func(train bool) ([]float32, float64) {
		g := make([]float32, m.NumParams())
		l, _ := m.LossGrad(b, train, g)
		return g, l
	}
	g0, l0 := g(false)
	m.Dropout = 0.5
	g1, l1 := g(false)
	if !reflect.DeepEqual(g0, g1) || l0 != l1 {
		t.Error("evaluation mode depends on Dropout")
	}
	if l, _ := m.Evaluate(b); math.Abs(l-l0) > 1e-6*l0 {
		t.Errorf("Evaluate %v, LossGrad(train=false) %v", l, l0)
	}
	m.SetDropoutSeed(42)
	ga, la := g(true)
	gb, lb := g(true)
	if la == lb || reflect.DeepEqual(ga, gb) {
		t.Error("two training calls drew the same mask")
	}
	if la == l0 {
		t.Error("training mode applied no dropout")
	}
	m.SetDropoutSeed(42)
	gc, lc := g(true)
	if lc != la || !reflect.DeepEqual(gc, ga) {
		t.Error("SetDropoutSeed did not replay the masks")
	}
	m.Dropout = 0
	gz, lz := g(true)
	if lz != l0 || !reflect.DeepEqual(gz, g0) {
		t.Error("p = 0 training differs from evaluation")
	}
}

// TestDeterminismAcrossGOMAXPROCS: bitwise identical gradients, losses and
// curvature products with 1 and 2 threads, on sizes the kernels split.
func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	run := func(spec string) [][]float32 {
		m := newTestModel(t, spec, CrossEntropy, 4)
		m.Dropout = 0.25
		b := testBatch(m, 300, 5)
		grad := make([]float32, m.NumParams())
		loss, _ := m.LossGrad(b, true, grad)
		vs := randVectors(2, m.NumParams(), 6)
		hv := make([]float32, len(vs))
		m.HVP(b, vs, 2, hv)
		gv := make([]float32, len(vs))
		m.GGNVP(b, vs, 2, gv)
		return [][]float32{grad, hv, gv, {float32(loss)}}
	}
	for _, spec := range []string{"mlp:100-256-256-10", "resmlp:64-128x2-10"} {
		runtime.GOMAXPROCS(1)
		one := run(spec)
		runtime.GOMAXPROCS(2)
		two := run(spec)
		for i, what := range []string{"gradient", "HVP", "GGNVP", "loss"} {
			if !reflect.DeepEqual(one[i], two[i]) {
				t.Errorf("%s: %s differs between GOMAXPROCS 1 and 2", spec, what)
			}
		}
	}
}

// TestNoSteadyStateAllocation: after the first call sizes the workspaces,
// gradients and curvature products allocate nothing.
func TestNoSteadyStateAllocation(t *testing.T) {
	m := newTestModel(t, "resmlp:20-16x2-4", CrossEntropy, 1)
	b := testBatch(m, 64, 2)
	grad := make([]float32, m.NumParams())
	vs := randVectors(3, m.NumParams(), 3)
	out := make([]float32, len(vs))
	withKernels("nn-test-naive", func() {
		testNoAllocation(t, m, b, grad, vs, out)
	})
}

func testNoAllocation(t *testing.T, m *Model, b data.Batch, grad, vs, out []float32) {
	c := m.NewHVP(b)
	for name, f := range map[string]func(){
		"LossGrad":   func() { m.LossGrad(b, true, grad) }, // Dropout 0: no mask stream
		"Evaluate":   func() { m.Evaluate(b) },
		"HVP":        func() { m.HVP(b, vs, 3, out) },
		"GGNVP":      func() { m.GGNVP(b, vs, 3, out) },
		"cached HVP": func() { c.Apply(vs, 3, out) },
	} {
		f()
		if n := testing.AllocsPerRun(5, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

func ExampleNew() {
	m, err := New("mlp:784-128-128-10", 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Spec(), m.InputDim(), m.OutputDim(), m.NumParams())
	for _, b := range m.Blocks() {
		fmt.Println(b.Name, b.Offset, b.Shape)
	}
	// Output:
	// mlp:784-128-128-10 784 10 118282
	// 0.weight 0 [128 784]
	// 0.bias 100352 [128]
	// 2.weight 100480 [128 128]
	// 2.bias 116864 [128]
	// 4.weight 116992 [10 128]
	// 4.bias 118272 [10]
}
