package nn

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// bufs are the per-example buffers of one pass over n rows. act[i] holds
// buffer i (act[0] is the input rows, aliased, never written); grad[i] the
// gradient of the loss with respect to it, and after backward grad[s+1]
// holds the gradient at step s's pre-activation (ReLU and dropout masks
// applied in place). probs and loss serve the loss head.
type bufs struct {
	act   [][]float32
	grad  [][]float32
	probs []float32
	loss  []float32
}

// rowsInto points v at rows [r0, r0+n) of every buffer of b, without
// allocating: v.act and v.grad must already have one slot per buffer.
func (b *bufs) rowsInto(a *arch, r0, n int, v *bufs) {
	for i, w := range a.widths {
		if b.act[i] != nil {
			v.act[i] = b.act[i][r0*w : (r0+n)*w]
		}
		if b.grad[i] != nil {
			v.grad[i] = b.grad[i][r0*w : (r0+n)*w]
		}
	}
	c := a.widths[len(a.widths)-1]
	if b.probs != nil {
		v.probs = b.probs[r0*c : (r0+n)*c]
	}
	if b.loss != nil {
		v.loss = b.loss[r0 : r0+n]
	}
}

// newBufs allocates buffers for rows examples. Buffer 0 (input) gets no
// storage: it aliases the batch, and its gradient is written straight into
// the caller's output.
func newBufs(a *arch, rows int) bufs {
	b := bufs{act: make([][]float32, len(a.widths)), grad: make([][]float32, len(a.widths))}
	for i := 1; i < len(a.widths); i++ {
		b.act[i] = make([]float32, rows*a.widths[i])
		b.grad[i] = make([]float32, rows*a.widths[i])
	}
	b.probs = make([]float32, rows*a.widths[len(a.widths)-1])
	b.loss = make([]float32, rows)
	return b
}

// workspace holds a model's reusable buffers, grown to the largest chunk
// seen, so that steady-state calls allocate nothing.
type workspace struct {
	rows int
	full bufs // capacity rows
	view bufs // row views into full, reused

	// R-operator tangents: one scratch space per worker (see hvp.go).
	tangent []*tangentWork
	job     tangentJob // the running job (see tangents)
	partial []float32  // the second half's product of a split job
}

// pass returns buffers for n <= chunk rows, growing the workspace if needed.
func (m *Model) pass(n int) *bufs {
	w := &m.ws
	if w.rows < n {
		w.full = newBufs(m.a, n)
		w.rows = n
		w.view = bufs{act: make([][]float32, len(m.a.widths)), grad: make([][]float32, len(m.a.widths))}
	}
	w.full.rowsInto(m.a, 0, n, &w.view)
	return &w.view
}

func (m *Model) chunk() int {
	if m.Chunk > 0 {
		return m.Chunk
	}
	return DefaultChunk
}

// dropout is the training-mode mask source of one LossGrad call.
type dropout struct {
	s      *rng.Stream
	thresh uint32  // drop when a 16-bit uniform < thresh
	scale  float32 // 1 / keep probability
}

// dropoutFor quantises p to a multiple of 2^-16 (0.25 and 0.5 are exact) so
// that a mask bit costs 16 random bits rather than a float draw; the scale is
// the inverse of the quantised keep probability, so the layer stays unbiased.
func dropoutFor(p float32, s *rng.Stream) *dropout {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("nn: dropout probability %v outside [0, 1)", p))
	}
	t := uint32(math.Round(float64(p) * 65536))
	if t == 0 {
		return nil
	}
	if t >= 65536 {
		t = 65535 // p just below 1: keep one unit in 65536 rather than divide by zero
	}
	return &dropout{s: s, thresh: t, scale: float32(65536 / float64(65536-t))}
}

// apply zeroes dropped units of y and scales the kept ones, in row-major
// order, four mask decisions per 64-bit draw. It is branch-free, since a
// coin flip per unit would mispredict half the time: the 16-bit uniform u
// keeps the unit when u >= thresh, i.e. when thresh-1-u is negative, and
// that sign bit, spread over 32 bits, masks the scaled value.
func (d *dropout) apply(y []float32) {
	t, sc := int64(d.thresh)-1, d.scale
	mask := func(u uint64) uint32 { return uint32((t - int64(u&0xffff)) >> 63) }
	i := 0
	for ; i+4 <= len(y); i += 4 {
		bits := d.s.Uint64()
		v := y[i : i+4 : i+4]
		v[0] = math.Float32frombits(math.Float32bits(v[0]*sc) & mask(bits))
		v[1] = math.Float32frombits(math.Float32bits(v[1]*sc) & mask(bits>>16))
		v[2] = math.Float32frombits(math.Float32bits(v[2]*sc) & mask(bits>>32))
		v[3] = math.Float32frombits(math.Float32bits(v[3]*sc) & mask(bits>>48))
	}
	if i < len(y) {
		bits := d.s.Uint64()
		for ; i < len(y); i++ {
			y[i] = math.Float32frombits(math.Float32bits(y[i]*sc) & mask(bits))
			bits >>= 16
		}
	}
}

// forward runs the network on n rows whose input is b.act[0], filling
// b.act[1:]. drop is nil in evaluation mode.
func (m *Model) forward(b *bufs, n int, drop *dropout) {
	if m.a.cnn != nil {
		m.cnnForward(b, n, drop)
		return
	}
	a := m.a
	for s, st := range a.steps {
		l := &a.lins[st.lin]
		dst := b.act[s+1][:n*l.out]
		beta := float32(0)
		if st.skip >= 0 {
			copy(dst, b.act[st.skip][:n*l.out])
			beta = 1
		}
		// Bias and ReLU fused into the GEMM's write-back: the same bits as
		// Gemm, AddBias, Relu.
		kernels.GemmBias(false, true, n, l.out, l.in, 1, b.act[st.src], l.in,
			m.params[l.w:l.b], l.in, beta, dst, l.out, m.params[l.b:l.b+l.out], st.relu)
		if st.relu && drop != nil {
			drop.apply(dst)
		}
	}
}

// head evaluates the loss on the logits of n rows (rows r0.. of batch bt),
// writing per-example losses to b.loss, softmax probabilities to b.probs
// (cross-entropy) and, with wantGrad, g times the gradient of each
// example's loss with respect to its logits to b.grad[last] (g = 1/N gives
// the gradient of the mean). It returns the summed loss, accumulated in
// float64 in row order, and the number of argmax hits.
func (m *Model) head(bt data.Batch, r0, n int, b *bufs, g float32, wantGrad bool) (float64, int) {
	last := len(m.a.widths) - 1
	c := m.a.widths[last]
	logits := b.act[last][:n*c]
	var sum float64
	correct := 0
	switch m.Loss {
	case CrossEntropy:
		labels := bt.Y[r0 : r0+n]
		probs := b.probs[:n*c]
		kernels.SoftmaxCrossEntropy(n, c, logits, labels, probs, b.loss[:n])
		for i := 0; i < n; i++ {
			sum += float64(b.loss[i])
			if argmax(logits[i*c:(i+1)*c]) == int(labels[i]) {
				correct++
			}
		}
		if wantGrad {
			d := b.grad[last][:n*c]
			copy(d, probs)
			for i, y := range labels {
				d[i*c+int(y)]--
			}
			if g != 1 {
				kernels.Scale(n*c, g, d)
			}
		}
	case SquaredError:
		t := bt.T[r0*c : (r0+n)*c]
		var d []float32
		if wantGrad {
			d = b.grad[last][:n*c]
		}
		for i := 0; i < n; i++ {
			var e float64
			for j := i * c; j < (i+1)*c; j++ {
				r := logits[j] - t[j]
				e += float64(r) * float64(r)
				if d != nil {
					d[j] = g * r
				}
			}
			b.loss[i] = float32(0.5 * e)
			sum += 0.5 * e
		}
	default:
		panic(fmt.Sprintf("nn: unknown loss %v", m.Loss))
	}
	return sum, correct
}

// argmax returns the index of the first largest element. Comparisons with
// NaN are false, so a NaN never displaces an earlier value.
func argmax(x []float32) int {
	best := 0
	for j := 1; j < len(x); j++ {
		if x[j] > x[best] {
			best = j
		}
	}
	return best
}

// backward propagates b.grad[last] (set by head) through the network.
// It masks every ReLU gradient in place (dropScale is the dropout scale, 1
// in evaluation mode), taking the mask from the stored ReLU output: y > 0
// exactly when z > 0 and the unit was kept, so neither the pre-activation
// nor the dropout mask needs storing. With grad set it writes the parameter gradient into
// grad (beta 0) or adds it (beta 1). With input set it writes the gradient
// with respect to the input rows there; otherwise buffer 0's gradient is not
// computed.
func (m *Model) backward(b *bufs, n int, dropScale float32, grad []float32, beta float32, input []float32) {
	if m.a.cnn != nil {
		m.cnnBackward(b, n, dropScale, grad, beta, input)
		return
	}
	a := m.a
	for s := len(a.steps) - 1; s >= 0; s-- {
		st := a.steps[s]
		l := &a.lins[st.lin]
		g := b.grad[s+1][:n*l.out]
		if st.relu {
			kernels.ReluBackward(n*l.out, b.act[s+1], g, g)
			if dropScale != 1 {
				kernels.Scale(n*l.out, dropScale, g)
			}
		}
		if grad != nil {
			kernels.Gemm(true, false, l.out, l.in, n, 1, g, l.out, b.act[st.src], l.in,
				beta, grad[l.w:l.b], l.in)
			kernels.SumRows(n, l.out, g, l.out, beta, grad[l.b:l.b+l.out])
		}
		if dst := m.gradBuf(b, st.src, input); dst != nil {
			kernels.Gemm(false, false, n, l.in, l.out, 1, g, l.out, m.params[l.w:l.b], l.in,
				st.srcBeta, dst[:n*l.in], l.in)
		}
		if st.skip >= 0 {
			if dst := m.gradBuf(b, st.skip, input); dst != nil {
				accumulateInto(dst[:n*l.out], g, st.skipBeta)
			}
		}
	}
}

// gradBuf is where the gradient of buffer i goes: the workspace for hidden
// buffers, the caller's slice (or nowhere) for the input.
func (m *Model) gradBuf(b *bufs, i int, input []float32) []float32 {
	if i == 0 {
		return input
	}
	return b.grad[i]
}

// accumulateInto sets dst = src when beta is 0 and adds src to dst otherwise.
func accumulateInto(dst, src []float32, beta float32) {
	if beta == 0 {
		copy(dst, src)
	} else {
		kernels.Axpy(len(src), 1, src, dst)
	}
}
