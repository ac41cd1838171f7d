package curvature

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// warmNoise is the weight of the random vector mixed into a warm start.
const warmNoise = 1e-3

// warmStart turns cfg.Start into Lanczos's start vector. It returns nil
// (start from the random vector) when cfg.Start is empty or spans nothing.
//
// Why: along a training trajectory consecutive measurements are of nearby
// Hessians, and the previous top Ritz vector is already close to the new
// top eigenvector. Lanczos from a vector with angle phi to it has, after
// its first product, a Rayleigh quotient off by about sin^2(phi) times the
// spread of the spectrum, and each further step shrinks the error by the
// Chebyshev factor of the gap; from a random vector (sin phi near 1) the
// first several products are spent finding the direction at all.
//
// One start vector is normalised and used as is. A block of K > 1 (the top
// K Ritz vectors of the last measurement, which guards against the top two
// eigenvectors rotating into each other between measurements) is
// orthonormalised, applied as one block (K applications), and reduced by
// Rayleigh-Ritz on its span: the start is the sum of the Ritz vectors of
// the wanted top and bottom values of Q^T H Q, normalised, and its product
// is the same combination of the block's products, so Lanczos's first
// iteration costs nothing. Vectors that are (numerically) dependent on the
// ones before them are dropped; a non-finite or wrong-length vector is an
// error.
//
// The Lanczos run that follows is an ordinary one from that vector: its
// residuals and error estimates keep their meaning (for the new operator).
func warmStart(ctx context.Context, op Operator, cfg LanczosConfig) (v, hv []float64, apps int, err error) {
	n := op.Dim()
	var q [][]float64
	coef := make([]float64, len(cfg.Start)+1)
	for i, s := range cfg.Start {
		if len(s) != n {
			return nil, nil, 0, fmt.Errorf("curvature: Lanczos: Start[%d] has %d entries, the operator's dimension is %d", i, len(s), n)
		}
		if err := checkFinite(s, fmt.Sprintf("Lanczos: Start[%d]", i)); err != nil {
			return nil, nil, 0, err
		}
		u := append([]float64(nil), s...)
		before := nrm2(u)
		after := orthogonalize(q, u, coef)
		if !(after > 1e-8*before) {
			continue // zero, or in the span of the vectors before it
		}
		scal(1/after, u)
		q = append(q, u)
	}
	if len(q) == 0 {
		return nil, nil, 0, nil
	}
	// A pinch of the random start vector (rng "lanczos", index 0), so that
	// the start has a component along every eigenvector, as Lanczos's
	// restart rule assumes: a start that spans an invariant subspace
	// exactly (an exact eigenvector of a float64 operator) would otherwise
	// certify its own eigenvalues as the wanted ones.
	g := make([]float64, n)
	fillGaussian(newStream(cfg.Seed, "lanczos", 0), g)
	scal(warmNoise/nrm2(g), g)
	if len(q) == 1 {
		axpy(1, g, q[0])
		scal(1/nrm2(q[0]), q[0])
		return q[0], nil, 0, nil
	}
	noisy := false
	if after := orthogonalize(q, g, coef[:len(q)]); after > 0 {
		scal(1/after, g)
		q, noisy = append(q, g), true
	}

	kb := len(q)
	in := make([]float64, kb*n)
	out := make([]float64, kb*n)
	for i, u := range q {
		copy(in[i*n:], u)
	}
	if err := interrupted(ctx, "Lanczos"); err != nil {
		return nil, nil, 0, err
	}
	op.ApplyBlock(in, kb, out)
	if err := checkFinite(out, "Lanczos"); err != nil {
		return nil, nil, 0, err
	}
	t := mat.NewSymDense(kb, nil)
	for i := 0; i < kb; i++ {
		for j := i; j < kb; j++ {
			// Symmetrised: a float32 operator is symmetric only to ~1e-6.
			t.SetSym(i, j, 0.5*(dot(in[i*n:(i+1)*n], out[j*n:(j+1)*n])+dot(in[j*n:(j+1)*n], out[i*n:(i+1)*n])))
		}
	}
	var e mat.EigenSym
	if !e.Factorize(t, true) {
		return nil, nil, 0, fmt.Errorf("curvature: Lanczos: warm start: eigensolver did not converge")
	}
	var vecs mat.Dense
	e.VectorsTo(&vecs) // ascending eigenvalues
	s := make([]float64, kb)
	add := func(col int) {
		for i := range s {
			s[i] += vecs.At(i, col)
		}
	}
	for i := 0; i < min(cfg.Top, kb); i++ {
		add(kb - 1 - i)
	}
	for i := 0; i < min(cfg.Bottom, kb-min(cfg.Top, kb)); i++ {
		add(i)
	}
	// The random member enters with weight warmNoise, not its Rayleigh-Ritz
	// weight (which is 0 when the rest of the block is invariant): it is
	// there to break invariance, not to steer.
	if noisy {
		s[kb-1] = warmNoise * nrm2(s[:kb-1])
	}
	v, hv = make([]float64, n), make([]float64, n)
	for i, c := range s {
		axpy(c, in[i*n:(i+1)*n], v)
		axpy(c, out[i*n:(i+1)*n], hv)
	}
	norm := nrm2(v) // the eigenvectors are orthonormal: sqrt(wanted count)
	if !(norm > 0) || math.IsInf(norm, 0) {
		return q[0], nil, kb, nil
	}
	scal(1/norm, v)
	scal(1/norm, hv)
	return v, hv, kb, nil
}
