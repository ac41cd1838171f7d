package curvature

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// CovarianceProducts is how a Covariance computes C v.
type CovarianceProducts int

const (
	// CovarianceAuto stores the centred per-example gradients when they fit
	// MaxStoreBytes and takes Fisher products when they do not.
	CovarianceAuto CovarianceProducts = iota
	// CovarianceStored keeps the N x P matrix of centred per-example
	// gradients (4*N*P bytes) whatever MaxStoreBytes says: a block of
	// products is two GEMMs over it.
	CovarianceStored
	// CovarianceFisher stores no per-example gradient: C v = F v - g (g.v),
	// with F v the empirical Fisher product of core/nn (nn.FisherVP on
	// kept forward passes, one tangent pass per block, about a GGN
	// product's cost) and g the mean gradient in float64. Memory is the
	// kept passes' (as for the Hessian), not N x P. The subtraction loses
	// accuracy where ||g||^2 dominates Tr(C) (see Precision); near a
	// minimum, where the noise covariance is measured, it does not.
	CovarianceFisher
	// CovarianceRecompute recomputes the per-example gradients for every
	// block of products, Chunk examples at a time (N single-example
	// gradients per ApplyBlock, whatever k is). Exact centring like
	// CovarianceStored at CovarianceFisher's memory scale, and the slowest:
	// kept as the reference the other two are tested against.
	CovarianceRecompute
)

// String names the products, as the stamp does.
func (p CovarianceProducts) String() string {
	switch p {
	case CovarianceAuto:
		return "auto"
	case CovarianceStored:
		return "stored"
	case CovarianceFisher:
		return "fisher"
	case CovarianceRecompute:
		return "recompute"
	}
	return fmt.Sprintf("CovarianceProducts(%d)", int(p))
}

// CovarianceConfig sets up the gradient-noise covariance operator.
type CovarianceConfig struct {
	// Products chooses how C v is computed (CovarianceAuto by default).
	Products CovarianceProducts
	// MaxStoreBytes bounds the memory for keeping the N x P matrix of
	// centred per-example gradients (4*N*P bytes as float32) under
	// CovarianceAuto. Default 1 GiB (which holds 1024 examples of a
	// 262k-parameter network; mlp:784-512-512-10 on 1024 examples needs
	// 2.7 GB and takes Fisher products).
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

	products CovarianceProducts // resolved: never CovarianceAuto
	fisher   *Network           // F, under CovarianceFisher
	traced   bool               // trace computed (lazily under CovarianceFisher)
}

// NewGradientCovariance computes the per-example gradients of m on b (N
// single-example backward passes), their mean and the exact trace of C, and
// keeps the centred gradients when they fit cfg.MaxStoreBytes. Under
// CovarianceFisher (or CovarianceAuto when they do not fit) it computes
// only the mean gradient and keeps the forward passes for Fisher products;
// the exact trace then costs N single-example gradients on the first call
// of Trace.
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
	case cfg.Products < CovarianceAuto || cfg.Products > CovarianceRecompute:
		return nil, fmt.Errorf("curvature: NewGradientCovariance: Products = %d: unknown", int(cfg.Products))
	}
	if err := checkModelBatch("NewGradientCovariance", m, b); err != nil {
		return nil, err
	}
	if cfg.Selection == "" {
		cfg.Selection = "given batch"
	}
	c := &Covariance{model: m.Clone(), batch: b, cfg: cfg, products: cfg.Products}
	p, n := c.Dim(), b.N
	if c.products == CovarianceAuto {
		c.products = CovarianceFisher
		if int64(n)*int64(p)*4 <= cfg.MaxStoreBytes {
			c.products = CovarianceStored
		}
	}
	c.stored = c.products == CovarianceStored
	if c.products == CovarianceFisher {
		f, err := NewEmpiricalFisher(c.model, b, NetworkConfig{Selection: cfg.Selection})
		if err != nil {
			return nil, err
		}
		c.fisher, c.mean = f, f.Gradient()
		return c, nil
	}

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
	c.traced = true
	return c, nil
}

// Precision is the relative accuracy of a product: 1e-6 for float32 GEMMs
// over centred gradients, taken as for Network. Fisher products subtract
// g (g.v) from F v, each about as accurate as a Network product relative
// to ||F||, so their error relative to C grows by Tr(F)/Tr(C) =
// 1 + ||g||^2/Tr(C). Under Fisher products this needs Tr(C), so the first
// call (Lanczos makes it) computes the exact trace (see Trace).
func (c *Covariance) Precision() float64 {
	if c.products != CovarianceFisher {
		return 1e-6
	}
	return 1e-6 * (1 + dot(c.mean, c.mean)/c.Trace())
}

// PreferredBlock is 64 when the gradients are recomputed (each block costs
// N single-example gradients, whatever its size), 16 when stored, and the
// Network's under Fisher products.
func (c *Covariance) PreferredBlock() int {
	switch c.products {
	case CovarianceStored:
		return 16
	case CovarianceFisher:
		return c.fisher.PreferredBlock()
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
	if c.products == CovarianceFisher {
		// C v = F v - g (g . v), the rank-one part in float64.
		c.fisher.ApplyBlock(vs, k, out)
		for j := 0; j < k; j++ {
			axpy(-dot(c.mean, vs[j*p:(j+1)*p]), c.mean, out[j*p:(j+1)*p])
		}
		c.add(k)
		return
	}
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
// float64 from the float32 gradients) when the operator was built, or
// under Fisher products on the first call (N single-example gradients,
// one pass, centred on g): no estimator needed.
func (c *Covariance) Trace() float64 {
	if !c.traced {
		g := make([]float32, c.Dim())
		for i := 0; i < c.batch.N; i++ {
			c.model.LossGrad(rows(c.batch, c.model, i, i+1), false, g)
			for j, x := range g {
				d := float64(x) - c.mean[j]
				c.trace += d * d
			}
		}
		c.trace /= float64(c.batch.N)
		c.traced = true
	}
	return c.trace
}

// Loss returns the mean loss (without weight decay) and the number of
// correct argmax predictions on the operator's examples.
func (c *Covariance) Loss() (loss float64, correct int) {
	if c.fisher != nil {
		return c.fisher.Loss()
	}
	return c.model.Evaluate(c.batch)
}

// Products says how the products are computed (never CovarianceAuto).
func (c *Covariance) Products() CovarianceProducts { return c.products }

// MeanGradient returns g, the mean of the per-example gradients.
func (c *Covariance) MeanGradient() []float64 { return c.mean }

// Stored reports whether the centred gradients are kept in memory.
func (c *Covariance) Stored() bool { return c.stored }

// Describe stamps the operator.
func (c *Covariance) Describe() Stamp {
	how, dtype := "per-example gradients, recomputed per block", "float32 gradients and products, float64 mean, trace and accumulation"
	switch c.products {
	case CovarianceStored:
		how = "per-example gradients, stored"
	case CovarianceFisher:
		how, dtype = "empirical Fisher products minus g g^T, no per-example gradients stored",
			"float32 Fisher products (core/nn), float64 mean gradient, rank-one term, vectors and accumulation"
	}
	return Stamp{
		Operator:  "gradient covariance (" + how + ")",
		Model:     c.model.Spec(),
		Params:    c.Dim(),
		Examples:  c.batch.N,
		Selection: c.cfg.Selection,
		Mode:      mode(c.model),
		Loss:      lossName(c.model.Loss),
		Dtype:     dtype,
	}
}
