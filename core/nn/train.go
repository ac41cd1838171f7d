package nn

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// CheckBatch reports, as an error, why b cannot be fed to the model: slice
// lengths that do not match N and the model's sizes, labels outside
// [0, OutputDim), or the wrong kind of target for the loss. The methods that
// take a batch panic with the same message, since a bad batch there is a
// programming error; commands call CheckBatch first to turn user mistakes
// (a model for 10 classes on data with 12) into a clean error.
func (m *Model) CheckBatch(b data.Batch) error {
	in, c := m.InputDim(), m.OutputDim()
	switch {
	case b.N < 0:
		return fmt.Errorf("model %s: batch has N = %d", m.a.spec, b.N)
	case len(b.X) < b.N*in:
		return fmt.Errorf("model %s: batch X has %d values, want N*%d = %d (is the input size %d right?)",
			m.a.spec, len(b.X), in, b.N*in, in)
	}
	switch m.Loss {
	case CrossEntropy:
		if len(b.Y) < b.N {
			return fmt.Errorf("model %s: cross-entropy needs %d class labels, batch has %d", m.a.spec, b.N, len(b.Y))
		}
		for i, y := range b.Y[:b.N] {
			if y < 0 || int(y) >= c {
				return fmt.Errorf("model %s: example %d has label %d, model has %d classes", m.a.spec, i, y, c)
			}
		}
	case SquaredError:
		if len(b.T) < b.N*c {
			return fmt.Errorf("model %s: squared error needs %d targets per example (%d in all), batch has %d",
				m.a.spec, c, b.N*c, len(b.T))
		}
	default:
		return fmt.Errorf("model %s: unknown loss %v", m.a.spec, m.Loss)
	}
	return nil
}

func (m *Model) mustBatch(b data.Batch, method string) {
	if err := m.CheckBatch(b); err != nil {
		panic("nn." + method + ": " + err.Error())
	}
}

func mustLen(method, what string, got, want int) {
	if got < want {
		panic(fmt.Sprintf("nn.%s: %s has length %d, want %d", method, what, got, want))
	}
}

// LossGrad returns the mean loss over the batch and the number of examples
// whose largest output is their label (0 for SquaredError), and overwrites
// grad[:NumParams()] with the gradient of that mean loss. With train set it
// applies dropout, drawing this call's masks from rng.New(seed, "dropout",
// i) for the i-th training call since SetDropoutSeed (or New); every call
// with train set counts, whatever Dropout is, so the masks of step i do not
// depend on earlier steps' settings. A batch of zero examples gives loss 0
// and a zero gradient.
//
// The batch is processed in chunks of Chunk rows: chunk gradients are
// accumulated in a fixed order, so results do not depend on GOMAXPROCS.
func (m *Model) LossGrad(b data.Batch, train bool, grad []float32) (loss float64, correct int) {
	m.mustBatch(b, "LossGrad")
	mustLen("LossGrad", "grad", len(grad), m.a.nparams)
	var drop *dropout
	if train {
		if d := dropoutFor(m.Dropout, nil); d != nil {
			d.s = rng.New(m.dropoutSeed, "dropout", m.dropoutStep)
			drop = d
		}
		m.dropoutStep++
	}
	if m.cs != nil {
		// BatchNorm uses batch statistics (and updates the running ones)
		// in this call's forward and backward passes only.
		m.cs.train = train
		defer func() { m.cs.train = false }()
	}
	grad = grad[:m.a.nparams]
	if b.N == 0 {
		clear(grad)
		return 0, 0
	}
	dropScale := float32(1)
	if drop != nil {
		dropScale = drop.scale
	}
	in, ch := m.InputDim(), m.chunk()
	inv := float32(1 / float64(b.N))
	var sum float64
	for r0 := 0; r0 < b.N; r0 += ch {
		n := min(ch, b.N-r0)
		p := m.pass(n)
		p.act[0] = b.X[r0*in : (r0+n)*in]
		m.forward(p, n, drop)
		s, c := m.head(b, r0, n, p, inv, true)
		sum += s
		correct += c
		beta := float32(1)
		if r0 == 0 {
			beta = 0
		}
		m.backward(p, n, dropScale, grad, beta, nil)
	}
	return sum / float64(b.N), correct
}

// Evaluate returns the mean loss over the batch in evaluation mode (no
// dropout) and the number of argmax hits (0 for SquaredError).
func (m *Model) Evaluate(b data.Batch) (loss float64, correct int) {
	m.mustBatch(b, "Evaluate")
	if b.N == 0 {
		return 0, 0
	}
	var sum float64
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		s, c := m.head(b, r0, n, p, 1, false)
		sum += s
		correct += c
	})
	return sum / float64(b.N), correct
}

// eachChunk runs the evaluation-mode forward pass over n input rows, chunk
// by chunk, calling f after each.
func (m *Model) eachChunk(x []float32, n int, f func(p *bufs, r0, n int)) {
	in, ch := m.InputDim(), m.chunk()
	for r0 := 0; r0 < n; r0 += ch {
		c := min(ch, n-r0)
		p := m.pass(c)
		p.act[0] = x[r0*in : (r0+c)*in]
		m.forward(p, c, nil)
		f(p, r0, c)
	}
}

// Forward writes the evaluation-mode outputs (logits for CrossEntropy) of
// the batch's examples to out, N x OutputDim row-major. Labels and targets
// are not read.
func (m *Model) Forward(b data.Batch, out []float32) {
	in, c := m.InputDim(), m.OutputDim()
	mustLen("Forward", "batch X", len(b.X), b.N*in)
	mustLen("Forward", "out", len(out), b.N*c)
	last := len(m.a.widths) - 1
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		copy(out[r0*c:(r0+n)*c], p.act[last][:n*c])
	})
}

// PerExampleLoss writes each example's loss (evaluation mode) to out[:N].
func (m *Model) PerExampleLoss(b data.Batch, out []float64) {
	m.mustBatch(b, "PerExampleLoss")
	mustLen("PerExampleLoss", "out", len(out), b.N)
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		m.head(b, r0, n, p, 1, false)
		for i, l := range p.loss[:n] {
			out[r0+i] = float64(l)
		}
	})
}

// InputGrad writes, for every example, the gradient of its own loss (not
// divided by N) with respect to its input to out, N x InputDim row-major.
// Evaluation mode.
func (m *Model) InputGrad(b data.Batch, out []float32) {
	m.mustBatch(b, "InputGrad")
	in := m.InputDim()
	mustLen("InputGrad", "out", len(out), b.N*in)
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		m.head(b, r0, n, p, 1, true)
		m.backward(p, n, 1, nil, 0, out[r0*in:(r0+n)*in])
	})
}

// ScoreInputGrad writes, for each of the n examples in x (n x InputDim
// row-major), the gradient of its output class[i] (a logit, before softmax)
// with respect to its input to out (n x InputDim). Evaluation mode. This is
// the direction the LASS search of the critical sample ratio follows.
func (m *Model) ScoreInputGrad(x []float32, n int, class []int32, out []float32) {
	in, c := m.InputDim(), m.OutputDim()
	mustLen("ScoreInputGrad", "x", len(x), n*in)
	mustLen("ScoreInputGrad", "class", len(class), n)
	mustLen("ScoreInputGrad", "out", len(out), n*in)
	for i, k := range class[:n] {
		if k < 0 || int(k) >= c {
			panic(fmt.Sprintf("nn.ScoreInputGrad: class[%d] = %d outside [0, %d)", i, k, c))
		}
	}
	last := len(m.a.widths) - 1
	m.eachChunk(x, n, func(p *bufs, r0, n int) {
		g := p.grad[last][:n*c]
		clear(g)
		for i := 0; i < n; i++ {
			g[i*c+int(class[r0+i])] = 1
		}
		m.backward(p, n, 1, nil, 0, out[r0*in:(r0+n)*in])
	})
}
