package curvature

import (
	"context"
	"fmt"
	"math"
)

// SLQConfig sets up stochastic Lanczos quadrature. Zero values take the
// defaults given.
type SLQConfig struct {
	// Probes is the number of random start vectors. Default 10.
	Probes int
	// Steps is the number of Lanczos steps per probe (the quadrature has
	// Steps nodes, exact for polynomials up to degree 2*Steps-1). Default
	// min(Dim, 80).
	Steps int
	// Block is the number of probes run side by side, their products taken
	// as one ApplyBlock. Each keeps its basis for full reorthogonalisation:
	// Block*Steps*Dim float64s. Default 1.
	Block int
	// Sigma is the standard deviation of the Gaussian kernel that smooths
	// the nodes into a density. Default (max node - min node)/100, or 1e-3
	// of the largest |node| when all nodes coincide.
	Sigma float64
	// GridPoints is the size of the density grid, which spans the nodes
	// +-5 Sigma. Default 1000.
	GridPoints int
	// Seed selects the probes: Rademacher vectors scaled to unit length,
	// rng purpose "probe", index j.
	Seed uint64
}

// Density is a spectral density estimate: for each probe v_l, the Gauss
// quadrature of the measure sum_i (v_l . u_i)^2 delta(lambda_i), i.e. nodes
// theta_lj (Ritz values) and weights w_lj (squared first components of T's
// eigenvectors, summing to 1). Averaged over probes it estimates the
// spectral density (1/Dim) sum_i delta(lambda_i) (Lin, Saad & Yang 2016;
// Ubaru, Chen & Saad 2017; Ghorbani, Krishnan & Xiao 2019).
type Density struct {
	Nodes   [][]float64 `json:"nodes"`
	Weights [][]float64 `json:"weights"`
	// Grid and Values are the density smoothed with a Gaussian of width
	// Sigma: Values[i] = (1/Probes) sum_lj w_lj N(Grid[i]; theta_lj, Sigma^2).
	Grid   []float64 `json:"grid"`
	Values []float64 `json:"values"`
	Sigma  float64   `json:"sigma"`
	// Dim is the operator's dimension, which scales moments to traces.
	Dim          int   `json:"dim"`
	Applications int   `json:"applications"`
	Stamp        Stamp `json:"stamp"`
}

// Moment returns the quadrature estimate of (1/Dim) Tr(H^p): the
// probe-averaged sum_j w_lj theta_lj^p. It is exact for each probe's
// quadratic form v^T H^p v / v^T v while p < 2*Steps.
func (d *Density) Moment(p int) float64 {
	s := 0.0
	for l := range d.Nodes {
		for j, t := range d.Nodes[l] {
			s += d.Weights[l][j] * math.Pow(t, float64(p))
		}
	}
	return s / float64(len(d.Nodes))
}

// Trace returns the trace estimate Dim * Moment(1) with its standard error
// over probes: the same estimator as Hutchinson on the same probes, got for
// free from the quadrature.
func (d *Density) Trace() (value, stdErr float64) {
	vals := make([]float64, len(d.Nodes))
	for l := range d.Nodes {
		for j, t := range d.Nodes[l] {
			vals[l] += d.Weights[l][j] * t
		}
		vals[l] *= float64(d.Dim)
	}
	return meanSE(vals)
}

// SpectralDensity estimates the spectral density of op by stochastic Lanczos
// quadrature. Each probe runs Steps Lanczos steps with full
// reorthogonalisation (as PyHessian's density does; without it, ghost copies
// of the top eigenvalues inflate the weight of the spectrum's edge).
func SpectralDensity(op Operator, cfg SLQConfig) (*Density, error) {
	return SpectralDensityContext(context.Background(), op, cfg)
}

// SpectralDensityContext is SpectralDensity, interruptible: it checks ctx
// before every block of products (one Lanczos step of up to Block probes)
// and, once ctx is done, returns no result and an error wrapping ctx.Err().
// With a ctx that is never done the result is bitwise that of
// SpectralDensity.
func SpectralDensityContext(ctx context.Context, op Operator, cfg SLQConfig) (*Density, error) {
	n := op.Dim()
	if cfg.Probes == 0 {
		cfg.Probes = 10
	}
	if cfg.Steps == 0 {
		cfg.Steps = min(n, 80)
	}
	if cfg.Block == 0 {
		cfg.Block = 1
	}
	if cfg.GridPoints == 0 {
		cfg.GridPoints = 1000
	}
	switch {
	case cfg.Probes < 1:
		return nil, fmt.Errorf("curvature: SpectralDensity: Probes = %d: must be positive", cfg.Probes)
	case cfg.Steps < 1 || cfg.Steps > n:
		return nil, fmt.Errorf("curvature: SpectralDensity: Steps = %d: must be in [1, %d]", cfg.Steps, n)
	case cfg.Block < 1:
		return nil, fmt.Errorf("curvature: SpectralDensity: Block = %d: must be positive", cfg.Block)
	case !(cfg.Sigma >= 0) || math.IsInf(cfg.Sigma, 0):
		return nil, fmt.Errorf("curvature: SpectralDensity: Sigma = %g: must be finite and non-negative", cfg.Sigma)
	case cfg.GridPoints < 2:
		return nil, fmt.Errorf("curvature: SpectralDensity: GridPoints = %d: must be at least 2", cfg.GridPoints)
	}

	d := &Density{Dim: n}
	apps := 0
	in := make([]float64, cfg.Block*n)
	out := make([]float64, cfg.Block*n)
	for p0 := 0; p0 < cfg.Probes; p0 += cfg.Block {
		b := min(cfg.Block, cfg.Probes-p0)
		ks := make([]*krylov, b)
		live := make([]bool, b) // false once a probe's Krylov space is invariant
		for i := range ks {
			ks[i] = newKrylov(op, cfg.Steps)
			v := make([]float64, n)
			fillRademacher(newStream(cfg.Seed, "probe", uint64(p0+i)), v)
			scal(1/math.Sqrt(float64(n)), v)
			ks[i].push(v)
			live[i] = true
		}
		for step := 0; step < cfg.Steps; step++ {
			// Gather the live probes' current vectors into one block.
			var idx []int
			for i, k := range ks {
				if live[i] {
					copy(in[len(idx)*n:], k.q(k.m-1))
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				break
			}
			if err := interrupted(ctx, "SpectralDensity"); err != nil {
				return nil, err
			}
			op.ApplyBlock(in[:len(idx)*n], len(idx), out[:len(idx)*n])
			apps += len(idx)
			for r, i := range idx {
				k := ks[i]
				w := out[r*n : (r+1)*n]
				beta := k.absorb(w)
				if math.IsNaN(beta) || math.IsInf(beta, 0) {
					return nil, fmt.Errorf("curvature: SpectralDensity: operator product is not finite (probe %d, step %d)", p0+i, step+1)
				}
				// An invariant Krylov space ends the probe: its quadrature
				// is then exact, with fewer nodes.
				if beta <= 1e-12*k.normT() || k.m == cfg.Steps {
					live[i] = false
					continue
				}
				v := make([]float64, n)
				for j, x := range w {
					v[j] = x / beta
				}
				k.push(v)
			}
		}
		for _, k := range ks {
			theta, s, err := k.ritz()
			if err != nil {
				return nil, err
			}
			wts := make([]float64, k.m)
			for j := range wts {
				wts[j] = s[j] * s[j] // first row of the eigenvector matrix
			}
			d.Nodes = append(d.Nodes, theta)
			d.Weights = append(d.Weights, wts)
		}
	}
	d.Applications = apps
	d.smooth(cfg.Sigma, cfg.GridPoints)
	tr, se := d.Trace()
	d.Stamp = stampFor(op, fmt.Sprintf("stochastic Lanczos quadrature (%d probes x %d steps, full reorthogonalisation, sigma %.3g)", cfg.Probes, cfg.Steps, d.Sigma), cfg.Seed)
	d.Stamp.Budget = apps
	// The density has no single error bar; the trace it implies does.
	d.Stamp.ErrorBarKind = fmt.Sprintf("standard error of the implied trace %.6g", tr)
	d.Stamp.ErrorBar = se
	return d, nil
}

// smooth fills Grid and Values.
func (d *Density) smooth(sigma float64, points int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ns := range d.Nodes {
		for _, t := range ns {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	if sigma == 0 {
		sigma = (hi - lo) / 100
		if sigma == 0 {
			sigma = 1e-3 * math.Max(math.Abs(hi), 1e-300)
		}
	}
	d.Sigma = sigma
	lo, hi = lo-5*sigma, hi+5*sigma
	d.Grid = make([]float64, points)
	d.Values = make([]float64, points)
	norm := 1 / (sigma * math.Sqrt(2*math.Pi) * float64(len(d.Nodes)))
	for i := range d.Grid {
		x := lo + (hi-lo)*float64(i)/float64(points-1)
		d.Grid[i] = x
		s := 0.0
		for l, ns := range d.Nodes {
			for j, t := range ns {
				z := (x - t) / sigma
				s += d.Weights[l][j] * math.Exp(-0.5*z*z)
			}
		}
		d.Values[i] = s * norm
	}
}
