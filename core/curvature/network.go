package curvature

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// NetworkConfig sets up the Hessian or GGN operator of a network.
type NetworkConfig struct {
	// Chunk is the number of examples per product: each chunk's product is
	// taken by core/nn in float32 (the mean over the chunk) and added in
	// float64, weighted by its share of the examples, in chunk order.
	// Workspace memory grows with it (core/nn bounds its tangent buffers
	// separately). Default nn.DefaultChunk (1024).
	Chunk int
	// WeightDecay includes an L2 term wd/2 ||theta||^2 in the loss, adding
	// wd*I to the operator. Default 0: excluded, as DESIGN.md asks, so that
	// figures measure the data loss alone.
	WeightDecay float64
	// NoCache recomputes the forward and backward passes for every product.
	// By default they are kept (nn.NewHVP), which makes a product about 1.5
	// gradients instead of 2 to 2.5, at 8*N*(sum of layer widths) bytes:
	// 8.5 MB for mlp:784-512-512-10 on 1024 examples.
	NoCache bool
	// Selection describes which examples the batch holds, for the stamp
	// (e.g. "first 1024 training images in file order"). Default "given
	// batch".
	Selection string
}

// Network is the Hessian (or generalised Gauss-Newton matrix, or empirical
// Fisher) of a network's mean loss over a fixed set of examples, in evaluation mode (dropout off),
// as an Operator. It snapshots the parameters when built (it holds a clone
// of the model), so training the model afterwards does not change it.
//
// Products come from core/nn's R-operator in float32: the float64 vectors
// are rounded to float32 on the way in and the float32 products widened on
// the way out. Each product therefore carries a relative error of about
// 1e-6 of ||H|| ||v|| (float32 rounding through a few layers), and the
// operator is symmetric only to that level. Estimators are unaffected at
// tolerances above about 1e-5; below it, Lanczos residuals stall at that
// floor and eigenvalues smaller than about 1e-6 lambda_max in magnitude are
// not resolved.
type Network struct {
	counter
	model  *nn.Model
	batch  data.Batch
	kind   netKind
	cfg    NetworkConfig
	chunks []netChunk
	vs32   []float32
	out32  []float32
}

// netKind is the matrix a Network multiplies by.
type netKind int

const (
	netHessian netKind = iota
	netGGN
	netFisher
)

type netChunk struct {
	b     data.Batch
	cache *nn.HVPCache
	w     float64 // n_chunk / N
}

// NewHessian returns the Hessian of m's mean loss on b (plus cfg.WeightDecay
// times the identity). b must fit m (see nn.Model.CheckBatch) and hold at
// least one example; m's parameters must be finite.
func NewHessian(m *nn.Model, b data.Batch, cfg NetworkConfig) (*Network, error) {
	return newNetwork("NewHessian", m, b, cfg, netHessian)
}

// NewGGN returns the generalised Gauss-Newton matrix mean_i J_i^T H_i J_i of
// m on b (plus cfg.WeightDecay times the identity): positive semidefinite,
// equal to the Hessian where the network is linear in its parameters, and
// the usual stand-in for it in second-order methods.
func NewGGN(m *nn.Model, b data.Batch, cfg NetworkConfig) (*Network, error) {
	return newNetwork("NewGGN", m, b, cfg, netGGN)
}

// NewEmpiricalFisher returns the empirical Fisher F = mean_i g_i g_i^T of m
// on b, g_i the gradient of example i's loss in evaluation mode: the
// uncentred second moment of the per-example gradients, positive
// semidefinite. Its products come from core/nn's FisherVP (one tangent
// pass per block, like a GGN product), so no per-example gradient is ever
// stored. cfg.WeightDecay must be 0: an L2 term adds wd*theta to every g_i,
// which is not F + wd*I.
func NewEmpiricalFisher(m *nn.Model, b data.Batch, cfg NetworkConfig) (*Network, error) {
	if cfg.WeightDecay != 0 {
		return nil, fmt.Errorf("curvature: NewEmpiricalFisher: WeightDecay = %g: the empirical Fisher of the data loss takes no weight decay", cfg.WeightDecay)
	}
	return newNetwork("NewEmpiricalFisher", m, b, cfg, netFisher)
}

func newNetwork(who string, m *nn.Model, b data.Batch, cfg NetworkConfig, kind netKind) (*Network, error) {
	if cfg.Chunk == 0 {
		cfg.Chunk = nn.DefaultChunk
	}
	switch {
	case cfg.Chunk < 1:
		return nil, fmt.Errorf("curvature: %s: Chunk = %d: must be positive", who, cfg.Chunk)
	case !(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0):
		return nil, fmt.Errorf("curvature: %s: WeightDecay = %g: must be finite and non-negative", who, cfg.WeightDecay)
	}
	if err := checkModelBatch(who, m, b); err != nil {
		return nil, err
	}
	if cfg.Selection == "" {
		cfg.Selection = "given batch"
	}
	op := &Network{model: m.Clone(), batch: b, kind: kind, cfg: cfg}
	op.model.Chunk = cfg.Chunk
	for lo := 0; lo < b.N; lo += cfg.Chunk {
		c := netChunk{b: rows(b, op.model, lo, min(lo+cfg.Chunk, b.N))}
		c.w = float64(c.b.N) / float64(b.N)
		if !cfg.NoCache {
			c.cache = op.model.NewHVP(c.b)
		}
		op.chunks = append(op.chunks, c)
	}
	return op, nil
}

// checkModelBatch turns a model/batch mismatch or non-finite weights into
// an error.
func checkModelBatch(who string, m *nn.Model, b data.Batch) error {
	if b.N < 1 {
		return fmt.Errorf("curvature: %s: batch has %d examples: need at least 1", who, b.N)
	}
	if err := m.CheckBatch(b); err != nil {
		return fmt.Errorf("curvature: %s: %v", who, err)
	}
	if err := m.CheckFinite(); err != nil {
		return fmt.Errorf("curvature: %s: %v", who, err)
	}
	return nil
}

// rows returns examples [lo, hi) of b as a batch sharing its memory.
func rows(b data.Batch, m *nn.Model, lo, hi int) data.Batch {
	in := m.InputDim()
	r := data.Batch{X: b.X[lo*in : hi*in], N: hi - lo}
	if b.Y != nil {
		r.Y = b.Y[lo:hi]
	}
	if b.T != nil {
		out := m.OutputDim()
		r.T = b.T[lo*out : hi*out]
	}
	return r
}

// Precision is the relative accuracy of a float32 product, about 1e-6 of
// ||H|| ||v|| (measured: 1.5e-7 for mlp:784-512-512-10; the margin covers
// deeper networks).
func (op *Network) Precision() float64 { return 1e-6 }

// PreferredBlock is 4: core/nn runs the vectors of a block as independent
// chains, one per core, each core taking the next vector when it comes
// free, so a block of 2 or more keeps both cores busy, while the float64
// blocks that the estimators and the conversions here stream through grow
// with it (5.4 MB per vector). Measured for mlp:784-512-512-10 on 1024
// examples on two cores (load about 2), in core/nn: 15.1, 14.3, 14.2 and
// 14.4 ms per vector in blocks of 1, 2, 4 and 16; 100-probe Hutchinson
// (init, epoch1) 1.46 / 1.49 s in blocks of 2, 1.63 / 1.53 s in blocks of
// 4, 2.09 / 1.70 s in blocks of 16, and Hutch++ 3.00 / 2.82, 3.03 / 2.18
// and 3.41 / 2.63 s. (On an idle 2-core Xeon blocks of 16 were 5% faster
// than blocks of 4.)
func (op *Network) PreferredBlock() int { return 4 }

// Dim is the number of parameters.
func (op *Network) Dim() int { return op.model.NumParams() }

// Apply sets out = H v.
func (op *Network) Apply(v, out []float64) { op.ApplyBlock(v, 1, out) }

// ApplyBlock sets out_i = H v_i for the k vectors of vs, as one blocked
// R-operator pass per chunk.
func (op *Network) ApplyBlock(vs []float64, k int, out []float64) {
	p := op.Dim()
	checkBlock("Network", p, k, vs, out)
	if len(op.vs32) < k*p {
		op.vs32 = make([]float32, k*p)
		op.out32 = make([]float32, k*p)
	}
	vs32, out32 := op.vs32[:k*p], op.out32[:k*p]
	narrow(vs32, vs[:k*p])
	for ci, c := range op.chunks {
		switch {
		case c.cache != nil && op.kind == netGGN:
			c.cache.ApplyGGN(vs32, k, out32)
		case c.cache != nil && op.kind == netFisher:
			c.cache.ApplyFisher(vs32, k, out32)
		case c.cache != nil:
			c.cache.Apply(vs32, k, out32)
		case op.kind == netGGN:
			op.model.GGNVP(c.b, vs32, k, out32)
		case op.kind == netFisher:
			op.model.FisherVP(c.b, vs32, k, out32)
		default:
			op.model.HVP(c.b, vs32, k, out32)
		}
		widen(out[:k*p], out32, c.w, ci > 0)
	}
	if wd := op.cfg.WeightDecay; wd != 0 {
		axpy(wd, vs[:k*p], out[:k*p])
	}
	op.add(k)
}

// Loss returns the mean loss (without weight decay) and the number of
// correct argmax predictions on the operator's examples, at its parameters.
func (op *Network) Loss() (loss float64, correct int) {
	for _, c := range op.chunks {
		var l float64
		var h int
		if c.cache != nil {
			l, h = c.cache.Loss()
		} else {
			l, h = op.model.Evaluate(c.b)
		}
		loss += c.w * l
		correct += h
	}
	return loss, correct
}

// Gradient returns the gradient of the mean loss (without weight decay) at
// the operator's parameters, in evaluation mode.
func (op *Network) Gradient() []float64 {
	p := op.Dim()
	g32 := make([]float32, p)
	g := make([]float64, p)
	for _, c := range op.chunks {
		op.model.LossGrad(c.b, false, g32)
		for i, x := range g32 {
			g[i] += c.w * float64(x)
		}
	}
	return g
}

// Model returns the operator's snapshot of the model; callers must not
// modify it.
func (op *Network) Model() *nn.Model { return op.model }

// Describe stamps the operator.
func (op *Network) Describe() Stamp {
	name := map[netKind]string{netHessian: "Hessian", netGGN: "generalized Gauss-Newton",
		netFisher: "empirical Fisher (mean of per-example gradient outer products)"}[op.kind]
	return Stamp{
		Operator:    name,
		Model:       op.model.Spec(),
		Params:      op.Dim(),
		Examples:    op.batch.N,
		Selection:   op.cfg.Selection,
		Mode:        mode(op.model),
		Loss:        lossName(op.model.Loss),
		WeightDecay: op.cfg.WeightDecay,
		Dtype:       "float32 products (core/nn), float64 vectors and accumulation",
	}
}

// mode says in which mode the network ran: evaluation mode, always.
func mode(m *nn.Model) string {
	if m.HasBatchNorm() {
		return "eval (dropout off, BatchNorm with running statistics)"
	}
	return "eval (dropout off)"
}

// lossName says which mean loss a model's curvature is of.
func lossName(k nn.LossKind) string {
	switch k {
	case nn.CrossEntropy:
		return "mean cross-entropy"
	case nn.SquaredError:
		return "mean squared error (0.5 ||f(x) - t||^2)"
	}
	return "mean " + k.String()
}

// Layer is a contiguous range of parameters: one Linear layer's weight and
// bias, named by their common state_dict prefix ("0", "2.lin1").
type Layer struct {
	Name   string
	Lo, Hi int
}

// Layers lists m's Linear layers in parameter order, for per-layer
// curvature with Restrict.
func Layers(m *nn.Model) []Layer {
	var ls []Layer
	for _, b := range m.Blocks() {
		name := b.Name
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[:i]
		}
		lo, hi := b.Offset, b.Offset+b.Size()
		if n := len(ls); n > 0 && ls[n-1].Name == name && ls[n-1].Hi == lo {
			ls[n-1].Hi = hi
			continue
		}
		ls = append(ls, Layer{Name: name, Lo: lo, Hi: hi})
	}
	return ls
}
