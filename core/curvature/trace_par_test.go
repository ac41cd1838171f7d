package curvature

import (
	"math"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// TestGramRowsBitwise: splitting c's rows over GEMM calls gives bitwise
// the single call's result, for every kernel implementation and
// GOMAXPROCS, at the shapes Hutch++ uses (sketch Gram matrix, probe
// projections) and odd ones.
func TestGramRowsBitwise(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	prev := kernels.Active().Name()
	defer kernels.Use(prev)
	for _, impl := range kernels.All() {
		if err := kernels.Use(impl.Name()); err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct{ m, r, n int }{{33, 33, 20011}, {16, 33, 70000}, {5, 3, 1000}, {1, 7, 4099}, {9, 9, 300000}} {
			a := make([]float64, s.m*s.n)
			b := make([]float64, s.r*s.n)
			fillGaussian(newStream(1, "t", 0), a)
			fillGaussian(newStream(1, "t", 1), b)
			a32, b32 := make([]float32, len(a)), make([]float32, len(b))
			narrow(a32, a)
			narrow(b32, b)
			want := make([]float32, s.m*s.r)
			kernels.Gemm(false, true, s.m, s.r, s.n, 1, a32, s.n, b32, s.n, 0, want, s.r)
			for _, p := range []int{1, 2, 5} {
				runtime.GOMAXPROCS(p)
				got := make([]float32, s.m*s.r)
				for i := range got {
					got[i] = float32(math.NaN()) // beta = 0 must not read c
				}
				gramRows(s.m, s.r, s.n, a32, b32, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %dx%dx%d GOMAXPROCS=%d: element %d is %v, one GEMM gives %v", impl.Name(), s.m, s.r, s.n, p, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestConvertParallel: the parallel float32<->float64 conversions are the
// elementwise ones at every GOMAXPROCS, across chunk boundaries.
func TestConvertParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	n := 3*convertGrain + 17
	src := make([]float64, n)
	fillGaussian(newStream(2, "t", 0), src)
	for _, p := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(p)
		d32 := make([]float32, n)
		narrow(d32, src)
		d64 := make([]float64, n)
		widen(d64, d32, 0.25, false)
		widen(d64, d32, 0.5, true)
		for i := range src {
			if d32[i] != float32(src[i]) {
				t.Fatalf("narrow: element %d", i)
			}
			if want := 0.25*float64(d32[i]) + 0.5*float64(d32[i]); d64[i] != want {
				t.Fatalf("widen: element %d is %v, want %v", i, d64[i], want)
			}
		}
	}
}
