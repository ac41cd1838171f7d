package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Tensor is one named tensor of a safetensors file, converted to float32.
type Tensor struct {
	Name  string
	DType string // as stored in the file: F32, F64, F16, BF16 or I64 (BatchNorm's num_batches_tracked)
	Shape []int
	Data  []float32 // row-major, len = product of Shape
}

// maxHeader is the safetensors format's own limit on the JSON header (100 MB).
const maxHeader = 100 << 20

// dtypeSize gives the byte size of the dtypes this package converts.
var dtypeSize = map[string]int{"F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8}

// entry is one validated tensor header: where its bytes lie in the buffer.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// ReadSafetensors reads a safetensors file: its tensors (in the order their
// bytes appear in the file) and its "__metadata__" map (nil if absent). The
// file is validated completely before any tensor data is read, and every
// error is one line starting with the path.
func ReadSafetensors(path string) ([]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	ts, meta, err := readSafetensors(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

// ParseSafetensors is ReadSafetensors on bytes in memory; its errors do not
// name a file.
func ParseSafetensors(b []byte) ([]Tensor, map[string]string, error) {
	return readSafetensors(bytes.NewReader(b), int64(len(b)))
}

// readSafetensors reads a file of the given size from r. Sizes are checked
// against the real size before anything is allocated, so a lying header
// costs nothing.
func readSafetensors(r io.Reader, size int64) ([]Tensor, map[string]string, error) {
	if size < 8 {
		return nil, nil, fmt.Errorf("%d bytes is too short for a safetensors file (8-byte header length first)", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, nil, fmt.Errorf("reading the header length: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case hlen > maxHeader:
		return nil, nil, fmt.Errorf("header length %d exceeds the format's limit of %d bytes (not a safetensors file?)", hlen, maxHeader)
	case hlen > uint64(size-8):
		return nil, nil, fmt.Errorf("header length %d exceeds the %d bytes after it (truncated file?)", hlen, size-8)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("reading the %d-byte header: %v", hlen, err)
	}
	bufLen := size - 8 - int64(hlen)
	entries, meta, err := parseHeader(hdr, bufLen)
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, bufLen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, nil, fmt.Errorf("reading the %d-byte data buffer: %v", bufLen, err)
	}
	ts := make([]Tensor, len(entries))
	for i, e := range entries {
		ts[i] = Tensor{Name: e.name, DType: e.dtype, Shape: e.shape, Data: decode(e.dtype, buf[e.begin:e.end])}
	}
	return ts, meta, nil
}

// rawEntry mirrors one header value; pointers tell a missing field from a
// zero one.
type rawEntry struct {
	DType   *string  `json:"dtype"`
	Shape   *[]int64 `json:"shape"`
	Offsets *[]int64 `json:"data_offsets"`
}

// parseHeader validates the JSON header against a data buffer of bufLen
// bytes: every tensor has a supported dtype, a non-negative shape, offsets
// inside the buffer whose span is exactly its size, and together the
// tensors tile the buffer with no overlap and no gap, as the format
// requires. Entries come back sorted by offset.
func parseHeader(hdr []byte, bufLen int64) ([]entry, map[string]string, error) {
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return nil, nil, errors.New("header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	var entries []entry
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, nil, fmt.Errorf("header names %q twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
		}
		if name == "__metadata__" {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("__metadata__ is not a map of strings: %v", jsonReason(err))
			}
			continue
		}
		e, err := parseEntry(name, raw, bufLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	if rest := bytes.TrimSpace(hdr[dec.InputOffset():]); len(rest) > 0 {
		return nil, nil, fmt.Errorf("header has %d stray bytes after its JSON object", len(rest))
	}

	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var pos int64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return nil, nil, fmt.Errorf("tensors %q and %q overlap in the data buffer", entries[i-1].name, e.name)
		case e.begin > pos:
			return nil, nil, fmt.Errorf("data buffer bytes [%d, %d) belong to no tensor (before %q)", pos, e.begin, e.name)
		}
		pos = e.end
	}
	if pos != bufLen {
		return nil, nil, fmt.Errorf("data buffer bytes [%d, %d) belong to no tensor (trailing data or wrong offsets)", pos, bufLen)
	}
	return entries, meta, nil
}

func parseEntry(name string, raw json.RawMessage, bufLen int64) (entry, error) {
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...))
	}
	var r rawEntry
	if err := json.Unmarshal(raw, &r); err != nil {
		return fail("bad header entry: %v", jsonReason(err))
	}
	switch {
	case r.DType == nil:
		return fail("header entry has no dtype")
	case r.Shape == nil:
		return fail("header entry has no shape")
	case r.Offsets == nil:
		return fail("header entry has no data_offsets")
	}
	size, ok := dtypeSize[*r.DType]
	if !ok {
		return fail("dtype %q is not supported (want F32, F64, F16, BF16 or I64)", *r.DType)
	}
	e := entry{name: name, dtype: *r.DType, shape: make([]int, len(*r.Shape))}
	// count is checked against the buffer at every step, so it cannot
	// overflow and cannot claim more elements than the file holds.
	count := int64(1)
	for i, d := range *r.Shape {
		if d < 0 {
			return fail("shape %v has a negative dimension", *r.Shape)
		}
		e.shape[i] = int(d)
		if count != 0 && d > bufLen {
			return fail("shape %v needs more bytes than the %d-byte data buffer holds", *r.Shape, bufLen)
		}
		count *= d
		if count > bufLen {
			return fail("shape %v needs more bytes than the %d-byte data buffer holds", *r.Shape, bufLen)
		}
	}
	off := *r.Offsets
	if len(off) != 2 {
		return fail("data_offsets %v is not [begin, end]", off)
	}
	e.begin, e.end = off[0], off[1]
	switch {
	case e.begin < 0 || e.end < e.begin:
		return fail("data_offsets %v are not 0 <= begin <= end", off)
	case e.end > bufLen:
		return fail("data_offsets %v run past the %d-byte data buffer (truncated file?)", off, bufLen)
	case e.end-e.begin != count*int64(size):
		return fail("data_offsets %v span %d bytes, but shape %v of %s needs %d",
			off, e.end-e.begin, e.shape, e.dtype, count*int64(size))
	}
	return e, nil
}

// jsonReason shortens encoding/json's errors to the part a user can act on.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("a JSON %s where an object belongs", te.Value)
		}
		return fmt.Sprintf("field %q: %s is not a %s", te.Field, te.Value, te.Type)
	}
	return err.Error()
}

// decode converts little-endian bytes of a supported dtype to float32.
func decode(dtype string, b []byte) []float32 {
	n := len(b) / dtypeSize[dtype]
	out := make([]float32, n)
	le := binary.LittleEndian
	for i := range out {
		switch dtype {
		case "F32":
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		case "F64":
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		case "F16":
			out[i] = halfToFloat(le.Uint16(b[2*i:]))
		case "BF16":
			out[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		case "I64":
			out[i] = float32(int64(le.Uint64(b[8*i:])))
		}
	}
	return out
}

// halfToFloat converts an IEEE 754 binary16 value exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0: // zero or subnormal: mant * 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}

// EncodeSafetensors writes tensors (as F32, or I64 for those whose DType
// is I64, in the order given) and
// metadata in the safetensors format. The header is padded with spaces to a
// multiple of 8 bytes so that the data buffer is aligned, as the reference
// implementation does.
func EncodeSafetensors(w io.Writer, tensors []Tensor, meta map[string]string) error {
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var pos int64
	for _, t := range tensors {
		count := 1
		for _, d := range t.Shape {
			count *= d
		}
		if count != len(t.Data) {
			return fmt.Errorf("tensor %q: shape %v holds %d values, data has %d", t.Name, t.Shape, count, len(t.Data))
		}
		if _, dup := hdr[t.Name]; dup || t.Name == "__metadata__" {
			return fmt.Errorf("tensor %q: name used twice or reserved", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		dt, size := "F32", int64(4)
		if t.DType == "I64" { // BatchNorm counters, as PyTorch stores them
			dt, size = "I64", 8
		}
		hdr[t.Name] = map[string]any{"dtype": dt, "shape": shape, "data_offsets": []int64{pos, pos + size*int64(count)}}
		pos += size * int64(count)
	}
	js, err := json.Marshal(hdr) // map keys come out sorted: the bytes are deterministic
	if err != nil {
		return err
	}
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	}
	bw := make([]byte, 8, 8+len(js)+int(pos))
	binary.LittleEndian.PutUint64(bw, uint64(len(js)))
	bw = append(bw, js...)
	for _, t := range tensors {
		for _, v := range t.Data {
			if t.DType == "I64" {
				bw = binary.LittleEndian.AppendUint64(bw, uint64(int64(v)))
			} else {
				bw = binary.LittleEndian.AppendUint32(bw, math.Float32bits(v))
			}
		}
	}
	_, err = w.Write(bw)
	return err
}

// WriteSafetensors writes a safetensors file atomically: to a temporary file
// in the same directory, synced, then renamed over path, so that readers see
// the old file or the complete new one, never a partial one.
func WriteSafetensors(path string, tensors []Tensor, meta map[string]string) error {
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, tensors, meta); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

func writeAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable; not every file system supports
	// syncing a directory, and the data is already safe, so errors are
	// ignored.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// splitParam splits "2.lin1.weight" into ("2.lin1", "weight").
func splitParam(name string) (prefix, kind string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return "", "", false
	}
	kind = name[i+1:]
	return name[:i], kind, kind == "weight" || kind == "bias"
}
