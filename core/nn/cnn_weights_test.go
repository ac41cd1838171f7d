package nn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCNNArchitectures checks parameter counts against PyTorch's (the
// state_dict of the contract's modules: simplecnn 271,210 for 1x28x28;
// resnet20 with 1x1-conv downsampling 272,474; vgg11_bn with one Linear
// 9,231,114) and the names.
func TestCNNArchitectures(t *testing.T) {
	cases := []struct {
		spec    string
		nparams int
		first   []string
		last    string
	}{
		{"simplecnn:1x28x28-10", 271210, []string{"0.weight", "0.bias", "2.weight", "2.bias", "5.weight"}, "13.bias"},
		{"simplecnn:3x32x32-10", 271210 - 1600*128 + 2304*128 + 2*9*32, nil, "13.bias"},
		{"resnet20:3x32x32-10", 272474, []string{"conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"}, "fc.bias"},
		{"resnet56:3x32x32-10", 855770, nil, "fc.bias"},
		{"vgg11:3x32x32-10", 9231114, []string{"features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.4.weight"}, "classifier.bias"},
		{"simplecnn-dropout:1x28x28-10", 271210, nil, "14.bias"},
		{"simplecnn-bn:1x28x28-10", 271210 + 2*(32+32+64+64), []string{"0.weight", "0.bias", "1.weight"}, "17.bias"},
	}
	for _, c := range cases {
		m, err := New(c.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if m.NumParams() != c.nparams {
			t.Errorf("%s: %d parameters, want %d", c.spec, m.NumParams(), c.nparams)
		}
		bl := m.Blocks()
		for i, n := range c.first {
			if bl[i].Name != n {
				t.Errorf("%s: block %d is %s, want %s", c.spec, i, bl[i].Name, n)
			}
		}
		if bl[len(bl)-1].Name != c.last {
			t.Errorf("%s: last block %s, want %s", c.spec, bl[len(bl)-1].Name, c.last)
		}
	}
	m, _ := New("resnet20:3x32x32-10", 1)
	names := strings.Join(m.a.cnn.names, " ")
	for _, n := range []string{"layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", "layer3.2.bn2.num_batches_tracked"} {
		if !strings.Contains(names, n) {
			t.Errorf("resnet20 has no %s", n)
		}
	}
	if strings.Contains(names, "layer1.0.downsample") || strings.Contains(names, "layer2.1.downsample") {
		t.Errorf("resnet20: downsampling where the shapes agree")
	}
}

func TestCNNSpecErrors(t *testing.T) {
	cases := map[string]string{
		"cnn:1x28x28":                    `want "cnn:CxHxW:LAYER-LAYER-..."`,
		"cnn:1x28:c8-f-d10":              `input shape "1x28" is not CxHxW`,
		"cnn:1x28x28:c8-x-f-d10":         `layer 1 "x": unknown layer`,
		"cnn:1x28x28:c8q3-f-d10":         `layer 0 "c8q3"`,
		"cnn:1x28x28:c8-relu-relu-f-d10": `two ReLUs in a row`,
		"cnn:1x28x28:c8-drop-f-d10":      `Dropout is supported directly after a ReLU only`,
		"cnn:1x28x28:c8-d10":             `needs a Flatten first`,
		"cnn:1x4x4:c8k5-f-d10":           `kernel 5 larger than the padded input 1x4x4`,
		"cnn:1x4x4:m8-f-d10":             `MaxPool2d(8) on a 1x4x4 input`,
		"cnn:1x4x4:c8-f-d10-relu":        `must end in a Linear layer`,
		"simplecnn:1x28x28":              `want simplecnn:CxHxW-CLASSES`,
		"simplecnn:1x8x8-10":             `MaxPool2d(2) on a 64x1x1 input`,
		"resnet20:3x32x32-0":             `class count "0"`,
	}
	for spec, want := range cases {
		if _, err := New(spec, 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q): %v; want an error containing %q", spec, err, want)
		}
	}
	if got := ResolveSpec("simplecnn", 1, 28, 28, 10); got != "simplecnn:1x28x28-10" {
		t.Errorf("ResolveSpec = %q", got)
	}
	if got := ResolveSpec("mlp:784-10", 1, 28, 28, 10); got != "mlp:784-10" {
		t.Errorf("ResolveSpec changed an mlp spec: %q", got)
	}
}

func TestCNNSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := newTestCNN(t, "simplecnn-bn:1x10x10-3", 5)
	m.cs.nbt[2] = 7
	path := filepath.Join(dir, "m.safetensors")
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	l, err := LoadSafetensors(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec() != m.Spec() {
		t.Fatalf("spec %q, want %q", l.Spec(), m.Spec())
	}
	for i, v := range m.Params() {
		if l.Params()[i] != v {
			t.Fatalf("param %d: %v, want %v", i, l.Params()[i], v)
		}
	}
	for i, v := range m.State() {
		if l.State()[i] != v {
			t.Fatalf("state %d: %v, want %v", i, l.State()[i], v)
		}
	}
	if l.cs.nbt[2] != 7 {
		t.Errorf("num_batches_tracked %d, want 7", l.cs.nbt[2])
	}
	ts, _, _ := ReadSafetensors(path)
	for _, tt := range ts {
		if strings.HasSuffix(tt.Name, "num_batches_tracked") && (tt.DType != "I64" || len(tt.Shape) != 0) {
			t.Errorf("%s stored as %s %v, want I64 []", tt.Name, tt.DType, tt.Shape)
		}
	}

	// Bad files: one line naming the tensor.
	write := func(name string, drop string, edit func(ts []Tensor) []Tensor) string {
		ts, meta, _ := ReadSafetensors(path)
		var keep []Tensor
		for _, tt := range ts {
			if tt.Name != drop {
				keep = append(keep, tt)
			}
		}
		if edit != nil {
			keep = edit(keep)
		}
		p := filepath.Join(dir, name)
		if err := WriteSafetensors(p, keep, meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		path, spec, want string
	}{
		{write("nobuf.safetensors", "4.running_var", nil), "", `missing BatchNorm buffer "4.running_var" [32] of model simplecnn-bn:1x10x10-3`},
		{write("noweight.safetensors", "3.weight", nil), "", `missing tensor "3.weight"`},
		{path, "simplecnn-bn:3x10x10-3", `tensor "0.weight" has shape [32 1 3 3], model simplecnn-bn:3x10x10-3 expects [32 3 3 3]`},
		{write("extra.safetensors", "", func(ts []Tensor) []Tensor {
			return append(ts, Tensor{Name: "99.weight", DType: "F32", Shape: []int{1}, Data: []float32{1}})
		}), "", `unexpected tensor "99.weight"`},
	} {
		_, err := LoadSafetensors(c.path, c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("LoadSafetensors(%s, %q): %v; want one line containing %q", filepath.Base(c.path), c.spec, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), c.path) {
			t.Errorf("error %q does not name the file", err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
