package data

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzReadIDX checks that no input makes ReadIDX panic, that every error is
// one line naming the file, and that whatever it accepts is consistent and
// survives a round trip through EncodeIDX. The seed corpus runs in every
// `go test`; `go test -fuzz FuzzReadIDX ./core/data` explores further.
func FuzzReadIDX(f *testing.F) {
	valid := idxBytes(f, []int{2, 3}, []byte{0, 1, 2, 253, 254, 255})
	validGz := gzipBytes(f, valid)
	f.Add(valid)
	f.Add(validGz)
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:6])
	f.Add(validGz[:len(validGz)-3])
	f.Add(validGz[:11])
	f.Add(append([]byte{0x12, 0x34}, valid[2:]...))
	f.Add(header(0x0D, 2))
	f.Add(header(0x08, 0xffffffff, 0xffffffff))
	f.Add(append(slices.Clone(valid), 0))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, in []byte) {
		dims, data, err := ReadIDX(bytes.NewReader(in), "fuzz.idx")
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.idx: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line naming the file", msg)
			}
			return
		}
		n := 1
		for _, d := range dims {
			if d < 1 {
				t.Fatalf("accepted dimension %d", d)
			}
			n *= d
		}
		if n != len(data) {
			t.Fatalf("dims %v but %d bytes", dims, len(data))
		}
		enc := idxBytes(t, dims, data)
		if !(len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b) && !bytes.Equal(enc, in) {
			t.Fatal("accepted raw input differs from its re-encoding")
		}
		dims2, data2, err := ReadIDX(bytes.NewReader(enc), "re-encoded")
		if err != nil || !slices.Equal(dims, dims2) || !bytes.Equal(data, data2) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzReadCIFAR10 checks that no input makes ReadCIFAR10 panic, that every
// error is one line naming the file, and that whatever it accepts is a valid
// dataset whose labels and pixels are the records' bytes.
func FuzzReadCIFAR10(f *testing.F) {
	rec := make([]byte, cifarRecord)
	rec[0] = 9
	for k := range cifarPixels {
		rec[1+k] = byte(k)
	}
	two := append(slices.Clone(rec), rec...)
	two[cifarRecord] = 3
	f.Add(rec)
	f.Add(two)
	f.Add(two[:len(two)-1])
	f.Add(rec[:1])
	f.Add([]byte{})
	bad := slices.Clone(rec)
	bad[0] = 10
	f.Add(bad)
	f.Add(append(slices.Clone(two), 0xff))

	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ReadCIFAR10(bytes.NewReader(in), "fuzz.bin")
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.bin: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line naming the file", msg)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		if d.N*cifarRecord != len(in) || d.Shape != CIFAR10Shape {
			t.Fatalf("%d rows of shape %v from %d bytes", d.N, d.Shape, len(in))
		}
		for i := range d.N {
			r := in[i*cifarRecord : (i+1)*cifarRecord]
			if d.Y[i] != int32(r[0]) || d.X[i*cifarPixels] != float32(r[1])/255 || d.X[(i+1)*cifarPixels-1] != float32(r[cifarRecord-1])/255 {
				t.Fatalf("row %d does not hold its record", i)
			}
		}
	})
}
