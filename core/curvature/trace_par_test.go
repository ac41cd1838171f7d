package curvature

import (
	"math"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// gramRows sets the m x r matrix c = a b^T for a (m x n) and b (r x n),
// row-major, with n large (a parameter vector) and m, r small (a sketch).
// One such GEMM has too few tiles of c to go round the cores (core/kernels
// splits c, never the long inner dimension), so the rows of c are split
// here, gramRowsGrain at a time, one GEMM each. core/kernels computes each
// element of C in the same order whatever part of C a call covers, so
// the result is bitwise that of one call (TestGramRowsBitwise).
//
// Not used by Hutch++: measured (BenchmarkSketchAlgebra, 33 x 33 over
// 669,706, two shared cores) it is 2.7x slower than the one GEMM (about
// 200 vs 75 ms), since every row block streams and packs all of b (88 MB)
// again. Splitting the inner dimension instead would change the sum's
// order, and with it Hutch++'s figures in the last bits.
func gramRows(m, r, n int, a, b, c []float32) {
	par.For(m, gramRowsGrain, func(lo, hi int) {
		kernels.Gemm(false, true, hi-lo, r, n, 1, a[lo*n:hi*n], n, b, n, 0, c[lo*r:hi*r], r)
	})
}

// gramRowsGrain is the rows of c per GEMM in gramRows: four rows against a
// 33-row sketch of a 670K-parameter network is 180 MFLOP, far above a
// goroutine's cost.
const gramRowsGrain = 4

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

// BenchmarkSketchAlgebra compares, at Hutch++'s shapes for
// mlp:784-512-512-10 (669,706 parameters, budget 100: a 33-row sketch, a
// block of 4 vectors), the serial forms this package used before
// ("serial") with the parallel ones ("par"): the sketch's Gram matrix
// (one GEMM, or gramRows's row blocks), the whole orthonormalisation, and
// the operator adapter's conversions.
func BenchmarkSketchAlgebra(b *testing.B) {
	const m, n = 33, 669706
	y := make([]float32, m*n)
	src := make([]float64, m*n)
	fillGaussian(newStream(3, "bench", 0), src)
	narrow(y, src)
	g := make([]float32, m*m)
	b.Run("gram/one", func(b *testing.B) {
		for b.Loop() {
			kernels.Gemm(false, true, m, m, n, 1, y, n, y, n, 0, g, m)
		}
	})
	b.Run("gram/rows", func(b *testing.B) {
		for b.Loop() {
			gramRows(m, m, n, y, y, g)
		}
	})
	b.Run("orthonormalize", func(b *testing.B) {
		yy := make([]float32, m*n)
		for b.Loop() {
			copy(yy, y)
			orthonormalRows32(yy, m, n)
		}
	})
	v := src[:4*n]
	v32, out := make([]float32, 4*n), make([]float64, 4*n)
	b.Run("convert/serial", func(b *testing.B) {
		for b.Loop() {
			for i, x := range v {
				v32[i] = float32(x)
			}
			for i, x := range v32 {
				out[i] = 0.5 * float64(x)
			}
		}
	})
	b.Run("convert/par", func(b *testing.B) {
		for b.Loop() {
			narrow(v32, v)
			widen(out, v32, 0.5, false)
		}
	})
}
