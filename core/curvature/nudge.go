package curvature

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// NudgeConfig sets up Nudged SGD (P3; Jastrzebski et al. 2019, "On the
// relation between the sharpest directions of DNN loss and the SGD step
// length"): every step's mini-batch gradient g is replaced by
//
//	(I - P_K) g + Gamma P_K g
//
// where P_K is the projector on the top K eigenvectors of the Hessian,
// recomputed by Lanczos every M steps and held fixed in between. Gamma < 1
// damps the step along the sharpest directions, Gamma > 1 amplifies it,
// Gamma = 1 is SGD (bit for bit: the projected part is added with weight 0;
// the eigenvectors are still computed, so a Gamma = 1 run costs what the
// others do and records the same eigenvalues).
type NudgeConfig struct {
	Gamma float64 // >= 0, finite
	K     int     // eigenvectors, >= 1
	M     int     // steps between refreshes, >= 1 (refreshed at steps 1, 1+M, 1+2M, ...)

	// Tol is each refresh's Lanczos tolerance (StopResidual: every one of
	// the K Ritz pairs has ||H y - theta y|| <= Tol |theta|). Default 1e-2.
	// A refresh that does not converge within MaxIter is used anyway and
	// recorded as such (NudgeRefresh.Converged).
	Tol float64
	// MaxIter caps each refresh's Krylov dimension; 0 takes Lanczos's
	// default (max(100, 4K), at most the parameter count).
	MaxIter int
	// Seed seeds the refreshes: refresh r (from 0) runs Lanczos with the
	// seed rng.Derive(Seed, "nudge", r).
	Seed uint64
	// Network configures the Hessian operator (chunking, caching). Weight
	// decay stays excluded unless set there.
	Network NetworkConfig
}

// ParseNudge reads "GAMMA,K,M" (the --nudge flag and the nudge field of a
// train spec), e.g. "0.1,5,10": gamma 0.1 on the top 5 eigenvectors,
// refreshed every 10 steps. Errors are one line.
func ParseNudge(s string) (NudgeConfig, error) {
	parts := strings.Split(strings.TrimSpace(s), ",")
	if len(parts) != 3 {
		return NudgeConfig{}, fmt.Errorf("nudge %q: want GAMMA,K,M (e.g. 0.1,5,10)", s)
	}
	gamma, err := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
	if err != nil {
		return NudgeConfig{}, fmt.Errorf("nudge %q: gamma %q is not a number", s, parts[0])
	}
	k, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil {
		return NudgeConfig{}, fmt.Errorf("nudge %q: K %q is not an integer", s, parts[1])
	}
	m, err := strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil {
		return NudgeConfig{}, fmt.Errorf("nudge %q: M %q is not an integer", s, parts[2])
	}
	c := NudgeConfig{Gamma: gamma, K: k, M: m}
	if err := c.Validate(); err != nil {
		return NudgeConfig{}, fmt.Errorf("nudge %q: %v", s, err)
	}
	return c, nil
}

// String is the canonical "GAMMA,K,M" form that ParseNudge reads.
func (c NudgeConfig) String() string {
	return strconv.FormatFloat(c.Gamma, 'g', -1, 64) + "," + strconv.Itoa(c.K) + "," + strconv.Itoa(c.M)
}

// Validate reports an impossible setting as a one-line error.
func (c NudgeConfig) Validate() error {
	switch {
	case !(c.Gamma >= 0) || math.IsInf(c.Gamma, 0):
		return fmt.Errorf("gamma %g: must be >= 0 and finite", c.Gamma)
	case c.K < 1:
		return fmt.Errorf("K %d: must be >= 1 eigenvector", c.K)
	case c.M < 1:
		return fmt.Errorf("M %d: must be >= 1 step between refreshes", c.M)
	case c.Tol < 0 || c.Tol >= 1 || math.IsNaN(c.Tol):
		return fmt.Errorf("tolerance %g: must be in (0, 1) (0: default 1e-2)", c.Tol)
	case c.MaxIter < 0:
		return fmt.Errorf("max iterations %d: must be >= 0 (0: default)", c.MaxIter)
	}
	return nil
}

// NudgeRefresh records one recomputation of P_K: its step (the training
// step, from 1, whose gradient it first applied to), the K Ritz values of
// the Hessian there (a lambda_max trajectory for free), their residuals,
// the products spent and whether it was warm-started.
type NudgeRefresh = EigenRecord

// Nudger applies Nudged SGD to a training run: it is a train.GradTransform
// (set it as train.Config.Transform). It holds the current projector and
// the record of its refreshes, so a run's caller can read the eigenvalue
// trajectory (Refreshes) and the last eigenvectors (Projector) afterwards.
// A Nudger serves one run.
type Nudger struct {
	cfg       NudgeConfig
	hessian   data.Batch
	selection string
	tracker   *EigenTracker
	ctx       context.Context
}

// NewNudger returns a Nudger whose Hessian is taken on the examples of
// hessian, in evaluation mode (dropout off, BatchNorm running statistics),
// with the loss that is trained. They should be inputs as the model sees
// them in training (normalised as the training batches are; never
// augmented). A batch with no examples (the zero data.Batch) means "the
// step's own mini-batch": cheaper, and noisier. selection describes the
// examples for the stamps (default "given batch" or "the step's
// mini-batch").
func NewNudger(cfg NudgeConfig, hessian data.Batch, selection string) (*Nudger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("curvature: NewNudger: %v", err)
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-2
	}
	if selection == "" {
		selection = "given batch"
		if hessian.N == 0 {
			selection = "the step's mini-batch"
		}
	}
	tr, err := NewEigenTracker(TrackerConfig{K: cfg.K, Tol: cfg.Tol, MaxIter: cfg.MaxIter, Seed: cfg.Seed, Purpose: "nudge", Network: cfg.Network})
	if err != nil {
		return nil, err
	}
	return &Nudger{cfg: cfg, hessian: hessian, selection: selection, tracker: tr, ctx: context.Background()}, nil
}

// WithContext makes refreshes interruptible by ctx (a done ctx makes the
// next refresh return an error wrapping ctx.Err(), which aborts the run).
func (n *Nudger) WithContext(ctx context.Context) *Nudger {
	n.ctx = ctx
	return n
}

// Config returns the configuration in use (defaults filled in).
func (n *Nudger) Config() NudgeConfig { return n.cfg }

// Projector returns the current P_K (nil before the first step).
func (n *Nudger) Projector() *Projector { return n.tracker.Projector() }

// Refreshes returns the record of every recomputation of P_K so far. Do
// not modify it.
func (n *Nudger) Refreshes() []NudgeRefresh { return n.tracker.History() }

// TransformGrad replaces grad by (I - P_K) grad + Gamma P_K grad, first
// recomputing P_K at steps 1, 1+M, 1+2M, ... from the Hessian of m at its
// current parameters, by Lanczos warm-started from the previous refresh's
// K vectors (LanczosConfig.Start).
func (n *Nudger) TransformGrad(step int, m *nn.Model, b data.Batch, grad []float32) error {
	if n.tracker.Projector() == nil || (step-1)%n.cfg.M == 0 {
		if err := n.Refresh(step, m, b); err != nil {
			return err
		}
	}
	n.tracker.Projector().Nudge32(n.cfg.Gamma, grad)
	return nil
}

// Refresh recomputes P_K now, at m's parameters (b is the step's batch, used
// only when the Nudger takes its Hessian on the mini-batch), and records
// it under step. TransformGrad calls it on schedule.
func (n *Nudger) Refresh(step int, m *nn.Model, b data.Batch) error {
	hb := n.hessian
	if hb.N == 0 {
		hb = b
	}
	if _, err := n.tracker.Update(n.ctx, step, m, hb, n.selection); err != nil {
		return fmt.Errorf("nudge refresh at step %d: %w", step, err)
	}
	return nil
}
