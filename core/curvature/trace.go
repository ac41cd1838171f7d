package curvature

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// TraceConfig sets up a trace estimator.
type TraceConfig struct {
	// Budget is the number of operator applications to spend (required).
	// Hutchinson spends one per probe; Hutch++ splits it in three.
	Budget int
	// Block is the number of vectors applied together (one ApplyBlock, which
	// an operator may compute as one GEMM-shaped pass). Memory is about
	// 3*Block*Dim float64s. Default: the operator's PreferredBlock (Blocker),
	// else 16. The estimate does not depend on it beyond the operator's
	// rounding: probe j is the same vector in any block.
	Block int
	// Seed selects the probes: Rademacher vectors, rng purpose "probe",
	// index j for probe j (so probe j is the same vector whatever Block is).
	Seed uint64
}

// TraceEstimate is a stochastic trace estimate with its standard error.
type TraceEstimate struct {
	Value float64 `json:"value"`
	// StdErr is the standard error of Value: the sample standard deviation
	// of the probe values over sqrt(probes). For Hutch++ it is that of the
	// stochastic part, which is the standard error of the whole estimate
	// (see HutchPlusPlus).
	StdErr float64 `json:"std_err"`
	// Deflated is Tr(Q^T H Q) for Hutch++'s sketch Q (0 for Hutchinson) and
	// Rank the dimension of Q.
	Deflated float64 `json:"deflated,omitempty"`
	Rank     int     `json:"rank,omitempty"`
	// Probes is the number of random probes of the stochastic part.
	Probes       int   `json:"probes"`
	Applications int   `json:"applications"`
	Stamp        Stamp `json:"stamp"`
}

func (c *TraceConfig) validate(op Operator, name string, minBudget int) error {
	if c.Block == 0 {
		c.Block = preferredBlock(op, 16)
	}
	switch {
	case c.Budget < minBudget:
		return fmt.Errorf("curvature: %s: Budget = %d: must be at least %d", name, c.Budget, minBudget)
	case c.Block < 1:
		return fmt.Errorf("curvature: %s: Block = %d: must be positive", name, c.Block)
	}
	return nil
}

// probeIndex offsets separate the probe families of Hutch++ so that no two
// share a stream.
const sketchProbeOffset = 1 << 40

// Hutchinson estimates Tr(H) as the mean of z^T H z over Budget Rademacher
// probes z (Hutchinson 1989), applied Block at a time, with the standard
// error of that mean. Rademacher probes minimise the variance among
// i.i.d.-entry probes: Var(z^T H z) = 2 (||H||_F^2 - sum_i H_ii^2).
//
// Unlike PyHessian's trace, which stops when the running mean changes by
// less than 1e-3 (after as few as two probes), the budget is fixed in
// advance: a data-dependent stop biases the estimate and its error bar.
func Hutchinson(op Operator, cfg TraceConfig) (*TraceEstimate, error) {
	return HutchinsonContext(context.Background(), op, cfg)
}

// HutchinsonContext is Hutchinson, interruptible: it checks ctx before every
// block of products and, once ctx is done, returns no result and an error
// wrapping ctx.Err(). With a ctx that is never done the result is bitwise
// that of Hutchinson.
func HutchinsonContext(ctx context.Context, op Operator, cfg TraceConfig) (*TraceEstimate, error) {
	if err := cfg.validate(op, "Hutchinson", 2); err != nil {
		return nil, err
	}
	vals, err := quadForms(ctx, "Hutchinson", op, cfg, 0, cfg.Budget, nil)
	if err != nil {
		return nil, err
	}
	mean, se := meanSE(vals)
	res := &TraceEstimate{Value: mean, StdErr: se, Probes: len(vals), Applications: cfg.Budget}
	res.Stamp = stampFor(op, fmt.Sprintf("Hutchinson (%d Rademacher probes)", cfg.Budget), cfg.Seed)
	res.Stamp.Budget = cfg.Budget
	res.Stamp.ErrorBarKind, res.Stamp.ErrorBar = "standard error", se
	return res, nil
}

// HutchPlusPlus estimates Tr(H) by Hutch++ (Meyer, Musco, Musco & Woodruff,
// 2021): with a third of the budget it sketches the top of the spectrum,
// Q = orth(H S) for Rademacher S; with a third it computes Tr(Q^T H Q)
// exactly; with the rest it estimates the trace of the deflated remainder
// (I - QQ^T) H (I - QQ^T) by Hutchinson. When the spectrum is dominated by
// a few large eigenvalues (network Hessians are, after some training), the
// remainder's variance is far below H's, so the same budget gives a smaller
// error; on a flat spectrum the sketch buys little and Hutchinson's larger
// probe count wins.
//
// StdErr is the standard error of the Hutchinson part. It is the standard
// error of the whole estimate: Tr(Q^T H Q) + Tr((I-P) H (I-P)) = Tr(H) for
// every sketch, so the sketch adds no variance to the (conditionally
// unbiased) estimate. If H S is rank-deficient the unused sketch budget goes
// to the Hutchinson part, so exactly Budget applications are spent.
//
// The sketch's own linear algebra (orthonormalising H S and projecting the
// probes, about 4*(Budget/3)^2*Dim flops: 6 GFLOP at a budget of 100 for a
// 670k-parameter network) runs as float32 GEMMs through core/kernels, since
// in float64 Go loops it would cost as much as the products. That is the
// precision H S has anyway when H is a network operator: Q is orthonormal
// to about 1e-6, and the identity above holds to that relative level, far
// below any standard error. The quadratic forms and sums stay in float64.
//
// Memory: 2*(Budget/3)*Dim float32s for the sketch, plus the probe blocks.
func HutchPlusPlus(op Operator, cfg TraceConfig) (*TraceEstimate, error) {
	return HutchPlusPlusContext(context.Background(), op, cfg)
}

// HutchPlusPlusContext is HutchPlusPlus, interruptible: it checks ctx before
// every block of products (sketch, deflation and Hutchinson probes), before
// the sketch's orthonormalisation and before each probe projection, and,
// once ctx is done, returns no result and an error wrapping ctx.Err(). With
// a ctx that is never done the result is bitwise that of HutchPlusPlus.
func HutchPlusPlusContext(ctx context.Context, op Operator, cfg TraceConfig) (*TraceEstimate, error) {
	if err := cfg.validate(op, "HutchPlusPlus", 6); err != nil {
		return nil, err
	}
	n := op.Dim()
	s := min(cfg.Budget/3, n)
	b := min(cfg.Block, cfg.Budget)
	in := make([]float64, b*n)
	out := make([]float64, b*n)

	// Sketch: Y = H S (float32), then orthonormalise its rows.
	y := make([]float32, s*n)
	for j0 := 0; j0 < s; j0 += b {
		k := min(b, s-j0)
		for i := 0; i < k; i++ {
			fillRademacher(newStream(cfg.Seed, "probe", sketchProbeOffset+uint64(j0+i)), in[i*n:(i+1)*n])
		}
		if err := interrupted(ctx, "HutchPlusPlus"); err != nil {
			return nil, err
		}
		op.ApplyBlock(in[:k*n], k, out[:k*n])
		if err := checkFinite(out[:k*n], "HutchPlusPlus"); err != nil {
			return nil, err
		}
		narrow(y[j0*n:(j0+k)*n], out[:k*n])
	}
	// The orthonormalisation costs about as much as the sketch's products
	// on a large network: not worth starting once ctx is done.
	if err := interrupted(ctx, "HutchPlusPlus"); err != nil {
		return nil, err
	}
	q, rank := orthonormalRows32(y, s, n)

	// Tr(Q^T H Q) = sum_i q_i . H q_i, in float64.
	deflated := 0.0
	for j0 := 0; j0 < rank; j0 += b {
		k := min(b, rank-j0)
		widen(in[:k*n], q[j0*n:(j0+k)*n], 1, false)
		if err := interrupted(ctx, "HutchPlusPlus"); err != nil {
			return nil, err
		}
		op.ApplyBlock(in[:k*n], k, out[:k*n])
		for i := 0; i < k; i++ {
			deflated += dot(in[i*n:(i+1)*n], out[i*n:(i+1)*n])
		}
	}

	probes := cfg.Budget - s - rank
	vals, err := quadForms(ctx, "HutchPlusPlus", op, cfg, 0, probes, q)
	if err != nil {
		return nil, err
	}
	mean, se := meanSE(vals)
	res := &TraceEstimate{
		Value: deflated + mean, StdErr: se, Deflated: deflated, Rank: rank,
		Probes: probes, Applications: cfg.Budget,
	}
	res.Stamp = stampFor(op, fmt.Sprintf("Hutch++ (sketch %d, rank %d, %d Rademacher probes)", s, rank, probes), cfg.Seed)
	res.Stamp.Budget = cfg.Budget
	res.Stamp.ErrorBarKind, res.Stamp.ErrorBar = "standard error", se
	return res, nil
}

// quadForms returns z_j^T P H P z_j for probes j in [first, first+count),
// where P = I - Q^T Q projects out the rank orthonormal rows of q (float32,
// rank x Dim; P = I when q is empty). Probes are projected in blocks of at
// least projectBlock by two GEMMs, C = Z Q^T and Z -= C Q, whatever the
// application block: a GEMM against Q streams all of Q, so projecting one
// probe at a time would cost more than its product. ctx is checked before
// each projection and each block of products; who names the estimator in
// the error once ctx is done.
func quadForms(ctx context.Context, who string, op Operator, cfg TraceConfig, first, count int, q []float32) ([]float64, error) {
	const projectBlock = 16
	n := op.Dim()
	rank := len(q) / n
	b := min(cfg.Block, count)
	pb := b
	if rank > 0 {
		pb = min(max(b, projectBlock), count)
	}
	in := make([]float64, b*n)
	out := make([]float64, b*n)
	var z, c []float32
	if rank > 0 {
		z = make([]float32, pb*n)
		c = make([]float32, pb*rank)
	}
	vals := make([]float64, 0, count)
	for p0 := 0; p0 < count; p0 += pb {
		pk := min(pb, count-p0)
		if rank > 0 {
			if err := interrupted(ctx, who); err != nil {
				return nil, err
			}
			zz := make([]float64, n)
			for i := 0; i < pk; i++ {
				fillRademacher(newStream(cfg.Seed, "probe", uint64(first+p0+i)), zz)
				for j, x := range zz {
					z[i*n+j] = float32(x) // +-1: exact
				}
			}
			kernels.Gemm(false, true, pk, rank, n, 1, z, n, q, n, 0, c, rank)
			kernels.Gemm(false, false, pk, n, rank, -1, c, rank, q, n, 1, z, n)
		}
		for j0 := 0; j0 < pk; j0 += b {
			k := min(b, pk-j0)
			for i := 0; i < k; i++ {
				row := in[i*n : (i+1)*n]
				if rank > 0 {
					widen(row, z[(j0+i)*n:(j0+i+1)*n], 1, false)
				} else {
					fillRademacher(newStream(cfg.Seed, "probe", uint64(first+p0+j0+i)), row)
				}
			}
			if err := interrupted(ctx, who); err != nil {
				return nil, err
			}
			op.ApplyBlock(in[:k*n], k, out[:k*n])
			for i := 0; i < k; i++ {
				vals = append(vals, dot(in[i*n:(i+1)*n], out[i*n:(i+1)*n]))
			}
		}
	}
	if err := checkFinite(vals, "trace"); err != nil {
		return nil, err
	}
	return vals, nil
}

// orthonormalRows32 returns an orthonormal basis (rows, float32) of the row
// space of the m x n matrix y and its rank, dropping directions whose
// singular value is below 3e-3 of the largest (rounding, or too weak to
// matter for deflation). It runs SVQB (Stathopoulos & Wu 2002) twice: with
// G = Y Y^T and D = diag(G)^(-1/2), eig(D G D) = V L V^T, the rows of
// L^(-1/2) V^T D Y are orthonormal. The Gram matrix and the product are
// float32 GEMMs and the small eigenproblem is float64; the first pass
// leaves an orthogonality error near eps*cond(Y)^2 on the kept directions,
// which the second pass, on a matrix of condition number near 1, brings to
// float32 rounding. y is overwritten.
func orthonormalRows32(y []float32, m, n int) ([]float32, int) {
	tmp := make([]float32, m*n)
	for pass := 0; pass < 2 && m > 0; pass++ {
		g := make([]float32, m*m)
		kernels.Gemm(false, true, m, m, n, 1, y, n, y, n, 0, g, m)
		d := make([]float64, m)
		for i := range d {
			if g[i*m+i] > 0 {
				d[i] = 1 / math.Sqrt(float64(g[i*m+i]))
			}
		}
		gs := mat.NewSymDense(m, nil)
		for i := 0; i < m; i++ {
			for j := i; j < m; j++ {
				gs.SetSym(i, j, 0.5*(float64(g[i*m+j])+float64(g[j*m+i]))*d[i]*d[j])
			}
		}
		var e mat.EigenSym
		if !e.Factorize(gs, true) {
			return nil, 0 // cannot happen for a finite symmetric matrix
		}
		vals := e.Values(nil)
		var v mat.Dense
		e.VectorsTo(&v)
		lmax := vals[m-1]
		var keep []int
		for j := m - 1; j >= 0; j-- { // largest first
			if lmax > 0 && vals[j] > 1e-5*lmax {
				keep = append(keep, j)
			}
		}
		r := len(keep)
		t := make([]float32, r*m) // L^(-1/2) V^T D, r x m
		for a, j := range keep {
			s := 1 / math.Sqrt(vals[j])
			for i := 0; i < m; i++ {
				t[a*m+i] = float32(s * v.At(i, j) * d[i])
			}
		}
		if r > 0 {
			kernels.Gemm(false, false, r, n, m, 1, t, m, y, n, 0, tmp, n)
		}
		y, tmp = tmp[:r*n], y
		m = r
	}
	return y[:m*n], m
}

// meanSE returns the sample mean and its standard error (sample standard
// deviation with n-1 over sqrt(n)), by a two-pass sum.
func meanSE(x []float64) (mean, se float64) {
	n := float64(len(x))
	if len(x) == 0 {
		return 0, math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if len(x) < 2 {
		return mean, math.NaN()
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// checkFinite reports a non-finite value in x as an error naming who met it.
func checkFinite(x []float64, who string) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("curvature: %s: operator product is not finite (element %d is %v)", who, i, v)
		}
	}
	return nil
}
