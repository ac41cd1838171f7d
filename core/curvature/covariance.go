package curvature

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// CovarianceConfig sets up the gradient-noise covariance operator.
type CovarianceConfig struct {
	// MaxStoreBytes bounds the memory for keeping the N x P matrix of
	// centred per-example gradients (4*N*P bytes as float32). When it fits,
	// the gradients are computed once and a product costs two GEMMs; when it
	// does not, they are recomputed for every block of products, Chunk
	// examples at a time (N single-example gradients per ApplyBlock,
	// whatever k is: use blocks). Default 1 GiB (which holds 1024 examples
	// of a 262k-parameter network; mlp:784-512-512-10 on 1024 examples needs
	// 2.7 GB).
	MaxStoreBytes int64
	// Chunk is the number of per-example gradients held at once when they
	// are recomputed (4*Chunk*P bytes). Default 256.
	Chunk int
	// Selection describes the examples, for the stamp.
	Selection string
}

// Covariance is the covariance of one uniformly drawn example's gradient,
//
//	C = (1/N) sum_i (g_i - g)(g_i - g)^T,   g = (1/N) sum_i g_i,
//
// over the N examples of a batch, with g_i the gradient of example i's loss
// in evaluation mode: the matrix C of CLAIMS.md, whose trace and spectrum
// the stationary-loss claim compares with the Hessian's. A mini-batch of S
// examples drawn with replacement has gradient covariance C/S.
//
// The gradients are centred once (g in float64) and stored centred, which
// avoids the cancellation of applying (1/N) G^T G v - g (g.v) when the mean
// gradient is large against its spread. Products are float32 GEMMs over the
// centred gradients (see MaxStoreBytes for memory), so the same precision
// remarks as for Network apply. Weight decay adds the same term to every g_i
// and cancels: C does not depend on it.
type Covariance struct {
	counter
	model  *nn.Model
	batch  data.Batch
	cfg    CovarianceConfig
	mean   []float64 // g
	gc     []float32 // N x P centred gradients, when stored
	trace  float64
	buf    []float32 // Chunk x P, when recomputing
	vs32   []float32
	u      []float32 // rows x k
	out32  []float32
	stored bool
}

// NewGradientCovariance computes the per-example gradients of m on b (N
// single-example backward passes), their mean and the exact trace of C, and
// keeps the centred gradients when they fit cfg.MaxStoreBytes.
func NewGradientCovariance(m *nn.Model, b data.Batch, cfg CovarianceConfig) (*Covariance, error) {
	if cfg.MaxStoreBytes == 0 {
		cfg.MaxStoreBytes = 1 << 30
	}
	if cfg.Chunk == 0 {
		cfg.Chunk = 256
	}
	switch {
	case cfg.MaxStoreBytes < 0:
		return nil, fmt.Errorf("curvature: NewGradientCovariance: MaxStoreBytes = %d: must not be negative", cfg.MaxStoreBytes)
	case cfg.Chunk < 1:
		return nil, fmt.Errorf("curvature: NewGradientCovariance: Chunk = %d: must be positive", cfg.Chunk)
	}
	if err := checkModelBatch("NewGradientCovariance", m, b); err != nil {
		return nil, err
	}
	if cfg.Selection == "" {
		cfg.Selection = "given batch"
	}
	c := &Covariance{model: m.Clone(), batch: b, cfg: cfg}
	p, n := c.Dim(), b.N
	c.stored = int64(n)*int64(p)*4 <= cfg.MaxStoreBytes

	// Pass 1: the mean gradient, in float64 in example order.
	c.mean = make([]float64, p)
	g := make([]float32, p)
	var all []float32
	if c.stored {
		all = make([]float32, n*p)
	}
	for i := 0; i < n; i++ {
		c.model.LossGrad(rows(b, c.model, i, i+1), false, g)
		for j, x := range g {
			c.mean[j] += float64(x)
		}
		if c.stored {
			copy(all[i*p:], g)
		}
	}
	scal(1/float64(n), c.mean)

	// Pass 2 (or the stored copy): centre, and sum the exact trace
	// Tr(C) = (1/N) sum_i ||g_i - g||^2 in float64.
	for i := 0; i < n; i++ {
		row := g
		if c.stored {
			row = all[i*p : (i+1)*p]
		} else {
			c.model.LossGrad(rows(b, c.model, i, i+1), false, g)
		}
		for j, x := range row {
			d := float64(x) - c.mean[j]
			c.trace += d * d
			row[j] = float32(d)
		}
	}
	c.trace /= float64(n)
	c.gc = all
	return c, nil
}

// Precision is the relative accuracy of a product of float32 GEMMs, taken
// as for Network.
func (c *Covariance) Precision() float64 { return 1e-6 }

// PreferredBlock is 64 when the gradients are recomputed (each block costs
// N single-example gradients, whatever its size) and 16 when stored.
func (c *Covariance) PreferredBlock() int {
	if c.stored {
		return 16
	}
	return 64
}

// Dim is the number of parameters.
func (c *Covariance) Dim() int { return c.model.NumParams() }

// Apply sets out = C v.
func (c *Covariance) Apply(v, out []float64) { c.ApplyBlock(v, 1, out) }

// ApplyBlock sets out_i = C v_i: U = G_c V^T (rows x k), then
// out += (1/N) U^T G_c, over the stored gradients or chunk by chunk.
func (c *Covariance) ApplyBlock(vs []float64, k int, out []float64) {
	p, n := c.Dim(), c.batch.N
	checkBlock("Covariance", p, k, vs, out)
	if len(c.vs32) < k*p {
		c.vs32 = make([]float32, k*p)
		c.out32 = make([]float32, k*p)
	}
	vs32, out32 := c.vs32[:k*p], c.out32[:k*p]
	for i, x := range vs[:k*p] {
		vs32[i] = float32(x)
	}
	clear(out[:k*p])
	step := n
	if !c.stored {
		step = c.cfg.Chunk
	}
	if len(c.u) < step*k {
		c.u = make([]float32, step*k)
	}
	for lo := 0; lo < n; lo += step {
		r := min(step, n-lo)
		var gc []float32
		if c.stored {
			gc = c.gc[lo*p : (lo+r)*p]
		} else {
			if c.buf == nil {
				c.buf = make([]float32, c.cfg.Chunk*p)
			}
			gc = c.buf[:r*p]
			for i := 0; i < r; i++ {
				row := gc[i*p : (i+1)*p]
				c.model.LossGrad(rows(c.batch, c.model, lo+i, lo+i+1), false, row)
				for j, x := range row {
					row[j] = float32(float64(x) - c.mean[j])
				}
			}
		}
		u := c.u[:r*k]
		kernels.Gemm(false, true, r, k, p, 1, gc, p, vs32, p, 0, u, k)
		kernels.Gemm(true, false, k, p, r, float32(1/float64(n)), u, k, gc, p, 0, out32, p)
		for i, x := range out32 {
			out[i] += float64(x)
		}
	}
	c.add(k)
}

// Trace returns Tr(C) = (1/N) sum_i ||g_i - g||^2, computed exactly (in
// float64 from the float32 gradients) when the operator was built: no
// estimator needed.
func (c *Covariance) Trace() float64 { return c.trace }

// MeanGradient returns g, the mean of the per-example gradients.
func (c *Covariance) MeanGradient() []float64 { return c.mean }

// Stored reports whether the centred gradients are kept in memory.
func (c *Covariance) Stored() bool { return c.stored }

// Describe stamps the operator.
func (c *Covariance) Describe() Stamp {
	how := "recomputed per block"
	if c.stored {
		how = "stored"
	}
	return Stamp{
		Operator:  "gradient covariance (per-example gradients, " + how + ")",
		Model:     c.model.Spec(),
		Params:    c.Dim(),
		Examples:  c.batch.N,
		Selection: c.cfg.Selection,
		Mode:      "eval (dropout off)",
		Loss:      lossName(c.model.Loss),
		Dtype:     "float32 gradients and products, float64 mean, trace and accumulation",
	}
}
