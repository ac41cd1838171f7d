package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/ files")

func TestSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{"mlp:7-5-5-3", "mlp:4-2", "resmlp:6-4x3-2"} {
		for _, loss := range []LossKind{CrossEntropy, SquaredError} {
			m := newTestModel(t, spec, loss, 3)
			path := filepath.Join(dir, "m.safetensors")
			if err := m.SaveSafetensors(path); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"", spec} { // inferred and given
				got, err := LoadSafetensors(path, s)
				if err != nil {
					t.Fatalf("%s: %v", spec, err)
				}
				if got.Spec() != spec || got.Loss != loss {
					t.Errorf("%s: loaded %s with loss %v", spec, got.Spec(), got.Loss)
				}
				if !bitsEqual(got.Params(), m.Params()) {
					t.Errorf("%s: parameters differ after the round trip", spec)
				}
			}
		}
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after saving, want 1", len(ents))
	}
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestSafetensorsGolden pins the bytes SaveSafetensors writes for a small
// model (testdata/mlp_3-2-2.safetensors; regenerate with -update), and
// checks the layout a PyTorch reader relies on.
func TestSafetensorsGolden(t *testing.T) {
	m, _ := New("mlp:3-2-2", 1)
	for i := range m.Params() {
		m.Params()[i] = float32(i) / 4
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden := filepath.Join("testdata", "mlp_3-2-2.safetensors")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("SaveSafetensors output differs from %s (run with -update if the change is intended)", golden)
	}
	// Layout: header length, a JSON header padded to 8 bytes, then the
	// tensors as little-endian F32 in state_dict order.
	n := binary.LittleEndian.Uint64(want)
	if n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(want[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	wantHdr := map[string]string{
		"0.weight":     `{"data_offsets":[0,24],"dtype":"F32","shape":[2,3]}`,
		"0.bias":       `{"data_offsets":[24,32],"dtype":"F32","shape":[2]}`,
		"2.weight":     `{"data_offsets":[32,48],"dtype":"F32","shape":[2,2]}`,
		"2.bias":       `{"data_offsets":[48,56],"dtype":"F32","shape":[2]}`,
		"__metadata__": `{"format":"pt","sgdclaims.loss":"cross_entropy","sgdclaims.spec":"mlp:3-2-2"}`,
	}
	for k, v := range wantHdr {
		if string(hdr[k]) != v {
			t.Errorf("header %q = %s, want %s", k, hdr[k], v)
		}
	}
	data := want[8+n:]
	for i := range m.Params() {
		if v := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])); v != float32(i)/4 {
			t.Fatalf("value %d = %v", i, v)
		}
	}
	loaded, err := LoadSafetensors(golden, "")
	if err != nil || !bitsEqual(loaded.Params(), m.Params()) {
		t.Errorf("loading %s: %v", golden, err)
	}
}

// torchFile builds a file the way a PyTorch user would produce one:
// arbitrary Sequential indices (Dropout modules in between), tensors in
// any order, any dtype.
func torchFile(t *testing.T, entries []fileTensor, meta map[string]string) []byte {
	t.Helper()
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	var buf []byte
	for _, e := range entries {
		begin := len(buf)
		for _, h := range e.half {
			buf = binary.LittleEndian.AppendUint16(buf, h)
		}
		for _, v := range e.data {
			switch e.dtype {
			case "F32":
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
			case "F64":
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			case "BF16":
				buf = binary.LittleEndian.AppendUint16(buf, uint16(math.Float32bits(float32(v))>>16))
			}
		}
		hdr[e.name] = map[string]any{"dtype": e.dtype, "shape": e.shape, "data_offsets": []int{begin, len(buf)}}
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), buf...)
}

type fileTensor struct {
	name  string
	dtype string
	shape []int
	data  []float64
	half  []uint16 // F16 bit patterns
}

func seq(n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i+1) * scale
	}
	return x
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadPyTorchLayouts: indices with gaps, a wrapper prefix, F64/BF16/F16
// tensors, a resmlp, all inferred from the names and shapes.
func TestLoadPyTorchLayouts(t *testing.T) {
	// Sequential(Linear(3,2), ReLU, Dropout, Linear(2,2)) saved in F64 with
	// keys in reverse order, under a "net." wrapper.
	f := torchFile(t, []fileTensor{
		{name: "net.3.bias", dtype: "F64", shape: []int{2}, data: seq(2, 0.5)},
		{name: "net.3.weight", dtype: "F64", shape: []int{2, 2}, data: seq(4, 0.25)},
		{name: "net.0.bias", dtype: "BF16", shape: []int{2}, data: []float64{-1, 2}},
		{name: "net.0.weight", dtype: "F16", shape: []int{2, 3}, half: []uint16{0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x0000}},
	}, map[string]string{"format": "pt"})
	m, err := LoadSafetensors(writeTemp(t, f), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2, 0.5, 5.9604645e-08, 65504, 0, -1, 2, 0.25, 0.5, 0.75, 1, 0.5, 1}
	if m.Spec() != "mlp:3-2-2" || !reflect.DeepEqual(m.Params(), want) {
		t.Errorf("loaded %s %v, want mlp:3-2-2 %v", m.Spec(), m.Params(), want)
	}

	// A resmlp with one block, indices 0, 2, 3 as the documented module has.
	var ents []fileTensor
	for _, l := range []struct {
		name    string
		out, in int
	}{{"0", 3, 2}, {"2.lin1", 3, 3}, {"2.lin2", 3, 3}, {"3", 2, 3}} {
		ents = append(ents,
			fileTensor{name: l.name + ".weight", dtype: "F32", shape: []int{l.out, l.in}, data: seq(l.out*l.in, 0.1)},
			fileTensor{name: l.name + ".bias", dtype: "F32", shape: []int{l.out}, data: seq(l.out, -0.1)})
	}
	m, err = LoadSafetensors(writeTemp(t, torchFile(t, ents, nil)), "")
	if err != nil || m.Spec() != "resmlp:2-3x1-2" || m.Loss != CrossEntropy {
		t.Fatalf("resmlp: %v %v", m, err)
	}
}

// TestLoadErrors: every way a file can fail to fit gives one line naming
// the file and the tensor.
func TestLoadErrors(t *testing.T) {
	mlp := func(dims ...int) []fileTensor {
		var e []fileTensor
		for i := 0; i+1 < len(dims); i++ {
			name := string(rune('0' + 2*i))
			e = append(e,
				fileTensor{name: name + ".weight", dtype: "F32", shape: []int{dims[i+1], dims[i]}, data: seq(dims[i]*dims[i+1], 1)},
				fileTensor{name: name + ".bias", dtype: "F32", shape: []int{dims[i+1]}, data: seq(dims[i+1], 1)})
		}
		return e
	}
	without := func(e []fileTensor, name string) []fileTensor {
		var out []fileTensor
		for _, x := range e {
			if x.name != name {
				out = append(out, x)
			}
		}
		return out
	}
	nan := mlp(3, 2)
	nan[0].data[4] = math.NaN()
	cases := []struct {
		name  string
		file  []fileTensor
		meta  map[string]string
		spec  string
		wants string
	}{
		{"shape", mlp(8, 6, 4, 2), nil, "mlp:8-6-6-2",
			`model.safetensors: tensor "2.weight" has shape [4 6], model mlp:8-6-6-2 expects [6 6]`},
		{"bias shape", append(mlp(3, 2)[:1], fileTensor{name: "0.bias", dtype: "F32", shape: []int{3}, data: seq(3, 1)}), nil, "mlp:3-2",
			`tensor "0.bias" has shape [3], model mlp:3-2 expects [2]`},
		{"chain", append(mlp(3, 2), mlp(0, 5, 2)[2:]...), nil, "",
			`tensor "2.weight" has shape [2 5]: its 5 in-features do not match the 2 out-features of "0.weight"`},
		{"missing layer", mlp(3, 2), nil, "mlp:3-2-2",
			`missing tensors "2.weight" [2 2] and "2.bias" [2]: model mlp:3-2-2 has 2 Linear layers, the file 1`},
		{"unexpected layer", mlp(3, 2, 2), nil, "mlp:3-2",
			`unexpected tensor "2.weight": model mlp:3-2 has only 1 Linear layers`},
		{"missing bias", without(mlp(3, 2), "0.bias"), nil, "",
			`tensor "0.weight" has no matching "0.bias" (Linear layers need a bias)`},
		{"foreign tensor", append(mlp(3, 2), fileTensor{name: "1.running_mean", dtype: "F32", shape: []int{2}, data: seq(2, 1)}), nil, "",
			`tensor "1.running_mean" is not a Linear parameter of a PyTorch nn.Sequential`},
		{"3-d weight", []fileTensor{{name: "0.weight", dtype: "F32", shape: []int{1, 2, 1}, data: seq(2, 1)}}, nil, "",
			`tensor "0.weight" has shape [1 2 1]; a Linear weight is [out, in]`},
		{"resmlp given mlp file", mlp(3, 3, 3, 2), nil, "resmlp:3-3x1-2",
			`tensor "2.weight" does not fit model resmlp:3-3x1-2, whose Linear layer 2 is "2.lin1"`},
		{"bad spec", mlp(3, 2), nil, "mlp:3",
			`model.safetensors: model spec "mlp:3": an mlp needs at least`},
		{"nan", nan, nil, "",
			`model.safetensors: model mlp:3-2: parameter 0.weight[1 1] is NaN`},
		{"bad loss", mlp(3, 2), map[string]string{MetaLoss: "hinge"}, "",
			`metadata sgdclaims.loss: unknown loss "hinge"`},
		{"empty", nil, nil, "", `model.safetensors: holds no tensors`},
	}
	for _, c := range cases {
		_, err := LoadSafetensors(writeTemp(t, torchFile(t, c.file, c.meta)), c.spec)
		if err == nil || !strings.Contains(err.Error(), c.wants) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v\nwant it to contain %q", c.name, err, c.wants)
		}
	}
	if _, err := LoadSafetensors(filepath.Join(t.TempDir(), "absent.safetensors"), ""); err == nil ||
		!strings.Contains(err.Error(), "absent.safetensors") {
		t.Errorf("missing file: %v", err)
	}
}

// validFile is a small correct file for the corruption cases and the fuzz
// seed corpus.
func validFile(t testing.TB) []byte {
	m, _ := New("mlp:3-2-2", 1)
	var buf bytes.Buffer
	ts := make([]Tensor, len(m.Blocks()))
	for i, b := range m.Blocks() {
		ts[i] = Tensor{Name: b.Name, Shape: b.Shape, Data: m.Params()[b.Offset : b.Offset+b.Size()]}
	}
	if err := EncodeSafetensors(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withHeader replaces the JSON header of a file, keeping its data.
func withHeader(file []byte, hdr string) []byte {
	n := binary.LittleEndian.Uint64(file)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	return append(append(out, hdr...), file[8+n:]...)
}

// TestParseCorruptFiles: a lying or broken header is a clean error, found
// before anything large is allocated.
func TestParseCorruptFiles(t *testing.T) {
	good := validFile(t)
	n := binary.LittleEndian.Uint64(good)
	dataLen := len(good) - 8 - int(n)
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	long := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(long, uint64(len(good)))
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "0 bytes is too short"},
		{"huge header length", huge, "header length 4611686018427387904 exceeds the format's limit"},
		{"header past end", long, "bytes after it (truncated file?)"},
		{"truncated data", good[:len(good)-4], "run past the"},
		{"bad JSON", withHeader(good, `{"0.weight": {`), "header is not valid JSON"},
		{"not an object", withHeader(good, `[1,2]`), "header is not a JSON object"},
		{"entry not an object", withHeader(good, `{"0.weight": 5}`), `tensor "0.weight": bad header entry: a JSON number where an object belongs`},
		{"no dtype", withHeader(good, `{"a":{"shape":[1],"data_offsets":[0,4]}}`), `tensor "a": header entry has no dtype`},
		{"no offsets", withHeader(good, `{"a":{"dtype":"F32","shape":[1]}}`), `tensor "a": header entry has no data_offsets`},
		{"int dtype", withHeader(good, `{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`), `tensor "a": dtype "I32" is not supported`},
		{"negative dim", withHeader(good, `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`), "negative dimension"},
		{"fractional dim", withHeader(good, `{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`), "bad header entry"},
		{"huge shape", withHeader(good, `{"a":{"dtype":"F32","shape":[1000000000,1000000000,1000000000],"data_offsets":[0,4]}}`),
			"needs more bytes than the"},
		{"lying offsets", withHeader(good, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`),
			"span 4 bytes, but shape [2] of F32 needs 8"},
		{"offsets reversed", withHeader(good, `{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`), "are not 0 <= begin <= end"},
		{"three offsets", withHeader(good, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`), "is not [begin, end]"},
		{"overlap", withHeader(good, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`),
			`tensors "a" and "b" overlap`},
		{"gap", withHeader(good, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`), "bytes [0, 4) belong to no tensor"},
		{"uncovered tail", withHeader(good, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`),
			"belong to no tensor (trailing data"},
		{"duplicate", withHeader(good, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`),
			`header names "a" twice`},
		{"bad metadata", withHeader(good, `{"__metadata__":{"x":1}}`), "__metadata__ is not a map of strings"},
		{"trailing garbage", withHeader(good, `{} {}`), "stray bytes"},
	}
	for _, c := range cases {
		_, _, err := ParseSafetensors(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v\nwant it to contain %q", c.name, err, c.want)
		}
	}
	if dataLen != 56 {
		t.Fatalf("valid file has %d data bytes", dataLen)
	}
	if ts, meta, err := ParseSafetensors(good); err != nil || len(ts) != 4 || meta["format"] != "pt" {
		t.Errorf("valid file: %d tensors, %v, %v", len(ts), meta, err)
	}
}

// FuzzSafetensors: whatever the bytes, parsing returns tensors or an error
// (never a panic), the tensors are consistent with their shapes, and
// building a model from them either works or fails cleanly.
func FuzzSafetensors(f *testing.F) {
	good := validFile(f)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(good[:20])
	f.Add(withHeader(good, `{"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,2400]}}`))
	f.Add(withHeader(good, `{"0.weight": [`))
	f.Add(withHeader(good, `{"a":{"dtype":"F16","shape":[28],"data_offsets":[0,56]}}`))
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(huge, math.MaxUint64)
	f.Add(huge)
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := ParseSafetensors(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		total := 0
		for _, x := range ts {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("tensor %q: shape %v, %d values", x.Name, x.Shape, len(x.Data))
			}
			total += len(x.Data)
		}
		if total > len(b) {
			t.Fatalf("%d values from %d bytes", total, len(b))
		}
		if m, err := modelFromTensors(ts, meta, ""); err == nil && m.NumParams() != total {
			t.Fatalf("model %s has %d parameters from %d values", m.Spec(), m.NumParams(), total)
		}
	})
}
