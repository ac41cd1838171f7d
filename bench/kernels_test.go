package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmShapes are the GEMMs of the MLP 784-512-512-10 at batch 128 (first
// layer, hidden layer, its weight gradient), at batch 1024, and at batch 32
// (first layer, first layer's weight gradient), as m x k x n: C is m x n,
// the inner dimension k.
var gemmShapes = [][3]int{{128, 784, 512}, {128, 512, 512}, {512, 512, 128}, {1024, 784, 512},
	{32, 784, 512}, {512, 32, 784}}

// paramCount is the number of parameters of the MLP 784-512-512-10: the
// length of the vectors SGD's updates and the curvature code's dot
// products run over.
const paramCount = 784*512 + 512 + 512*512 + 512 + 512*10 + 10 // 669706

// forEachISA runs bench once per implementation this CPU can run, as a
// sub-benchmark named after it, with that implementation active. It goes
// from the slowest (generic) to the fastest, so that benchstat, which takes
// the first column it sees as the base, compares every ISA with generic.
func forEachISA(b *testing.B, bench func(b *testing.B)) {
	prev := kernels.Active().Name()
	defer func() {
		if err := kernels.Use(prev); err != nil {
			b.Fatal(err)
		}
	}()
	impls := kernels.All()
	slices.Reverse(impls)
	for _, impl := range impls {
		b.Run(impl.Name(), func(b *testing.B) {
			if err := kernels.Use(impl.Name()); err != nil {
				b.Fatal(err)
			}
			bench(b)
		})
	}
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// reportGFLOPS reports GFLOP/s of wall time, the throughput, and GFLOP per
// CPU-second of the process (all threads), which is what one core achieves
// while it runs: on a machine shared with other work the second figure
// varies much less, because time the scheduler gives to other processes is
// not counted. cpu0 is cpuSeconds() taken before the timed loop.
func reportGFLOPS(b *testing.B, flopsPerOp float64, cpu0 float64) {
	flops := flopsPerOp * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cpuSeconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkGemm is C = A*B (no transposes, beta = 0) at the MLP shapes, for
// every ISA and, as the pure-Go reference point, gonum's Sgemm. Run with
// -cpu 1,2 for one core and both.
func BenchmarkGemm(b *testing.B) {
	for _, s := range gemmShapes {
		m, k, n := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 2))
		a, bm, c := randFloats(r, m*k), randFloats(r, k*n), make([]float32, m*n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			forEachISA(b, func(b *testing.B) {
				cpu0 := cpuSeconds()
				for b.Loop() {
					kernels.Gemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				reportGFLOPS(b, flops, cpu0)
			})
			b.Run("gonum", func(b *testing.B) {
				var impl gonum.Implementation
				cpu0 := cpuSeconds()
				for b.Loop() {
					impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				reportGFLOPS(b, flops, cpu0)
			})
		})
	}
}

// BenchmarkGemmTrans covers the transposes the layers use: NT is the
// forward pass (x W^T with W stored [out, in]), TN the weight gradient
// (dY^T X). NN (the input gradient dY W) is BenchmarkGemm.
func BenchmarkGemmTrans(b *testing.B) {
	for _, tr := range []struct {
		name           string
		transA, transB bool
	}{{"NT", false, true}, {"TN", true, false}} {
		for _, s := range gemmShapes {
			m, k, n := s[0], s[1], s[2]
			r := rand.New(rand.NewPCG(1, 2))
			a, bm, c := randFloats(r, m*k), randFloats(r, k*n), make([]float32, m*n)
			lda, ldb := k, n
			if tr.transA {
				lda = m
			}
			if tr.transB {
				ldb = k
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", tr.name, m, k, n), func(b *testing.B) {
				forEachISA(b, func(b *testing.B) {
					cpu0 := cpuSeconds()
					for b.Loop() {
						kernels.Gemm(tr.transA, tr.transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
					}
					reportGFLOPS(b, 2*float64(m)*float64(n)*float64(k), cpu0)
				})
			})
		}
	}
}

// BenchmarkAxpy is y += alpha*x over the MLP's parameter vector (the SGD
// update); throughput counts the 12 bytes each element moves.
func BenchmarkAxpy(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x, y := randFloats(r, paramCount), randFloats(r, paramCount)
	b.Run(fmt.Sprint(paramCount), func(b *testing.B) {
		forEachISA(b, func(b *testing.B) {
			b.SetBytes(12 * paramCount)
			for b.Loop() {
				kernels.Axpy(paramCount, 1e-3, x, y)
			}
		})
	})
}

var dotSink float32

// BenchmarkDot is x.y over the MLP's parameter vector (8 bytes an element).
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x, y := randFloats(r, paramCount), randFloats(r, paramCount)
	b.Run(fmt.Sprint(paramCount), func(b *testing.B) {
		forEachISA(b, func(b *testing.B) {
			b.SetBytes(8 * paramCount)
			for b.Loop() {
				dotSink = kernels.Dot(paramCount, x, y)
			}
		})
	})
}
