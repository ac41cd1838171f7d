package nn

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Metadata keys written by SaveSafetensors. PyTorch's own loaders ignore
// them; "format": "pt" is what safetensors.torch.save_file writes.
const (
	MetaSpec = "sgdclaims.spec"
	MetaLoss = "sgdclaims.loss"
)

// SaveSafetensors writes the parameters to path as F32 tensors under their
// state_dict names (Blocks), with the spec and loss in the metadata. The
// write is atomic: a temporary file in the same directory, synced, renamed.
func (m *Model) SaveSafetensors(path string) error {
	ts := make([]Tensor, len(m.blocks))
	for i, b := range m.blocks {
		ts[i] = Tensor{Name: b.Name, DType: "F32", Shape: b.Shape, Data: m.params[b.Offset : b.Offset+b.Size()]}
	}
	if m.cs != nil {
		ts = append(ts, m.cnnBufferTensors()...)
	}
	meta := map[string]string{"format": "pt", MetaSpec: m.a.spec, MetaLoss: m.Loss.String()}
	return WriteSafetensors(path, ts, meta)
}

// fileLayer is one Linear layer found in a file: its weight and bias.
type fileLayer struct {
	prefix string // name without ".weight"/".bias", wrapper prefix removed
	index  int    // position in the nn.Sequential
	sub    string // "" for a plain Linear, "lin1"/"lin2" inside a residual block
	w, b   *Tensor
}

// LoadSafetensors builds a model from a safetensors file of PyTorch
// nn.Sequential Linear weights (see the package documentation for the
// names). With spec "" the architecture is inferred from the names and
// shapes; otherwise the file must fit spec exactly. The loss comes from the
// file's metadata when present (CrossEntropy otherwise). Every error is one
// line naming the file and, where there is one, the tensor.
func LoadSafetensors(path string, spec string) (*Model, error) {
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	m, err := modelFromTensors(ts, meta, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func modelFromTensors(ts []Tensor, meta map[string]string, spec string) (*Model, error) {
	if spec == "" {
		spec = cnnSpecFromMeta(meta)
	}
	if spec != "" {
		// A spec that does not parse (vgg11 on 28x28 images, say) is the
		// error to report: reading the file as some other model's weights
		// would blame the file for the spec.
		a, err := parseSpec(spec)
		if err != nil {
			return nil, err
		}
		if a.cnn != nil {
			return cnnFromTensors(ts, meta, a)
		}
	}
	layers, err := groupLayers(ts)
	if err != nil {
		return nil, err
	}
	if spec == "" {
		if spec, err = inferSpec(layers); err != nil {
			return nil, err
		}
	}
	a, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	// Check every shape against the spec before allocating the model, so
	// that a file cannot make us allocate more than it holds.
	for i := 0; i < max(len(a.lins), len(layers)); i++ {
		if i >= len(layers) {
			l := a.lins[i]
			return nil, fmt.Errorf("missing tensors %q [%d %d] and %q [%d]: model %s has %d Linear layers, the file %d",
				l.name+".weight", l.out, l.in, l.name+".bias", l.out, spec, len(a.lins), len(layers))
		}
		fl := layers[i]
		if i >= len(a.lins) {
			return nil, fmt.Errorf("unexpected tensor %q: model %s has only %d Linear layers", fl.w.Name, spec, len(a.lins))
		}
		l := a.lins[i]
		want := ""
		if _, sub, ok := strings.Cut(l.name, "."); ok {
			want = sub
		}
		if fl.sub != want {
			return nil, fmt.Errorf("tensor %q does not fit model %s, whose Linear layer %d is %q", fl.w.Name, spec, i+1, l.name)
		}
		if fl.w.Shape[0] != l.out || fl.w.Shape[1] != l.in {
			return nil, fmt.Errorf("tensor %q has shape %v, model %s expects [%d %d]", fl.w.Name, fl.w.Shape, spec, l.out, l.in)
		}
		if fl.b.Shape[0] != l.out {
			return nil, fmt.Errorf("tensor %q has shape %v, model %s expects [%d]", fl.b.Name, fl.b.Shape, spec, l.out)
		}
	}
	m := newModel(a)
	for i, l := range a.lins {
		copy(m.params[l.w:l.b], layers[i].w.Data)
		copy(m.params[l.b:l.b+l.out], layers[i].b.Data)
	}
	if s, ok := meta[MetaLoss]; ok {
		if m.Loss, err = ParseLossKind(s); err != nil {
			return nil, fmt.Errorf("metadata %s: %v", MetaLoss, err)
		}
	}
	if err := m.CheckFinite(); err != nil {
		return nil, err
	}
	return m, nil
}

// groupLayers pairs weights with biases and orders the layers by their
// nn.Sequential index (any increasing indices are accepted, so Dropout or
// other parameterless modules may sit between the Linear layers). One
// wrapper prefix shared by every name ("model.", "module.") is removed.
func groupLayers(ts []Tensor) ([]*fileLayer, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("holds no tensors")
	}
	strip := wrapperPrefix(ts)
	byPrefix := map[string]*fileLayer{}
	var layers []*fileLayer
	for i := range ts {
		t := &ts[i]
		prefix, kind, ok := splitParam(strings.TrimPrefix(t.Name, strip))
		var fl *fileLayer
		if ok {
			fl = byPrefix[prefix]
			if fl == nil {
				fl = parseLayerName(prefix)
			}
		}
		if fl == nil {
			return nil, fmt.Errorf("tensor %q is not a Linear parameter of a PyTorch nn.Sequential "+
				"(want <index>.weight and <index>.bias, or <index>.lin1.* and <index>.lin2.* in a resmlp block)", t.Name)
		}
		if byPrefix[prefix] == nil {
			byPrefix[prefix] = fl
			layers = append(layers, fl)
		}
		if kind == "weight" {
			if len(t.Shape) != 2 {
				return nil, fmt.Errorf("tensor %q has shape %v; a Linear weight is [out, in]", t.Name, t.Shape)
			}
			fl.w = t
		} else {
			if len(t.Shape) != 1 {
				return nil, fmt.Errorf("tensor %q has shape %v; a Linear bias is [out]", t.Name, t.Shape)
			}
			fl.b = t
		}
	}
	for _, fl := range layers {
		switch {
		case fl.w == nil:
			return nil, fmt.Errorf("tensor %q has no matching %q", fl.b.Name, strip+fl.prefix+".weight")
		case fl.b == nil:
			return nil, fmt.Errorf("tensor %q has no matching %q (Linear layers need a bias)", fl.w.Name, strip+fl.prefix+".bias")
		}
	}
	sort.Slice(layers, func(i, j int) bool {
		if layers[i].index != layers[j].index {
			return layers[i].index < layers[j].index
		}
		return layers[i].sub < layers[j].sub
	})
	return layers, nil
}

// wrapperPrefix returns "x." when every name starts with the same
// non-numeric component x followed by a numeric one, as when a Sequential
// sits inside a module ("net.0.weight") or DataParallel ("module.0.weight").
func wrapperPrefix(ts []Tensor) string {
	first, _, ok := strings.Cut(ts[0].Name, ".")
	if !ok || isIndex(first) {
		return ""
	}
	for _, t := range ts {
		head, rest, ok := strings.Cut(t.Name, ".")
		next, _, _ := strings.Cut(rest, ".")
		if !ok || head != first || !isIndex(next) {
			return ""
		}
	}
	return first + "."
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseLayerName accepts "<index>" and "<index>.lin1" / "<index>.lin2".
func parseLayerName(prefix string) *fileLayer {
	idx, sub, _ := strings.Cut(prefix, ".")
	if !isIndex(idx) || (sub != "" && sub != "lin1" && sub != "lin2") {
		return nil
	}
	i, _ := strconv.Atoi(idx)
	return &fileLayer{prefix: prefix, index: i, sub: sub}
}

// inferSpec reads the architecture off the layers: plain Linear layers
// whose sizes chain make an mlp; Linear, blocks of lin1/lin2 at one width,
// Linear make a resmlp.
func inferSpec(layers []*fileLayer) (string, error) {
	plain := true
	for _, fl := range layers {
		plain = plain && fl.sub == ""
	}
	if plain {
		dims := []string{strconv.Itoa(layers[0].w.Shape[1])}
		for i, fl := range layers {
			if i > 0 {
				prev := layers[i-1]
				if fl.w.Shape[1] != prev.w.Shape[0] {
					return "", fmt.Errorf("tensor %q has shape %v: its %d in-features do not match the %d out-features of %q",
						fl.w.Name, fl.w.Shape, fl.w.Shape[1], prev.w.Shape[0], prev.w.Name)
				}
			}
			dims = append(dims, strconv.Itoa(fl.w.Shape[0]))
		}
		return "mlp:" + strings.Join(dims, "-"), nil
	}
	n := len(layers)
	ok := n >= 4 && n%2 == 0 && layers[0].sub == "" && layers[n-1].sub == ""
	for i := 1; ok && i+1 < n; i += 2 {
		ok = layers[i].sub == "lin1" && layers[i+1].sub == "lin2" && layers[i].index == layers[i+1].index
	}
	if !ok {
		names := make([]string, n)
		for i, fl := range layers {
			names[i] = fl.prefix
		}
		return "", fmt.Errorf("cannot infer a model from layers %s: want plain Linear layers (mlp) or "+
			"a Linear, residual blocks with lin1 and lin2, and a Linear (resmlp)", strings.Join(names, ", "))
	}
	return fmt.Sprintf("resmlp:%d-%dx%d-%d", layers[0].w.Shape[1], layers[0].w.Shape[0], (n-2)/2, layers[n-1].w.Shape[0]), nil
}
