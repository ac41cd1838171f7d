package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits on what a spec may ask for. They exist so that a typo ("mlp:784-1280000000-10")
// is an error and not an attempt to allocate tens of gigabytes.
const (
	maxWidth  = 1 << 24
	maxBlocks = 1 << 12
	maxParams = 1 << 30 // 4 GiB of float32
)

// linear is one affine layer y = x W^T + b in PyTorch's nn.Linear layout: W is
// [out, in] row-major at params[w:w+out*in], b is [out] at params[b:b+out].
type linear struct {
	name    string // state_dict prefix, e.g. "0" or "3.lin1"
	in, out int
	w, b    int  // offsets into Model.params
	he      bool // feeds a ReLU (He init), else Glorot
	gain    float64
}

// step is one stage of the forward pass. Buffer 0 is the input; step s
// writes buffer s+1:
//
//	buf[s+1] = act(buf[src] W^T + b + buf[skip])
//
// where act is ReLU (followed by inverted dropout in training) when relu is
// set and the identity otherwise, and the skip term is present when skip >= 0.
// Both architectures are straight lines of such steps; a residual block is
// two steps, the second reading the block's input as its skip.
type step struct {
	lin  int
	src  int
	skip int
	relu bool

	// srcBeta and skipBeta are 0 when this step is, in backward order, the
	// first writer of the gradient of buffer src (skip), so it overwrites,
	// and 1 when it accumulates; see link.
	srcBeta, skipBeta float32
}

// arch is a parsed spec: the layers and the program that runs them.
type arch struct {
	spec    string
	kind    string // "mlp" or "resmlp"
	lins    []linear
	steps   []step
	widths  []int // width of every buffer; widths[0] is the input dim
	nparams int
	cnn     *cnnArch // the node program of a convolutional spec (cnn_arch.go), else nil
}

// parseSpec turns "mlp:784-128-128-10" or "resmlp:784-128x8-10" into an arch.
// Every error starts with `model spec "<spec>": `.
func parseSpec(spec string) (*arch, error) {
	fail := func(format string, args ...any) (*arch, error) {
		return nil, fmt.Errorf("model spec %q: %s", spec, fmt.Sprintf(format, args...))
	}
	kind, body, ok := strings.Cut(spec, ":")
	if !ok {
		return fail(`want "mlp:IN-H1-...-OUT" or "resmlp:IN-WIDTHxBLOCKS-OUT"`)
	}
	parts := strings.Split(body, "-")
	dim := func(s, what string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return 0, fmt.Errorf("model spec %q: %s %q is not a positive integer", spec, what, s)
		}
		if v > maxWidth {
			return 0, fmt.Errorf("model spec %q: %s %d exceeds the limit %d", spec, what, v, maxWidth)
		}
		return v, nil
	}
	var a *arch
	switch kind {
	case "mlp":
		if len(parts) < 2 {
			return fail("an mlp needs at least an input and an output size (e.g. mlp:784-10)")
		}
		dims := make([]int, len(parts))
		for i, p := range parts {
			what := "hidden width"
			switch i {
			case 0:
				what = "input size"
			case len(parts) - 1:
				what = "output size"
			}
			d, err := dim(p, what)
			if err != nil {
				return nil, err
			}
			dims[i] = d
		}
		var sizes [][2]int
		for i := 0; i+1 < len(dims); i++ {
			sizes = append(sizes, [2]int{dims[i], dims[i+1]})
		}
		if n := countParams(sizes...); n > maxParams {
			return fail("%.0f parameters exceed the limit %d", n, maxParams)
		}
		a = mlpArch(dims)
	case "resmlp":
		if len(parts) != 3 {
			return fail("a resmlp is IN-WIDTHxBLOCKS-OUT (e.g. resmlp:784-128x8-10)")
		}
		in, err := dim(parts[0], "input size")
		if err != nil {
			return nil, err
		}
		ws, bs, ok := strings.Cut(parts[1], "x")
		if !ok {
			return fail("middle part %q is not WIDTHxBLOCKS (e.g. 128x8)", parts[1])
		}
		width, err := dim(ws, "width")
		if err != nil {
			return nil, err
		}
		blocks, err := strconv.Atoi(bs)
		if err != nil || blocks < 1 {
			return fail("block count %q is not a positive integer", bs)
		}
		if blocks > maxBlocks {
			return fail("block count %d exceeds the limit %d", blocks, maxBlocks)
		}
		out, err := dim(parts[2], "output size")
		if err != nil {
			return nil, err
		}
		n := countParams([2]int{in, width}, [2]int{width, out}) + 2*float64(blocks)*countParams([2]int{width, width})
		if n > maxParams {
			return fail("%.0f parameters exceed the limit %d", n, maxParams)
		}
		a = resmlpArch(in, width, blocks, out)
	default:
		if cnnKinds[kind] {
			return parseCNNSpec(spec, kind, body)
		}
		return fail("unknown architecture %q (want mlp, resmlp, cnn, simplecnn, simplecnn-bn, simplecnn-dropout, resnet20, resnet32, resnet56 or vgg11)", kind)
	}
	a.spec = spec
	a.link()
	return a, nil
}

// link sets every step's srcBeta and skipBeta. Buffer i is read only by
// steps after the one that wrote it, so walking the steps backwards, the
// first reader met overwrites its gradient and the others add to it. Within
// one step the src gradient is written before the skip gradient.
func (a *arch) link() {
	seen := make([]bool, len(a.widths))
	for s := len(a.steps) - 1; s >= 0; s-- {
		st := &a.steps[s]
		if seen[st.src] {
			st.srcBeta = 1
		}
		seen[st.src] = true
		if st.skip >= 0 {
			if seen[st.skip] {
				st.skipBeta = 1
			}
			seen[st.skip] = true
		}
	}
}

// addLinear appends a layer, assigning its parameter offsets in state_dict
// order (weight, then bias). parseSpec has checked the total size.
func (a *arch) addLinear(name string, in, out int, he bool, gain float64) int {
	l := linear{name: name, in: in, out: out, he: he, gain: gain}
	l.w = a.nparams
	l.b = l.w + in*out
	a.nparams = l.b + out
	a.lins = append(a.lins, l)
	return len(a.lins) - 1
}

// countParams is the parameter count of Linear layers with the given
// (in, out) sizes, in float64 so that an absurd spec cannot overflow.
func countParams(sizes ...[2]int) float64 {
	var n float64
	for _, s := range sizes {
		n += float64(s[0]+1) * float64(s[1])
	}
	return n
}

// mlpArch: Linear, ReLU, Linear, ReLU, ..., Linear, named 0, 2, 4, ... as in
// nn.Sequential(Linear, ReLU, Linear, ReLU, ..., Linear).
func mlpArch(dims []int) *arch {
	a := &arch{kind: "mlp", widths: dims}
	for i := 0; i+1 < len(dims); i++ {
		hidden := i+2 < len(dims)
		l := a.addLinear(strconv.Itoa(2*i), dims[i], dims[i+1], hidden, 1)
		a.steps = append(a.steps, step{lin: l, src: i, skip: -1, relu: hidden})
	}
	return a
}

// resmlpArch mirrors the PyTorch module
//
//	nn.Sequential(nn.Linear(in, w), nn.ReLU(), Block(w), ..., Block(w), nn.Linear(w, out))
//
// where Block.forward(h) = h + lin2(relu(lin1(h))). Its state_dict keys are
// "0.*", then "2.lin1.*", "2.lin2.*", "3.lin1.*", ... for the blocks, then
// "<blocks+2>.*" for the output layer.
func resmlpArch(in, width, blocks, out int) *arch {
	a := &arch{kind: "resmlp", widths: []int{in}}
	// lin2 feeds a residual sum, not a ReLU: Glorot, scaled by 1/sqrt(blocks)
	// so the variance of h grows by (1+1/blocks) per block, at most e-fold
	// over the stack, instead of doubling per block (2^blocks in all).
	gain2 := 1 / math.Sqrt(float64(blocks))
	l := a.addLinear("0", in, width, true, 1)
	a.steps = append(a.steps, step{lin: l, src: 0, skip: -1, relu: true})
	a.widths = append(a.widths, width)
	for b := 0; b < blocks; b++ {
		h := len(a.widths) - 1 // the block's input buffer
		name := strconv.Itoa(2 + b)
		l1 := a.addLinear(name+".lin1", width, width, true, 1)
		a.steps = append(a.steps, step{lin: l1, src: h, skip: -1, relu: true})
		a.widths = append(a.widths, width)
		l2 := a.addLinear(name+".lin2", width, width, false, gain2)
		a.steps = append(a.steps, step{lin: l2, src: h + 1, skip: h, relu: false})
		a.widths = append(a.widths, width)
	}
	l = a.addLinear(strconv.Itoa(2+blocks), width, out, false, 1)
	a.steps = append(a.steps, step{lin: l, src: len(a.widths) - 1, skip: -1, relu: false})
	a.widths = append(a.widths, out)
	return a
}
