package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes dims and data as a raw IDX file.
func idxBytes(t testing.TB, dims []int, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeIDX(&b, dims, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// header builds an IDX header with an arbitrary type byte and dimensions,
// including ones EncodeIDX refuses to write.
func header(typ byte, dims ...uint32) []byte {
	h := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		h = append(h, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return h
}

func TestReadIDXRoundTrip(t *testing.T) {
	data := make([]byte, 3*2*5)
	for i := range data {
		data[i] = byte(7*i + 1)
	}
	raw := idxBytes(t, []int{3, 2, 5}, data)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"raw", raw},
		{"gzip", gzipBytes(t, raw)},
		// gzip allows concatenated members (bgzip writes them); the
		// payload may straddle the boundary.
		{"two gzip members", append(gzipBytes(t, raw[:7]), gzipBytes(t, raw[7:])...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dims, got, err := ReadIDX(bytes.NewReader(tc.in), "x")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dims, []int{3, 2, 5}) || !bytes.Equal(got, data) {
				t.Fatalf("got dims %v data %v, want [3 2 5] %v", dims, got, data)
			}
		})
	}
}

// A payload larger than the first read chunk exercises the buffer growth.
func TestReadIDXLargePayload(t *testing.T) {
	n := 3*firstChunk + 12345
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 31)
	}
	raw := idxBytes(t, []int{n}, data)
	for _, in := range [][]byte{raw, gzipBytes(t, raw)} {
		_, got, err := ReadIDX(bytes.NewReader(in), "big")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("payload differs after growth")
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	valid := idxBytes(t, []int{4, 3}, make([]byte, 12))
	validGz := gzipBytes(t, valid)
	badCRC := slices.Clone(validGz)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 in the gzip trailer
	badDeflate := slices.Clone(validGz)
	badDeflate[10] = 0xff // first deflate block header: reserved block type

	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated header: expected 4 bytes, got 0"},
		{"short magic", []byte{0, 0, 8}, "truncated header: expected 4 bytes, got 3"},
		{"short dims", valid[:9], "truncated header: expected 12 bytes, got 9"},
		{"wrong magic", append([]byte{0x12, 0x34}, valid[2:]...), "not an IDX file: magic number 0x12340802"},
		{"float type", header(0x0D, 2), "unsupported IDX element type 0x0d (float32)"},
		{"unknown type", header(0x42, 2), "unsupported IDX element type 0x42 (unknown)"},
		{"no dims", header(0x08), "0 dimensions"},
		{"many dims", header(0x08, make([]uint32, 17)...), "17 dimensions"},
		{"zero dim", header(0x08, 3, 0, 2), "dimension 1 is zero"},
		{"huge claim", header(0x08, 1<<16, 1<<16), "claim more than 2147483648 bytes"},
		{"overflowing claim", header(0x08, 0xffffffff, 0xffffffff, 0xffffffff), "claim more than"},
		{"truncated payload", valid[:len(valid)-5], "truncated: expected 12 data bytes, got 7"},
		{"lying header", append(header(0x08, 1<<30), 1, 2, 3), "truncated: expected 1073741824 data bytes, got 3"},
		{"trailing garbage", append(slices.Clone(valid), 9), "trailing garbage"},
		{"gzip trailing garbage", append(slices.Clone(validGz), 'x', 'y'), "trailing garbage after the gzip stream"},
		{"gzip concatenated members", append(slices.Clone(validGz), validGz...), "trailing garbage: the file goes on after the 12 data bytes"},
		{"gzip zero padding", append(slices.Clone(validGz), 0, 0, 0, 0), "trailing garbage after the gzip stream"},
		{"gzip payload truncated", gzipBytes(t, valid[:len(valid)-1]), "truncated: expected 12 data bytes, got 11"},
		{"gzip cut off", validGz[:len(validGz)-12], "corrupt gzip: stream ends early"},
		{"gzip header only", validGz[:2], "corrupt gzip: stream ends early"},
		{"gzip bad checksum", badCRC, "corrupt gzip: invalid checksum"},
		{"gzip bad deflate", badDeflate, "corrupt gzip"},
		{"gzip of garbage", gzipBytes(t, []byte("hello world")), "not an IDX file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadIDX(bytes.NewReader(tc.in), "some/file.idx")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "some/file.idx: ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line naming the file and containing %q", msg, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != "some/file.idx" {
				t.Fatalf("error %v is not a *FileError for the file", err)
			}
		})
	}
}

// A header that claims a gigabyte over a few bytes of data must not cost a
// gigabyte: the reader allocates as data arrives.
func TestReadIDXLyingHeaderAllocatesLittle(t *testing.T) {
	in := append(header(0x08, 1<<15, 1<<15), make([]byte, 100)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4 {
		if _, _, err := ReadIDX(bytes.NewReader(in), "liar"); err == nil {
			t.Fatal("no error for a lying header")
		}
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 4; perCall > 4*firstChunk {
		t.Fatalf("allocated %d bytes per call for a 108-byte input", perCall)
	}
}

// A gzip trailer may state an uncompressed size to match a lying header; the
// reader trusts it only as far as deflate's maximum ratio allows for the
// file's size.
func TestReadIDXFileLyingGzipTrailer(t *testing.T) {
	in := gzipBytes(t, append(header(0x08, 1<<30), 1, 2, 3))
	binary.LittleEndian.PutUint32(in[len(in)-4:], 8+1<<30)
	p := filepath.Join(t.TempDir(), "liar.gz")
	os.WriteFile(p, in, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := ReadIDXFile(p)
	runtime.ReadMemStats(&after)
	// The altered trailer no longer matches the data, which gzip notices.
	if err == nil || !strings.Contains(err.Error(), "corrupt gzip: invalid checksum") {
		t.Fatalf("error %v", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 4*firstChunk {
		t.Fatalf("allocated %d bytes for a %d-byte file", a, len(in))
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	valid := idxBytes(t, []int{2, 2}, []byte{1, 2, 3, 4})

	// The extension does not decide: a gzipped file without .gz reads, and
	// so does a raw one with .gz.
	gzNoExt := filepath.Join(dir, "a")
	rawGzExt := filepath.Join(dir, "b.gz")
	os.WriteFile(gzNoExt, gzipBytes(t, valid), 0o644)
	os.WriteFile(rawGzExt, valid, 0o644)
	for _, p := range []string{gzNoExt, rawGzExt} {
		if _, data, err := ReadIDXFile(p); err != nil || !bytes.Equal(data, []byte{1, 2, 3, 4}) {
			t.Fatalf("%s: data %v, err %v", p, data, err)
		}
	}

	// A raw file shorter than its header says is rejected from its size.
	short := filepath.Join(dir, "short")
	os.WriteFile(short, valid[:len(valid)-1], 0o644)
	if _, _, err := ReadIDXFile(short); err == nil || err.Error() != short+": truncated: expected 4 data bytes, got 3" {
		t.Fatalf("short file: %v", err)
	}

	missing := filepath.Join(dir, "missing")
	_, _, err := ReadIDXFile(missing)
	if !errors.Is(err, os.ErrNotExist) || strings.Count(err.Error(), missing) != 1 {
		t.Fatalf("missing file: %v (want one mention of the path and ErrNotExist)", err)
	}
}

func TestEncodeIDXRejects(t *testing.T) {
	for _, tc := range []struct {
		dims []int
		n    int
	}{{nil, 0}, {[]int{0}, 0}, {[]int{-1}, 0}, {[]int{2, 3}, 5}, {[]int{1 << 20, 1 << 20}, 0}} {
		if err := EncodeIDX(&bytes.Buffer{}, tc.dims, make([]byte, tc.n)); err == nil {
			t.Errorf("EncodeIDX(%v, %d bytes) accepted", tc.dims, tc.n)
		}
	}
}
