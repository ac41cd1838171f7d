package curvature

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/sgdclaims/sgdclaims/internal/par"
	"gonum.org/v1/gonum/mat"
)

// Operator is a symmetric linear map on R^Dim: a Hessian, a Gauss-Newton
// matrix, a gradient covariance, a block of one of them, or a dense matrix.
//
// Vectors are float64 at this interface whatever the operator computes in:
// every estimator accumulates in float64, and an operator backed by float32
// products (the network operators) converts at its boundary. See the package
// documentation for what that costs in accuracy.
//
// Apply and ApplyBlock overwrite out. ApplyBlock takes k vectors stored one
// after another (k x Dim, row-major) and writes the k products the same way;
// an implementation is free to compute them together (one GEMM instead of k
// matrix-vector passes), which is why estimators that can use blocks do.
// Neither method may keep vs or out after it returns, and out must not alias
// the input. An Operator need not be safe for concurrent use.
type Operator interface {
	Dim() int
	Apply(v, out []float64)
	ApplyBlock(vs []float64, k int, out []float64)
}

// Describer is implemented by operators that know how they were built (which
// examples, which loss, which dtype). Estimators start their result's Stamp
// from it; an operator without it gets a Stamp that says "unknown".
type Describer interface {
	Describe() Stamp
}

// Counter is implemented by every operator in this package: the number of
// operator-vector products it has computed since it was built, a block of k
// counting k. It is the "HVP count" of PyHessian-style reports, and the
// budget unit of every estimator here.
type Counter interface {
	Applications() int64
}

// Inexact is implemented by operators whose products carry more than
// float64 rounding: Precision returns eps such that a computed product is
// within about eps*||H||*||v|| of the exact one. Lanczos floors its residual
// bounds there, since the recurrence keeps shrinking them past what the
// products can resolve.
type Inexact interface {
	Precision() float64
}

// operatorPrecision returns op's Precision, or 0 for an exact operator.
func operatorPrecision(op Operator) float64 {
	if p, ok := op.(Inexact); ok {
		return p.Precision()
	}
	return 0
}

// Blocker is implemented by operators that know which block size makes
// ApplyBlock cheapest per vector; the trace estimators default to it (16
// for operators without it).
type Blocker interface {
	PreferredBlock() int
}

// preferredBlock returns op's preferred block size, or def.
func preferredBlock(op Operator, def int) int {
	if b, ok := op.(Blocker); ok && b.PreferredBlock() > 0 {
		return b.PreferredBlock()
	}
	return def
}

// counter is embedded by the operators of this package.
type counter struct{ n atomic.Int64 }

func (c *counter) add(k int)           { c.n.Add(int64(k)) }
func (c *counter) Applications() int64 { return c.n.Load() }

// describe returns op's Stamp, or an "unknown" one.
func describe(op Operator) Stamp {
	if d, ok := op.(Describer); ok {
		return d.Describe()
	}
	return Stamp{Operator: fmt.Sprintf("%T", op), Dtype: "unknown"}
}

// checkBlock panics on a block whose length does not match k and the
// dimension: that is a programming error, not bad input.
func checkBlock(name string, dim, k int, vs, out []float64) {
	if k < 0 || len(vs) < k*dim || len(out) < k*dim {
		panic(fmt.Sprintf("curvature: %s.ApplyBlock: k=%d needs %d values, got vs %d, out %d",
			name, k, k*dim, len(vs), len(out)))
	}
}

// Dense is a symmetric matrix held in memory, as an Operator. It serves tests
// (a known spectrum) and small problems (closed-form Hessians).
type Dense struct {
	counter
	n int
	a []float64 // row-major, exactly symmetric
}

// NewDense returns the operator of the n x n row-major matrix a, which must
// be symmetric (to a relative 1e-12 of its largest entry; it is then
// symmetrised exactly) and finite. a is copied.
func NewDense(n int, a []float64) (*Dense, error) {
	if n <= 0 {
		return nil, fmt.Errorf("curvature: NewDense: n = %d: must be positive", n)
	}
	if len(a) != n*n {
		return nil, fmt.Errorf("curvature: NewDense: len(a) = %d: want n*n = %d", len(a), n*n)
	}
	amax := 0.0
	for i, x := range a {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("curvature: NewDense: a[%d] = %v: entries must be finite", i, x)
		}
		amax = math.Max(amax, math.Abs(x))
	}
	d := &Dense{n: n, a: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			x, y := a[i*n+j], a[j*n+i]
			if math.Abs(x-y) > 1e-12*amax {
				return nil, fmt.Errorf("curvature: NewDense: a[%d,%d] = %g but a[%d,%d] = %g: matrix must be symmetric", i, j, x, j, i, y)
			}
			m := 0.5 * (x + y)
			d.a[i*n+j], d.a[j*n+i] = m, m
		}
	}
	return d, nil
}

// NewDenseSpectrum returns Q diag(eigenvalues) Q^T for a Haar-random
// orthogonal Q drawn from seed: a matrix whose spectrum is known exactly, for
// testing estimators. Q is the orthogonal factor of a Gaussian matrix with the
// signs of R's diagonal fixed positive (which makes it Haar-distributed).
func NewDenseSpectrum(eigenvalues []float64, seed uint64) (*Dense, error) {
	n := len(eigenvalues)
	if n == 0 {
		return nil, fmt.Errorf("curvature: NewDenseSpectrum: eigenvalues: must not be empty")
	}
	for i, x := range eigenvalues {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("curvature: NewDenseSpectrum: eigenvalues[%d] = %v: must be finite", i, x)
		}
	}
	g := make([]float64, n*n)
	fillGaussian(newStream(seed, "spectrum", 0), g)
	var qr mat.QR
	qr.Factorize(mat.NewDense(n, n, g))
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for j := 0; j < n; j++ {
		if r.At(j, j) < 0 {
			for i := 0; i < n; i++ {
				q.Set(i, j, -q.At(i, j))
			}
		}
	}
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := 0.0
			for l := 0; l < n; l++ {
				s += q.At(i, l) * eigenvalues[l] * q.At(j, l)
			}
			a[i*n+j], a[j*n+i] = s, s
		}
	}
	return &Dense{n: n, a: a}, nil
}

// Dim returns the matrix order.
func (d *Dense) Dim() int { return d.n }

// At returns entry (i, j).
func (d *Dense) At(i, j int) float64 { return d.a[i*d.n+j] }

// Apply sets out = A v.
func (d *Dense) Apply(v, out []float64) { d.ApplyBlock(v, 1, out) }

// ApplyBlock sets out_i = A v_i for the k vectors of vs.
func (d *Dense) ApplyBlock(vs []float64, k int, out []float64) {
	checkBlock("Dense", d.n, k, vs, out)
	n := d.n
	// Rows of the output are independent: split them over goroutines; each
	// entry is one dot product in a fixed order, so the result does not
	// depend on the number of goroutines.
	par.For(k*n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i, row := r/n, r%n
			out[r] = dot(d.a[row*n:(row+1)*n], vs[i*n:(i+1)*n])
		}
	})
	d.add(k)
}

// Describe reports a dense float64 matrix.
func (d *Dense) Describe() Stamp {
	return Stamp{Operator: "dense symmetric matrix", Dtype: "float64"}
}

// Materialize builds the dense matrix of op column by column (ApplyBlock on
// blocks of unit vectors; Dim applications), symmetrises it, and returns it
// with its largest asymmetry |A_ij - A_ji| relative to its largest entry: a
// check that op is the symmetric map it claims to be. Memory is Dim^2
// float64s, so this is for small operators (ground truth in tests).
func Materialize(op Operator) (*mat.SymDense, float64) {
	n := op.Dim()
	const block = 32
	cols := make([]float64, n*n) // row c holds op applied to e_c
	in := make([]float64, block*n)
	for c0 := 0; c0 < n; c0 += block {
		k := min(block, n-c0)
		clear(in)
		for i := 0; i < k; i++ {
			in[i*n+c0+i] = 1
		}
		op.ApplyBlock(in[:k*n], k, cols[c0*n:(c0+k)*n])
	}
	s := mat.NewSymDense(n, nil)
	asym, amax := 0.0, 0.0
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			x, y := cols[j*n+i], cols[i*n+j] // (i,j) is row i of column j
			asym = math.Max(asym, math.Abs(x-y))
			amax = math.Max(amax, math.Max(math.Abs(x), math.Abs(y)))
			s.SetSym(i, j, 0.5*(x+y))
		}
	}
	if amax > 0 {
		asym /= amax
	}
	return s, asym
}

// Restricted is the principal sub-block H[lo:hi, lo:hi] of an operator: the
// curvature of the loss in the parameters [lo, hi) with all others held
// fixed (for a network, one layer's weights and bias).
type Restricted struct {
	counter
	op     Operator
	lo, hi int
	name   string
	in     []float64
	res    []float64
}

// Restrict returns the restriction of op to the coordinates [lo, hi). name
// labels the block in stamps (for example a layer name; may be empty). Each
// product costs one product of op in the full dimension.
func Restrict(op Operator, lo, hi int, name string) (*Restricted, error) {
	if lo < 0 || hi > op.Dim() || lo >= hi {
		return nil, fmt.Errorf("curvature: Restrict: block [%d, %d): must be a non-empty range inside [0, %d)", lo, hi, op.Dim())
	}
	return &Restricted{op: op, lo: lo, hi: hi, name: name}, nil
}

// Dim returns hi - lo.
func (r *Restricted) Dim() int { return r.hi - r.lo }

// Apply sets out = H[lo:hi, lo:hi] v.
func (r *Restricted) Apply(v, out []float64) { r.ApplyBlock(v, 1, out) }

// ApplyBlock embeds each vector in zeros, applies the full operator as one
// block, and keeps the block's rows.
func (r *Restricted) ApplyBlock(vs []float64, k int, out []float64) {
	m, n := r.Dim(), r.op.Dim()
	checkBlock("Restricted", m, k, vs, out)
	if len(r.in) < k*n {
		r.in = make([]float64, k*n)
		r.res = make([]float64, k*n)
	}
	in, res := r.in[:k*n], r.res[:k*n]
	clear(in)
	for i := 0; i < k; i++ {
		copy(in[i*n+r.lo:i*n+r.hi], vs[i*m:(i+1)*m])
	}
	r.op.ApplyBlock(in, k, res)
	for i := 0; i < k; i++ {
		copy(out[i*m:(i+1)*m], res[i*n+r.lo:i*n+r.hi])
	}
	r.add(k)
}

// Precision is the inner operator's.
func (r *Restricted) Precision() float64 { return operatorPrecision(r.op) }

// PreferredBlock is the inner operator's.
func (r *Restricted) PreferredBlock() int { return preferredBlock(r.op, 16) }

// Describe is the inner operator's Stamp with the block named.
func (r *Restricted) Describe() Stamp {
	s := describe(r.op)
	s.Block = fmt.Sprintf("params [%d, %d)", r.lo, r.hi)
	if r.name != "" {
		s.Block = r.name + " " + s.Block
	}
	return s
}
