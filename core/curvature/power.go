package curvature

import (
	"context"
	"fmt"
	"math"
)

// PowerConfig sets up power iteration. Zero values take the defaults given,
// which are PyHessian's (hessian.eigenvalues(maxIter=100, tol=1e-3)).
type PowerConfig struct {
	// Top is the number of eigenpairs, found one after another, each
	// iteration deflated against those found (as PyHessian does). Default 1.
	Top int
	// MaxIter caps the iterations per eigenpair. Default 100.
	MaxIter int
	// Tol is the tolerance of the stopping rule. Default 1e-3.
	Tol float64
	// Stop is StopPyHessian (default: relative change of the Rayleigh
	// quotient below Tol) or StopResidual (||Hv - theta v|| <= Tol*|theta|,
	// which costs nothing extra: Hv is at hand).
	Stop Stop
	// Seed selects the start vectors: Gaussian, rng purpose "lanczos", index
	// j for eigenpair j, so eigenpair 0 starts where Lanczos does.
	Seed uint64
	// Vectors asks for the eigenvectors in the result.
	Vectors bool
}

// PowerIteration estimates the eigenpairs of largest magnitude by power
// iteration, as PyHessian does it: v <- Hv/||Hv|| with the Rayleigh quotient
// v.Hv as the estimate. It is the baseline the Lanczos figures are compared
// with, and is kept faithful to PyHessian, including its weakness: with
// StopPyHessian it stops when successive estimates agree to Tol, which on a
// slowly converging spectrum happens well before the estimate is Tol-accurate.
//
// The value reported under StopPyHessian is, like PyHessian's, the estimate
// from the iteration before the stop; its Residual is that iteration's
// ||Hv - theta v|| and its Vector that iteration's v, so the three agree
// (PyHessian returns the next iterate as its vector). Note that power
// iteration converges to the eigenvalue of largest magnitude, which is
// lambda_min when a negative eigenvalue dominates.
func PowerIteration(op Operator, cfg PowerConfig) (*Eigenpairs, error) {
	return PowerIterationContext(context.Background(), op, cfg)
}

// PowerIterationContext is PowerIteration, interruptible: it checks ctx
// before every application and, once ctx is done, returns no result and an
// error wrapping ctx.Err(). With a ctx that is never done the result is
// bitwise that of PowerIteration.
func PowerIterationContext(ctx context.Context, op Operator, cfg PowerConfig) (*Eigenpairs, error) {
	n := op.Dim()
	if cfg.Top == 0 {
		cfg.Top = 1
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 100
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-3
	}
	if cfg.Stop == StopDefault {
		cfg.Stop = StopPyHessian
	}
	switch {
	case cfg.Top < 0 || cfg.Top > n:
		return nil, fmt.Errorf("curvature: PowerIteration: Top = %d: must be in [1, %d]", cfg.Top, n)
	case cfg.MaxIter < 1:
		return nil, fmt.Errorf("curvature: PowerIteration: MaxIter = %d: must be positive", cfg.MaxIter)
	case !(cfg.Tol > 0) || cfg.Tol >= 1:
		return nil, fmt.Errorf("curvature: PowerIteration: Tol = %g: must be in (0, 1)", cfg.Tol)
	case cfg.Stop != StopPyHessian && cfg.Stop != StopResidual:
		return nil, fmt.Errorf("curvature: PowerIteration: Stop = %v: must be StopPyHessian or StopResidual", cfg.Stop)
	}

	res := &Eigenpairs{Converged: true}
	var found [][]float64 // deflation basis, one vector per pair
	v := make([]float64, n)
	hv := make([]float64, n)
	prevV := make([]float64, n)
	coef := make([]float64, cfg.Top)
	apps := 0
	for e := 0; e < cfg.Top; e++ {
		fillGaussian(newStream(cfg.Seed, "lanczos", uint64(e)), v)
		scal(1/nrm2(v), v)
		var (
			have            bool
			prev, prevResid float64
			pair            Eigenpair
			done            bool
		)
		for it := 0; it < cfg.MaxIter; it++ {
			// PyHessian re-orthonormalises against the pairs found so far
			// before every product (Gram-Schmidt, then normalisation).
			if e > 0 {
				nv := orthogonalize(found, v, coef)
				scal(1/nv, v)
			}
			if err := interrupted(ctx, "PowerIteration"); err != nil {
				return nil, err
			}
			op.Apply(v, hv)
			apps++
			res.Iterations++
			theta := dot(v, hv)
			norm := nrm2(hv)
			if math.IsNaN(norm) || math.IsInf(norm, 0) {
				return nil, fmt.Errorf("curvature: PowerIteration: operator product is not finite at iteration %d", it+1)
			}
			// Residual of (theta, v): ||Hv||^2 - theta^2 in exact arithmetic,
			// computed directly to avoid cancellation.
			resid := 0.0
			for i, x := range hv {
				d := x - theta*v[i]
				resid += d * d
			}
			resid = math.Sqrt(resid)
			switch cfg.Stop {
			case StopPyHessian:
				if have && math.Abs(prev-theta)/(math.Abs(prev)+1e-6) < cfg.Tol {
					pair = Eigenpair{Value: prev, Residual: prevResid, Converged: true}
					if cfg.Vectors || e+1 < cfg.Top {
						pair.Vector = append([]float64(nil), prevV...)
					}
					done = true
				}
			case StopResidual:
				if resid <= cfg.Tol*math.Abs(theta) {
					pair = Eigenpair{Value: theta, Residual: resid, Converged: true}
					if cfg.Vectors || e+1 < cfg.Top {
						pair.Vector = append([]float64(nil), v...)
					}
					done = true
				}
			}
			if done {
				break
			}
			if it == cfg.MaxIter-1 {
				pair = Eigenpair{Value: theta, Residual: resid}
				if cfg.Vectors || e+1 < cfg.Top {
					pair.Vector = append([]float64(nil), v...)
				}
				break
			}
			have, prev, prevResid = true, theta, resid
			copy(prevV, v)
			if norm == 0 {
				// Hv = 0: v is an exact null vector; nothing to iterate on.
				pair = Eigenpair{Value: 0, Residual: 0, Converged: true, Vector: append([]float64(nil), v...)}
				break
			}
			for i, x := range hv {
				v[i] = x / norm
			}
		}
		pair.ErrorEstimate = pair.Residual
		pair.TrueResidual = -1
		res.Converged = res.Converged && pair.Converged
		if pair.Vector != nil {
			found = append(found, append([]float64(nil), pair.Vector...))
		} else {
			found = append(found, append([]float64(nil), v...))
		}
		if !cfg.Vectors {
			pair.Vector = nil
		}
		res.Top = append(res.Top, pair)
	}
	res.Applications = apps
	est := fmt.Sprintf("power iteration (stop on %v < %g, max %d iterations)", cfg.Stop, cfg.Tol, cfg.MaxIter)
	if cfg.Stop == StopPyHessian {
		est = fmt.Sprintf("power iteration as PyHessian (stop on relative change < %g, max %d iterations)", cfg.Tol, cfg.MaxIter)
	}
	res.Stamp = stampFor(op, est, cfg.Seed)
	res.Stamp.Budget = apps
	res.Stamp.ErrorBarKind, res.Stamp.ErrorBar = "max relative residual", maxRelResidual(res)
	return res, nil
}
