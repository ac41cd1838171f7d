package kerneltest

import (
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// procs are the GOMAXPROCS values results must not depend on: serial, the
// usual, and more goroutines than this project's 2-core machines have, so
// that tasks are split unevenly.
var procs = []int{1, 2, 5}

// testDeterminism runs the kernels that may split work over goroutines at
// several GOMAXPROCS and repeatedly, and requires bitwise equal results.
// The shapes are large enough that every implementation goes parallel.
func testDeterminism(t *testing.T, impl kernels.Impl) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	for _, s := range []gemmShape{{300, 257, 513}, {128, 512, 784}, {37, 41, 1200}} {
		p := problem(s, normal)
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				a := layout(p.a, s.m, s.k, tA, 0)
				b := layout(p.b, s.k, s.n, tB, 0)
				run := func() []float32 {
					c := append([]float32(nil), p.c0...)
					impl.Gemm(tA, tB, s.m, s.n, s.k, 0.75, a.data(), a.ld, b.data(), b.ld, 0.5, c, s.n)
					return c
				}
				what := describe("Gemm(transA=%v, transB=%v, m=%d, n=%d, k=%d)", tA, tB, s.m, s.n, s.k)
				if !sameAcrossProcs(t, what, run) {
					return
				}
			}
		}
	}

	const m, n = 777, 2345
	a := vector(normal, m*n, 17)
	sumRows := func() []float32 {
		out := make([]float32, n)
		for j := range out {
			out[j] = float32(j)
		}
		impl.SumRows(m, n, a.data(), n, 0.75, out)
		return out
	}
	if !sameAcrossProcs(t, describe("SumRows(m=%d, n=%d)", m, n), sumRows) {
		return
	}

	const dn = 1<<20 + 3
	x, y := vector(normal, dn, 18), vector(normal, dn, 19)
	dot := func() []float32 { return []float32{impl.Dot(dn, x.data(), y.data())} }
	sameAcrossProcs(t, describe("Dot(n=%d)", dn), dot)
}

// sameAcrossProcs runs f twice at each GOMAXPROCS in procs and reports
// whether every result is bitwise equal to the first.
func sameAcrossProcs(t *testing.T, what string, f func() []float32) bool {
	t.Helper()
	var ref []float32
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for rep := range 2 {
			got := f()
			if ref == nil {
				ref = got
				continue
			}
			for i := range ref {
				if !sameBits(got[i], ref[i]) {
					t.Errorf("%s: element %d is %v at GOMAXPROCS=%d (call %d), %v at GOMAXPROCS=%d",
						what, i, got[i], p, rep+1, ref[i], procs[0])
					return false
				}
			}
		}
	}
	return true
}
