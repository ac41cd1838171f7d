package curvature

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/lapack"
	lapackgonum "gonum.org/v1/gonum/lapack/gonum"
)

// Stop selects what "converged" means for an eigenpair.
type Stop int

const (
	// StopDefault takes the estimator's default: StopResidual for Lanczos,
	// StopPyHessian for PowerIteration.
	StopDefault Stop = iota
	// StopResidual accepts a Ritz pair (theta, y) once the residual
	// ||H y - theta y|| <= Tol*|theta|. The residual is a rigorous bound:
	// some eigenvalue of H lies within it of theta.
	StopResidual
	// StopValue accepts a pair once its eigenvalue error estimate
	// min(r, r^2/gap) <= Tol*|theta|, where gap is the distance to the
	// nearest other Ritz value. Eigenvalues converge about twice as fast as
	// vectors, so this stops earlier; the gap is itself estimated from the
	// Ritz values, so the bound is an estimate, not a guarantee.
	StopValue
	// StopPyHessian is PyHessian's rule for power iteration: stop when the
	// Rayleigh quotient changes by less than Tol relative to the previous one
	// (|prev - cur| / (|prev| + 1e-6) < Tol) and report the previous value.
	// Only PowerIteration accepts it.
	StopPyHessian
)

func (s Stop) String() string {
	switch s {
	case StopDefault:
		return "default"
	case StopResidual:
		return "residual"
	case StopValue:
		return "value"
	case StopPyHessian:
		return "pyhessian"
	}
	return fmt.Sprintf("Stop(%d)", int(s))
}

// LanczosConfig sets up Lanczos. Zero values take the defaults given.
type LanczosConfig struct {
	// Top and Bottom are the numbers of largest and smallest (algebraic)
	// eigenpairs wanted; at least one must be positive. Default Top 1.
	Top, Bottom int
	// Tol is the relative tolerance of the stopping rule. Default 1e-3.
	Tol float64
	// AbsTol also accepts a pair whose residual (or error estimate) is below
	// it, for eigenvalues at or near zero where a relative test cannot be
	// met. Default 0: only the operator's rounding floor applies
	// (Inexact, or 1e-13 ||T|| for float64 operators).
	AbsTol float64
	// Stop is the stopping rule: StopResidual (the default) or StopValue.
	Stop Stop
	// MaxIter caps the Krylov dimension (one application per iteration).
	// The basis is kept in memory for full reorthogonalisation, one Dim
	// float64 vector per iteration (5.4 MB each for a 670k-parameter
	// network: 536 MB at 100 iterations; a top-1 run to 1e-3 typically needs
	// 10). Default min(Dim, max(100, 4*(Top+Bottom))).
	MaxIter int
	// Seed selects the start vector (rng purpose "lanczos", index 0): a
	// Gaussian vector, so the start has a component along every eigenvector
	// with probability 1.
	Seed uint64
	// Start, when not empty, replaces the random start vector: a block of
	// vectors, typically the Ritz vectors of the previous measurement of a
	// nearby operator (tracking lambda_max along a training trajectory, see
	// warmStart). One vector is the start itself; a block of K > 1 costs K
	// applications (one ApplyBlock) and starts from the best combination
	// of the block. Seed still seeds the restarts.
	Start [][]float64
	// Vectors asks for the Ritz vectors in the result (one Dim-vector each).
	Vectors bool
	// Verify recomputes each wanted pair's residual ||H y - theta y||
	// directly, with one extra block of Top+Bottom applications, and
	// reports it as Eigenpair.TrueResidual. The recurrence's residual is
	// exact in exact arithmetic; for an operator computed in float32 the
	// reported one is floored at the operator's precision (Inexact), and
	// this shows the actual value.
	Verify bool
}

// Eigenpair is one estimated eigenvalue with its error bars.
type Eigenpair struct {
	Value float64 `json:"value"`
	// Residual is ||H y - theta y|| for the unit Ritz vector y, from the
	// Lanczos recurrence (beta_m |s_m|), but never below the operator's
	// rounding floor (Inexact). An eigenvalue of H lies within Residual of
	// Value.
	Residual float64 `json:"residual"`
	// ErrorEstimate estimates |Value - lambda|: min(Residual,
	// Residual^2/gap), with gap the distance to the neighbouring Ritz values
	// less their own residuals, and no lower than the operator's rounding
	// floor. An estimate, since the gap is.
	ErrorEstimate float64 `json:"error_estimate"`
	// TrueResidual is the residual recomputed with one more application
	// (LanczosConfig.Verify); -1 when not computed.
	TrueResidual float64 `json:"true_residual"`
	Converged    bool    `json:"converged"`
	// Vector is the unit Ritz vector, when asked for.
	Vector []float64 `json:"-"`
}

// Eigenpairs is the result of Lanczos or PowerIteration.
type Eigenpairs struct {
	// Top holds the largest eigenvalues, largest first; Bottom the smallest,
	// smallest first.
	Top    []Eigenpair `json:"top,omitempty"`
	Bottom []Eigenpair `json:"bottom,omitempty"`
	// Converged reports whether every wanted pair met the stopping rule.
	Converged bool `json:"converged"`
	// Iterations is the Krylov dimension reached (Lanczos) or the number of
	// power steps summed over eigenvalues.
	Iterations int `json:"iterations"`
	// Applications is the number of operator applications spent.
	Applications int   `json:"applications"`
	Stamp        Stamp `json:"stamp"`
}

// krylov holds an orthonormal Lanczos basis and its tridiagonal matrix.
type krylov struct {
	op    Operator
	n, m  int
	basis [][]float64 // m vectors of length n, allocated as they come
	alpha []float64   // diagonal of T
	beta  []float64   // beta[j] couples q_j and q_{j+1}; 0 across a restart
	coef  []float64
}

func newKrylov(op Operator, maxIter int) *krylov {
	n := op.Dim()
	// The basis is not preallocated: zeroing MaxIter*Dim float64s up front
	// (536 MB for 100 vectors of a 670k-parameter network) would cost more
	// than the ten products a typical run needs.
	return &krylov{op: op, n: n, coef: make([]float64, maxIter)}
}

// q returns basis vector j.
func (k *krylov) q(j int) []float64 { return k.basis[j] }

// push appends a unit vector to the basis.
func (k *krylov) push(v []float64) {
	k.basis = append(k.basis, append([]float64(nil), v...))
	k.m++
}

// absorb takes w = H q_{m-1}, applies the three-term recurrence
// (w -= alpha q_{m-1} + beta_{m-2} q_{m-2}), then reorthogonalises w against
// the whole basis (full reorthogonalisation, twice when needed), records
// alpha_{m-1} (corrected by the reorthogonalisation's projection on q_{m-1})
// and beta_{m-1} = ||w||, and leaves w orthogonal to the basis. Doing the
// recurrence first matters for speed: it removes the large components, so
// the "twice when needed" test rarely asks for the second pass.
func (k *krylov) absorb(w []float64) float64 {
	j := k.m - 1
	alpha := dot(k.basis[j], w)
	axpy(-alpha, k.basis[j], w)
	if j > 0 {
		axpy(-k.beta[j-1], k.basis[j-1], w)
	}
	beta := orthogonalize(k.basis, w, k.coef)
	k.alpha = append(k.alpha, alpha+k.coef[j])
	k.beta = append(k.beta, beta)
	return beta
}

// normT returns max |alpha|, |beta|: a lower bound on ||H|| within a factor
// of 3 of ||T||, used to scale tolerances.
func (k *krylov) normT() float64 {
	s := 0.0
	for i, a := range k.alpha {
		s = math.Max(s, math.Abs(a))
		s = math.Max(s, math.Abs(k.beta[i]))
	}
	return s
}

// eigenvalues returns the eigenvalues (ascending) of the tridiagonal
// matrix with diagonal alpha and off-diagonal beta[:len(alpha)-1].
func eigenvalues(alpha, beta []float64) ([]float64, error) {
	d := append([]float64(nil), alpha...)
	if len(d) == 0 {
		return nil, nil
	}
	e := append([]float64(nil), beta[:len(d)-1]...)
	if !(lapackgonum.Implementation{}).Dsteqr(lapack.EVCompNone, len(d), d, e, nil, 1, nil) {
		return nil, errors.New("curvature: tridiagonal eigensolver did not converge")
	}
	return d, nil
}

// blockContributes reports whether the invariant block T[from:m, from:m]
// has an eigenvalue that enters the wanted top or bottom values of the
// blocks before it (by more than a rounding margin).
func (k *krylov) blockContributes(from int, cfg LanczosConfig, normT float64) bool {
	prev, err1 := eigenvalues(k.alpha[:from], k.beta)
	blk, err2 := eigenvalues(k.alpha[from:], k.beta[from:])
	if err1 != nil || err2 != nil || len(blk) == 0 {
		return err1 != nil || err2 != nil // when unsure, keep looking
	}
	margin := 1e-9 * normT
	if cfg.Top > 0 && (len(prev) < cfg.Top || blk[len(blk)-1] > prev[len(prev)-cfg.Top]+margin) {
		return true
	}
	if cfg.Bottom > 0 && (len(prev) < cfg.Bottom || blk[0] < prev[cfg.Bottom-1]-margin) {
		return true
	}
	return false
}

// ritz returns the eigenvalues (ascending) and eigenvectors (row-major m x m,
// column i is vector i) of the current m x m tridiagonal matrix.
func (k *krylov) ritz() (theta, s []float64, err error) {
	m := k.m
	theta = append([]float64(nil), k.alpha...)
	e := append([]float64(nil), k.beta[:m-1]...)
	s = make([]float64, m*m)
	work := make([]float64, max(1, 2*m-2))
	if !(lapackgonum.Implementation{}).Dsteqr(lapack.EVTridiag, m, theta, e, s, m, work) {
		return nil, nil, errors.New("curvature: tridiagonal eigensolver did not converge")
	}
	return theta, s, nil
}

// vector returns the Ritz vector sum_l s[l,i] q_l.
func (k *krylov) vector(s []float64, i int) []float64 {
	y := make([]float64, k.n)
	for l := 0; l < k.m; l++ {
		axpy(s[l*k.m+i], k.q(l), y)
	}
	return y
}

// randomUnit draws a Gaussian vector from (seed, purpose, index), removes its
// components along the basis, and normalises it. ok is false when nothing
// is left (the basis spans the space).
func (k *krylov) randomUnit(seed uint64, purpose string, index uint64) (v []float64, ok bool) {
	v = make([]float64, k.n)
	fillGaussian(newStream(seed, purpose, index), v)
	before := nrm2(v)
	after := orthogonalize(k.basis, v, k.coef)
	if after <= 1e-10*before {
		return nil, false
	}
	scal(1/after, v)
	return v, true
}

// Lanczos estimates the largest and smallest eigenpairs of op by the Lanczos
// method with full reorthogonalisation, stopping on the Ritz residuals of
// the wanted pairs (cfg.Stop). It needs one application per iteration and
// keeps the whole basis (see LanczosConfig.MaxIter for its memory).
//
// Why full reorthogonalisation: without it, rounding makes the basis lose
// orthogonality as soon as a Ritz value converges, and spurious copies of
// the top eigenvalue appear ("ghosts"), which silently corrupt top-k
// spectra. Against a basis of m vectors it costs about 4*m*Dim flops per
// iteration, streaming the basis from memory: well below a network product
// for the first few dozen iterations, comparable with one (20 ms) near
// m = 70 for mlp:784-512-512-10.
//
// Single-vector Lanczos sees one copy of an exactly repeated eigenvalue per
// Krylov space (the Krylov space of a matrix with d distinct eigenvalues has
// dimension d). When the space becomes invariant, Lanczos continues from a
// fresh random vector orthogonal to it (rng purpose "lanczos", index 1, 2,
// ...), and stops once such a fresh invariant block adds nothing to the
// wanted values, which then include every copy. Network curvature matrices
// computed in float32 have no exact multiplicities, so this matters for
// synthetic operators and exact null spaces.
func Lanczos(op Operator, cfg LanczosConfig) (*Eigenpairs, error) {
	return LanczosContext(context.Background(), op, cfg)
}

// LanczosContext is Lanczos, interruptible: it checks ctx before every
// application (each iteration's product, and the Verify block) and, once ctx
// is done, returns no result and an error wrapping ctx.Err(). With a ctx
// that is never done the result is bitwise that of Lanczos.
func LanczosContext(ctx context.Context, op Operator, cfg LanczosConfig) (*Eigenpairs, error) {
	n := op.Dim()
	if cfg.Top == 0 && cfg.Bottom == 0 {
		cfg.Top = 1
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-3
	}
	if cfg.Stop == StopDefault {
		cfg.Stop = StopResidual
	}
	want := cfg.Top + cfg.Bottom
	if cfg.MaxIter == 0 {
		cfg.MaxIter = min(n, max(100, 4*want))
	}
	switch {
	case cfg.Top < 0 || cfg.Bottom < 0:
		return nil, fmt.Errorf("curvature: Lanczos: Top = %d, Bottom = %d: must not be negative", cfg.Top, cfg.Bottom)
	case want > n:
		return nil, fmt.Errorf("curvature: Lanczos: Top+Bottom = %d: exceeds the dimension %d", want, n)
	case !(cfg.Tol > 0) || cfg.Tol >= 1:
		return nil, fmt.Errorf("curvature: Lanczos: Tol = %g: must be in (0, 1)", cfg.Tol)
	case !(cfg.AbsTol >= 0):
		return nil, fmt.Errorf("curvature: Lanczos: AbsTol = %g: must be non-negative", cfg.AbsTol)
	case cfg.Stop != StopResidual && cfg.Stop != StopValue:
		return nil, fmt.Errorf("curvature: Lanczos: Stop = %v: must be StopResidual or StopValue", cfg.Stop)
	case cfg.MaxIter < want || cfg.MaxIter > n:
		return nil, fmt.Errorf("curvature: Lanczos: MaxIter = %d: must be in [Top+Bottom, Dim] = [%d, %d]", cfg.MaxIter, want, n)
	}

	k := newKrylov(op, cfg.MaxIter)
	// first, when set, is the product of the start vector, already known
	// from a warm start's block.
	start, first, apps, err := warmStart(ctx, op, cfg)
	if err != nil {
		return nil, err
	}
	if start == nil {
		start, _ = k.randomUnit(cfg.Seed, "lanczos", 0)
	}
	k.push(start)
	w := make([]float64, n)
	restarts, blockStart := 0, 0
	var (
		res  *Eigenpairs
		ritz []float64 // eigenvectors of T for res
	)
	for {
		if err := interrupted(ctx, "Lanczos"); err != nil {
			return nil, err
		}
		if first != nil {
			copy(w, first)
			first = nil
		} else {
			op.Apply(k.q(k.m-1), w)
			apps++
		}
		beta := k.absorb(w)
		if math.IsNaN(beta) || math.IsInf(beta, 0) {
			return nil, fmt.Errorf("curvature: Lanczos: operator product is not finite at iteration %d", k.m)
		}
		normT := k.normT()
		// The Krylov space is invariant when w vanishes relative to H.
		breakdown := beta <= 1e-12*normT
		if breakdown {
			k.beta[k.m-1] = 0
		}
		if k.m >= want {
			var err error
			if res, ritz, err = k.extract(cfg, normT); err != nil {
				return nil, err
			}
		}
		if breakdown {
			// Every pair of an invariant block is exact, so the residual
			// test passes trivially; what is unknown is whether the
			// complement holds wanted eigenvalues (a repeated one, or one
			// the start vector missed). A random vector in the complement
			// has a component along each of its eigenvectors, so its own
			// invariant block contains all of the complement's distinct
			// eigenvalues: once such a block adds nothing to the wanted
			// values, they are certified.
			if k.m < cfg.MaxIter && (k.m < want || k.blockContributes(blockStart, cfg, normT)) {
				restarts++
				if v, ok := k.randomUnit(cfg.Seed, "lanczos", uint64(restarts)); ok {
					blockStart = k.m
					k.push(v)
					continue
				}
			}
			break
		}
		if (res != nil && res.Converged) || k.m == cfg.MaxIter {
			break
		}
		scal(1/beta, w)
		k.push(w)
	}
	if res == nil { // cannot happen: MaxIter >= Top+Bottom
		return nil, errors.New("curvature: Lanczos: no Ritz pairs")
	}
	res.Iterations = k.m
	if cfg.Vectors || cfg.Verify {
		k.vectors(res, ritz)
	}
	if cfg.Verify {
		if err := interrupted(ctx, "Lanczos"); err != nil {
			return nil, err
		}
		apps += verifyResiduals(op, res)
	}
	res.Applications = apps
	est := fmt.Sprintf("lanczos (full reorthogonalisation, stop on %v <= %g relative)", cfg.Stop, cfg.Tol)
	if len(cfg.Start) > 0 {
		est = fmt.Sprintf("lanczos (full reorthogonalisation, warm start from %d vectors, stop on %v <= %g relative)", len(cfg.Start), cfg.Stop, cfg.Tol)
	}
	res.Stamp = stampFor(op, est, cfg.Seed)
	res.Stamp.Budget = apps
	res.Stamp.ErrorBarKind, res.Stamp.ErrorBar = "max relative Ritz residual", maxRelResidual(res)
	if !cfg.Vectors {
		for _, ps := range [][]Eigenpair{res.Top, res.Bottom} {
			for i := range ps {
				ps[i].Vector = nil
			}
		}
	}
	return res, nil
}

// vectors forms the Ritz vectors of the wanted pairs from s, the
// eigenvectors of T.
func (k *krylov) vectors(res *Eigenpairs, s []float64) {
	for i := range res.Top {
		res.Top[i].Vector = k.vector(s, k.m-1-i)
	}
	for i := range res.Bottom {
		res.Bottom[i].Vector = k.vector(s, i)
	}
}

// extract computes the wanted Ritz values of the current basis, their error
// bars and whether they meet the stopping rule; it returns the eigenvectors
// of T too, from which the Ritz vectors are formed once at the end.
func (k *krylov) extract(cfg LanczosConfig, normT float64) (*Eigenpairs, []float64, error) {
	theta, s, err := k.ritz()
	if err != nil {
		return nil, nil, err
	}
	m := k.m
	betaM := k.beta[m-1]
	// The recurrence's residual keeps shrinking after the products' own
	// rounding error dominates (it can reach 1e-18 where the true residual
	// of a float32 operator is 1e-6), so it is floored at the operator's
	// precision, and a pair at that floor counts as converged: no
	// tolerance below it can be met.
	roundoff := max(operatorPrecision(k.op), 1e-13) * normT
	floor := math.Max(cfg.AbsTol, roundoff)
	resid := make([]float64, m)
	for i := range resid {
		resid[i] = math.Max(math.Abs(betaM*s[(m-1)*m+i]), roundoff)
	}
	pair := func(i int) Eigenpair {
		r := resid[i]
		// The gap to the rest of the spectrum is estimated from the
		// neighbouring Ritz values, each moved towards theta_i by its own
		// residual (an eigenvalue lies within it); with no neighbour, or
		// overlapping intervals, the estimate falls back to r itself.
		gap := math.Inf(1)
		if i > 0 {
			gap = theta[i] - theta[i-1] - resid[i-1]
		}
		if i < m-1 {
			gap = math.Min(gap, theta[i+1]-theta[i]-resid[i+1])
		}
		est := r
		if gap > 0 && !math.IsInf(gap, 1) {
			// No eigenvalue is known better than the products resolve.
			est = math.Max(math.Min(r, r*r/gap), roundoff)
		}
		crit := r
		if cfg.Stop == StopValue {
			crit = est
		}
		return Eigenpair{
			Value:         theta[i],
			Residual:      r,
			ErrorEstimate: est,
			TrueResidual:  -1,
			Converged:     crit <= cfg.Tol*math.Abs(theta[i]) || crit <= floor,
		}
	}
	res := &Eigenpairs{Converged: true}
	for i := 0; i < cfg.Top; i++ {
		res.Top = append(res.Top, pair(m-1-i))
	}
	for i := 0; i < cfg.Bottom; i++ {
		res.Bottom = append(res.Bottom, pair(i))
	}
	for _, ps := range [][]Eigenpair{res.Top, res.Bottom} {
		for _, p := range ps {
			res.Converged = res.Converged && p.Converged
		}
	}
	return res, s, nil
}
