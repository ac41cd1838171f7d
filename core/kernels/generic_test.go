package kernels_test

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/kernels/kerneltest"
)

// TestConformance runs the conformance suite against every implementation
// this CPU can run, so a newly registered one is covered without a test of
// its own.
func TestConformance(t *testing.T) {
	impls := kernels.All()
	if len(impls) == 0 || impls[len(impls)-1].Name() != "generic" {
		t.Fatalf("All() = %v, want a list ending with the always-available generic", names(impls))
	}
	for _, impl := range impls {
		t.Run(impl.Name(), func(t *testing.T) { kerneltest.TestImpl(t, impl) })
	}
}

// TestPackageFunctions checks that the package-level functions call the
// active implementation, whichever it is.
func TestPackageFunctions(t *testing.T) {
	defer func(name string) {
		if err := kernels.Use(name); err != nil {
			t.Fatal(err)
		}
	}(kernels.Active().Name())
	for _, impl := range kernels.All() {
		if err := kernels.Use(impl.Name()); err != nil {
			t.Fatalf("Use(%q) = %v for an implementation All returned", impl.Name(), err)
		}
		if got := kernels.Active().Name(); got != impl.Name() {
			t.Fatalf("after Use(%q), Active() = %q", impl.Name(), got)
		}
		x := []float32{1, 2, 3, 4, 5}
		y := []float32{5, 4, 3, 2, 1}
		if got := kernels.Dot(5, x, y); got != 35 {
			t.Errorf("%s: Dot = %v, want 35", impl.Name(), got)
		}
		c := make([]float32, 4)
		kernels.Gemm(false, true, 2, 2, 1, 1, []float32{1, 2}, 1, []float32{3, 4}, 1, 0, c, 2)
		if want := []float32{3, 4, 6, 8}; !equal(c, want) {
			t.Errorf("%s: Gemm = %v, want %v", impl.Name(), c, want)
		}
		kernels.Axpy(2, 2, x, y)
		kernels.Scale(2, 0.5, y)
		kernels.Mul(2, x, y, y)
		if want := []float32{3.5, 8}; !equal(y[:2], want) {
			t.Errorf("%s: Axpy, Scale, Mul = %v, want %v", impl.Name(), y[:2], want)
		}
		kernels.AddBias(2, 2, []float32{1, -1}, c, 2)
		kernels.SumRows(2, 2, c, 2, 0, x)
		if want := []float32{11, 10}; !equal(x[:2], want) {
			t.Errorf("%s: AddBias, SumRows = %v, want %v", impl.Name(), x[:2], want)
		}
		v := []float32{-1, 2}
		kernels.Relu(2, v, v)
		kernels.ReluBackward(2, v, []float32{7, 8}, x)
		if !equal(v, []float32{0, 2}) || !equal(x[:2], []float32{0, 8}) {
			t.Errorf("%s: Relu, ReluBackward = %v, %v", impl.Name(), v, x[:2])
		}
		probs, loss := make([]float32, 2), make([]float32, 1)
		kernels.SoftmaxCrossEntropy(1, 2, []float32{3, 3}, []int32{1}, probs, loss)
		if !equal(probs, []float32{0.5, 0.5}) || loss[0] != 0.6931472 {
			t.Errorf("%s: SoftmaxCrossEntropy = %v, %v, want [0.5 0.5], [0.6931472]", impl.Name(), probs, loss)
		}
	}
}

func equal(a, b []float32) bool {
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

func names(impls []kernels.Impl) []string {
	var ns []string
	for _, impl := range impls {
		ns = append(ns, impl.Name())
	}
	return ns
}
