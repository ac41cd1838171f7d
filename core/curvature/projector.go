package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// Projector is the orthogonal projector P = Q Q^T onto the span of K
// orthonormal vectors q_1..q_K of dimension n (typically the top-K Hessian
// eigenvectors from Lanczos), and its complement I - P. It is what Nudged
// SGD (P3) and the step decompositions of C8 (Song, Ahn & Yun 2025) split a
// gradient or a step with:
//
//	g = P g + (I - P) g,   P g = sum_k <q_k, g> q_k
//
// All arithmetic is float64, in an order fixed by n and K alone (each
// coefficient is one dot product; each output coordinate sums over the
// basis in index order), so results are bitwise identical for any
// GOMAXPROCS. A Projector is immutable once built and safe for concurrent
// use.
type Projector struct {
	n int
	q [][]float64
	// values are the eigenvalues the vectors came with (TopEigenspace), or
	// nil.
	values []float64
}

// NewProjector returns the projector onto the span of vectors, which need
// not be orthonormal: they are orthonormalised in order (Gram-Schmidt, each
// pass repeated when it cancels much of the vector), and a vector that is
// zero or (numerically, below 1e-8 of its norm) in the span of those before
// it is dropped, so Rank may be less than len(vectors). Every vector must
// have the same length, at least 1, and finite entries. An empty list gives
// a projector of rank 0 only with NewProjectorDim. vectors are copied.
func NewProjector(vectors [][]float64) (*Projector, error) {
	if len(vectors) == 0 {
		return nil, fmt.Errorf("curvature: NewProjector: no vectors (use NewProjectorDim for rank 0)")
	}
	return newProjector(len(vectors[0]), vectors, nil)
}

// NewProjectorDim is NewProjector with the dimension given, so that an
// empty list is the zero projector of dimension n (P g = 0).
func NewProjectorDim(n int, vectors [][]float64) (*Projector, error) {
	return newProjector(n, vectors, nil)
}

func newProjector(n int, vectors [][]float64, values []float64) (*Projector, error) {
	if n < 1 {
		return nil, fmt.Errorf("curvature: NewProjector: dimension %d: must be positive", n)
	}
	p := &Projector{n: n}
	coef := make([]float64, len(vectors))
	for i, v := range vectors {
		if len(v) != n {
			return nil, fmt.Errorf("curvature: NewProjector: vector %d has %d entries, want %d", i, len(v), n)
		}
		if err := checkFinite(v, fmt.Sprintf("NewProjector: vector %d", i)); err != nil {
			return nil, err
		}
		u := append([]float64(nil), v...)
		before := nrm2(u)
		after := orthogonalize(p.q, u, coef)
		if !(after > 1e-8*before) {
			continue
		}
		scal(1/after, u)
		p.q = append(p.q, u)
		if values != nil {
			p.values = append(p.values, values[i])
		}
	}
	return p, nil
}

// TopEigenspace runs Lanczos for the top k eigenpairs of op (cfg.Top is set
// to k and cfg.Vectors to true; the rest of cfg is used as given, so
// cfg.Start warm-starts it from a previous measurement's vectors, see
// Projector.Vectors) and returns the projector onto their span with the
// eigenpairs. The projector's Values are the Ritz values, largest first.
// Ritz vectors that Lanczos did not converge are kept (res.Converged says
// whether all did): for a projector, a vector in the right subspace to a
// few digits is still the right direction to a few digits.
func TopEigenspace(ctx context.Context, op Operator, k int, cfg LanczosConfig) (*Projector, *Eigenpairs, error) {
	if k < 1 {
		return nil, nil, fmt.Errorf("curvature: TopEigenspace: k = %d: must be >= 1", k)
	}
	if k > op.Dim() {
		return nil, nil, fmt.Errorf("curvature: TopEigenspace: k = %d exceeds the dimension %d", k, op.Dim())
	}
	cfg.Top, cfg.Bottom, cfg.Vectors = k, 0, true
	res, err := LanczosContext(ctx, op, cfg)
	if err != nil {
		return nil, nil, err
	}
	vs := make([][]float64, len(res.Top))
	vals := make([]float64, len(res.Top))
	for i, e := range res.Top {
		vs[i], vals[i] = e.Vector, e.Value
	}
	p, err := newProjector(op.Dim(), vs, vals)
	if err != nil {
		return nil, nil, err
	}
	return p, res, nil
}

// Dim is the dimension n of the space.
func (p *Projector) Dim() int { return p.n }

// Rank is the number of orthonormal vectors K.
func (p *Projector) Rank() int { return len(p.q) }

// Vectors returns the orthonormal basis q_1..q_K (for TopEigenspace, the
// Ritz vectors, largest eigenvalue first). It aliases the projector: do not
// modify it. It is the LanczosConfig.Start of the next refresh.
func (p *Projector) Vectors() [][]float64 { return p.q }

// Values returns the eigenvalues the basis vectors belong to
// (TopEigenspace), or nil for a projector built from plain vectors. Do not
// modify it.
func (p *Projector) Values() []float64 { return p.values }

// Coefficients returns c_k = <q_k, g>, the coordinates of P g in the basis.
func (p *Projector) Coefficients(g []float64) []float64 {
	p.check("Coefficients", len(g))
	c := make([]float64, len(p.q))
	p.coefficients(g, c)
	return c
}

func (p *Projector) coefficients(g, c []float64) {
	par.For(len(p.q), max(1, 65536/p.n), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c[i] = dot(p.q[i], g)
		}
	})
}

// combine sets out = a*g + b*(Q c) coordinate by coordinate, summing the
// basis in index order (g may be nil, meaning 0; out may alias g). With b
// = 0 it is out = a*g exactly: adding a zero would turn a -0 entry of g
// into +0.
func (p *Projector) combine(a float64, g []float64, b float64, c, out []float64) {
	if b == 0 {
		for j := range out[:p.n] {
			if g == nil {
				out[j] = 0
			} else {
				out[j] = a * g[j]
			}
		}
		return
	}
	par.For(p.n, 4096, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			s := 0.0
			for i, q := range p.q {
				s += c[i] * q[j]
			}
			x := b * s
			if g != nil {
				x = a*g[j] + x
			}
			out[j] = x
		}
	})
}

// Project sets out = P g. out may alias g.
func (p *Projector) Project(g, out []float64) {
	p.check("Project", len(g))
	p.check("Project", len(out))
	c := p.Coefficients(g)
	p.combine(0, nil, 1, c, out)
}

// Complement sets out = (I - P) g = g - P g. out may alias g.
func (p *Projector) Complement(g, out []float64) {
	p.check("Complement", len(g))
	p.check("Complement", len(out))
	c := p.Coefficients(g)
	p.combine(1, g, -1, c, out)
}

// Split returns P g and (I - P) g.
func (p *Projector) Split(g []float64) (inside, outside []float64) {
	p.check("Split", len(g))
	c := p.Coefficients(g)
	inside, outside = make([]float64, p.n), make([]float64, p.n)
	p.combine(0, nil, 1, c, inside)
	p.combine(1, g, -1, c, outside)
	return inside, outside
}

// Nudge sets out = (I - P) g + gamma P g = g + (gamma - 1) P g, the Nudged
// SGD direction (P3). out may alias g. With gamma = 1 out is g bit for bit
// (the projected part is multiplied by exactly 0 and added to g).
func (p *Projector) Nudge(gamma float64, g, out []float64) {
	p.check("Nudge", len(g))
	p.check("Nudge", len(out))
	c := p.Coefficients(g)
	p.combine(1, g, gamma-1, c, out)
}

// Nudge32 is Nudge for a float32 vector (a network gradient), in place:
// g <- float32(float64(g) + (gamma-1) P g), formed in float64 and rounded
// once. With gamma = 1 g is unchanged bit for bit.
func (p *Projector) Nudge32(gamma float64, g []float32) {
	p.check("Nudge32", len(g))
	w := make([]float64, p.n)
	widen(w, g, 1, false)
	c := make([]float64, len(p.q))
	p.coefficients(w, c)
	p.combine(1, w, gamma-1, c, w)
	narrow(g, w)
}

// Norms returns ||P g|| and ||(I - P) g||, computed from the coefficients
// (||P g||^2 = sum c_k^2) and from the explicit complement.
func (p *Projector) Norms(g []float64) (inside, outside float64) {
	p.check("Norms", len(g))
	c := p.Coefficients(g)
	out := make([]float64, p.n)
	p.combine(1, g, -1, c, out)
	return math.Sqrt(dot(c, c)), nrm2(out)
}

func (p *Projector) check(who string, n int) {
	if n != p.n {
		panic(fmt.Sprintf("curvature: Projector.%s: vector has %d entries, the projector's dimension is %d", who, n, p.n))
	}
}
