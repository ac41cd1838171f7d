package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// simplecnnConvs are the convolutions of simplecnn on 1x28x28 (input
// channels and size, output channels, padding), for BenchmarkConvParts.
var simplecnnConvs = []struct {
	name        string
	c, h, co, p int
}{
	{"conv1", 1, 28, 32, 1},
	{"conv2", 32, 28, 32, 0},
	{"conv3", 32, 13, 64, 1},
	{"conv4", 64, 13, 64, 0},
}

// BenchmarkConvParts times the pieces of one example's 3x3 convolution of
// simplecnn, per ISA, as package nn runs them for a group of one example:
// im2col, the forward GEMM (out x pixels x C*9), the weight-gradient GEMM
// (out x C*9 x pixels), the column-gradient GEMM (C*9 x pixels x out) and
// col2im. GFLOP/s counts 2 flops per multiply-add; GB/s the floats moved.
func BenchmarkConvParts(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cv := range simplecnnConvs {
		g := kernels.ConvGeom{C: cv.c, H: cv.h, W: cv.h, KH: 3, KW: 3, SH: 1, SW: 1, PH: cv.p, PW: cv.p}
		k, p := g.Rows(), g.Cols()
		x := randFloats(r, cv.c*cv.h*cv.h)
		w := randFloats(r, cv.co*k)
		col := randFloats(r, k*p)
		gy := randFloats(r, cv.co*p)
		y := make([]float32, cv.co*p)
		dw := make([]float32, cv.co*k)
		flops := 2 * float64(cv.co) * float64(k) * float64(p)
		b.Run(cv.name, func(b *testing.B) {
			forEachISA(b, func(b *testing.B) {
				b.Run("im2col", func(b *testing.B) {
					for b.Loop() {
						kernels.Im2col(g, x, col, p)
					}
					b.ReportMetric(float64(4*k*p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
				b.Run("fwd", func(b *testing.B) {
					for b.Loop() {
						kernels.Gemm(false, false, cv.co, p, k, 1, w, k, col, p, 0, y, p)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
				b.Run("dw", func(b *testing.B) {
					for b.Loop() {
						kernels.Gemm(false, true, cv.co, k, p, 1, gy, p, col, p, 1, dw, k)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
				b.Run("dcol", func(b *testing.B) {
					for b.Loop() {
						kernels.Gemm(true, false, k, p, cv.co, 1, w, k, gy, p, 0, col, p)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
				b.Run("col2im", func(b *testing.B) {
					for b.Loop() {
						kernels.Col2im(g, col, p, 0, x)
					}
					b.ReportMetric(float64(4*k*p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			})
		})
	}
}
