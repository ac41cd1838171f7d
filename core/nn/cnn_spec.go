package nn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// CNN specs (see the package documentation for the grammar):
//
//	cnn:CxHxW:LAYER-LAYER-...      a PyTorch nn.Sequential of your design
//	simplecnn:CxHxW-CLASSES        P3's SimpleCNN (also simplecnn-bn, simplecnn-dropout)
//	resnet20:CxHxW-CLASSES         He et al.'s CIFAR ResNets (resnet20, resnet32, resnet56)
//	vgg11:CxHxW-CLASSES            VGG-11 with BatchNorm for 32x32 inputs

// cnnKinds are the architecture names parseSpec hands to parseCNNSpec.
var cnnKinds = map[string]bool{
	"cnn": true, "simplecnn": true, "simplecnn-bn": true, "simplecnn-dropout": true,
	"resnet20": true, "resnet32": true, "resnet56": true, "vgg11": true,
}

// simpleCNNLayers is P3's SimpleCNN body in the cnn grammar; the positions
// are the nn.Sequential indices, so the names are 0.weight, 2.weight, ...
const simpleCNNLayers = "c32k3p1-relu-c32k3-relu-m2-c64k3p1-relu-c64k3-relu-m2-f-d128-relu-d%d"

// simpleCNNBN puts a BatchNorm2d after every convolution; simpleCNNDropout
// a Dropout after the hidden Linear layer's ReLU.
const (
	simpleCNNBN      = "c32k3p1-bn-relu-c32k3-bn-relu-m2-c64k3p1-bn-relu-c64k3-bn-relu-m2-f-d128-relu-d%d"
	simpleCNNDropout = "c32k3p1-relu-c32k3-relu-m2-c64k3p1-relu-c64k3-relu-m2-f-d128-relu-drop-d%d"
)

// ResolveSpec completes a bare model name ("simplecnn", "resnet20",
// "vgg11", ...) with the data's image shape and class count, giving
// "simplecnn:1x28x28-10". Any other spec is returned unchanged, so callers
// can pass every --model value through it.
func ResolveSpec(spec string, c, h, w, classes int) string {
	if IsBareName(spec) {
		return fmt.Sprintf("%s:%dx%dx%d-%d", spec, c, h, w, classes)
	}
	return spec
}

// SpecForData is the model spec a run builds on data d: spec itself, or a
// bare model name completed with d's image shape and class count
// (ResolveSpec). A bare name on data without an image shape (a flat
// synthetic set) is an error, where ResolveSpec would build a nonsense
// 784x1x1 "image". Every caller that takes --model or a spec's model field
// goes through it: the runner, the curvature command and the claims.
func SpecForData(spec string, d *data.Dataset) (string, error) {
	if !IsBareName(spec) {
		return spec, nil
	}
	if !d.Shape.IsImage() {
		return "", fmt.Errorf("%s takes images, but %s has no image shape", spec, d.Name)
	}
	return ResolveSpec(spec, d.Shape.C, d.Shape.H, d.Shape.W, d.Classes), nil
}

// IsBareName reports whether spec is a bare model name that ResolveSpec
// completes from the data ("simplecnn", "resnet20", "vgg11", ...).
func IsBareName(spec string) bool { return cnnKinds[spec] && spec != "cnn" }

// InputShape returns the (C, H, W) image shape a convolutional model takes,
// or (InputDim, 1, 1) for the others.
func (m *Model) InputShape() (c, h, w int) {
	if m.a.cnn != nil {
		s := m.a.cnn.in
		return s.c, s.h, s.w
	}
	return m.InputDim(), 1, 1
}

// parseShape reads "CxHxW".
func parseShape(s string) (cshape, error) {
	p := strings.Split(s, "x")
	if len(p) != 3 {
		return cshape{}, fmt.Errorf("input shape %q is not CxHxW (e.g. 1x28x28)", s)
	}
	var d [3]int
	for i, q := range p {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 || v > maxWidth {
			return cshape{}, fmt.Errorf("input shape %q: %q is not a positive integer up to %d", s, q, maxWidth)
		}
		d[i] = v
	}
	if float64(d[0])*float64(d[1])*float64(d[2]) > maxWidth {
		return cshape{}, fmt.Errorf("input shape %q exceeds %d values", s, maxWidth)
	}
	return cshape{d[0], d[1], d[2]}, nil
}

// parseCNNSpec parses the CNN kinds of parseSpec; errors carry the spec.
func parseCNNSpec(spec, kind, body string) (*arch, error) {
	fail := func(format string, args ...any) (*arch, error) {
		return nil, fmt.Errorf("model spec %q: %s", spec, fmt.Sprintf(format, args...))
	}
	if kind == "cnn" {
		shape, layers, ok := strings.Cut(body, ":")
		if !ok {
			return fail(`want "cnn:CxHxW:LAYER-LAYER-..." (e.g. cnn:1x28x28:c32k3p1-relu-m2-f-d10)`)
		}
		in, err := parseShape(shape)
		if err != nil {
			return fail("%v", err)
		}
		return buildSequential(spec, in, layers)
	}
	shape, cls, ok := strings.Cut(body, "-")
	if !ok {
		return fail("want %s:CxHxW-CLASSES (e.g. %s:3x32x32-10)", kind, kind)
	}
	in, err := parseShape(shape)
	if err != nil {
		return fail("%v", err)
	}
	classes, err := strconv.Atoi(cls)
	if err != nil || classes < 1 || classes > maxWidth {
		return fail("class count %q is not a positive integer", cls)
	}
	switch kind {
	case "simplecnn":
		return buildSequential(spec, in, fmt.Sprintf(simpleCNNLayers, classes))
	case "simplecnn-bn":
		return buildSequential(spec, in, fmt.Sprintf(simpleCNNBN, classes))
	case "simplecnn-dropout":
		return buildSequential(spec, in, fmt.Sprintf(simpleCNNDropout, classes))
	case "resnet20", "resnet32", "resnet56":
		n := map[string]int{"resnet20": 3, "resnet32": 5, "resnet56": 9}[kind]
		return buildResNet(spec, in, n, classes)
	case "vgg11":
		return buildVGG11(spec, in, classes)
	}
	return fail("unknown architecture %q", kind)
}

// buildSequential builds the nn.Sequential described by the dash-separated
// layers; layer i is module i, so its tensors are named "i.weight", ....
func buildSequential(spec string, in cshape, layers string) (*arch, error) {
	b := newCNNBuilder(in)
	toks := strings.Split(layers, "-")
	for i, tok := range toks {
		name := strconv.Itoa(i)
		what := fmt.Sprintf("layer %d %q", i, tok)
		switch {
		case tok == "relu":
			b.relu(what)
		case tok == "drop":
			b.dropout(what)
		case tok == "bn":
			b.batchNorm(name)
		case tok == "f":
			b.flatten()
		case tok == "gap":
			b.gap(name)
		case strings.HasPrefix(tok, "m"):
			k, err := strconv.Atoi(tok[1:])
			if err != nil || k < 1 {
				return nil, fmt.Errorf("model spec %q: %s: want mK, a max pool of size K (e.g. m2)", spec, what)
			}
			b.maxPool(name, k)
		case strings.HasPrefix(tok, "d"):
			out, err := strconv.Atoi(tok[1:])
			if err != nil || out < 1 || out > maxWidth {
				return nil, fmt.Errorf("model spec %q: %s: want dN, a Linear layer of N outputs (e.g. d128)", spec, what)
			}
			b.dense(name, out, true)
		case strings.HasPrefix(tok, "c"):
			out, k, s, p, bias, err := parseConvToken(tok)
			if err != nil {
				return nil, fmt.Errorf("model spec %q: %s: %v", spec, what, err)
			}
			b.conv(name, out, k, s, p, bias)
		default:
			return nil, fmt.Errorf("model spec %q: %s: unknown layer (want cN[kK][sS][pP][nb], bn, relu, drop, mK, gap, f or dN)", spec, what)
		}
		if b.err != nil {
			return nil, fmt.Errorf("model spec %q: %v", spec, b.err)
		}
	}
	return b.finish(spec)
}

// parseConvToken reads cOUT[kK][sS][pP][nb]: OUT output channels, kernel K
// (default 3), stride S (1), padding P (0), nb for no bias.
func parseConvToken(tok string) (out, k, s, p int, bias bool, err error) {
	k, s, bias = 3, 1, true
	rest := tok[1:]
	if strings.HasSuffix(rest, "nb") {
		bias, rest = false, strings.TrimSuffix(rest, "nb")
	}
	num := func() (int, bool) {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		v, e := strconv.Atoi(rest[:i])
		rest = rest[i:]
		return v, e == nil && v >= 0 && v <= maxWidth
	}
	var ok bool
	if out, ok = num(); !ok || out < 1 {
		return 0, 0, 0, 0, false, fmt.Errorf("want cN[kK][sS][pP][nb], a Conv2d of N output channels (e.g. c32k3p1)")
	}
	for rest != "" {
		opt := rest[0]
		rest = rest[1:]
		v, ok := num()
		switch {
		case !ok:
			return 0, 0, 0, 0, false, fmt.Errorf("option %q needs a number", opt)
		case opt == 'k' && v >= 1:
			k = v
		case opt == 's' && v >= 1:
			s = v
		case opt == 'p':
			p = v
		default:
			return 0, 0, 0, 0, false, fmt.Errorf("bad option %c%d (want kK, sS, pP with K, S >= 1, or nb last)", opt, v)
		}
	}
	return out, k, s, p, bias, nil
}

// buildResNet builds the CIFAR ResNet of He et al. (2016) with n basic
// blocks per stage, under torchvision-style names (see the package
// documentation).
func buildResNet(spec string, in cshape, n, classes int) (*arch, error) {
	b := newCNNBuilder(in)
	b.conv("conv1", 16, 3, 1, 1, false)
	b.batchNorm("bn1")
	b.relu("bn1")
	ch := 16
	for stage, width := range []int{16, 32, 64} {
		for blk := 0; blk < n; blk++ {
			stride := 1
			if stage > 0 && blk == 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d.%d", stage+1, blk)
			x := b.cur
			b.conv(name+".conv1", width, 3, stride, 1, false)
			b.batchNorm(name + ".bn1")
			b.relu(name + ".bn1")
			b.conv(name+".conv2", width, 3, 1, 1, false)
			main := b.batchNorm(name + ".bn2")
			short := x
			if stride != 1 || ch != width {
				b.cur = x
				b.conv(name+".downsample.0", width, 1, stride, 0, false)
				short = b.batchNorm(name + ".downsample.1")
				b.cur = main
			}
			b.add(name, short)
			b.relu(name)
			ch = width
		}
	}
	b.gap("avgpool")
	b.flatten()
	b.dense("fc", classes, false)
	return b.finish(spec)
}

// vgg11Config is VGG-11's feature extractor: numbers are 3x3 convolutions
// (padding 1, with bias, then BatchNorm and ReLU), M a 2x2 max pool.
var vgg11Config = []int{64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1}

// buildVGG11 builds VGG-11 with BatchNorm: features.N as in torchvision's
// vgg11_bn, then Linear(512*h*w, classes) named classifier (one Linear
// layer, the CIFAR variant; 512 features for 32x32 inputs).
func buildVGG11(spec string, in cshape, classes int) (*arch, error) {
	b := newCNNBuilder(in)
	i := 0
	for _, v := range vgg11Config {
		if v < 0 {
			b.maxPool(fmt.Sprintf("features.%d", i), 2)
			i++
			continue
		}
		b.conv(fmt.Sprintf("features.%d", i), v, 3, 1, 1, true)
		b.batchNorm(fmt.Sprintf("features.%d", i+1))
		b.relu("features")
		i += 3
	}
	b.flatten()
	b.dense("classifier", classes, false)
	return b.finish(spec)
}
