package nn

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// Residual-block measurements (P4, C9: "residual networks do iterative
// inference", Jastrzebski et al. 2018). A resmlp is
//
//	h_0 = relu(W_0 x + b_0),  h_{i+1} = h_i + F_i(h_i),  F_i(h) = lin2_i(relu(lin1_i(h))),
//	logits = W_out h_B + b_out,
//
// with B blocks, i = 0..B-1. TraceBlocks records, per example, every h_i, every
// residual F_i(h_i) and every representation gradient dL/dh_i, so that a
// claim can compute cos(F_i(h_i), dL/dh_i) (iterative inference: the block
// moves its representation against the gradient, cos < 0) and
// ||F_i(h_i)|| / ||h_i|| (later blocks refine less). EvaluateWithoutBlocks
// evaluates the network with some blocks replaced by the identity
// (h_{i+1} = h_i), which is bitwise the network WithoutBlocks builds without
// them; EvaluateFromBlock evaluates the rest of the network from a given
// representation h_i (the loss as a function of h_i, which is what
// dL/dh_i differentiates).
//
// Everything here is evaluation mode (no dropout). It works on the resmlp
// models and on the CNN ResNets' basic blocks (resnet20/32/56: see
// cnn_blocks.go for what h_i, F_i(h_i) and dL/dh_i are there, and how the
// downsampling blocks are measured).

// ResidualBlocks returns the number of residual blocks B of a resmlp model
// or a CNN ResNet (every basic block, downsampling ones included), and 0
// for every other architecture.
func (m *Model) ResidualBlocks() int {
	if m.a.cnn != nil {
		return len(m.a.cnn.res)
	}
	if m.a.kind != "resmlp" {
		return 0
	}
	return (len(m.a.steps) - 2) / 2
}

// ResidualBlock describes one residual block of a model.
type ResidualBlock struct {
	// Name is the block's state_dict prefix: "layer2.0" in a CNN ResNet,
	// "3" (the nn.Sequential index) in a resmlp.
	Name string
	// Identity is true when the shortcut is the identity, i.e. h_{i+1}
	// and h_i share a shape; false for a downsampling block, whose
	// shortcut is a strided 1x1 convolution and BatchNorm.
	Identity bool
	// In and Out are the per-example sizes of h_i and h_{i+1}.
	In, Out int
}

// ResidualBlockInfo describes the model's residual blocks, block 0 first
// (nil for a model without any).
func (m *Model) ResidualBlockInfo() []ResidualBlock {
	if c := m.a.cnn; c != nil {
		var out []ResidualBlock
		for _, r := range c.res {
			out = append(out, ResidualBlock{Name: r.name, Identity: r.identity(), In: c.shapes[r.in].size(), Out: c.shapes[r.out].size()})
		}
		return out
	}
	var out []ResidualBlock
	for i := range m.ResidualBlocks() {
		w := m.a.widths[1]
		out = append(out, ResidualBlock{Name: strconv.Itoa(2 + i), Identity: true, In: w, Out: w})
	}
	return out
}

// BlockTrace is what TraceBlocks records for a batch of N examples through
// a residual network of B blocks. Every slice holds N rows, row-major
// (example n of H[i] at [n*Sizes[i], (n+1)*Sizes[i])); in a resmlp every
// row has the blocks' width W.
type BlockTrace struct {
	N, Blocks int
	// Width is the common width W of every h_i of a resmlp, and 0 when
	// the sizes differ (a CNN ResNet).
	Width int
	// Sizes[i], i = 0..B, is the per-example size of h_i (of H[i] and
	// G[i]); F[i] has rows of Sizes[i+1].
	Sizes []int
	// Identity[i] is true when block i's shortcut is the identity (h_i and
	// h_{i+1} share a shape): every resmlp block, and a CNN ResNet's
	// blocks other than the first of stages 2 and 3.
	Identity []bool
	// PostReLU is true when a ReLU follows the residual sum (the CNN
	// ResNets' basic blocks: h_{i+1} = relu(h_i + F_i(h_i))); false for
	// the resmlp (h_{i+1} = h_i + F_i(h_i)).
	PostReLU bool
	// H[i], i = 0..B, is h_i: H[i] is block i's input for i < B, and H[B]
	// the last block's output (the input of the output layer).
	H [][]float32
	// F[i], i = 0..B-1, is block i's residual F_i(h_i), computed directly
	// (lin2's output plus its bias in a resmlp, bn2's output in a CNN
	// ResNet), so H[i+1] = H[i] + F[i] (resmlp, up to float32 rounding)
	// or relu(H[i] + F[i]) (identity blocks of a CNN ResNet, exactly).
	F [][]float32
	// S[i] is a downsampling block's shortcut output S_i(h_i) (the strided
	// 1x1 convolution and BatchNorm), of F[i]'s shape, so that
	// H[i+1] = relu(S[i] + F[i]) exactly; nil for identity blocks. It is
	// the reference representation of a downsampling block (see
	// RelativeNorms).
	S [][]float32
	// G[i], i = 0..B, is the gradient of each example's own loss (not
	// divided by N) with respect to h_i: G[i][n*W+j] = d loss_n / d h_i[n, j],
	// through the whole rest of the network (block i included: its
	// residual branch and its shortcut). G[i+1] is the gradient at block
	// i's output. Every h_i that is a ReLU output (h_0 in both kinds, and
	// every h_i of a CNN ResNet) has the gradient with respect to h_i
	// itself, not masked by the ReLU that produced it.
	G [][]float32
	// Loss is the mean loss over the batch and Correct its argmax hits,
	// as Evaluate returns them.
	Loss    float64
	Correct int
}

// TraceBlocks runs m on b in evaluation mode and records every block's
// input, residual and representation gradient (see BlockTrace). It returns
// an error for a model without residual blocks (neither a resmlp nor a CNN
// ResNet) or a batch that does not fit. The batch is processed in Chunk
// rows at a time; every per-example figure is computed row by row, so the
// result does not depend on GOMAXPROCS. The trace holds every h_i, F_i and
// dL/dh_i of every example (about 0.9 MB per 28x28 example for a CNN
// ResNet-20); BlockFigures keeps only the per-example figures.
func (m *Model) TraceBlocks(b data.Batch) (*BlockTrace, error) {
	if err := m.checkTrace(b); err != nil {
		return nil, err
	}
	t := m.newTrace(b.N)
	t.Loss, t.Correct = m.traceChunks(b, func(c *BlockTrace, r0 int) {
		for i := range t.H {
			copyRows(t.H[i], c.H[i], r0, c.N, t.Sizes[i])
			copyRows(t.G[i], c.G[i], r0, c.N, t.Sizes[i])
		}
		for i := range t.F {
			copyRows(t.F[i], c.F[i], r0, c.N, t.Sizes[i+1])
			if t.S[i] != nil {
				copyRows(t.S[i], c.S[i], r0, c.N, t.Sizes[i+1])
			}
		}
	})
	return t, nil
}

// copyRows copies the n rows of width w of src to rows r0.. of dst.
func copyRows(dst, src []float32, r0, n, w int) {
	copy(dst[r0*w:(r0+n)*w], src[:n*w])
}

// BlockFigures are the per-example figures of a BlockTrace without the
// representations themselves: for block i and example n, Cos[i][n] =
// cos(F_i(h_i), dL/dh_i) (NaN for a downsampling block), CosNext[i][n] =
// cos(F_i(h_i), dL/dh_{i+1}), RelNorm[i][n] = ||F_i|| / ||h_i|| (or over
// ||S_i(h_i)||, as RelativeNorms), FNorm[i][n] = ||F_i(h_i)|| and
// HNorm[i][n] = ||h_i||. Each is bitwise what the full trace's methods
// give.
type BlockFigures struct {
	N, Blocks int
	Identity  []bool
	Cos       [][]float64
	CosNext   [][]float64
	RelNorm   [][]float64
	FNorm     [][]float64
	HNorm     [][]float64
	// Loss and Correct are as in BlockTrace, bitwise.
	Loss    float64
	Correct int
}

// BlockFigures is TraceBlocks condensed chunk by chunk: it holds one chunk's
// trace at a time (Chunk rows), so its memory does not grow with the batch
// beyond 5 float64s per example and block.
func (m *Model) BlockFigures(b data.Batch) (*BlockFigures, error) {
	if err := m.checkTrace(b); err != nil {
		return nil, err
	}
	nb := m.ResidualBlocks()
	f := &BlockFigures{N: b.N, Blocks: nb}
	for _, bi := range m.ResidualBlockInfo() {
		f.Identity = append(f.Identity, bi.Identity)
		f.Cos = append(f.Cos, make([]float64, 0, b.N))
		f.CosNext = append(f.CosNext, make([]float64, 0, b.N))
		f.RelNorm = append(f.RelNorm, make([]float64, 0, b.N))
		f.FNorm = append(f.FNorm, make([]float64, 0, b.N))
		f.HNorm = append(f.HNorm, make([]float64, 0, b.N))
	}
	f.Loss, f.Correct = m.traceChunks(b, func(c *BlockTrace, _ int) {
		for i := range nb {
			f.Cos[i] = append(f.Cos[i], c.Cosines(i)...)
			f.CosNext[i] = append(f.CosNext[i], c.CosinesNext(i)...)
			f.RelNorm[i] = append(f.RelNorm[i], c.RelativeNorms(i)...)
			fw, hw := c.Sizes[i+1], c.Sizes[i]
			for n := range c.N {
				f.FNorm[i] = append(f.FNorm[i], norm32(c.F[i][n*fw:(n+1)*fw]))
				f.HNorm[i] = append(f.HNorm[i], norm32(c.H[i][n*hw:(n+1)*hw]))
			}
		}
	})
	return f, nil
}

// Stats returns the per-block summaries, as BlockTrace.Stats does.
func (f *BlockFigures) Stats() []BlockStats {
	out := make([]BlockStats, f.Blocks)
	for i := range out {
		out[i] = blockStats(i, f.N, f.Identity[i], f.Cos[i], f.CosNext[i], f.RelNorm[i])
	}
	return out
}

func (m *Model) checkTrace(b data.Batch) error {
	if m.ResidualBlocks() == 0 {
		return fmt.Errorf("model %s: TraceBlocks needs a residual network (resmlp or CNN ResNet)", m.a.spec)
	}
	return m.CheckBatch(b)
}

// newTrace returns a BlockTrace of n rows with every buffer allocated.
func (m *Model) newTrace(n int) *BlockTrace {
	if m.a.cnn != nil {
		return m.cnnNewTrace(n)
	}
	nb := m.ResidualBlocks()
	w := m.a.widths[1]
	t := &BlockTrace{N: n, Width: w, Blocks: nb}
	for i := 0; i <= nb; i++ {
		t.Sizes = append(t.Sizes, w)
		t.H = append(t.H, make([]float32, n*w))
		t.G = append(t.G, make([]float32, n*w))
		if i < nb {
			t.Identity = append(t.Identity, true)
			t.F = append(t.F, make([]float32, n*w))
			t.S = append(t.S, nil)
		}
	}
	return t
}

// rowsView is t cut to its first n rows (a chunk's trace, sharing memory).
func (t *BlockTrace) rowsView(n int) *BlockTrace {
	c := *t
	c.N = n
	cut := func(xs [][]float32, size func(i int) int) [][]float32 {
		out := make([][]float32, len(xs))
		for i, x := range xs {
			if x != nil {
				out[i] = x[:n*size(i)]
			}
		}
		return out
	}
	c.H = cut(t.H, func(i int) int { return t.Sizes[i] })
	c.G = cut(t.G, func(i int) int { return t.Sizes[i] })
	c.F = cut(t.F, func(i int) int { return t.Sizes[i+1] })
	c.S = cut(t.S, func(i int) int { return t.Sizes[i+1] })
	return &c
}

// traceChunks runs the evaluation-mode trace of b chunk by chunk (Chunk
// rows), filling a chunk-sized trace and handing it to emit with the
// chunk's first row; it returns the mean loss and the hits, summed in
// chunk order.
func (m *Model) traceChunks(b data.Batch, emit func(c *BlockTrace, r0 int)) (loss float64, correct int) {
	if b.N == 0 {
		return 0, 0
	}
	if m.a.cnn != nil {
		return m.cnnTraceChunks(b, emit)
	}
	a := m.a
	nb := m.ResidualBlocks()
	w := a.widths[1]
	buf := m.newTrace(min(m.chunk(), b.N))
	var sum float64
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		s, c := m.head(b, r0, n, p, 1, true)
		sum += s
		correct += c
		t := buf.rowsView(n)
		for i := 0; i <= nb; i++ {
			copy(t.H[i], p.act[1+2*i][:n*w])
		}
		for i := 0; i < nb; i++ {
			l := &a.lins[a.steps[2+2*i].lin]
			f := t.F[i]
			kernels.Gemm(false, true, n, l.out, l.in, 1, p.act[2+2*i], l.in, m.params[l.w:l.b], l.in, 0, f, l.out)
			kernels.AddBias(n, l.out, m.params[l.b:l.b+l.out], f, l.out)
		}
		// Backward through steps len-1 .. 1 (no parameter gradients):
		// buffer 1+2i (h_i) is read by steps 1+2i and 2+2i only, so its
		// gradient is complete once step 1+2i is done; h_B is read by the
		// output step only. Step 0 (which would mask h_0's gradient by its
		// ReLU) is not run.
		last := len(a.steps) - 1
		for s := last; s >= 1; s-- {
			st := a.steps[s]
			l := &a.lins[st.lin]
			g := p.grad[s+1][:n*l.out]
			if st.relu {
				kernels.ReluBackward(n*l.out, p.act[s+1], g, g)
			}
			kernels.Gemm(false, false, n, l.in, l.out, 1, g, l.out, m.params[l.w:l.b], l.in,
				st.srcBeta, p.grad[st.src][:n*l.in], l.in)
			if st.skip >= 0 {
				accumulateInto(p.grad[st.skip][:n*l.out], g, st.skipBeta)
			}
			switch {
			case s == last:
				copy(t.G[nb], p.grad[st.src][:n*w])
			case s%2 == 1: // lin1 of block (s-1)/2
				copy(t.G[(s-1)/2], p.grad[st.src][:n*w])
			}
		}
		emit(t, r0)
	})
	return sum / float64(b.N), correct
}

// cosine returns cos(x, y) in float64, and 0 when either is zero.
func cosine(x, y []float32) float64 {
	var xy, xx, yy float64
	for j := range x {
		a, b := float64(x[j]), float64(y[j])
		xy += a * b
		xx += a * a
		yy += b * b
	}
	if xx == 0 || yy == 0 {
		return 0
	}
	return xy / math.Sqrt(xx*yy)
}

func norm32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func (t *BlockTrace) checkBlock(who string, i int) {
	if i < 0 || i >= t.Blocks {
		panic(fmt.Sprintf("nn: BlockTrace.%s: block %d outside [0, %d)", who, i, t.Blocks))
	}
}

// Cosines returns, per example, cos(F_i(h_i), dL/dh_i): negative when block
// i moves the representation against the gradient of the loss at its input
// (iterative inference). 0 for an example whose F or gradient is zero; NaN
// for a downsampling block, where F_i(h_i) and h_i differ in shape.
func (t *BlockTrace) Cosines(i int) []float64 {
	t.checkBlock("Cosines", i)
	if !t.Identity[i] {
		return t.perExample(func(int) float64 { return math.NaN() })
	}
	w := t.Sizes[i]
	return t.perExample(func(n int) float64 { return cosine(t.F[i][n*w:(n+1)*w], t.G[i][n*w:(n+1)*w]) })
}

// CosinesNext returns, per example, cos(F_i(h_i), dL/dh_{i+1}), the
// gradient at the block's output (the first-order change of the loss from
// adding F_i to h_i with the later blocks held as they are, in the
// expansion L(h_i + F_i) ~ L(h_i) + <F_i, dL/dh_{i+1}>).
// It is defined for downsampling blocks too (F_i and h_{i+1} share a
// shape).
func (t *BlockTrace) CosinesNext(i int) []float64 {
	t.checkBlock("CosinesNext", i)
	w := t.Sizes[i+1]
	return t.perExample(func(n int) float64 { return cosine(t.F[i][n*w:(n+1)*w], t.G[i+1][n*w:(n+1)*w]) })
}

// RelativeNorms returns, per example, ||F_i(h_i)|| / ||h_i|| (+Inf where
// h_i = 0 and F_i is not, 0 where F_i is). For a downsampling block the
// reference is the shortcut's output, ||F_i(h_i)|| / ||S_i(h_i)||: what
// the residual is added to.
func (t *BlockTrace) RelativeNorms(i int) []float64 {
	t.checkBlock("RelativeNorms", i)
	ref, rw := t.H[i], t.Sizes[i]
	if !t.Identity[i] {
		ref, rw = t.S[i], t.Sizes[i+1]
	}
	fw := t.Sizes[i+1]
	return t.perExample(func(n int) float64 {
		f, h := norm32(t.F[i][n*fw:(n+1)*fw]), norm32(ref[n*rw:(n+1)*rw])
		if f == 0 {
			return 0
		}
		return f / h
	})
}

func (t *BlockTrace) perExample(f func(n int) float64) []float64 {
	out := make([]float64, t.N)
	for n := range out {
		out[n] = f(n)
	}
	return out
}

// BlockStats summarises one block of a BlockTrace over its examples.
type BlockStats struct {
	Block int `json:"block"`
	// Cos is the mean over examples of cos(F_i(h_i), dL/dh_i), CosMedian
	// its median, and CosNegative the fraction of examples with a
	// negative cosine (all three NaN for a downsampling block); CosNext is
	// the mean of cos(F_i, dL/dh_{i+1}).
	Cos         float64 `json:"cos"`
	CosMedian   float64 `json:"cos_median"`
	CosNegative float64 `json:"cos_negative"`
	CosNext     float64 `json:"cos_next"`
	// RelNorm is the mean over examples of ||F_i(h_i)|| / ||h_i||, and
	// RelNormMedian its median.
	RelNorm       float64 `json:"rel_norm"`
	RelNormMedian float64 `json:"rel_norm_median"`
}

// Stats returns the per-block summaries, block 0 first.
func (t *BlockTrace) Stats() []BlockStats {
	out := make([]BlockStats, t.Blocks)
	for i := range out {
		out[i] = blockStats(i, t.N, t.Identity[i], t.Cosines(i), t.CosinesNext(i), t.RelativeNorms(i))
	}
	return out
}

// blockStats summarises block i's per-example figures over n examples.
func blockStats(i, n int, identity bool, c, cn, r []float64) BlockStats {
	neg := 0
	for _, v := range c {
		if v < 0 {
			neg++
		}
	}
	st := BlockStats{Block: i, Cos: mean(c), CosMedian: median(c), CosNext: mean(cn),
		RelNorm: mean(r), RelNormMedian: median(r)}
	if n > 0 {
		st.CosNegative = float64(neg) / float64(n)
	}
	if !identity {
		nan := math.NaN()
		st.Cos, st.CosMedian, st.CosNegative = nan, nan, nan
	}
	return st
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return 0.5 * (y[len(y)/2-1] + y[len(y)/2])
}

// dropSet checks block indices and returns them as a mask.
func (m *Model) dropSet(who string, drop []int) ([]bool, error) {
	nb := m.ResidualBlocks()
	if nb == 0 {
		return nil, fmt.Errorf("model %s: %s needs a residual network (resmlp or CNN ResNet)", m.a.spec, who)
	}
	mask := make([]bool, nb)
	for _, i := range drop {
		if i < 0 || i >= nb {
			return nil, fmt.Errorf("model %s: %s: block %d outside [0, %d)", m.a.spec, who, i, nb)
		}
		mask[i] = true
	}
	return mask, nil
}

// EvaluateWithoutBlocks is Evaluate with the listed blocks (0-based)
// replaced by the identity, h_{i+1} = h_i: the "lesion" of Veit et al.
// (2016) that C9 compares between early and late blocks. In a CNN ResNet
// that is the residual branch set to zero, F_i := 0: an identity block
// then gives h_{i+1} = relu(h_i) = h_i exactly (h_i >= 0, a ReLU output),
// and a downsampling block keeps its shortcut, h_{i+1} = relu(S_i(h_i)),
// as Veit et al. do. The result is bitwise that of
// WithoutBlocks(drop...).Evaluate(b). Dropping no blocks is Evaluate. m is
// not modified.
func (m *Model) EvaluateWithoutBlocks(b data.Batch, drop ...int) (loss float64, correct int, err error) {
	mask, err := m.dropSet("EvaluateWithoutBlocks", drop)
	if err != nil {
		return 0, 0, err
	}
	if err := m.CheckBatch(b); err != nil {
		return 0, 0, err
	}
	if m.a.cnn != nil {
		return m.cnnEvaluateFrom(b, 0, nil, mask)
	}
	return m.evaluateFrom(b, 0, nil, mask)
}

// EvaluateFromBlock evaluates the rest of the network from the
// representation h (N rows of h_i's size, row-major; see
// ResidualBlockInfo) given as h_i, block i's input (i = 0..B; i = B feeds
// the output layer alone, or a CNN ResNet's pooling and output layer): the
// loss as a function of h_i, whose gradient TraceBlocks reports as G[i]. b
// supplies the labels (or targets) and N; its inputs are not read.
// Evaluation mode.
func (m *Model) EvaluateFromBlock(i int, h []float32, b data.Batch) (loss float64, correct int, err error) {
	nb := m.ResidualBlocks()
	if nb == 0 {
		return 0, 0, fmt.Errorf("model %s: EvaluateFromBlock needs a residual network (resmlp or CNN ResNet)", m.a.spec)
	}
	if i < 0 || i > nb {
		return 0, 0, fmt.Errorf("model %s: EvaluateFromBlock: block %d outside [0, %d]", m.a.spec, i, nb)
	}
	w := m.a.widths[1]
	if c := m.a.cnn; c != nil {
		w = c.shapes[c.blockBuf(i)].size()
	}
	if len(h) < b.N*w {
		return 0, 0, fmt.Errorf("model %s: EvaluateFromBlock: h has %d values, want N*%d = %d", m.a.spec, len(h), w, b.N*w)
	}
	lb := b
	lb.X = make([]float32, b.N*m.InputDim()) // not read; satisfies CheckBatch
	if err := m.CheckBatch(lb); err != nil {
		return 0, 0, err
	}
	if m.a.cnn != nil {
		return m.cnnEvaluateFrom(lb, i, h, make([]bool, nb))
	}
	return m.evaluateFrom(lb, i, h, make([]bool, nb))
}

// evaluateFrom runs the resmlp program in evaluation mode, chunk by chunk:
// from the input (from = 0, h nil) or from h given as h_from, with the
// blocks in drop replaced by the identity, and returns the mean loss and
// hits.
func (m *Model) evaluateFrom(b data.Batch, from int, h []float32, drop []bool) (float64, int, error) {
	if b.N == 0 {
		return 0, 0, nil
	}
	a := m.a
	in, w, ch := m.InputDim(), a.widths[1], m.chunk()
	var sum float64
	correct := 0
	for r0 := 0; r0 < b.N; r0 += ch {
		n := min(ch, b.N-r0)
		p := m.pass(n)
		p.act[0] = b.X[r0*in : (r0+n)*in]
		s0 := 0
		if h != nil {
			copy(p.act[1+2*from][:n*w], h[r0*w:(r0+n)*w])
			s0 = 1 + 2*from
		}
		for s := s0; s < len(a.steps); s++ {
			if s >= 1 && s < len(a.steps)-1 {
				blk := (s - 1) / 2
				if drop[blk] {
					if s%2 == 0 { // the block's second step: its output is its input
						copy(p.act[s+1][:n*w], p.act[s-1][:n*w])
					}
					continue
				}
			}
			m.evalStep(p, s, n)
		}
		ls, c := m.head(b, r0, n, p, 1, false)
		sum += ls
		correct += c
	}
	return sum / float64(b.N), correct, nil
}

// evalStep is step s of the MLP forward pass in evaluation mode (forward's
// loop body without dropout).
func (m *Model) evalStep(p *bufs, s, n int) {
	st := m.a.steps[s]
	l := &m.a.lins[st.lin]
	dst := p.act[s+1][:n*l.out]
	beta := float32(0)
	if st.skip >= 0 {
		copy(dst, p.act[st.skip][:n*l.out])
		beta = 1
	}
	kernels.GemmBias(false, true, n, l.out, l.in, 1, p.act[st.src], l.in,
		m.params[l.w:l.b], l.in, beta, dst, l.out, m.params[l.b:l.b+l.out], st.relu)
}

// WithoutBlocks returns a new resmlp with the listed blocks removed and
// every other parameter copied (the input layer, the kept blocks in order,
// the output layer), with m's loss, dropout and chunk settings. At least
// one block must remain (a resmlp has at least one). For a CNN ResNet see
// cnnWithoutBlocks: any blocks may go, and a downsampling block leaves its
// shortcut behind.
func (m *Model) WithoutBlocks(drop ...int) (*Model, error) {
	mask, err := m.dropSet("WithoutBlocks", drop)
	if err != nil {
		return nil, err
	}
	if m.a.cnn != nil {
		return m.cnnWithoutBlocks(mask)
	}
	kept := 0
	for _, d := range mask {
		if !d {
			kept++
		}
	}
	if kept == 0 {
		return nil, fmt.Errorf("model %s: WithoutBlocks: dropping all %d blocks leaves no resmlp", m.a.spec, len(mask))
	}
	a := m.a
	spec := "resmlp:" + strconv.Itoa(a.widths[0]) + "-" + strconv.Itoa(a.widths[1]) + "x" + strconv.Itoa(kept) + "-" + strconv.Itoa(m.OutputDim())
	na, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	r := newModel(na)
	r.Loss, r.Dropout, r.Chunk = m.Loss, m.Dropout, m.Chunk
	r.dropoutSeed = m.dropoutSeed
	cp := func(dst, src linear) {
		copy(r.params[dst.w:dst.b+dst.out], m.params[src.w:src.b+src.out])
	}
	cp(na.lins[0], a.lins[0])
	j := 0
	for i, d := range mask {
		if d {
			continue
		}
		cp(na.lins[1+2*j], a.lins[1+2*i])
		cp(na.lins[2+2*j], a.lins[2+2*i])
		j++
	}
	cp(na.lins[len(na.lins)-1], a.lins[len(a.lins)-1])
	return r, nil
}
