package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// Residual-block measurements of the CNN ResNets (resnet20/32/56, He et
// al. 2016's CIFAR ResNets; C9, P4). Their basic blocks are post-activation:
//
//	h_{i+1} = relu(S_i(h_i) + F_i(h_i)),  F_i(h) = bn2(conv2(relu(bn1(conv1(h))))),
//
// with S_i the identity for an identity block (h_{i+1} and h_i share a
// shape: every block but the first of stages 2 and 3) and S_i(h) =
// bn(conv1x1, stride 2 (h)) for a downsampling block (layer2.0, layer3.0:
// half the pixels, twice the channels). h_0 is the stem's output,
// relu(bn1(conv1(x))), and h_B, the last block's output, feeds the global
// average pool and the output layer. Everything is evaluation mode:
// BatchNorm normalises with its running statistics, so every example's
// values depend on that example alone. For block i of a batch, TraceBlocks
// records per example:
//
//   - H[i] = h_i, the block's input (a ReLU output, so h_i >= 0), in NCHW
//     order (C x H x W values per example);
//   - F[i] = F_i(h_i), bn2's output: the residual branch before the sum and
//     its ReLU, of h_{i+1}'s shape;
//   - G[i] = dL/dh_i, the gradient of the example's own loss with respect to
//     h_i through everything after it (block i's residual branch and its
//     shortcut, the later blocks, the pool and the output layer), not
//     masked by the ReLU that produced h_i; G[B] is the gradient at the
//     last block's output;
//   - for a downsampling block also S[i] = S_i(h_i), the shortcut's output.
//
// An identity block's update is F_i(h_i) in h_i's space, so cos(F_i(h_i),
// dL/dh_i) and ||F_i(h_i)|| / ||h_i|| are defined as for the resmlp. A
// downsampling block changes the space: its cosine with dL/dh_i is
// undefined (NaN in Cosines and Stats); its relative change is measured
// against the shortcut's output, ||F_i(h_i)|| / ||S_i(h_i)|| (what the
// residual is added to), and cos(F_i(h_i), dL/dh_{i+1}) is defined for
// every block. A claim that needs one space per block (C9) reads the
// identity blocks and reports the downsampling ones apart.
//
// Removing block i (EvaluateWithoutBlocks, WithoutBlocks) sets its residual
// branch to zero: h_{i+1} = relu(S_i(h_i)), which is h_i itself for an
// identity block (exactly, as h_i >= 0) and the shortcut alone for a
// downsampling block (Veit et al. 2016's lesion of a downsampling block).

// resBlock is one residual block of a cnnArch, as buffer indices: in is
// h_i, f the residual branch's output F_i(h_i), short the shortcut's output
// (in itself for an identity block), out h_{i+1} (the sum, with its ReLU).
// The block's nodes are in..out-1: the residual branch in..f-1, the
// shortcut's nodes f..short-1 (none for an identity block), the sum out-1.
type resBlock struct {
	name              string
	in, f, short, out int
}

func (r resBlock) identity() bool { return r.short == r.in }

// resBlockOf recognises a basic block closed by the sum node writing
// buffer out of f (the branch) and skip (the shortcut): the branch must
// start at the node right after h_i's (node in reads buffer in), h_i must
// be a ReLU output, and the shortcut must be h_i itself or a
// convolution-then-BatchNorm of h_i computed between the branch and the sum.
// The block is named by the sum's name ("layer1.0").
func (c *cnnArch) resBlockOf(name string, f, skip, out int) (resBlock, bool) {
	r := resBlock{name: name, f: f, short: skip, out: out}
	if out != f+1 && out != skip+1 {
		return r, false
	}
	if out == f+1 { // identity: the sum follows the branch
		r.in = skip
	} else { // downsampling: conv (node f) and BN (node f+1) of h_i, then the sum
		if skip != f+2 || c.nodes[f].kind != nodeConv || c.nodes[f+1].kind != nodeBN || c.nodes[f+1].src != f+1 {
			return r, false
		}
		r.in = c.nodes[f].src
	}
	if r.in < 1 || r.in >= f || c.nodes[r.in].src != r.in || !c.nodes[r.in-1].relu {
		return r, false
	}
	// The branch reads nothing before h_i.
	for j := r.in; j < f; j++ {
		if c.nodes[j].src < r.in || c.nodes[j].skip >= 0 {
			return r, false
		}
	}
	return r, true
}

// blockBuf is the buffer holding h_i, i = 0..B.
func (c *cnnArch) blockBuf(i int) int {
	if i == len(c.res) {
		return c.res[i-1].out
	}
	return c.res[i].in
}

// cnnNewTrace is newTrace for a CNN ResNet.
func (m *Model) cnnNewTrace(n int) *BlockTrace {
	c := m.a.cnn
	nb := len(c.res)
	t := &BlockTrace{N: n, Blocks: nb, PostReLU: true}
	for i := 0; i <= nb; i++ {
		t.Sizes = append(t.Sizes, c.shapes[c.blockBuf(i)].size())
		t.H = append(t.H, make([]float32, n*t.Sizes[i]))
		t.G = append(t.G, make([]float32, n*t.Sizes[i]))
	}
	for i, r := range c.res {
		t.Identity = append(t.Identity, r.identity())
		t.F = append(t.F, make([]float32, n*t.Sizes[i+1]))
		var s []float32
		if !r.identity() {
			s = make([]float32, n*t.Sizes[i+1])
		}
		t.S = append(t.S, s)
	}
	return t
}

// cnnTraceChunks is traceChunks for a CNN ResNet (b checked, not empty).
func (m *Model) cnnTraceChunks(b data.Batch, emit func(c *BlockTrace, r0 int)) (loss float64, correct int) {
	c := m.a.cnn
	nb := len(c.res)
	at := map[int]int{} // buffer -> i for h_i
	for i := 0; i <= nb; i++ {
		at[c.blockBuf(i)] = i
	}
	buf := m.cnnNewTrace(min(m.chunk(), b.N))
	var sum float64
	m.eachChunk(b.X, b.N, func(p *bufs, r0, n int) {
		s, hits := m.head(b, r0, n, p, 1, true)
		sum += s
		correct += hits
		t := buf.rowsView(n)
		for i := 0; i <= nb; i++ {
			copy(t.H[i], p.act[c.blockBuf(i)][:n*t.Sizes[i]])
		}
		for i, r := range c.res {
			copy(t.F[i], p.act[r.f][:n*t.Sizes[i+1]])
			if t.S[i] != nil {
				copy(t.S[i], p.act[r.short][:n*t.Sizes[i+1]])
			}
		}
		// Each h_i's gradient as soon as it is complete, before the mask of
		// the ReLU that produced it; no parameter or input gradients.
		m.cnnBackwardHook(p, n, 1, nil, 0, nil, func(buf int, g []float32) {
			if i, ok := at[buf]; ok {
				copy(t.G[i], g[:n*t.Sizes[i]])
			}
		})
		emit(t, r0)
	})
	return sum / float64(b.N), correct
}

// cnnEvaluateFrom runs the CNN program in evaluation mode, chunk by chunk,
// from the input (h nil) or from h given as h_from, with the residual
// branches of the blocks in drop set to zero, and returns the mean loss
// and hits.
func (m *Model) cnnEvaluateFrom(b data.Batch, from int, h []float32, drop []bool) (float64, int, error) {
	if b.N == 0 {
		return 0, 0, nil
	}
	c := m.a.cnn
	start := 0
	if h != nil {
		start = c.blockBuf(from)
	}
	w := c.shapes[start].size()
	// What each node does: run, skip (a dropped branch), or close a
	// dropped block (its sum with F = 0).
	const (
		run = iota
		skip
		closeIdentity
		closeShortcut
	)
	act := make([]int, len(c.nodes))
	for k, r := range c.res {
		if !drop[k] {
			continue
		}
		for j := r.in; j < r.f; j++ {
			act[j] = skip
		}
		act[r.out-1] = closeShortcut
		if r.identity() {
			act[r.out-1] = closeIdentity
		}
	}
	in, ch := m.InputDim(), m.chunk()
	s := m.cnnScratch()
	var sum float64
	correct := 0
	for r0 := 0; r0 < b.N; r0 += ch {
		n := min(ch, b.N-r0)
		p := m.pass(n)
		p.act[0] = b.X[r0*in : (r0+n)*in]
		if h != nil {
			copy(p.act[start][:n*w], h[r0*w:(r0+n)*w])
		}
		for i := start; i < len(c.nodes); i++ {
			nd := &c.nodes[i]
			y := p.act[i+1][:n*nd.out.size()]
			switch act[i] {
			case run:
				m.cnnNode(p, i, n, nil, s)
			case closeIdentity: // h_{i+1} = h_i, exactly relu(h_i + 0) as h_i >= 0
				copy(y, p.act[nd.skip])
			case closeShortcut: // h_{i+1} = relu(S_i(h_i) + 0)
				copy(y, p.act[nd.skip])
				if nd.relu {
					kernels.Relu(len(y), y, y)
				}
			}
		}
		ls, hits := m.head(b, r0, n, p, 1, false)
		sum += ls
		correct += hits
	}
	return sum / float64(b.N), correct, nil
}

// cnnWithoutBlocks is WithoutBlocks for a CNN ResNet: the node program
// replayed without the dropped blocks' residual branches and sums (a
// downsampling block's shortcut stays, its BatchNorm now followed by the
// ReLU), every remaining tensor and running statistic copied by name. The
// new model's spec is m's with " without blocks NAME,..." appended (a
// description, not a spec New parses); Loss, Dropout and Chunk are m's.
func (m *Model) cnnWithoutBlocks(drop []bool) (*Model, error) {
	c := m.a.cnn
	skipNode := make([]bool, len(c.nodes))
	closes := map[int]resBlock{} // sum node -> its dropped block
	var names []string
	for k, r := range c.res {
		if !drop[k] {
			continue
		}
		names = append(names, r.name)
		for j := r.in; j < r.f; j++ {
			skipNode[j] = true
		}
		closes[r.out-1] = r
	}
	spec := m.a.spec + " without blocks " + strings.Join(names, ",")
	b := newCNNBuilder(c.in)
	buf := make([]int, len(c.shapes)) // old buffer -> new buffer
	for i := range c.nodes {
		nd := &c.nodes[i]
		if skipNode[i] {
			continue
		}
		if r, ok := closes[i]; ok {
			buf[i+1] = buf[nd.skip]
			if !r.identity() && nd.relu {
				b.relu(nd.name) // the shortcut's BN, just replayed, is current
			}
			continue
		}
		b.cur = buf[nd.src]
		switch nd.kind {
		case nodeConv:
			b.conv(nd.name, nd.out.c, nd.geom.KH, nd.geom.SH, nd.geom.PH, nd.b >= 0)
		case nodeDense:
			b.flatten()
			b.dense(nd.name, nd.out.c, nd.he)
		case nodeBN:
			b.batchNorm(nd.name)
		case nodeMaxPool:
			b.maxPool(nd.name, nd.pool)
		case nodeGAP:
			b.gap(nd.name)
		case nodeAdd:
			b.add(nd.name, buf[nd.skip])
		}
		if nd.relu {
			b.relu(nd.name)
		}
		if nd.drop {
			b.dropout(nd.name)
		}
		buf[i+1] = b.cur
	}
	if b.err != nil {
		return nil, fmt.Errorf("model %s: WithoutBlocks: %v", m.a.spec, b.err)
	}
	a, err := b.finish(spec)
	if err != nil {
		return nil, err
	}
	r := newModel(a)
	r.Loss, r.Dropout, r.Chunk = m.Loss, m.Dropout, m.Chunk
	r.dropoutSeed = m.dropoutSeed
	copyByName := func(dst, src []float32, to, from []ParamBlock) error {
		for _, p := range to {
			j := slices.IndexFunc(from, func(q ParamBlock) bool { return q.Name == p.Name })
			if j < 0 || from[j].Size() != p.Size() {
				return fmt.Errorf("model %s: WithoutBlocks: no tensor %s of %d values to copy", m.a.spec, p.Name, p.Size())
			}
			copy(dst[p.Offset:p.Offset+p.Size()], src[from[j].Offset:])
		}
		return nil
	}
	if err := copyByName(r.params, m.params, a.cnn.blocks, c.blocks); err != nil {
		return nil, err
	}
	if err := copyByName(r.cs.state, m.cs.state, a.cnn.buffers, c.buffers); err != nil {
		return nil, err
	}
	for _, nd := range a.cnn.nodes {
		if nd.kind != nodeBN {
			continue
		}
		for _, od := range c.nodes {
			if od.kind == nodeBN && od.name == nd.name {
				r.cs.nbt[nd.bn] = m.cs.nbt[od.bn]
			}
		}
	}
	return r, nil
}
