package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// This file is the ground truth the tests compare against: a float64
// implementation of the networks written straight from their definition
// (the package documentation), one example at a time, sharing nothing with
// the package's step program but the parameter layout that Blocks
// describes. Finite differences of it give gradients, Hessians and
// Jacobians that do not depend on the code under test.

// refModel evaluates a model's function at float64 parameters theta.
type refModel struct {
	m      *Model
	resmlp bool
	layers [][2]ParamBlock // (weight, bias) per Linear, state_dict order
}

func newRef(m *Model) *refModel {
	r := &refModel{m: m, resmlp: strings.HasPrefix(m.Spec(), "resmlp:")}
	bl := m.Blocks()
	for i := 0; i < len(bl); i += 2 {
		r.layers = append(r.layers, [2]ParamBlock{bl[i], bl[i+1]})
	}
	return r
}

// linear returns W h + b for layer l.
func (r *refModel) linear(theta []float64, l int, h []float64) []float64 {
	w, b := r.layers[l][0], r.layers[l][1]
	out, in := w.Shape[0], w.Shape[1]
	z := make([]float64, out)
	for o := range z {
		s := theta[b.Offset+o]
		for i := 0; i < in; i++ {
			s += theta[w.Offset+o*in+i] * h[i]
		}
		z[o] = s
	}
	return z
}

// reluMask applies relu and then the dropout multipliers mask (nil: none).
func reluMask(z, mask []float64) []float64 {
	for i := range z {
		z[i] = math.Max(z[i], 0)
		if mask != nil {
			z[i] *= mask[i]
		}
	}
	return z
}

// outputs returns f(x) for one example; masks[r] holds the multipliers of
// the r-th hidden ReLU (in forward order) for this example, or masks is nil.
func (r *refModel) outputs(theta, x []float64, masks [][]float64) []float64 {
	mask := func(i int) []float64 {
		if masks == nil {
			return nil
		}
		return masks[i]
	}
	L := len(r.layers)
	if !r.resmlp {
		h := x
		for l := 0; l < L; l++ {
			h = r.linear(theta, l, h)
			if l < L-1 {
				h = reluMask(h, mask(l))
			}
		}
		return h
	}
	h := reluMask(r.linear(theta, 0, x), mask(0))
	for b := 0; b < (L-2)/2; b++ {
		u := reluMask(r.linear(theta, 1+2*b, h), mask(1+b))
		v := r.linear(theta, 2+2*b, u)
		for i := range h {
			h[i] += v[i]
		}
	}
	return r.linear(theta, L-1, h)
}

// exampleLoss is the loss of example i given its outputs.
func (r *refModel) exampleLoss(f []float64, b data.Batch, i int) float64 {
	if r.m.Loss == SquaredError {
		var s float64
		for c, v := range f {
			d := v - float64(b.T[i*len(f)+c])
			s += d * d
		}
		return 0.5 * s
	}
	mx := math.Inf(-1)
	for _, v := range f {
		mx = math.Max(mx, v)
	}
	var z float64
	for _, v := range f {
		z += math.Exp(v - mx)
	}
	return mx + math.Log(z) - f[b.Y[i]]
}

// refMasks gives, per example, the multipliers for every hidden ReLU.
type refMasks [][][]float64 // [example][relu layer][unit]

// loss is the mean loss over the batch at theta.
func (r *refModel) loss(theta []float64, b data.Batch, masks refMasks) float64 {
	var s float64
	for i := 0; i < b.N; i++ {
		var mk [][]float64
		if masks != nil {
			mk = masks[i]
		}
		s += r.exampleLoss(r.outputs(theta, r.input(b.X, i), mk), b, i)
	}
	return s / float64(b.N)
}

func (r *refModel) input(x []float32, i int) []float64 {
	d := r.m.InputDim()
	return f64(x[i*d : (i+1)*d])
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// dropoutMasks reproduces the masks the next training-mode LossGrad call
// will draw (for a batch that fits in one chunk), from the package's
// dropout stream: relu steps in forward order, each n x width row-major.
func dropoutMasks(t *testing.T, m *Model, n int) refMasks {
	t.Helper()
	if n > m.chunk() {
		t.Fatalf("dropoutMasks needs one chunk")
	}
	d := dropoutFor(m.Dropout, rng.New(m.dropoutSeed, "dropout", m.dropoutStep))
	masks := make(refMasks, n)
	for i := range masks {
		masks[i] = [][]float64{}
	}
	for s, st := range m.a.steps {
		if !st.relu {
			continue
		}
		w := m.a.widths[s+1]
		ones := make([]float32, n*w)
		for i := range ones {
			ones[i] = 1
		}
		if d != nil {
			d.apply(ones)
		}
		for i := 0; i < n; i++ {
			masks[i] = append(masks[i], f64(ones[i*w:(i+1)*w]))
		}
	}
	return masks
}

// testBatch returns n examples for m: standard normal inputs, uniform
// labels or normal targets.
func testBatch(m *Model, n int, seed uint64) data.Batch {
	s := rng.New(seed, "test-batch", 0)
	b := data.Batch{N: n, X: make([]float32, n*m.InputDim())}
	for i := range b.X {
		b.X[i] = float32(s.Normal())
	}
	if m.Loss == SquaredError {
		b.T = make([]float32, n*m.OutputDim())
		for i := range b.T {
			b.T[i] = float32(s.Normal())
		}
	} else {
		b.Y = make([]int32, n)
		for i := range b.Y {
			b.Y[i] = int32(s.IntN(m.OutputDim()))
		}
	}
	return b
}

// newTestModel builds a model and jitters every parameter (biases
// included, which New sets to zero) so that no term of a gradient vanishes
// by accident.
func newTestModel(t *testing.T, spec string, loss LossKind, seed uint64) *Model {
	t.Helper()
	m, err := New(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	m.Loss = loss
	s := rng.New(seed, "test-jitter", 0)
	for i := range m.Params() {
		m.Params()[i] += float32(0.2 * s.Normal())
	}
	return m
}

// randVectors returns k random normal vectors of length n, row-major.
func randVectors(k, n int, seed uint64) []float32 {
	s := rng.New(seed, "test-vectors", 0)
	v := make([]float32, k*n)
	for i := range v {
		v[i] = float32(s.Normal())
	}
	return v
}

// identity returns the n x n identity, row-major: HVP of it is H.
func identity(n int) []float32 {
	v := make([]float32, n*n)
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	return v
}

// maxAbs returns max |x_i|.
func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// closeTo reports the first i with |got_i - want_i| > atol + rtol*max|want|.
func closeTo(got []float32, want []float64, atol, rtol float64) (int, bool) {
	tol := atol + rtol*maxAbs(want)
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			return i, false
		}
	}
	return -1, true
}
