package data_test

import (
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/data/datatest"
)

// The real Fashion-MNIST from Debian's dataset-fashion-mnist: skipped where
// it is not installed, except in CI ($SGDCLAIMS_REQUIRE_FASHION_MNIST=1).
func TestFashionMNIST(t *testing.T) {
	train, test := datatest.FashionMNIST(t)
	if train.N != 60000 || test.N != 10000 || train.Shape != (data.Shape{C: 1, H: 28, W: 28}) || train.Dim != 784 || train.Classes != 10 {
		t.Fatalf("train %d, test %d rows, shape %v, Dim %d", train.N, test.N, train.Shape, train.Dim)
	}
	// Both sets begin with an ankle boot (class 9), and the classes are
	// balanced: 6,000 training and 1,000 test images each.
	if train.Y[0] != 9 || test.Y[0] != 9 {
		t.Fatalf("first labels %d, %d; want 9 (ankle boot)", train.Y[0], test.Y[0])
	}
	for _, d := range []*data.Dataset{train, test} {
		count := make([]int, 10)
		for _, y := range d.Y {
			count[y]++
		}
		for c, n := range count {
			if n != d.N/10 {
				t.Fatalf("%s: class %d has %d images, want %d", d.Name, c, n, d.N/10)
			}
		}
	}
	if train.Name != "fashion-mnist-train" {
		t.Fatalf("name %q", train.Name)
	}
}

// BenchmarkLoadFashionMNIST: `go test -bench LoadFashionMNIST -run ^$
// ./core/data` (the four gzipped files from the page cache).
func BenchmarkLoadFashionMNIST(b *testing.B) {
	datatest.FashionMNIST(b)
	for b.Loop() {
		start := time.Now()
		train, _, err := data.Load("fashion-mnist")
		if err != nil || train.N != 60000 {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/load")
	}
}
