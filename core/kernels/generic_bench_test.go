package kernels_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// gemmBenchShapes are the products of training the MLP 784-512-512-10,
// named m x k x n: the first layer's forward pass at batch 128
// (128x784x512), the hidden layer's (128x512x512), the hidden layer's
// weight gradient dW = dy^T x (512x128x512 would be its shape with the
// batch as k; 512x512x128 is the same work with the batch as n), and the
// first layer at batch 1024.
var gemmBenchShapes = []struct{ m, k, n int }{
	{128, 784, 512},
	{128, 512, 512},
	{512, 512, 128},
	{1024, 784, 512},
}

// BenchmarkGemm runs C = A*B (no transposes, alpha 1, beta 0) for every
// implementation this CPU can run, and gonum's Sgemm as a yardstick,
// reporting GFLOP/s (2mnk per call). The names are key=value pairs, so
//
//	go test -run '^$' -bench Gemm -count 10 ./core/kernels > new.txt
//	benchstat -col /impl new.txt
//
// puts the implementations side by side. GOMAXPROCS=1 gives single-core
// figures.
func BenchmarkGemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		r := rand.New(rand.NewPCG(1, 2))
		a := randomSlice(r, s.m*s.k)
		bb := randomSlice(r, s.k*s.n)
		c := make([]float32, s.m*s.n)
		shape := fmt.Sprintf("shape=%dx%dx%d", s.m, s.k, s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		for _, impl := range kernels.All() {
			b.Run(shape+"/impl="+impl.Name(), func(b *testing.B) {
				for b.Loop() {
					impl.Gemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
				}
				report(b)
			})
		}
		b.Run(shape+"/impl=gonum", func(b *testing.B) {
			ga := blas32.General{Rows: s.m, Cols: s.k, Stride: s.k, Data: a}
			gb := blas32.General{Rows: s.k, Cols: s.n, Stride: s.n, Data: bb}
			gc := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc)
			}
			report(b)
		})
	}
}

func randomSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
