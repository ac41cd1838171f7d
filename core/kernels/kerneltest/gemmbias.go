package kerneltest

import (
	"math"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// testGemmBias checks kernels.GemmBiasOn(impl, ...), the dense layer's
// fused forward product, against impl's own Gemm, AddBias and Relu run one
// after the other (its definition; implementations differ from each other
// in the last bits of Gemm, see the package doc): bit for bit, for
// every transpose, alpha and beta (0 with NaNs in C), with and without the
// ReLU, at shapes that take each GEMM path (packed, B in place, transposed
// C; edge tiles; several k-blocks), and for any GOMAXPROCS.
func testGemmBias(t *testing.T, impl kernels.Impl) {
	shapes := []gemmShape{{1, 1, 1}, {7, 33, 17}, {32, 512, 784}, {128, 512, 512}, {33, 97, 513},
		{200, 3, 2}, {5, 4, 0}, {64, 10, 300}}
	for _, s := range shapes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {-0.5, 1}, {0, 0.5}} {
				for _, relu := range []bool{false, true} {
					what := describe("GemmBias(%dx%dx%d, tA=%v, tB=%v, alpha=%v, beta=%v, relu=%v)",
						s.m, s.k, s.n, tr[0], tr[1], ab[0], ab[1], relu)
					if !gemmBiasCase(t, impl, s, tr[0], tr[1], ab[0], ab[1], relu, what) {
						return
					}
				}
			}
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	s := gemmShape{128, 784, 512}
	sameAcrossProcs(t, "GemmBias(128x784x512, relu)", func() []float32 {
		p := newGemmBiasProblem(s, false, true, 0)
		kernels.GemmBiasOn(impl, false, true, s.m, s.n, s.k, 1, p.a, p.lda, p.b, p.ldb, 0, p.c.data(), p.c.ld, p.bias, true)
		return append([]float32(nil), p.c.data()...)
	})
}

type gemmBiasProblem struct {
	a, b, bias []float32
	lda, ldb   int
	c          matrix
}

// newGemmBiasProblem is one random problem: A and B stored as the transposes
// say, C with padding 3 (NaN when beta is 0, so a read of C shows), and a
// bias of mixed signs so that the ReLU cuts.
func newGemmBiasProblem(s gemmShape, transA, transB bool, beta float32) *gemmBiasProblem {
	r := newRand(77, s.m, s.k, s.n)
	rows, cols := s.m, s.k
	if transA {
		rows, cols = s.k, s.m
	}
	p := &gemmBiasProblem{lda: max(1, cols)}
	p.a = make([]float32, max(1, rows*cols))
	for i := range p.a {
		p.a[i] = float32(r.NormFloat64())
	}
	rows, cols = s.k, s.n
	if transB {
		rows, cols = s.n, s.k
	}
	p.ldb = max(1, cols)
	p.b = make([]float32, max(1, rows*cols))
	for i := range p.b {
		p.b[i] = float32(r.NormFloat64())
	}
	p.bias = make([]float32, s.n)
	for i := range p.bias {
		p.bias[i] = float32(r.NormFloat64())
	}
	p.c = newMatrix(s.m, s.n, s.n+3)
	for i := range s.m {
		for j := range s.n {
			v := float32(r.NormFloat64())
			if beta == 0 {
				v = float32(math.NaN())
			}
			p.c.set(i, j, v)
		}
	}
	return p
}

func gemmBiasCase(t *testing.T, impl kernels.Impl, s gemmShape, transA, transB bool,
	alpha, beta float32, relu bool, what string) bool {
	t.Helper()
	p := newGemmBiasProblem(s, transA, transB, beta)
	run := func(f func(c []float32)) []float32 {
		c := p.c.snapshot()
		f(c[guard:])
		return c
	}
	want := run(func(c []float32) {
		impl.Gemm(transA, transB, s.m, s.n, s.k, alpha, p.a, p.lda, p.b, p.ldb, beta, c[:len(p.c.data())], p.c.ld)
		impl.AddBias(s.m, s.n, p.bias, c[:len(p.c.data())], p.c.ld)
		if relu {
			for i := range s.m {
				row := c[i*p.c.ld : i*p.c.ld+s.n]
				impl.Relu(s.n, row, row)
			}
		}
	})
	{
		got := run(func(c []float32) {
			kernels.GemmBiasOn(impl, transA, transB, s.m, s.n, s.k, alpha, p.a, p.lda, p.b, p.ldb, beta,
				c[:len(p.c.data())], p.c.ld, p.bias, relu)
		})
		for i := range want {
			if !sameBits(got[i], want[i]) {
				t.Errorf("%s: element %d is %v, want %v (Gemm, AddBias, Relu)", what, i-guard, got[i], want[i])
				return false
			}
		}
	}
	return true
}
