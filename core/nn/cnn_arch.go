package nn

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// A convolutional network is a program of nodes over per-example buffers,
// like the step program of the MLPs: buffer 0 is the input, node i writes
// buffer i+1, and every buffer holds each example's values contiguously in
// PyTorch's NCHW order (so Flatten is free, and rows of a buffer are
// examples as for the MLPs; the generic bufs and HVPCache work unchanged).
// ReLU and Dropout do not get buffers of their own: they are applied in
// place to the output of the node before them, and their backward masks
// are read off that output (y > 0 exactly when the unit was positive and
// kept), as in the MLP.

// cshape is the shape of one example's buffer: c channels of h x w pixels
// (h = w = 1 for a flat vector of c features).
type cshape struct{ c, h, w int }

func (s cshape) size() int { return s.c * s.h * s.w }

func (s cshape) String() string { return fmt.Sprintf("%dx%dx%d", s.c, s.h, s.w) }

type nodeKind int

const (
	nodeConv    nodeKind = iota // Conv2d: weight [out, in, kh, kw], optional bias
	nodeDense                   // Linear on the flattened buffer
	nodeBN                      // BatchNorm2d (per channel) or 1d (h = w = 1)
	nodeMaxPool                 // MaxPool2d(k), stride k, floor mode
	nodeGAP                     // global average pool to c x 1 x 1
	nodeAdd                     // residual sum of buffers src and skip
)

// cnode is one node of the program.
type cnode struct {
	kind      nodeKind
	name      string // state_dict prefix of its tensors ("0", "layer1.0.conv1")
	src, skip int    // buffers read; skip >= 0 for nodeAdd only
	in, out   cshape
	relu      bool // ReLU applied in place to the output
	drop      bool // then inverted dropout (training mode only)
	geom      kernels.ConvGeom
	pool      int // nodeMaxPool: kernel and stride
	w, b      int // parameter offsets: weight (BN gamma), bias (BN beta); b < 0: none
	he        bool
	stat      int // nodeBN: running_mean at state[stat:], running_var at state[stat+c:]
	bn        int // nodeBN: index among the BN nodes (num_batches_tracked)

	// srcBeta, skipBeta: 0 for the first writer of the buffer's gradient in
	// backward order, 1 for later ones (see arch.link).
	srcBeta, skipBeta float32
	// maskSrc: this node (a convolution or max pooling) is the only reader
	// of its source buffer, which a convolution with a ReLU wrote, so its
	// backward pass may apply that ReLU's mask to the gradient it writes,
	// while it is in cache (see cnnBackward).
	maskSrc bool
}

// cnnArch is a parsed convolutional spec.
type cnnArch struct {
	in      cshape
	nodes   []cnode
	shapes  []cshape     // shapes[i] is buffer i's
	blocks  []ParamBlock // trainable tensors, state_dict order
	buffers []ParamBlock // BN running_mean and running_var, offsets into the state
	nstate  int
	nbn     int
	names   []string // every state_dict key in order, buffers and num_batches_tracked included
	maxCol  int      // largest im2col matrix of one group of examples (see convGroup)
	maxOut  int      // largest output of one group
	hasBN   bool
	res     []resBlock // the residual blocks, in order (see cnn_blocks.go)
}

// bnEps is PyTorch's BatchNorm default eps; bnMomentum its running-average
// momentum.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// cnnBuilder assembles a cnnArch node by node, checking shapes as it goes.
type cnnBuilder struct {
	a       *cnnArch
	cur     int // the buffer the next node reads
	nparams int
	flat    bool // Flatten seen since the last spatial layer
	err     error
}

func newCNNBuilder(in cshape) *cnnBuilder {
	return &cnnBuilder{a: &cnnArch{in: in, shapes: []cshape{in}}, flat: in.h == 1 && in.w == 1}
}

func (b *cnnBuilder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

func (b *cnnBuilder) shape() cshape { return b.a.shapes[b.cur] }

// push appends node n reading buffer n.src and makes its output current.
func (b *cnnBuilder) push(n cnode) int {
	if n.out.c < 1 || n.out.h < 1 || n.out.w < 1 {
		b.fail("layer %s: output shape %s is empty (input %s)", n.name, n.out, n.in)
		n.out = cshape{1, 1, 1}
	}
	if float64(n.out.c)*float64(n.out.h)*float64(n.out.w) > maxWidth {
		b.fail("layer %s: output %s exceeds %d values per example", n.name, n.out, maxWidth)
		n.out = cshape{1, 1, 1}
	}
	b.a.nodes = append(b.a.nodes, n)
	b.a.shapes = append(b.a.shapes, n.out)
	b.cur = len(b.a.shapes) - 1
	return b.cur
}

// param reserves a trainable tensor and returns its offset.
func (b *cnnBuilder) param(name string, shape ...int) int {
	off := b.nparams
	pb := ParamBlock{Name: name, Offset: off, Shape: shape}
	if float64(b.nparams)+float64(pb.Size()) > maxParams {
		b.fail("more than %d parameters", maxParams)
		return off
	}
	b.nparams += pb.Size()
	b.a.blocks = append(b.a.blocks, pb)
	b.a.names = append(b.a.names, name)
	return off
}

func (b *cnnBuilder) conv(name string, out, k, stride, pad int, bias bool) int {
	in := b.shape()
	g := kernels.ConvGeom{C: in.c, H: in.h, W: in.w, KH: k, KW: k, SH: stride, SW: stride, PH: pad, PW: pad}
	if in.h+2*pad < k || in.w+2*pad < k {
		b.fail("layer %s: kernel %d larger than the padded input %s", name, k, in)
		return b.cur
	}
	n := cnode{kind: nodeConv, name: name, src: b.cur, skip: -1, in: in, geom: g,
		out: cshape{out, g.OutH(), g.OutW()}, he: true, b: -1}
	n.w = b.param(name+".weight", out, in.c, k, k)
	if bias {
		n.b = b.param(name+".bias", out)
	}
	gr := convGroup(g, 1<<30)
	b.a.maxCol = max(b.a.maxCol, gr*g.Rows()*g.Cols())
	b.a.maxOut = max(b.a.maxOut, gr*out*g.Cols())
	b.flat = false
	return b.push(n)
}

func (b *cnnBuilder) dense(name string, out int, he bool) int {
	in := b.shape()
	if !b.flat {
		b.fail("layer %s: Linear after a spatial %s input needs a Flatten first", name, in)
	}
	n := cnode{kind: nodeDense, name: name, src: b.cur, skip: -1, in: in, out: cshape{out, 1, 1}, he: he}
	n.w = b.param(name+".weight", out, in.size())
	n.b = b.param(name+".bias", out)
	b.flat = true
	return b.push(n)
}

func (b *cnnBuilder) batchNorm(name string) int {
	in := b.shape()
	n := cnode{kind: nodeBN, name: name, src: b.cur, skip: -1, in: in, out: in, stat: b.a.nstate, bn: b.a.nbn}
	n.w = b.param(name+".weight", in.c)
	n.b = b.param(name+".bias", in.c)
	b.a.buffers = append(b.a.buffers,
		ParamBlock{Name: name + ".running_mean", Offset: n.stat, Shape: []int{in.c}},
		ParamBlock{Name: name + ".running_var", Offset: n.stat + in.c, Shape: []int{in.c}})
	b.a.names = append(b.a.names, name+".running_mean", name+".running_var", name+".num_batches_tracked")
	b.a.nstate += 2 * in.c
	b.a.nbn++
	b.a.hasBN = true
	return b.push(n)
}

func (b *cnnBuilder) maxPool(name string, k int) int {
	in := b.shape()
	if k < 1 || in.h < k || in.w < k {
		b.fail("layer %s: MaxPool2d(%d) on a %s input", name, k, in)
		return b.cur
	}
	b.flat = false
	return b.push(cnode{kind: nodeMaxPool, name: name, src: b.cur, skip: -1, in: in, pool: k,
		out: cshape{in.c, in.h / k, in.w / k}, b: -1})
}

func (b *cnnBuilder) gap(name string) int {
	in := b.shape()
	b.flat = false
	return b.push(cnode{kind: nodeGAP, name: name, src: b.cur, skip: -1, in: in, out: cshape{in.c, 1, 1}, b: -1})
}

// add sums the current buffer and buffer skip (same shapes). When the sum
// closes a basic block (see resBlockOf), the block is recorded.
func (b *cnnBuilder) add(name string, skip int) int {
	in := b.shape()
	if b.a.shapes[skip] != in {
		b.fail("layer %s: residual sum of %s and %s", name, in, b.a.shapes[skip])
	}
	f := b.cur
	out := b.push(cnode{kind: nodeAdd, name: name, src: f, skip: skip, in: in, out: in, b: -1})
	if r, ok := b.a.resBlockOf(name, f, skip, out); ok {
		b.a.res = append(b.a.res, r)
	}
	return out
}

func (b *cnnBuilder) flatten() { b.flat = true }

// relu fuses a ReLU into the node that wrote the current buffer.
func (b *cnnBuilder) relu(what string) {
	if b.cur == 0 || b.cur != len(b.a.shapes)-1 {
		b.fail("%s: a ReLU must follow a layer", what)
		return
	}
	n := &b.a.nodes[b.cur-1]
	if n.relu {
		b.fail("%s: two ReLUs in a row", what)
	}
	n.relu = true
}

// dropout fuses a Dropout into the node before it, which must end in a ReLU.
func (b *cnnBuilder) dropout(what string) {
	if b.cur == 0 || b.cur != len(b.a.shapes)-1 || !b.a.nodes[b.cur-1].relu || b.a.nodes[b.cur-1].drop {
		b.fail("%s: Dropout is supported directly after a ReLU only", what)
		return
	}
	b.a.nodes[b.cur-1].drop = true
}

// finish wraps the program into an arch (widths are the per-example buffer
// sizes, so InputDim, OutputDim and the generic buffers work as for MLPs).
func (b *cnnBuilder) finish(spec string) (*arch, error) {
	if b.err == nil && len(b.a.nodes) == 0 {
		b.fail("no layers")
	}
	if b.err == nil {
		if out := b.shape(); out.h != 1 || out.w != 1 || b.a.nodes[len(b.a.nodes)-1].relu {
			b.fail("the network must end in a Linear layer giving the outputs (it ends in %s%s)", out,
				map[bool]string{true: " after a ReLU"}[b.a.nodes[len(b.a.nodes)-1].relu])
		}
	}
	if b.err != nil {
		return nil, fmt.Errorf("model spec %q: %v", spec, b.err)
	}
	c := b.a
	// The last Linear layer feeds the loss, not a ReLU: Glorot.
	c.nodes[len(c.nodes)-1].he = false
	a := &arch{spec: spec, kind: "cnn", cnn: c, nparams: b.nparams}
	for _, s := range c.shapes {
		a.widths = append(a.widths, s.size())
	}
	c.link()
	return a, nil
}

// link sets srcBeta and skipBeta: walking backwards, the first node to
// write a buffer's gradient overwrites it and later ones add.
func (c *cnnArch) link() {
	seen := make([]bool, len(c.shapes))
	for i := len(c.nodes) - 1; i >= 0; i-- {
		n := &c.nodes[i]
		if seen[n.src] {
			n.srcBeta = 1
		}
		seen[n.src] = true
		if n.skip >= 0 {
			if seen[n.skip] {
				n.skipBeta = 1
			}
			seen[n.skip] = true
		}
	}
	readers := make([]int, len(c.shapes))
	for i := range c.nodes {
		readers[c.nodes[i].src]++
		if c.nodes[i].skip >= 0 {
			readers[c.nodes[i].skip]++
		}
	}
	for i := range c.nodes {
		n := &c.nodes[i]
		if n.src < 1 || readers[n.src] != 1 || (n.kind != nodeConv && n.kind != nodeMaxPool) {
			continue
		}
		p := &c.nodes[n.src-1]
		n.maskSrc = p.kind == nodeConv && p.relu
	}
}

// convColBudget is the size in floats (512 KiB) of the im2col matrix of one
// group of examples: a convolution lays the column matrices of up to that
// many examples side by side, so that its GEMMs are large (32 x 12544 x 9
// rather than 32 x 784 x 9 for simplecnn's first layer) while the matrix
// stays in a core's L2 cache between Im2col writing it and the GEMM packing
// it. A 4 MiB budget (big groups) made simplecnn's training step ~1.4x
// slower on a 2-core EPYC: the matrix then went through L3 twice.
var convColBudget = 1 << 17 // a variable so that tests can force one example per group

// convGroup is the number of examples per GEMM of a convolution on n
// examples: it depends on the sizes alone, so results do not depend on
// anything else.
func convGroup(g kernels.ConvGeom, n int) int {
	return max(1, min(n, convColBudget/(g.Rows()*g.Cols())))
}
