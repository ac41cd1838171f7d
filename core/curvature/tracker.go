package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// TrackerConfig sets up an EigenTracker. Zero values take the defaults
// given.
type TrackerConfig struct {
	K int // eigenpairs tracked, >= 1
	// Tol is each update's Lanczos tolerance (StopResidual). Default 1e-2.
	Tol float64
	// MaxIter caps each update's Krylov dimension (0: Lanczos's default).
	MaxIter int
	// Seed seeds the updates: update r (from 0) runs Lanczos with the seed
	// rng.Derive(Seed, Purpose, r).
	Seed uint64
	// Purpose names the seed stream (default "eigen-tracker"; the Nudger
	// uses "nudge").
	Purpose string
	// Network configures the Hessian operator of every update.
	Network NetworkConfig
}

// EigenRecord is one update of an EigenTracker (or one refresh of a
// Nudger's projector).
type EigenRecord struct {
	Step int `json:"step"` // the caller's step label
	// Eigenvalues are the K Ritz values, largest first, and Residuals
	// their residual bounds ||H y - theta y||.
	Eigenvalues  []float64 `json:"eigenvalues"`
	Residuals    []float64 `json:"residuals"`
	Applications int       `json:"applications"` // Hessian-vector products spent
	Converged    bool      `json:"converged"`
	Warm         bool      `json:"warm"` // started from the previous update's vectors
}

// EigenTracker follows the top-K Hessian eigenspace along a training
// trajectory: each Update measures it at the model's current parameters by
// Lanczos, warm-started from the previous update's K Ritz vectors
// (LanczosConfig.Start). The saving is real for K = 1 (in
// TestEigenTrackerWarmAlongTrajectory, 24 products over four updates
// against 35 cold) and small for K > 1 (1-3% at K = 2, 3): a block start
// costs K products and Lanczos then runs from one combined vector. Use it from a train.Config.OnStep hook every M
// steps (C7, C8), or through a Nudger. Not safe for concurrent use.
type EigenTracker struct {
	cfg     TrackerConfig
	proj    *Projector
	history []EigenRecord
}

// NewEigenTracker checks cfg and returns a tracker with no measurement yet.
func NewEigenTracker(cfg TrackerConfig) (*EigenTracker, error) {
	switch {
	case cfg.K < 1:
		return nil, fmt.Errorf("curvature: NewEigenTracker: K %d: must be >= 1", cfg.K)
	case cfg.Tol < 0 || cfg.Tol >= 1 || math.IsNaN(cfg.Tol):
		return nil, fmt.Errorf("curvature: NewEigenTracker: Tol %g: must be in (0, 1) (0: default 1e-2)", cfg.Tol)
	case cfg.MaxIter < 0:
		return nil, fmt.Errorf("curvature: NewEigenTracker: MaxIter %d: must be >= 0", cfg.MaxIter)
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-2
	}
	if cfg.Purpose == "" {
		cfg.Purpose = "eigen-tracker"
	}
	return &EigenTracker{cfg: cfg}, nil
}

// Config returns the configuration in use (defaults filled in).
func (t *EigenTracker) Config() TrackerConfig { return t.cfg }

// Projector returns the projector of the last update (nil before the
// first). Its Values are the eigenvalues, its Vectors the eigenvectors
// (largest first).
func (t *EigenTracker) Projector() *Projector { return t.proj }

// History returns every update's record, in order. Do not modify it.
func (t *EigenTracker) History() []EigenRecord { return t.history }

// Update measures the top-K eigenspace of the Hessian of m's mean loss on
// b (evaluation mode; see NewHessian) at m's current parameters, records it
// under step, and returns its projector. selection describes b for the
// stamps. A run that does not converge within MaxIter is kept and recorded
// as such; only a failed product or a done ctx is an error.
func (t *EigenTracker) Update(ctx context.Context, step int, m *nn.Model, b data.Batch, selection string) (*Projector, error) {
	ncfg := t.cfg.Network
	ncfg.Selection = selection
	op, err := NewHessian(m, b, ncfg)
	if err != nil {
		return nil, err
	}
	lc := LanczosConfig{Tol: t.cfg.Tol, MaxIter: t.cfg.MaxIter, Seed: rng.Derive(t.cfg.Seed, t.cfg.Purpose, uint64(len(t.history)))}
	warm := t.proj != nil
	if warm {
		lc.Start = t.proj.Vectors()
	}
	p, res, err := TopEigenspace(ctx, op, t.cfg.K, lc)
	if err != nil {
		return nil, err
	}
	r := EigenRecord{Step: step, Applications: res.Applications, Converged: res.Converged, Warm: warm}
	for _, e := range res.Top {
		r.Eigenvalues = append(r.Eigenvalues, e.Value)
		r.Residuals = append(r.Residuals, e.Residual)
	}
	t.proj = p
	t.history = append(t.history, r)
	return p, nil
}
