package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// StepLine is the loss along one direction u through the current
// parameters, L(theta + alpha u), and where along it the loss is lowest.
// For the decompositions of an SGD step d (SplitStep) u is a part of d, so
// alpha = 1 is "take that part of the step in full" and BestAlpha is the
// loss-minimising fraction of it: on a quadratic with curvature h = u^T H u
// / ||u||^2 along u and slope s = <grad L, u>, BestAlpha = -s / (u^T H u);
// for u = <d, e> e with d = -eta g and e an eigenvector of eigenvalue
// lambda, that is 1 / (eta lambda), so BestAlpha <= 0.5 exactly when
// eta lambda >= 2, a step past the bowl's far side (P3, thesis Fig. 3.1c).
type StepLine struct {
	Name string `json:"name"` // "e1".."eK", "random 0".., "bulk", "step"
	// Norm is ||u||; Component, for u = <d, v> v along a unit vector v, is
	// <d, v> (0 for the other lines).
	Norm      float64 `json:"norm"`
	Component float64 `json:"component,omitempty"`
	// Slice holds the loss at every alpha of the grid (its Alphas), for
	// plots; Slice.DirectionNorm = Norm.
	Slice *Slice `json:"slice"`
	// BestAlpha is the loss-minimising alpha: the grid's minimum, refined
	// by the vertex of the parabola through it and its two neighbours
	// (exact for a quadratic loss, up to float32 rounding of the losses),
	// and BestLoss the loss there (evaluated). AtEdge says the grid
	// minimum is an end of the grid: the minimiser is there or beyond, and
	// BestAlpha is that end.
	BestAlpha float64 `json:"best_alpha"`
	BestLoss  float64 `json:"best_loss"`
	AtEdge    bool    `json:"at_edge"`
	// Loss0 and Loss1 are L(theta) and L(theta + u): Loss1 < Loss0 means
	// the full part of the step descends.
	Loss0 float64 `json:"loss0"`
	Loss1 float64 `json:"loss1"`
	// Direction is u itself (not stored in JSON).
	Direction []float64 `json:"-"`
}

// DefaultStepAlphas is the default grid of SplitStep and LineMinimum: alpha
// from -0.5 to 2.5 in steps of 0.05 (61 losses per line), which covers
// "no step" (0), "the full step" (1) and the overshoot the claims look for
// (minima between 0 and 1), with room on both sides for the parabola.
func DefaultStepAlphas() []float64 {
	a := make([]float64, 61)
	for i := range a {
		a[i] = -0.5 + 0.05*float64(i)
	}
	return a
}

// LineMinimum evaluates L(theta + alpha u) for m on b at every alpha of
// alphas (nil: DefaultStepAlphas; at least 3, increasing) and at 0, 1 and
// the refined minimiser, and returns the line with its loss-minimising
// alpha. Evaluation mode, no weight decay, m unchanged (as LossSlice).
func LineMinimum(ctx context.Context, m *nn.Model, b data.Batch, u []float64, alphas []float64, name, selection string) (*StepLine, error) {
	if alphas == nil {
		alphas = DefaultStepAlphas()
	}
	if len(alphas) < 3 {
		return nil, fmt.Errorf("curvature: LineMinimum: %d alphas: need at least 3", len(alphas))
	}
	for i := 1; i < len(alphas); i++ {
		if !(alphas[i] > alphas[i-1]) {
			return nil, fmt.Errorf("curvature: LineMinimum: alphas must increase (alphas[%d] = %v after %v)", i, alphas[i], alphas[i-1])
		}
	}
	s, err := LossSliceContext(ctx, m, b, u, alphas, selection)
	if err != nil {
		return nil, err
	}
	l := &StepLine{Name: name, Norm: s.DirectionNorm, Slice: s, Direction: u}
	best := 0
	for i, v := range s.Loss {
		if v < s.Loss[best] {
			best = i
		}
	}
	l.BestAlpha = alphas[best]
	if best == 0 || best == len(alphas)-1 {
		l.AtEdge = true
	} else {
		l.BestAlpha = parabolaVertex(alphas[best-1], alphas[best], alphas[best+1], s.Loss[best-1], s.Loss[best], s.Loss[best+1])
	}
	ends, err := LossSliceContext(ctx, m, b, u, []float64{0, 1, l.BestAlpha}, selection)
	if err != nil {
		return nil, err
	}
	l.Loss0, l.Loss1, l.BestLoss = ends.Loss[0], ends.Loss[1], ends.Loss[2]
	if l.BestLoss > s.Loss[best] { // the parabola did not improve on the grid (rounding)
		l.BestAlpha, l.BestLoss = alphas[best], s.Loss[best]
	}
	return l, nil
}

// parabolaVertex is the abscissa of the vertex of the parabola through
// (x0, y0), (x1, y1), (x2, y2), with y1 <= y0, y2 (a minimum bracketed by
// its neighbours), clamped to [x0, x2]; x1 if the points are collinear.
func parabolaVertex(x0, x1, x2, y0, y1, y2 float64) float64 {
	d0, d2 := x1-x0, x1-x2
	num := d0*d0*(y1-y2) - d2*d2*(y1-y0)
	den := d0*(y1-y2) - d2*(y1-y0)
	if den == 0 || math.IsNaN(num/den) {
		return x1
	}
	v := x1 - 0.5*num/den
	return math.Min(math.Max(v, x0), x2)
}

// StepSplitConfig sets up SplitStep. Zero values take the defaults given.
type StepSplitConfig struct {
	// Alphas is the grid of every line (default DefaultStepAlphas).
	Alphas []float64
	// Random is the number of random directions r_j (unit Gaussian
	// vectors, rng purpose "step-direction", index j under Seed) along
	// which the step's component <d, r_j> r_j is searched. Default 4; -1
	// for none.
	Random int
	Seed   uint64
	// Selection describes b for the stamps.
	Selection string
}

// StepSplit is the decomposition of one step d at parameters theta against
// a top-K eigenspace projector P (top-K Hessian eigenvectors e_1..e_K):
// the loss-minimising fraction of d along each e_k, along random
// directions, along the part of d outside the top space, and the loss
// change of the top part P d against the rest (I - P) d (Song, Ahn & Yun
// 2025: the part of an SGD update inside the top eigenspace does not lower
// the loss; the rest does).
type StepSplit struct {
	// Loss is L(theta); LossStep L(theta + d); LossTop L(theta + P d);
	// LossBulk L(theta + (I - P) d). DeltaX = LossX - Loss.
	Loss      float64 `json:"loss"`
	LossStep  float64 `json:"loss_step"`
	LossTop   float64 `json:"loss_top"`
	LossBulk  float64 `json:"loss_bulk"`
	DeltaStep float64 `json:"delta_step"`
	DeltaTop  float64 `json:"delta_top"`
	DeltaBulk float64 `json:"delta_bulk"`
	// StepNorm is ||d||, TopNorm ||P d||, BulkNorm ||(I - P) d||.
	StepNorm float64 `json:"step_norm"`
	TopNorm  float64 `json:"top_norm"`
	BulkNorm float64 `json:"bulk_norm"`
	// Eigen[k] is the line along <d, e_{k+1}> e_{k+1} (the projector's
	// vectors in order: for TopEigenspace, largest eigenvalue first), so
	// Eigen[0].BestAlpha is the loss-minimising fraction of the step along
	// the sharpest direction. Random[j] is the line along <d, r_j> r_j.
	// Bulk is the line along (I - P) d, and Step along d itself.
	Eigen  []StepLine `json:"eigen"`
	Random []StepLine `json:"random"`
	Bulk   StepLine   `json:"bulk"`
	Step   StepLine   `json:"step"`
}

// SGDStep returns the plain SGD step d = -lr * grad in float64 (for a run
// with momentum, pass the actual displacement theta_{t+1} - theta_t to
// SplitStep instead).
func SGDStep(grad []float32, lr float64) []float64 {
	d := make([]float64, len(grad))
	for i, g := range grad {
		d[i] = -lr * float64(g)
	}
	return d
}

// SplitStep decomposes the step d of m (taken from m's current parameters)
// against p, measuring the loss on b (evaluation mode, no weight decay; b
// is the batch the claim judges by: the step's own mini-batch, or a fixed
// evaluation set). During training, call it from a train.TransformFunc
// that leaves the gradient unchanged: that sees the parameters before the
// step (OnStep sees them after). Cost: (K + Random + 2) lines of
// len(Alphas) + 3 forward passes each, plus 1. Deterministic for any
// GOMAXPROCS.
func SplitStep(ctx context.Context, m *nn.Model, b data.Batch, d []float64, p *Projector, cfg StepSplitConfig) (*StepSplit, error) {
	if len(d) != m.NumParams() {
		return nil, fmt.Errorf("curvature: SplitStep: step has %d entries, the model has %d parameters", len(d), m.NumParams())
	}
	if p.Dim() != len(d) {
		return nil, fmt.Errorf("curvature: SplitStep: projector of dimension %d for %d parameters", p.Dim(), len(d))
	}
	if err := checkFinite(d, "SplitStep: step"); err != nil {
		return nil, err
	}
	if cfg.Random == 0 {
		cfg.Random = 4
	}
	alphas := cfg.Alphas
	if alphas == nil {
		alphas = DefaultStepAlphas()
	}
	sel := cfg.Selection
	top, bulk := p.Split(d)
	out := &StepSplit{StepNorm: nrm2(d), TopNorm: nrm2(top), BulkNorm: nrm2(bulk)}
	line := func(u []float64, name string, comp float64) (StepLine, error) {
		l, err := LineMinimum(ctx, m, b, u, alphas, name, sel)
		if err != nil {
			return StepLine{}, err
		}
		l.Component = comp
		return *l, nil
	}
	for k, e := range p.Vectors() {
		c := dot(d, e)
		u := make([]float64, len(d))
		axpy(c, e, u)
		l, err := line(u, fmt.Sprintf("e%d", k+1), c)
		if err != nil {
			return nil, err
		}
		out.Eigen = append(out.Eigen, l)
	}
	for j := 0; j < cfg.Random; j++ {
		r := make([]float64, len(d))
		fillGaussian(newStream(cfg.Seed, "step-direction", uint64(j)), r)
		scal(1/nrm2(r), r)
		c := dot(d, r)
		scal(c, r)
		l, err := line(r, fmt.Sprintf("random %d", j), c)
		if err != nil {
			return nil, err
		}
		out.Random = append(out.Random, l)
	}
	var err error
	if out.Bulk, err = line(bulk, "bulk", 0); err != nil {
		return nil, err
	}
	if out.Step, err = line(d, "step", 0); err != nil {
		return nil, err
	}
	ts, err := LossSliceContext(ctx, m, b, top, []float64{1}, sel)
	if err != nil {
		return nil, err
	}
	out.Loss, out.LossStep, out.LossBulk, out.LossTop = out.Step.Loss0, out.Step.Loss1, out.Bulk.Loss1, ts.Loss[0]
	out.DeltaStep, out.DeltaTop, out.DeltaBulk = out.LossStep-out.Loss, out.LossTop-out.Loss, out.LossBulk-out.Loss
	return out, nil
}
