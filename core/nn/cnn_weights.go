package nn

import (
	"fmt"
	"math"
	"strings"
)

// cnnBufferTensors returns the BatchNorm buffers for a safetensors file:
// running_mean and running_var (F32) and num_batches_tracked (I64, shape
// []), as PyTorch's state_dict holds them.
func (m *Model) cnnBufferTensors() []Tensor {
	var ts []Tensor
	for _, n := range m.a.cnn.nodes {
		if n.kind != nodeBN {
			continue
		}
		c := n.in.c
		ts = append(ts,
			Tensor{Name: n.name + ".running_mean", DType: "F32", Shape: []int{c}, Data: m.cs.state[n.stat : n.stat+c]},
			Tensor{Name: n.name + ".running_var", DType: "F32", Shape: []int{c}, Data: m.cs.state[n.stat+c : n.stat+2*c]},
			Tensor{Name: n.name + ".num_batches_tracked", DType: "I64", Shape: []int{}, Data: []float32{float32(m.cs.nbt[n.bn])}})
	}
	return ts
}

// cnnSpecFromMeta returns the spec recorded by SaveSafetensors when it
// names a convolutional model, else "" (MLP specs are inferred from the
// tensors, as before).
func cnnSpecFromMeta(meta map[string]string) string {
	s := meta[MetaSpec]
	kind, _, _ := strings.Cut(s, ":")
	if cnnKinds[kind] {
		return s
	}
	return ""
}

// cnnFromTensors builds a convolutional model of arch a from a file's
// tensors: every tensor of the model must be there with its exact shape
// (num_batches_tracked may be missing, or shaped [] or [1]), and nothing
// else. One wrapper prefix on every name ("module.") is removed.
func cnnFromTensors(ts []Tensor, meta map[string]string, a *arch) (*Model, error) {
	c := a.cnn
	if len(ts) == 0 {
		return nil, fmt.Errorf("holds no tensors")
	}
	strip := ""
	if p, _, ok := strings.Cut(ts[0].Name, "."); ok {
		strip = p + "."
		for _, t := range ts {
			if !strings.HasPrefix(t.Name, strip) {
				strip = ""
				break
			}
		}
		// Keep the prefix when it is the model's own first component
		// ("0.", "conv1.", "features.").
		if strip != "" {
			for _, n := range c.names {
				if strings.HasPrefix(n, strip) {
					strip = ""
					break
				}
			}
		}
	}
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[strings.TrimPrefix(ts[i].Name, strip)] = &ts[i]
	}
	want := map[string][]int{}
	for _, b := range c.blocks {
		want[b.Name] = b.Shape
	}
	for _, b := range c.buffers {
		want[b.Name] = b.Shape
	}
	for _, name := range c.names {
		t := byName[name]
		if strings.HasSuffix(name, ".num_batches_tracked") {
			if t != nil && !(len(t.Shape) == 0 || (len(t.Shape) == 1 && t.Shape[0] == 1)) {
				return nil, fmt.Errorf("tensor %q has shape %v, model %s expects [] (a count)", strip+name, t.Shape, a.spec)
			}
			continue
		}
		if t == nil {
			what := "tensor"
			if strings.HasSuffix(name, ".running_mean") || strings.HasSuffix(name, ".running_var") {
				what = "BatchNorm buffer"
			}
			return nil, fmt.Errorf("missing %s %q %v of model %s", what, strip+name, want[name], a.spec)
		}
		if !sameShape(t.Shape, want[name]) {
			return nil, fmt.Errorf("tensor %q has shape %v, model %s expects %v", t.Name, t.Shape, a.spec, want[name])
		}
	}
	known := map[string]bool{}
	for _, n := range c.names {
		known[n] = true
	}
	for _, t := range ts {
		if !known[strings.TrimPrefix(t.Name, strip)] {
			return nil, fmt.Errorf("unexpected tensor %q: model %s has no tensor of that name", t.Name, a.spec)
		}
	}
	m := newModel(a)
	for _, b := range c.blocks {
		copy(m.params[b.Offset:b.Offset+b.Size()], byName[b.Name].Data)
	}
	for _, b := range c.buffers {
		copy(m.cs.state[b.Offset:b.Offset+b.Size()], byName[b.Name].Data)
	}
	for _, n := range c.nodes {
		if n.kind != nodeBN {
			continue
		}
		if t := byName[n.name+".num_batches_tracked"]; t != nil {
			m.cs.nbt[n.bn] = int64(t.Data[0])
		}
		for i, v := range m.cs.state[n.stat+n.in.c : n.stat+2*n.in.c] {
			if !(v >= 0) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("tensor %q: running_var[%d] = %v is not a finite non-negative variance", strip+n.name+".running_var", i, v)
			}
		}
		for i, v := range m.cs.state[n.stat : n.stat+n.in.c] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("tensor %q: running_mean[%d] = %v", strip+n.name+".running_mean", i, v)
			}
		}
	}
	if s, ok := meta[MetaLoss]; ok {
		var err error
		if m.Loss, err = ParseLossKind(s); err != nil {
			return nil, fmt.Errorf("metadata %s: %v", MetaLoss, err)
		}
	}
	if err := m.CheckFinite(); err != nil {
		return nil, err
	}
	return m, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Buffers names the model's non-trainable state, BatchNorm's running_mean
// and running_var, as offsets into State (num_batches_tracked is kept
// beside them and saved with them). Nil for models without BatchNorm.
func (m *Model) Buffers() []ParamBlock {
	if m.a.cnn == nil {
		return nil
	}
	return m.a.cnn.buffers
}

// State returns the non-trainable state that Buffers describes. It
// aliases the model. Training-mode LossGrad updates it; nothing else does.
func (m *Model) State() []float32 {
	if m.cs == nil {
		return nil
	}
	return m.cs.state
}

// HasBatchNorm reports whether the model normalises with BatchNorm, whose
// training and evaluation modes differ (curvature is always taken in
// evaluation mode, with the running statistics).
func (m *Model) HasBatchNorm() bool { return m.a.cnn != nil && m.a.cnn.hasBN }
