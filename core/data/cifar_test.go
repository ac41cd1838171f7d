package data_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/data/datatest"
)

func TestLoadCIFAR10Fixture(t *testing.T) {
	dir := datatest.WriteCIFAR10(t, 3, 4)
	train, test, err := data.LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*data.Dataset{train, test} {
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		if d.Dim != 3072 || d.Classes != 10 || d.Shape != data.CIFAR10Shape {
			t.Fatalf("%s: Dim %d Classes %d Shape %v", d.Name, d.Dim, d.Classes, d.Shape)
		}
	}
	if train.N != 15 || test.N != 4 {
		t.Fatalf("train %d, test %d rows; want 15 and 4", train.N, test.N)
	}
	// Rows follow the batches in order; within a row, (c, y, x) is byte
	// 1 + c*1024 + y*32 + x of the record: the file's channel-major order is
	// kept as NCHW.
	for row := range train.N {
		b, i := row/3, row%3
		if train.Y[row] != int32(datatest.CIFARLabel(b, i)) {
			t.Fatalf("row %d: label %d, want %d", row, train.Y[row], datatest.CIFARLabel(b, i))
		}
		for _, p := range [][3]int{{0, 0, 0}, {1, 2, 3}, {2, 31, 31}, {2, 0, 17}} {
			k := p[0]*1024 + p[1]*32 + p[2]
			if got, want := train.X[row*3072+k], float32(datatest.CIFARPixel(b, i, k))/255; got != want {
				t.Fatalf("row %d pixel %v: %v, want %v", row, p, got, want)
			}
		}
	}
	if test.Y[3] != int32(datatest.CIFARLabel(5, 3)) || test.X[3*3072+5] != float32(datatest.CIFARPixel(5, 3, 5))/255 {
		t.Fatal("test batch content")
	}
}

// Every bad directory is a one-line *FileError naming the file at fault.
func TestLoadCIFAR10BadInput(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(dir string) string // returns the file the error must name
		want   string
		onLoad bool // found only when the files are read, not by Locate
	}{
		{"truncated batch", func(dir string) string {
			p := filepath.Join(dir, "data_batch_3.bin")
			raw, _ := os.ReadFile(p)
			must(t, os.WriteFile(p, raw[:len(raw)-100], 0o644))
			return p
		}, "truncated", false},
		{"label of 10", func(dir string) string {
			p := filepath.Join(dir, "test_batch.bin")
			raw, _ := os.ReadFile(p)
			raw[3073] = 10
			must(t, os.WriteFile(p, raw, 0o644))
			return p
		}, "label 10 of record 1", true},
		{"missing batch", func(dir string) string {
			p := filepath.Join(dir, "data_batch_5.bin")
			must(t, os.Remove(p))
			return p
		}, "missing", false},
		{"sixth training batch", func(dir string) string {
			p := filepath.Join(dir, "data_batch_6.bin")
			must(t, os.WriteFile(p, datatest.CIFARRecords(0, 1), 0o644))
			return p
		}, "unexpected batch file", false},
		{"empty batch", func(dir string) string {
			p := filepath.Join(dir, "data_batch_1.bin")
			must(t, os.WriteFile(p, nil, 0o644))
			return p
		}, "empty", false},
	}
	for _, c := range cases {
		dir := datatest.WriteCIFAR10(t, 2, 2)
		file := c.break_(dir)
		loads := []func() error{func() error { _, _, err := data.LoadCIFAR10(dir); return err }}
		if !c.onLoad {
			loads = append(loads, func() error { _, err := data.Locate(dir); return err })
		}
		for _, load := range loads {
			err := load()
			var fe *data.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: error %v is not a *FileError", c.name, err)
			}
			msg := err.Error()
			if fe.Path != file || !strings.HasPrefix(msg, file+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("%s: %q: want one line naming %s and saying %q", c.name, msg, file, c.want)
			}
		}
	}
}

func TestReadCIFAR10(t *testing.T) {
	d, err := data.ReadCIFAR10(strings.NewReader(string(datatest.CIFARRecords(2, 5))), "x/batch.bin")
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 5 || d.Shape != data.CIFAR10Shape || d.Y[4] != int32(datatest.CIFARLabel(2, 4)) || d.X[4*3072+9] != float32(datatest.CIFARPixel(2, 4, 9))/255 {
		t.Fatalf("read %d rows, shape %v", d.N, d.Shape)
	}
	if _, err := data.ReadCIFAR10(strings.NewReader("x"), "x/batch.bin"); err == nil || !strings.Contains(err.Error(), "0 whole records and 1 bytes more") {
		t.Fatalf("one byte: %v", err)
	}
}

// The named dataset cifar10 is read from $SGDCLAIMS_DATA/cifar10 or
// $SGDCLAIMS_DATA/cifar-10-batches-bin; without either the error says where
// to put the files.
func TestLocateCIFAR10(t *testing.T) {
	t.Setenv(data.DataEnv, "")
	_, err := data.Locate("cifar10")
	if err == nil || !strings.Contains(err.Error(), "cifar-10-binary.tar.gz") || !strings.Contains(err.Error(), "$SGDCLAIMS_DATA/cifar10") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("without data: %v", err)
	}
	root := t.TempDir()
	t.Setenv(data.DataEnv, root)
	if _, err := data.Locate("cifar10"); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "cifar10")) {
		t.Fatalf("empty root: %v", err)
	}
	for _, sub := range []string{"cifar10", "cifar-10-batches-bin"} {
		root := t.TempDir()
		must(t, os.Rename(datatest.WriteCIFAR10(t, 1, 1), filepath.Join(root, sub)))
		t.Setenv(data.DataEnv, root)
		loc, err := data.Locate("cifar10")
		if err != nil || loc.Dir != filepath.Join(root, sub) || loc.Format != data.FormatCIFAR10 {
			t.Fatalf("%s: %+v, %v", sub, loc, err)
		}
		train, test, err := data.Load("cifar10")
		if err != nil || train.N != 5 || test.N != 1 || train.Name != "cifar10-train" {
			t.Fatalf("%s: Load: %v", sub, err)
		}
	}
	// A directory given as a path is read in its own layout.
	dir := datatest.WriteCIFAR10(t, 2, 1)
	if loc, err := data.Locate(dir); err != nil || loc.Format != data.FormatCIFAR10 {
		t.Fatalf("path: %+v, %v", loc, err)
	}
}

// BenchmarkLoadCIFAR10 loads a CIFAR-10-sized set (5 x 10,000 + 10,000
// generated records, raw, from the page cache): `go test -bench
// LoadCIFAR10 -run ^$ ./core/data`.
func BenchmarkLoadCIFAR10(b *testing.B) {
	dir := datatest.WriteCIFAR10(b, 10000, 10000)
	b.SetBytes(60000 * 3073)
	for b.Loop() {
		train, test, err := data.LoadCIFAR10(dir)
		if err != nil || train.N != 50000 || test.N != 10000 {
			b.Fatal(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ExampleLoadCIFAR10() {
	// Where the real files are: $SGDCLAIMS_DATA/cifar10 (see Locate).
	_, err := data.Locate(filepath.Join(os.TempDir(), "no-such-cifar"))
	fmt.Println(err != nil)
	// Output: true
}
