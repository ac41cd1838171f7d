package nn

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// LossKind selects the training loss.
type LossKind int

const (
	// CrossEntropy is the mean over examples of -log softmax(f(x))[y].
	CrossEntropy LossKind = iota
	// SquaredError is the mean over examples of 0.5*||f(x) - t||^2.
	SquaredError
)

// String returns the name used in safetensors metadata and reports.
func (k LossKind) String() string {
	switch k {
	case CrossEntropy:
		return "cross_entropy"
	case SquaredError:
		return "squared_error"
	}
	return fmt.Sprintf("LossKind(%d)", int(k))
}

// ParseLossKind is the inverse of LossKind.String.
func ParseLossKind(s string) (LossKind, error) {
	switch s {
	case "cross_entropy":
		return CrossEntropy, nil
	case "squared_error":
		return SquaredError, nil
	}
	return 0, fmt.Errorf("unknown loss %q (want cross_entropy or squared_error)", s)
}

// ParamBlock names one tensor inside Model.Params: the PyTorch state_dict
// key, where the tensor starts in the flat slice, and its shape ([out, in]
// for a weight, [out] for a bias).
type ParamBlock struct {
	Name   string
	Offset int
	Shape  []int
}

// Size is the number of parameters in the block.
func (b ParamBlock) Size() int {
	n := 1
	for _, d := range b.Shape {
		n *= d
	}
	return n
}

// DefaultChunk is the number of examples processed per pass when
// Model.Chunk is zero. It bounds workspace memory (about
// Chunk * sum(widths) * 8 bytes for a gradient) while keeping GEMMs large
// enough to run at full speed.
const DefaultChunk = 1024

// Model is a feed-forward network (see the package documentation) with its
// parameters and workspaces. A Model is not safe for concurrent use; Clone it
// for each goroutine.
type Model struct {
	// Loss is the training loss; New sets CrossEntropy.
	Loss LossKind
	// Dropout is the probability p in [0, 1) of zeroing each hidden ReLU
	// output in training mode (LossGrad with train=true); kept units are
	// scaled by 1/(1-p) so that evaluation needs no rescaling.
	Dropout float32
	// Chunk is the number of examples per pass (0 means DefaultChunk).
	// Results depend on it at rounding level only, but to be bitwise
	// reproducible keep it fixed.
	Chunk int

	a           *arch
	params      []float32
	blocks      []ParamBlock
	dropoutSeed uint64
	dropoutStep uint64
	cs          *cnnState // BatchNorm state and CNN scratch; nil for MLPs

	ws workspace
}

// New builds a model from a spec and initialises it from
// rng.New(seed, "init", 0):
//
//	mlp:IN-H1-...-HK-OUT      Linear/ReLU stack; "mlp:784-10" is softmax regression
//	resmlp:IN-WxB-OUT         Linear(IN,W), ReLU, B residual blocks at width W, Linear(W,OUT)
//
// Weights feeding a ReLU get He initialisation (normal, std sqrt(2/fan_in));
// the others get Glorot (normal, std sqrt(2/(fan_in+fan_out))), and the
// second layer of each residual block is further scaled by 1/sqrt(B). Biases
// start at 0. The dropout seed defaults to seed.
func New(spec string, seed uint64) (*Model, error) {
	a, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	m := newModel(a)
	m.dropoutSeed = seed
	s := rng.New(seed, "init", 0)
	if a.cnn != nil {
		m.cnnInit(s.Normal)
		return m, nil
	}
	for _, l := range a.lins {
		std := math.Sqrt(2 / float64(l.in+l.out))
		if l.he {
			std = math.Sqrt(2 / float64(l.in))
		}
		std *= l.gain
		w := m.params[l.w : l.w+l.in*l.out]
		for i := range w {
			w[i] = float32(std * s.Normal())
		}
	}
	return m, nil
}

// newModel allocates a zero model for an arch.
func newModel(a *arch) *Model {
	m := &Model{a: a, params: make([]float32, a.nparams)}
	if a.cnn != nil {
		m.blocks, m.cs = a.cnn.blocks, newCNNState(a.cnn)
	}
	for _, l := range a.lins {
		m.blocks = append(m.blocks,
			ParamBlock{Name: l.name + ".weight", Offset: l.w, Shape: []int{l.out, l.in}},
			ParamBlock{Name: l.name + ".bias", Offset: l.b, Shape: []int{l.out}})
	}
	return m
}

// Spec returns the spec the model was built from.
func (m *Model) Spec() string { return m.a.spec }

// InputDim is the number of input features.
func (m *Model) InputDim() int { return m.a.widths[0] }

// OutputDim is the number of outputs (classes, or regression targets).
func (m *Model) OutputDim() int { return m.a.widths[len(m.a.widths)-1] }

// NumParams is the number of parameters, len(Params()).
func (m *Model) NumParams() int { return m.a.nparams }

// Params returns the model's parameters as one flat slice in state_dict
// order (each Linear's weight [out, in] row-major, then its bias [out]).
// It aliases the model: writing to it changes the model.
func (m *Model) Params() []float32 { return m.params }

// Blocks describes the tensors inside Params, in order. The caller must not
// modify the returned slice.
func (m *Model) Blocks() []ParamBlock { return m.blocks }

// Clone returns an independent copy: parameters, loss, dropout setting and
// dropout stream position are copied; workspaces are not shared.
func (m *Model) Clone() *Model {
	c := &Model{
		Loss:        m.Loss,
		Dropout:     m.Dropout,
		Chunk:       m.Chunk,
		a:           m.a,
		params:      append([]float32(nil), m.params...),
		blocks:      m.blocks,
		dropoutSeed: m.dropoutSeed,
		dropoutStep: m.dropoutStep,
		cs:          m.cs.clone(),
	}
	return c
}

// SetDropoutSeed restarts the dropout masks: the i-th training-mode LossGrad
// call after it (counting from 0) draws its masks from
// rng.New(seed, "dropout", i).
func (m *Model) SetDropoutSeed(seed uint64) {
	m.dropoutSeed = seed
	m.dropoutStep = 0
}

// CheckFinite returns an error naming the first parameter that is NaN or
// infinite, or nil.
func (m *Model) CheckFinite() error {
	for _, b := range m.blocks {
		x := m.params[b.Offset : b.Offset+b.Size()]
		for i, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("model %s: parameter %s%s is %v", m.a.spec, b.Name, formatIndex(b.Shape, i), v)
			}
		}
	}
	return nil
}

// formatIndex formats flat offset i in a row-major tensor of the given shape as
// "[r c]".
func formatIndex(shape []int, i int) string {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return fmt.Sprint(idx)
}
