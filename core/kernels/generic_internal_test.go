package kernels

import (
	"runtime"
	"testing"
)

// TestGenericDoesNotAllocate guards the sync.Pool reuse of Gemm's packing
// buffers and job state: a training step calls Gemm thousands of times per
// second, and per-call garbage would show up as GC time.
func TestGenericDoesNotAllocate(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // the inline paths; goroutines allocate their stacks
	g := generic{}
	for _, s := range [][3]int{{4, 4, 4}, {64, 10, 512}, {37, 41, 1200}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for _, tA := range []bool{false, true} {
			lda := map[bool]int{false: k, true: m}[tA]
			if allocs := testing.AllocsPerRun(10, func() { g.Gemm(tA, true, m, n, k, 1, a, lda, b, k, 0, c, n) }); allocs != 0 {
				t.Errorf("Gemm %dx%dx%d (transA=%v): %v allocations per call, want 0", m, n, k, tA, allocs)
			}
		}
	}
	x := make([]float32, 64*512)
	if allocs := testing.AllocsPerRun(10, func() { g.SumRows(64, 512, x, 512, 0, x[:512]) }); allocs != 0 {
		t.Errorf("SumRows: %v allocations per call, want 0", allocs)
	}
}

// TestGemmTiles checks that the tile split, which depends on GOMAXPROCS,
// covers every element of C exactly once, including the skinny shapes
// whose tiles are split further: C += A*B twice with all-ones data must
// give 2k everywhere, and a tile skipped or run twice would not.
func TestGemmTiles(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		for _, s := range [][3]int{{1, 1, 1}, {64, 10, 512}, {128, 512, 784}, {1025, 3, 5}, {3, 1025, 5}} {
			m, n, k := s[0], s[1], s[2]
			c := make([]float32, m*n)
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 1
			}
			generic{}.Gemm(false, false, m, n, k, 1, a, k, b, n, 1, c, n)
			generic{}.Gemm(false, false, m, n, k, 1, a, k, b, n, 1, c, n)
			for i, v := range c {
				if v != float32(2*k) {
					t.Fatalf("GOMAXPROCS=%d %v: C[%d] = %v after two accumulations, want %d", procs, s, i, v, 2*k)
				}
			}
		}
	}
}
