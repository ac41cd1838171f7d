package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// denseOp returns the P x P matrix of an operator by applying it to the
// identity in one block of P vectors.
func denseOp(m *Model, apply func(vs []float32, k int, out []float32)) []float32 {
	p := m.NumParams()
	out := make([]float32, p*p)
	apply(identity(p), p, out)
	return out
}

// fdHessian is the Hessian of the float64 reference loss by second central
// differences, independent of everything under test.
func fdHessian(m *Model, b data.Batch) []float64 {
	r := newRef(m)
	theta := f64(m.Params())
	p := len(theta)
	const h = 1e-4
	f := func(i, j int, si, sj float64) float64 {
		ti, tj := theta[i], theta[j]
		theta[i] += si * h
		theta[j] += sj * h
		v := r.loss(theta, b, nil)
		theta[i], theta[j] = ti, tj
		return v
	}
	H := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := 0; j <= i; j++ {
			v := (f(i, j, 1, 1) - f(i, j, 1, -1) - f(i, j, -1, 1) + f(i, j, -1, -1)) / (4 * h * h)
			H[i*p+j], H[j*p+i] = v, v
		}
	}
	return H
}

// fdGGN is mean_i J_i^T H_i J_i with J_i from central differences of the
// reference outputs and H_i the closed-form Hessian of the loss in the
// outputs.
func fdGGN(m *Model, b data.Batch) []float64 {
	r := newRef(m)
	theta := f64(m.Params())
	p, c := len(theta), m.OutputDim()
	const h = 1e-6
	G := make([]float64, p*p)
	for i := 0; i < b.N; i++ {
		x := r.input(b.X, i)
		J := make([]float64, c*p) // J[o*p+j]
		for j := range theta {
			t0 := theta[j]
			theta[j] = t0 + h
			fp := r.outputs(theta, x, nil)
			theta[j] = t0 - h
			fm := r.outputs(theta, x, nil)
			theta[j] = t0
			for o := 0; o < c; o++ {
				J[o*p+j] = (fp[o] - fm[o]) / (2 * h)
			}
		}
		Hl := lossHessian(m, r.outputs(theta, x, nil))
		for a := 0; a < p; a++ {
			for bb := 0; bb < p; bb++ {
				var s float64
				for o := 0; o < c; o++ {
					for q := 0; q < c; q++ {
						s += J[o*p+a] * Hl[o*c+q] * J[q*p+bb]
					}
				}
				G[a*p+bb] += s / float64(b.N)
			}
		}
	}
	return G
}

// lossHessian is d^2 loss / d f^2: diag(p) - p p^T for cross-entropy, I
// for squared error.
func lossHessian(m *Model, f []float64) []float64 {
	c := len(f)
	H := make([]float64, c*c)
	if m.Loss == SquaredError {
		for o := 0; o < c; o++ {
			H[o*c+o] = 1
		}
		return H
	}
	p := softmax(f)
	for o := 0; o < c; o++ {
		for q := 0; q < c; q++ {
			H[o*c+q] = -p[o] * p[q]
		}
		H[o*c+o] += p[o]
	}
	return H
}

func softmax(f []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range f {
		mx = math.Max(mx, v)
	}
	p := make([]float64, len(f))
	var z float64
	for i, v := range f {
		p[i] = math.Exp(v - mx)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return p
}

// TestHVPMatchesFiniteDifferenceHessian: the dense Hessian of tiny
// networks, column by column from the R-operator, against second
// differences of the float64 reference loss, for every layer kind and both
// losses.
func TestHVPMatchesFiniteDifferenceHessian(t *testing.T) {
	cases := []struct {
		spec  string
		loss  LossKind
		chunk int
	}{
		{"mlp:3-4-3", CrossEntropy, 0},
		{"mlp:3-3-3-2", CrossEntropy, 2},
		{"resmlp:3-3x2-2", CrossEntropy, 0},
		{"mlp:3-4-2", SquaredError, 0},
		{"resmlp:2-3x1-2", SquaredError, 4},
	}
	for _, impl := range kernels.All() {
		withKernels(impl.Name(), func() {
			for ci, c := range cases {
				hessianCase(t, impl.Name(), c.spec, c.loss, c.chunk, uint64(ci))
			}
		})
	}
}

func hessianCase(t *testing.T, impl, spec string, loss LossKind, chunk int, seed uint64) {
	m := newTestModel(t, spec, loss, 30+seed)
	m.Chunk = chunk
	b := testBatch(m, 6, 40+seed)
	want := fdHessian(m, b)
	got := denseOp(m, func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) })
	if i, ok := closeTo(got, want, 1e-5, 1e-4); !ok {
		p := m.NumParams()
		t.Errorf("%s %s: H[%s, %s] = %v, finite differences %v", impl, spec,
			paramName(m, i/p), paramName(m, i%p), got[i], want[i])
	}
	// The cached operator gives the same matrix.
	cached := denseOp(m, m.NewHVP(b).Apply)
	if i, ok := closeTo(cached, f64(got), 0, 1e-6); !ok {
		t.Errorf("%s %s: cached HVP entry %d = %v, uncached %v", impl, spec, i, cached[i], got[i])
	}
}

// linearHessian builds the closed-form Hessian of a one-layer model
// mlp:d-C, H[(c,f),(c',f')] = mean_i S_i[c,c'] z_i[f] z_i[f'] with
// z = [x, 1] and S the loss Hessian in the outputs, mapped to the flat
// layout (W [C, d] then b [C]).
func linearHessian(m *Model, b data.Batch) []float64 {
	d, c := m.InputDim(), m.OutputDim()
	p := m.NumParams()
	idx := func(cl, f int) int {
		if f < d {
			return cl*d + f
		}
		return c*d + cl
	}
	r := newRef(m)
	H := make([]float64, p*p)
	for i := 0; i < b.N; i++ {
		x := r.input(b.X, i)
		z := append(x, 1)
		S := lossHessian(m, r.outputs(f64(m.Params()), x, nil))
		for c1 := 0; c1 < c; c1++ {
			for c2 := 0; c2 < c; c2++ {
				for f1 := 0; f1 <= d; f1++ {
					for f2 := 0; f2 <= d; f2++ {
						H[idx(c1, f1)*p+idx(c2, f2)] += S[c1*c+c2] * z[f1] * z[f2] / float64(b.N)
					}
				}
			}
		}
	}
	return H
}

// TestClosedFormHessians: linear least squares (H = mean [x,1][x,1]^T per
// output) and softmax regression (H = mean (diag p - p p^T) kron
// [x,1][x,1]^T), for the Hessian, the GGN (equal for linear models) and
// their cached forms.
func TestClosedFormHessians(t *testing.T) {
	for ci, c := range []struct {
		spec string
		loss LossKind
	}{
		{"mlp:6-1", SquaredError},
		{"mlp:4-3", SquaredError},
		{"mlp:5-4", CrossEntropy},
	} {
		m := newTestModel(t, c.spec, c.loss, uint64(50+ci))
		b := testBatch(m, 40, uint64(60+ci))
		want := linearHessian(m, b)
		cache := m.NewHVP(b)
		for name, apply := range map[string]func([]float32, int, []float32){
			"HVP":               func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) },
			"GGNVP":             func(vs []float32, k int, out []float32) { m.GGNVP(b, vs, k, out) },
			"HVPCache.Apply":    cache.Apply,
			"HVPCache.ApplyGGN": cache.ApplyGGN,
		} {
			got := denseOp(m, apply)
			if i, ok := closeTo(got, want, 1e-6, 1e-5); !ok {
				t.Errorf("%s %s: entry %d = %v, closed form %v", c.spec, name, i, got[i], want[i])
			}
		}
	}
}

// TestGGNMatchesJacobianProduct: on nonlinear networks the GGN differs from
// the Hessian; check it against J^T H_loss J from finite-difference
// Jacobians, and that it is positive semidefinite.
func TestGGNMatchesJacobianProduct(t *testing.T) {
	for ci, c := range []struct {
		spec string
		loss LossKind
	}{
		{"mlp:3-4-3", CrossEntropy},
		{"resmlp:3-3x2-2", CrossEntropy},
		{"mlp:3-4-2", SquaredError},
	} {
		m := newTestModel(t, c.spec, c.loss, uint64(70+ci))
		b := testBatch(m, 6, uint64(80+ci))
		want := fdGGN(m, b)
		got := denseOp(m, func(vs []float32, k int, out []float32) { m.GGNVP(b, vs, k, out) })
		if i, ok := closeTo(got, want, 1e-5, 1e-4); !ok {
			p := m.NumParams()
			t.Errorf("%s: G[%s, %s] = %v, J^T H J %v", c.spec, paramName(m, i/p), paramName(m, i%p), got[i], want[i])
		}
		p := m.NumParams()
		sym := mat.NewSymDense(p, nil)
		for i := 0; i < p; i++ {
			for j := i; j < p; j++ {
				sym.SetSym(i, j, (float64(got[i*p+j])+float64(got[j*p+i]))/2)
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(sym, false) {
			t.Fatal("eigendecomposition failed")
		}
		vals := eig.Values(nil)
		if lo, hi := vals[0], vals[len(vals)-1]; lo < -1e-6*hi {
			t.Errorf("%s: GGN has eigenvalue %v (largest %v)", c.spec, lo, hi)
		}
		// And the Hessian of the same network is not PSD-equal to it: the
		// test would not notice a GGNVP that returned the Hessian otherwise.
		h := denseOp(m, func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) })
		if _, same := closeTo(h, f64(got), 1e-4, 1e-3); same {
			t.Errorf("%s: Hessian equals GGN on a nonlinear network; test is too weak", c.spec)
		}
	}
}

// TestHVPSymmetric: v^T H w = w^T H v on a model large enough for several
// chunks and tangent blocks.
func TestHVPSymmetric(t *testing.T) {
	m := newTestModel(t, "resmlp:12-16x3-5", CrossEntropy, 90)
	m.Chunk = 32
	b := testBatch(m, 100, 91)
	p := m.NumParams()
	vs := randVectors(2, p, 92)
	out := make([]float32, 2*p)
	m.HVP(b, vs, 2, out)
	vHw := dot64(vs[:p], out[p:])
	wHv := dot64(vs[p:], out[:p])
	scale := math.Sqrt(dot64(out[:p], out[:p]) * dot64(vs[:p], vs[:p]))
	if math.Abs(vHw-wHv) > 1e-5*scale {
		t.Errorf("v^T H w = %v, w^T H v = %v", vHw, wHv)
	}
}

func dot64(x, y []float32) float64 {
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// TestBlockedEqualsSingle: k vectors at once give the k single products,
// for the Hessian and the GGN, also when the tangent budget forces smaller
// chunks than the forward pass uses.
func TestBlockedEqualsSingle(t *testing.T) {
	m := newTestModel(t, "resmlp:10-12x2-4", CrossEntropy, 100)
	b := testBatch(m, 70, 101)
	p, k := m.NumParams(), 4
	vs := randVectors(k, p, 102)
	for _, ggn := range []bool{false, true} {
		op := m.HVP
		if ggn {
			op = m.GGNVP
		}
		block := make([]float32, k*p)
		op(b, vs, k, block)
		for j := 0; j < k; j++ {
			single := make([]float32, p)
			op(b, vs[j*p:(j+1)*p], 1, single)
			if i, ok := closeTo(block[j*p:(j+1)*p], f64(single), 0, 1e-6); !ok {
				t.Errorf("ggn=%v vector %d entry %d: blocked %v, single %v", ggn, j, i, block[j*p+i], single[i])
			}
		}
		// Shrink the tangent budget so that k vectors take chunks of a few rows.
		saved := tangentBudget
		tangentBudget = 2 * k * 40 * 5
		small := make([]float32, k*p)
		op(b, vs, k, small)
		cached := make([]float32, k*p)
		if ggn {
			m.NewHVP(b).ApplyGGN(vs, k, cached)
		} else {
			m.NewHVP(b).Apply(vs, k, cached)
		}
		rows := m.tangentRows(k)
		tangentBudget = saved
		if rows >= b.N/2 {
			t.Fatalf("test does not exercise small tangent chunks (%d rows)", rows)
		}
		if i, ok := closeTo(small, f64(block), 0, 1e-5); !ok {
			t.Errorf("ggn=%v small chunks entry %d: %v, want %v", ggn, i, small[i], block[i])
		}
		if i, ok := closeTo(cached, f64(block), 0, 1e-5); !ok {
			t.Errorf("ggn=%v cached, small chunks entry %d: %v, want %v", ggn, i, cached[i], block[i])
		}
	}
}

// TestHVPCacheRefresh: the cache keeps the parameters of its creation until
// Refresh, and reports the loss.
func TestHVPCacheRefresh(t *testing.T) {
	m := newTestModel(t, "mlp:5-6-3", CrossEntropy, 110)
	b := testBatch(m, 20, 111)
	p := m.NumParams()
	v := randVectors(1, p, 112)
	c := m.NewHVP(b)
	if l, _ := c.Loss(); math.Abs(l-mustEval(m, b)) > 1e-6*l {
		t.Errorf("cache loss %v, Evaluate %v", l, mustEval(m, b))
	}
	for i := range m.Params() {
		m.Params()[i] *= 1.5
	}
	stale := make([]float32, p)
	c.Apply(v, 1, stale)
	c.Refresh()
	fresh, direct := make([]float32, p), make([]float32, p)
	c.Apply(v, 1, fresh)
	m.HVP(b, v, 1, direct)
	if _, ok := closeTo(fresh, f64(direct), 0, 1e-6); !ok {
		t.Error("refreshed cache differs from HVP")
	}
	if _, ok := closeTo(stale, f64(direct), 0, 1e-3); ok {
		t.Error("stale cache equals HVP at the new parameters; test too weak")
	}
}

func mustEval(m *Model, b data.Batch) float64 {
	l, _ := m.Evaluate(b)
	return l
}

// TestFisherMatchesPerExampleGradients: F v against mean_i g_i (g_i . v)
// with each g_i from LossGrad on a batch of one example, uncached, cached
// and in small tangent chunks, on both losses.
func TestFisherMatchesPerExampleGradients(t *testing.T) {
	for ci, c := range []struct {
		spec string
		loss LossKind
	}{
		{"resmlp:5-6x2-3", CrossEntropy},
		{"mlp:4-6-2", SquaredError},
	} {
		m := newTestModel(t, c.spec, c.loss, uint64(120+ci))
		b := testBatch(m, 23, uint64(130+ci))
		p, k := m.NumParams(), 3
		vs := randVectors(k, p, 140)
		want := make([]float64, k*p)
		g := make([]float32, p)
		for i := 0; i < b.N; i++ {
			one := data.Batch{N: 1, X: b.X[i*m.InputDim() : (i+1)*m.InputDim()]}
			if b.Y != nil {
				one.Y = b.Y[i : i+1]
			} else {
				one.T = b.T[i*m.OutputDim() : (i+1)*m.OutputDim()]
			}
			m.LossGrad(one, false, g)
			for j := 0; j < k; j++ {
				gv := dot64(g, vs[j*p:(j+1)*p])
				for q := range g {
					want[j*p+q] += float64(g[q]) * gv / float64(b.N)
				}
			}
		}
		got := make([]float32, k*p)
		m.FisherVP(b, vs, k, got)
		if i, ok := closeTo(got, want, 1e-6, 1e-5); !ok {
			t.Errorf("%s FisherVP: entry %d = %v, mean g g^T v %v", c.spec, i, got[i], want[i])
		}
		saved := tangentBudget
		tangentBudget = 2 * k * 5 * 20
		m.NewHVP(b).ApplyFisher(vs, k, got)
		tangentBudget = saved
		if i, ok := closeTo(got, want, 1e-6, 1e-5); !ok {
			t.Errorf("%s ApplyFisher: entry %d = %v, mean g g^T v %v", c.spec, i, got[i], want[i])
		}
	}
}
