package curvature

import (
	"context"
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Mini-batch sharpness: how curved the loss of one SGD mini-batch is, on
// average over mini-batches. Two quantities go by that name.
//
//   - Batch sharpness (Andreyev & Beneventano 2024, "Edge of Stochastic
//     Stability", arXiv:2412.20553): the mean over mini-batches B of the
//     directional curvature of the mini-batch Hessian along the mini-batch
//     gradient, g_B^T H_B g_B / ||g_B||^2. Under SGD with step eta it is
//     what stabilises near 2/eta ("edge of stochastic stability"), while
//     the full-batch lambda_max stays below. Costs one gradient and one
//     Hessian-vector product per mini-batch.
//   - The mean over mini-batches of lambda_max(H_B), the top eigenvalue of
//     the mini-batch Hessian (Lanczos per mini-batch). It bounds the
//     directional curvature above, batch by batch.
//
// Both are measured on the same mini-batches, in evaluation mode, with the
// loss the model was built with and without weight decay.

// BatchSharpnessConfig sets up BatchSharpness.
type BatchSharpnessConfig struct {
	// Batches is the number of mini-batches averaged over (default 8).
	Batches int
	// Batch is the mini-batch size (the SGD batch S); required.
	Batch int
	// Seed draws the mini-batches: batch k holds Batch distinct examples
	// of the data, drawn uniformly without replacement (rng purpose
	// "batch-sharpness", index k), independently across k.
	Seed uint64
	// Lambda also measures lambda_max(H_B) of every mini-batch by Lanczos
	// to relative tolerance Tol (default 1e-2); false measures the
	// directional curvature only.
	Lambda bool
	Tol    float64
}

// BatchSharpnessResult is what BatchSharpness measured.
type BatchSharpnessResult struct {
	// Sharpness is the mean of g_B^T H_B g_B / ||g_B||^2 over the batches
	// (Andreyev & Beneventano's batch sharpness), SE its standard error
	// over batches.
	Sharpness, SE float64
	// Lambda is the mean of lambda_max(H_B), LambdaSE its standard error
	// (NaN unless Config.Lambda).
	Lambda, LambdaSE float64
	// PerBatch holds each batch's directional curvature and (when asked)
	// lambda_max, in batch order.
	PerBatch, PerBatchLambda []float64
	Applications             int
	Stamp                    Stamp
}

// BatchSharpness measures the mini-batch sharpness of m on mini-batches of
// d (see the comment above). m's parameters must be finite. A batch whose
// gradient is exactly zero contributes a directional curvature of 0.
func BatchSharpness(ctx context.Context, m *nn.Model, d *data.Dataset, cfg BatchSharpnessConfig) (*BatchSharpnessResult, error) {
	if cfg.Batches == 0 {
		cfg.Batches = 8
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-2
	}
	switch {
	case cfg.Batches < 1:
		return nil, fmt.Errorf("curvature: BatchSharpness: Batches = %d: must be positive", cfg.Batches)
	case cfg.Batch < 1 || cfg.Batch > d.N:
		return nil, fmt.Errorf("curvature: BatchSharpness: Batch = %d: want 1..%d (the examples of the data)", cfg.Batch, d.N)
	}
	res := &BatchSharpnessResult{Lambda: math.NaN(), LambdaSE: math.NaN()}
	idx := make([]int, cfg.Batch)
	var b data.Batch
	for k := 0; k < cfg.Batches; k++ {
		if err := interrupted(ctx, "BatchSharpness"); err != nil {
			return nil, err
		}
		sampleWithoutReplacement(newStream(cfg.Seed, "batch-sharpness", uint64(k)), d.N, idx)
		d.Gather(idx, &b)
		op, err := NewHessian(m, b, NetworkConfig{Selection: fmt.Sprintf("mini-batch %d of %d examples drawn without replacement", k, cfg.Batch)})
		if err != nil {
			return nil, err
		}
		g := op.Gradient()
		gg := dot(g, g)
		dir := 0.0
		if gg > 0 {
			hg := make([]float64, len(g))
			op.Apply(g, hg)
			res.Applications++
			dir = dot(g, hg) / gg
		}
		res.PerBatch = append(res.PerBatch, dir)
		if cfg.Lambda {
			e, err := LanczosContext(ctx, op, LanczosConfig{Top: 1, Tol: cfg.Tol, Seed: cfg.Seed + uint64(k)})
			if err != nil {
				return nil, fmt.Errorf("curvature: BatchSharpness: lambda_max of mini-batch %d: %w", k, err)
			}
			res.Applications += e.Applications
			res.PerBatchLambda = append(res.PerBatchLambda, e.Top[0].Value)
		}
		if k == 0 {
			res.Stamp = op.Describe()
		}
	}
	res.Sharpness, res.SE = meanSE(res.PerBatch)
	if cfg.Lambda {
		res.Lambda, res.LambdaSE = meanSE(res.PerBatchLambda)
	}
	est := fmt.Sprintf("batch sharpness (Andreyev & Beneventano 2024): mean over %d mini-batches of %d examples of g_B^T H_B g_B / |g_B|^2", cfg.Batches, cfg.Batch)
	if cfg.Lambda {
		est += fmt.Sprintf("; and mean lambda_max(H_B) by Lanczos, relative tolerance %g", cfg.Tol)
	}
	res.Stamp.Examples, res.Stamp.Selection = cfg.Batch, fmt.Sprintf("%d mini-batches of %d drawn without replacement from %d examples (seed %d)", cfg.Batches, cfg.Batch, d.N, cfg.Seed)
	res.Stamp.Estimator = est
	return res, nil
}

// sampleWithoutReplacement fills idx with len(idx) distinct integers in
// [0, n), in the order a partial Fisher-Yates shuffle draws them.
func sampleWithoutReplacement(s interface{ IntN(int) int }, n int, idx []int) {
	// Floyd's algorithm would need a set; a sparse swap map keeps the
	// partial shuffle O(len(idx)) in memory and deterministic.
	swapped := map[int]int{}
	get := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := range idx {
		j := i + s.IntN(n-i)
		vi, vj := get(i), get(j)
		swapped[i], swapped[j] = vj, vi
		idx[i] = vj
	}
}
