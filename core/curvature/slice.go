package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Slice is the loss along a line through parameter space.
type Slice struct {
	Alphas []float64 `json:"alphas"`
	// Loss[i] is the mean loss at theta + Alphas[i]*d (evaluation mode, no
	// weight decay), and Accuracy[i] the fraction of argmax hits there
	// (0 for squared error).
	Loss     []float64 `json:"loss"`
	Accuracy []float64 `json:"accuracy"`
	// DirectionNorm is ||d||, so that alphas can be read as distances.
	DirectionNorm float64 `json:"direction_norm"`
	Stamp         Stamp   `json:"stamp"`
}

// LossSlice evaluates the mean loss of m on b at theta + alpha*d for each
// alpha: the 1-D loss slices of Goodfellow et al. (2015) and Li et al.
// (2018), and the "where along the sharpest direction does the step land"
// measurement of the trajectory claims (with d a Lanczos eigenvector).
// Parameters are formed in float64 and rounded to float32 once; m itself
// is not modified. selection describes b for the stamp.
func LossSlice(m *nn.Model, b data.Batch, d []float64, alphas []float64, selection string) (*Slice, error) {
	return LossSliceContext(context.Background(), m, b, d, alphas, selection)
}

// LossSliceContext is LossSlice, interruptible: it checks ctx before the
// evaluation at each alpha (one forward pass over b) and, once ctx is done,
// returns no result and an error wrapping ctx.Err(). With a ctx that is
// never done the result is bitwise that of LossSlice.
func LossSliceContext(ctx context.Context, m *nn.Model, b data.Batch, d []float64, alphas []float64, selection string) (*Slice, error) {
	if err := checkModelBatch("LossSlice", m, b); err != nil {
		return nil, err
	}
	p := m.NumParams()
	if len(d) != p {
		return nil, fmt.Errorf("curvature: LossSlice: direction has %d entries: the model has %d parameters", len(d), p)
	}
	for i, x := range d {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("curvature: LossSlice: direction[%d] = %v: must be finite", i, x)
		}
	}
	if len(alphas) == 0 {
		return nil, fmt.Errorf("curvature: LossSlice: alphas: need at least one")
	}
	for i, a := range alphas {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("curvature: LossSlice: alphas[%d] = %v: must be finite", i, a)
		}
	}
	if selection == "" {
		selection = "given batch"
	}
	work := m.Clone()
	theta := m.Params()
	dst := work.Params()
	s := &Slice{Alphas: append([]float64(nil), alphas...), DirectionNorm: nrm2(d)}
	for _, a := range alphas {
		if err := interrupted(ctx, "LossSlice"); err != nil {
			return nil, err
		}
		for i, t := range theta {
			dst[i] = float32(float64(t) + a*d[i])
		}
		loss, hits := work.Evaluate(b)
		s.Loss = append(s.Loss, loss)
		s.Accuracy = append(s.Accuracy, float64(hits)/float64(b.N))
	}
	s.Stamp = Stamp{
		Operator: "loss along a direction", Model: m.Spec(), Params: p,
		Examples: b.N, Selection: selection, Mode: "eval (dropout off)",
		Loss: lossName(m.Loss), Dtype: "float32 forward passes, float64 parameters formed then rounded",
		Estimator: fmt.Sprintf("exact loss at %d points", len(alphas)), Budget: len(alphas),
		ErrorBarKind: "none (exact up to float32 rounding)",
	}
	return s, nil
}

// FilterNormalizedDirection draws a random direction scaled filter by
// filter (Li et al. 2018, "Visualizing the loss landscape of neural nets"):
// a Gaussian vector (rng purpose "direction", index 0 under seed) in which
// each row of each weight matrix (one neuron's incoming weights, the
// fully-connected analogue of a convolution filter) is rescaled to the norm
// of the same row of the weights. This removes the scale symmetry of ReLU
// networks, so slices of networks with different weight norms compare.
// Biases get direction 0 (Li et al.'s "ignore biasbn"), unless
// includeBias, in which case they get the bias itself (their other option).
func FilterNormalizedDirection(m *nn.Model, seed uint64, includeBias bool) []float64 {
	p := m.NumParams()
	d := make([]float64, p)
	fillGaussian(newStream(seed, "direction", 0), d)
	theta := m.Params()
	for _, b := range m.Blocks() {
		lo, hi := b.Offset, b.Offset+b.Size()
		if len(b.Shape) < 2 {
			for i := lo; i < hi; i++ {
				if includeBias {
					d[i] = float64(theta[i])
				} else {
					d[i] = 0
				}
			}
			continue
		}
		cols := b.Size() / b.Shape[0]
		for r := lo; r < hi; r += cols {
			wn, dn := 0.0, 0.0
			for i := r; i < r+cols; i++ {
				wn += float64(theta[i]) * float64(theta[i])
				dn += d[i] * d[i]
			}
			// Li et al. divide by ||d_row|| + 1e-10; a zero weight row gets
			// a zero direction.
			scale := math.Sqrt(wn) / (math.Sqrt(dn) + 1e-10)
			for i := r; i < r+cols; i++ {
				d[i] *= scale
			}
		}
	}
	return d
}
