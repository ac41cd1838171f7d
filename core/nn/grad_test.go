package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// TestGradientMatchesFiniteDifferences checks LossGrad against central
// differences of the float64 reference loss, for every layer kind: Dense,
// ReLU, Dropout with the call's mask, the residual block, softmax
// cross-entropy and squared error, in one chunk and in several.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	cases := []gradCase{
		{"softmax regression", "mlp:5-3", CrossEntropy, 0, 0},
		{"dense relu CE", "mlp:5-4-3", CrossEntropy, 0, 0},
		{"two hidden, dropout", "mlp:5-6-4-3", CrossEntropy, 0.5, 0},
		{"residual CE", "resmlp:4-5x2-3", CrossEntropy, 0, 0},
		{"residual dropout", "resmlp:4-5x2-3", CrossEntropy, 0.25, 0},
		{"linear regression", "mlp:4-1", SquaredError, 0, 0},
		{"dense relu MSE", "mlp:4-5-2", SquaredError, 0, 0},
		{"residual MSE", "resmlp:3-4x1-2", SquaredError, 0, 0},
		{"chunked", "resmlp:4-5x2-3", CrossEntropy, 0, 3},
	}
	// Every kernel implementation this CPU runs: the layers must be right
	// on each of them, not only on the default.
	for _, impl := range kernels.All() {
		for ci, tc := range cases {
			t.Run(impl.Name()+"/"+tc.name, func(t *testing.T) {
				withKernels(impl.Name(), func() { tc.run(t, uint64(ci)) })
			})
		}
	}
}

type gradCase struct {
	name    string
	spec    string
	loss    LossKind
	dropout float32
	chunk   int
}

func (tc gradCase) run(t *testing.T, seed uint64) {
	m := newTestModel(t, tc.spec, tc.loss, 10+seed)
	m.Dropout = tc.dropout
	m.Chunk = tc.chunk
	b := testBatch(m, 7, seed)
	train := tc.dropout > 0
	var masks refMasks
	if train {
		masks = dropoutMasks(t, m, b.N)
	}
	grad := make([]float32, m.NumParams())
	loss, _ := m.LossGrad(b, train, grad)

	r := newRef(m)
	theta := f64(m.Params())
	if want := r.loss(theta, b, masks); math.Abs(loss-want) > 1e-5*math.Max(1, want) {
		t.Fatalf("loss %v, float64 reference %v", loss, want)
	}
	const h = 1e-5
	fd := make([]float64, len(theta))
	for i := range theta {
		t0 := theta[i]
		theta[i] = t0 + h
		lp := r.loss(theta, b, masks)
		theta[i] = t0 - h
		lm := r.loss(theta, b, masks)
		theta[i] = t0
		fd[i] = (lp - lm) / (2 * h)
	}
	if i, ok := closeTo(grad, fd, 1e-5, 1e-4); !ok {
		t.Fatalf("d loss/d %s: LossGrad %v, finite difference %v", paramName(m, i), grad[i], fd[i])
	}
}

// paramName names flat parameter i for failure messages.
func paramName(m *Model, i int) string {
	for _, b := range m.Blocks() {
		if i >= b.Offset && i < b.Offset+b.Size() {
			return b.Name + formatIndex(b.Shape, i-b.Offset)
		}
	}
	return "?"
}

// TestLossGradReportsAccuracy checks the loss and hit count against the
// reference, and that Evaluate and PerExampleLoss agree with LossGrad in
// evaluation mode.
func TestLossGradReportsAccuracy(t *testing.T) {
	m := newTestModel(t, "mlp:6-8-4", CrossEntropy, 3)
	m.Chunk = 16 // several chunks for Evaluate
	b := testBatch(m, 50, 4)
	r := newRef(m)
	theta := f64(m.Params())
	wantHits := 0
	per := make([]float64, b.N)
	for i := 0; i < b.N; i++ {
		f := r.outputs(theta, r.input(b.X, i), nil)
		best := 0
		for c := range f {
			if f[c] > f[best] {
				best = c
			}
		}
		if best == int(b.Y[i]) {
			wantHits++
		}
		per[i] = r.exampleLoss(f, b, i)
	}
	grad := make([]float32, m.NumParams())
	loss, hits := m.LossGrad(b, false, grad)
	eloss, ehits := m.Evaluate(b)
	if hits != wantHits || ehits != wantHits {
		t.Errorf("hits: LossGrad %d, Evaluate %d, reference %d", hits, ehits, wantHits)
	}
	if math.Abs(loss-eloss) > 1e-6*loss {
		t.Errorf("LossGrad loss %v, Evaluate %v", loss, eloss)
	}
	got := make([]float64, b.N)
	m.PerExampleLoss(b, got)
	for i := range got {
		if math.Abs(got[i]-per[i]) > 1e-5*math.Max(1, per[i]) {
			t.Fatalf("example %d: loss %v, reference %v", i, got[i], per[i])
		}
	}
	if hits == 0 || hits == b.N {
		t.Fatalf("degenerate test data: %d of %d hits", hits, b.N)
	}
}

// TestInputGradients checks InputGrad (per-example loss, not divided by N)
// and ScoreInputGrad (one logit) against central differences in the input.
func TestInputGradients(t *testing.T) {
	for _, spec := range []string{"mlp:5-6-4-3", "resmlp:5-4x2-3"} {
		m := newTestModel(t, spec, CrossEntropy, 7)
		m.Chunk = 4
		b := testBatch(m, 9, 8)
		r := newRef(m)
		theta := f64(m.Params())
		d := m.InputDim()
		got := make([]float32, b.N*d)
		m.InputGrad(b, got)
		class := make([]int32, b.N)
		for i := range class {
			class[i] = int32((i * 2) % m.OutputDim())
		}
		score := make([]float32, b.N*d)
		m.ScoreInputGrad(b.X, b.N, class, score)

		const h = 1e-5
		wantLoss := make([]float64, b.N*d)
		wantScore := make([]float64, b.N*d)
		for i := 0; i < b.N; i++ {
			x := r.input(b.X, i)
			for j := range x {
				x0 := x[j]
				x[j] = x0 + h
				fp := r.outputs(theta, x, nil)
				x[j] = x0 - h
				fm := r.outputs(theta, x, nil)
				x[j] = x0
				wantLoss[i*d+j] = (r.exampleLoss(fp, b, i) - r.exampleLoss(fm, b, i)) / (2 * h)
				wantScore[i*d+j] = (fp[class[i]] - fm[class[i]]) / (2 * h)
			}
		}
		if i, ok := closeTo(got, wantLoss, 1e-5, 1e-4); !ok {
			t.Errorf("%s: InputGrad[%d] = %v, finite difference %v", spec, i, got[i], wantLoss[i])
		}
		if i, ok := closeTo(score, wantScore, 1e-5, 1e-4); !ok {
			t.Errorf("%s: ScoreInputGrad[%d] = %v, finite difference %v", spec, i, score[i], wantScore[i])
		}
	}
}

// TestForwardMatchesReference checks the outputs of both architectures.
func TestForwardMatchesReference(t *testing.T) {
	for _, spec := range []string{"mlp:7-5-5-3", "resmlp:7-6x3-2"} {
		m := newTestModel(t, spec, CrossEntropy, 21)
		b := testBatch(m, 5, 22)
		out := make([]float32, b.N*m.OutputDim())
		m.Forward(b, out)
		r := newRef(m)
		var want []float64
		for i := 0; i < b.N; i++ {
			want = append(want, r.outputs(f64(m.Params()), r.input(b.X, i), nil)...)
		}
		if i, ok := closeTo(out, want, 1e-6, 1e-5); !ok {
			t.Errorf("%s: output %d = %v, reference %v", spec, i, out[i], want[i])
		}
	}
}

// TestEmptyBatch: zero examples give zero loss and a zeroed gradient.
func TestEmptyBatch(t *testing.T) {
	m := newTestModel(t, "mlp:3-2", CrossEntropy, 1)
	grad := make([]float32, m.NumParams())
	for i := range grad {
		grad[i] = 7
	}
	loss, hits := m.LossGrad(data.Batch{}, false, grad)
	if loss != 0 || hits != 0 {
		t.Errorf("empty batch: loss %v, hits %d", loss, hits)
	}
	for _, g := range grad {
		if g != 0 {
			t.Fatalf("empty batch left gradient %v", grad)
		}
	}
}

// TestCheckBatch: mismatched batches are named errors, and the methods
// panic with the same message.
func TestCheckBatch(t *testing.T) {
	m, _ := New("mlp:4-3", 1)
	cases := []struct {
		b    data.Batch
		want string
	}{
		{data.Batch{N: 2, X: make([]float32, 7), Y: []int32{0, 1}}, "batch X has 7 values, want N*4 = 8"},
		{data.Batch{N: 2, X: make([]float32, 8), Y: []int32{0}}, "cross-entropy needs 2 class labels, batch has 1"},
		{data.Batch{N: 2, X: make([]float32, 8), Y: []int32{0, 3}}, "example 1 has label 3, model has 3 classes"},
		{data.Batch{N: 2, X: make([]float32, 8), Y: []int32{-1, 0}}, "example 0 has label -1"},
	}
	for _, c := range cases {
		err := m.CheckBatch(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckBatch: %v, want %q", err, c.want)
		}
	}
	m.Loss = SquaredError
	err := m.CheckBatch(data.Batch{N: 2, X: make([]float32, 8), T: make([]float32, 5)})
	if err == nil || !strings.Contains(err.Error(), "squared error needs 3 targets per example (6 in all), batch has 5") {
		t.Errorf("CheckBatch: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "nn.LossGrad: model mlp:4-3: batch X has 7 values") {
			t.Errorf("LossGrad panic: %v", r)
		}
	}()
	m.LossGrad(cases[0].b, false, make([]float32, m.NumParams()))
}
