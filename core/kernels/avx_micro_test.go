//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkMicroKernel measures each GEMM micro-kernel alone, on packed
// panels that sit in L1 (kc = 256): the ceiling the blocked GEMM can reach.
// On the Zen 5 development machine the AVX-512 8x32 kernel runs at about
// 220 GFLOP/s per core (2 FMA pipes x 16 lanes x 2 flops at ~3.4 GHz), the
// AVX2 6x16 one at about 110.
func BenchmarkMicroKernel(b *testing.B) {
	for _, k := range []struct {
		isa   string
		avail bool
		g     *gemmArch
	}{{"avx512", HasAVX512(), gemm512}, {"avx2", HasAVX2FMA(), gemm256}} {
		const kc = 256
		g := k.g
		b.Run(fmt.Sprintf("%s/%dx%d/kc=%d", k.isa, g.mr, g.nr, kc), func(b *testing.B) {
			if !k.avail {
				b.Skip("not supported by this CPU")
			}
			a := make([]float32, g.mr*kc)
			bp := make([]float32, g.nr*kc)
			c := make([]float32, g.mr*g.nr)
			for i := range a {
				a[i] = 1
			}
			for b.Loop() {
				g.kernel(kc, &a[0], &bp[0], &c[0], g.nr, 1, 1, g.mr, lowBits(g.nr), gemmLoadC)
			}
			b.ReportMetric(float64(2*g.mr*g.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkPack measures packing a 256 x 512 block of op(B) into NR-wide
// panels, from B (copy) and from B^T (transpose), in GB/s of source read.
func BenchmarkPack(b *testing.B) {
	for _, k := range []struct {
		isa   string
		avail bool
		g     *gemmArch
	}{{"avx512", HasAVX512(), gemm512}, {"avx2", HasAVX2FMA(), gemm256}} {
		const kc, n = 256, 512
		g := k.g
		src := make([]float32, kc*n)
		stride := kc*g.nr + panelPad
		dst := make([]float32, n/g.nr*stride)
		var offs [64]int
		b.Run(k.isa+"/copy", func(b *testing.B) {
			if !k.avail {
				b.Skip("not supported by this CPU")
			}
			b.SetBytes(4 * kc * n)
			for b.Loop() {
				g.packBCopy(&dst[0], &src[0], n, kc, n/g.nr, 0, stride)
			}
		})
		b.Run(k.isa+"/trans", func(b *testing.B) {
			if !k.avail {
				b.Skip("not supported by this CPU")
			}
			b.SetBytes(4 * kc * n)
			for b.Loop() {
				for j := 0; j < n; j += g.nr {
					g.packBTrans(&dst[j/g.nr*stride], &src[j*kc], kc, kc, rowOffsets(&offs, g.nr, g.nr, kc), lowBits(g.nr))
				}
			}
		})
	}
}

// BenchmarkGemmStridedB compares packing op(B) = B with reading it in place
// (gemmKernel512x8x32s), single-threaded; useStridedB encodes the outcome.
func BenchmarkGemmStridedB(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer func(p func(g *gemmArch, m, ldb int) bool) { stridedBPolicy = p }(stridedBPolicy)
	for _, arch := range []struct {
		name string
		g    *gemmArch
		ok   bool
	}{{"avx512", gemm512, HasAVX512()}, {"avx2", gemm256, hasAVX2FMA}} {
		if !arch.ok {
			continue
		}
		for _, s := range [][3]int{{32, 784, 512}, {64, 512, 512}, {128, 512, 512}, {128, 512, 1024}, {256, 784, 512}, {1024, 784, 512}} {
			m, k, n := s[0], s[1], s[2]
			a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for _, inPlace := range []bool{false, true} {
				name := fmt.Sprintf("%s/%dx%dx%d/packed", arch.name, m, k, n)
				if inPlace {
					name = fmt.Sprintf("%s/%dx%dx%d/inplace", arch.name, m, k, n)
				}
				b.Run(name, func(b *testing.B) {
					stridedBPolicy = func(*gemmArch, int, int) bool { return inPlace }
					for b.Loop() {
						arch.g.gemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkGemmTransC compares the two paths of A*B^T, single-threaded:
// packing B^T, and computing C^T with B read in place (runT); useTransC
// encodes the outcome.
func BenchmarkGemmTransC(b *testing.B) {
	if !HasAVX512() {
		b.Skip("no AVX-512")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer func(p func(m int) bool) { transCPolicy = p }(transCPolicy)
	for _, s := range [][3]int{{16, 784, 512}, {32, 784, 512}, {40, 784, 512}, {128, 784, 512}, {256, 512, 512}, {512, 784, 512}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for _, transC := range []bool{false, true} {
			name := fmt.Sprintf("%dx%dx%d/packed", m, k, n)
			if transC {
				name = fmt.Sprintf("%dx%dx%d/transc", m, k, n)
			}
			b.Run(name, func(b *testing.B) {
				transCPolicy = func(int) bool { return transC }
				for b.Loop() {
					gemm512.gemm(false, true, m, n, k, 1, a, k, bm, k, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
