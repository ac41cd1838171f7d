package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// CSRConfig sets up the LASS search of the critical sample ratio. The
// paper (Arpit et al. 2017) does not state its radius, step and noise in
// units we can recover, so every one is explicit here and reported with
// the result. Distances are in pixel units (inputs in [0,1]).
type CSRConfig struct {
	// Radius r is the half-width of the L_inf box around x.
	Radius float64 `json:"radius"`
	// Step is the size of each signed-gradient step (alpha in the paper).
	Step float64 `json:"step"`
	// NoiseStd is the standard deviation of the Gaussian noise added to
	// every pixel at every step (beta times the noise process in the paper).
	NoiseStd float64 `json:"noise_std"`
	// MaxIter caps the steps per example.
	MaxIter int `json:"max_iter"`
	// Seed selects the noise: rng purpose "lass", index i for example i.
	Seed uint64 `json:"seed"`
	// Chunk is the number of examples searched together. Default 256.
	Chunk int `json:"chunk"`
}

// DefaultCSRConfig returns this package's choice, not the paper's: a box of
// radius 0.1 (about 25 grey levels), steps of 0.02 (the box edge is
// reachable in 5 steps), noise 0.01 and 20 steps.
func DefaultCSRConfig() CSRConfig {
	return CSRConfig{Radius: 0.1, Step: 0.02, NoiseStd: 0.01, MaxIter: 20, Chunk: 256}
}

// CSRResult is a critical sample ratio with its binomial standard error.
type CSRResult struct {
	Ratio  float64 `json:"ratio"`
	StdErr float64 `json:"std_err"`
	// Critical of Examples examples changed their predicted class.
	Critical int `json:"critical"`
	Examples int `json:"examples"`
	// Steps[i] is the step at which example i flipped (1-based), 0 if never.
	Steps  []int     `json:"steps"`
	Config CSRConfig `json:"config"`
	Stamp  Stamp     `json:"stamp"`
}

// CriticalSampleRatio runs LASS (Langevin adversarial sample search, Arpit
// et al. 2017, CLAIMS.md C4) from every example of b: with c the class m
// predicts for x, it iterates
//
//	x' <- clip(x' - Step*sign(d score_c(x')/dx') + NoiseStd*N(0, I))
//
// where score_c is the logit of class c and clip projects onto the box
// |x' - x|_inf <= Radius intersected with the pixel range [0,1] (our
// addition: an input outside [0,1] is not an image). x is critical when the
// predicted class of x' differs from c within MaxIter steps. The ratio of
// critical examples measures how often the decision boundary passes within
// Radius of the data: a more complex function has more critical samples.
// Labels are not used; the search runs in evaluation mode.
func CriticalSampleRatio(m *nn.Model, b data.Batch, cfg CSRConfig) (*CSRResult, error) {
	return CriticalSampleRatioContext(context.Background(), m, b, cfg)
}

// CriticalSampleRatioContext is CriticalSampleRatio, interruptible: it
// checks ctx before each chunk of examples and before every LASS step on a
// chunk (one input gradient and one forward pass over its unflipped
// examples) and, once ctx is done, returns no result and an error wrapping
// ctx.Err(). With a ctx that is never done the result is bitwise that of
// CriticalSampleRatio.
func CriticalSampleRatioContext(ctx context.Context, m *nn.Model, b data.Batch, cfg CSRConfig) (*CSRResult, error) {
	if cfg.Chunk == 0 {
		cfg.Chunk = 256
	}
	switch {
	case !(cfg.Radius > 0) || math.IsInf(cfg.Radius, 0):
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: Radius = %g: must be positive and finite", cfg.Radius)
	case !(cfg.Step > 0) || math.IsInf(cfg.Step, 0):
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: Step = %g: must be positive and finite", cfg.Step)
	case !(cfg.NoiseStd >= 0) || math.IsInf(cfg.NoiseStd, 0):
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: NoiseStd = %g: must be finite and non-negative", cfg.NoiseStd)
	case cfg.MaxIter < 1:
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: MaxIter = %d: must be positive", cfg.MaxIter)
	case cfg.Chunk < 1:
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: Chunk = %d: must be positive", cfg.Chunk)
	case b.N < 1 || len(b.X) < b.N*m.InputDim():
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: batch of %d examples with %d inputs: need at least 1 example of %d inputs", b.N, len(b.X), m.InputDim())
	}
	if err := m.CheckFinite(); err != nil {
		return nil, fmt.Errorf("curvature: CriticalSampleRatio: %v", err)
	}
	for i, v := range b.X[:b.N*m.InputDim()] {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("curvature: CriticalSampleRatio: input %d of example %d is %v: outside the pixel range [0,1]", i%m.InputDim(), i/m.InputDim(), v)
		}
	}
	work := m.Clone()
	res := &CSRResult{Examples: b.N, Steps: make([]int, b.N), Config: cfg}
	for lo := 0; lo < b.N; lo += cfg.Chunk {
		if err := lass(ctx, work, b.X, lo, min(lo+cfg.Chunk, b.N), cfg, res.Steps); err != nil {
			return nil, err
		}
	}
	for _, s := range res.Steps {
		if s > 0 {
			res.Critical++
		}
	}
	n := float64(b.N)
	res.Ratio = float64(res.Critical) / n
	res.StdErr = math.Sqrt(res.Ratio * (1 - res.Ratio) / n)
	res.Stamp = Stamp{
		Operator: "input-space decision boundary", Model: m.Spec(), Params: m.NumParams(),
		Examples: b.N, Mode: "eval (dropout off)", Loss: "argmax of the logits",
		Dtype: "float32",
		Estimator: fmt.Sprintf("LASS (radius %g L_inf and [0,1] pixel range, step %g, noise std %g, %d steps)",
			cfg.Radius, cfg.Step, cfg.NoiseStd, cfg.MaxIter),
		Seed: cfg.Seed, Budget: cfg.MaxIter,
		ErrorBarKind: "binomial standard error", ErrorBar: res.StdErr,
	}
	return res, nil
}

// lass searches from examples [lo, hi) of x and records each flip's step.
// Examples that flip leave the working set, so later steps cost less. It
// checks ctx before its first forward pass and before every step, and
// returns the wrapped ctx.Err() once ctx is done (steps is then partial).
func lass(ctx context.Context, m *nn.Model, x []float32, lo, hi int, cfg CSRConfig, steps []int) error {
	if err := interrupted(ctx, "CriticalSampleRatio"); err != nil {
		return err
	}
	in, c := m.InputDim(), m.OutputDim()
	n := hi - lo
	orig := x[lo*in : hi*in]
	cur := append([]float32(nil), orig...)
	logits := make([]float32, n*c)
	grad := make([]float32, n*in)
	m.Forward(data.Batch{X: cur, N: n}, logits)
	class := make([]int32, n)
	for i := range class {
		class[i] = argmax(logits[i*c : (i+1)*c])
	}
	// active[j] is the example (offset from lo) in working row j; rows are
	// compacted as examples flip. Each example draws its noise from its own
	// stream, so the result does not depend on Chunk.
	active := make([]int, n)
	streams := make([]*rng.Stream, n)
	for i := range active {
		active[i] = i
		streams[i] = newStream(cfg.Seed, "lass", uint64(lo+i))
	}
	base := make([]float32, n*in) // the original x of each working row
	copy(base, orig)
	cls := append([]int32(nil), class...)
	for it := 1; it <= cfg.MaxIter && len(active) > 0; it++ {
		if err := interrupted(ctx, "CriticalSampleRatio"); err != nil {
			return err
		}
		na := len(active)
		m.ScoreInputGrad(cur[:na*in], na, cls[:na], grad[:na*in])
		for j := 0; j < na; j++ {
			s := streams[active[j]]
			xr, gr, br := cur[j*in:(j+1)*in], grad[j*in:(j+1)*in], base[j*in:(j+1)*in]
			for q := range xr {
				v := float64(xr[q]) - cfg.Step*sign(gr[q])
				if cfg.NoiseStd > 0 {
					v += cfg.NoiseStd * s.Normal()
				}
				o := float64(br[q])
				v = math.Max(v, math.Max(o-cfg.Radius, 0))
				v = math.Min(v, math.Min(o+cfg.Radius, 1))
				xr[q] = float32(v)
			}
		}
		m.Forward(data.Batch{X: cur[:na*in], N: na}, logits[:na*c])
		keep := 0
		for j := 0; j < na; j++ {
			if argmax(logits[j*c:(j+1)*c]) != cls[j] {
				steps[lo+active[j]] = it
				continue
			}
			if keep != j {
				copy(cur[keep*in:(keep+1)*in], cur[j*in:(j+1)*in])
				copy(base[keep*in:(keep+1)*in], base[j*in:(j+1)*in])
				active[keep], cls[keep] = active[j], cls[j]
			}
			keep++
		}
		active = active[:keep]
	}
	return nil
}

// argmax returns the index of the largest value, the first on ties.
func argmax(v []float32) int32 {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return int32(best)
}

func sign(x float32) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
