//go:build !purego

package kernels

import (
	"sync"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// simd is an Impl built from one ISA's assembly kernels (avx512 or avx2).
// The Go methods check arguments (the assembly does no bounds checks), split
// large inputs between goroutines and call the kernels on raw pointers.
// SoftmaxCrossEntropy stays in Go (generic's): it evaluates exp and log in
// float64 over m rows of n = 10 classes in the MLPs, a few microseconds per
// step, so a vectorised float32 exp would buy nothing measurable and would
// give up generic's accuracy.
type simd struct {
	generic // SoftmaxCrossEntropy
	name    string
	gemm    *gemmArch

	axpy         func(n int, alpha float32, x, y *float32)
	scale        func(n int, alpha float32, x *float32)
	mul          func(n int, x, y, z *float32)
	dot          func(n int, x, y *float32) float32
	relu         func(n int, x, y *float32)
	reluBackward func(n int, x, dy, dx *float32)
	addBias      func(m, n int, bias, c *float32, ldc int)
	sumRows      func(m, n int, a *float32, lda int, beta float32, out *float32, flags int)
	// Im2col and Col2im of one channel for strides of 1 (see rowMover).
	i2cChan  func(h, w, kh, kw, ph, oh, ow, chunks int, src, dst *float32, ld int, taps *int64)
	c2iChan  func(h, w, kh, kw, ph, oh, ow int, src *float32, ld int, dst *float32, taps *int64)
	c2iLanes int // vector width of i2cChan and c2iChan, in floats
	// 2x2 max pooling (nil: generic's Go)
	pool2Fwd func(oh, ow int, x *float32, w int, y *float32)
	pool2Bwd func(oh, ow int, x *float32, w int, g *float32, dst *float32)
}

// Elementwise kernels are memory-bound, and on the Zen 5 development
// machine a second core makes them slower while the data fits in the
// caches (Axpy at 64K elements: 275 GB/s on one core, 180 on two; at 670K:
// 115 and 90) and faster only from DRAM (8M elements: 73 and 88). So they
// run on the calling goroutine below simdParallelMin elements, and above it
// in chunks of simdChunk that goroutines take on demand (par.For).
const (
	simdParallelMin = 4 << 20
	simdChunk       = 256 << 10
	// dotChunk fixes the summation order of long dot products: partial sums
	// over chunks of this many elements, added in chunk order. The chunks
	// depend on n alone, so Dot can run them in parallel and stay
	// reproducible for any GOMAXPROCS.
	dotChunk = 16 << 10
	// sumRowsStrip is the unit of columns SumRows hands to one task.
	sumRowsStrip = 256
)

// The methods below call their kernel directly, without a closure, when the
// work (elements touched) is below simdParallelMin, so the common case
// allocates nothing; above it par.For hands out chunks of fixed size.

func (s *simd) Name() string { return s.name }

func (s *simd) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	s.gemm.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (s *simd) gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	s.gemm.gemmProcs(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (s *simd) Axpy(n int, alpha float32, x, y []float32) {
	checkDims("Axpy", n)
	checkVector("Axpy", "x", n, x)
	checkVector("Axpy", "y", n, y)
	if n < simdParallelMin {
		if n > 0 {
			s.axpy(n, alpha, &x[0], &y[0])
		}
		return
	}
	par.For(n, simdChunk, func(lo, hi int) { s.axpy(hi-lo, alpha, &x[lo], &y[lo]) })
}

func (s *simd) Scale(n int, alpha float32, x []float32) {
	checkDims("Scale", n)
	checkVector("Scale", "x", n, x)
	if n < simdParallelMin {
		if n > 0 {
			s.scale(n, alpha, &x[0])
		}
		return
	}
	par.For(n, simdChunk, func(lo, hi int) { s.scale(hi-lo, alpha, &x[lo]) })
}

func (s *simd) Mul(n int, x, y, z []float32) {
	checkDims("Mul", n)
	checkVector("Mul", "x", n, x)
	checkVector("Mul", "y", n, y)
	checkVector("Mul", "z", n, z)
	if n < simdParallelMin {
		if n > 0 {
			s.mul(n, &x[0], &y[0], &z[0])
		}
		return
	}
	par.For(n, simdChunk, func(lo, hi int) { s.mul(hi-lo, &x[lo], &y[lo], &z[lo]) })
}

// Dot sums chunks of dotChunk elements with the kernel (its own order fixed
// by the chunk length) and adds the chunk sums in order, starting from 0.
func (s *simd) Dot(n int, x, y []float32) float32 {
	checkDims("Dot", n)
	checkVector("Dot", "x", n, x)
	checkVector("Dot", "y", n, y)
	if n == 0 {
		return 0
	}
	var sum float32
	if n < simdParallelMin {
		for i := 0; i < n; i += dotChunk {
			sum += s.dot(min(dotChunk, n-i), &x[i], &y[i])
		}
		return sum
	}
	partial := make([]float32, (n+dotChunk-1)/dotChunk)
	par.For(n, dotChunk, func(lo, hi int) {
		partial[lo/dotChunk] = s.dot(hi-lo, &x[lo], &y[lo])
	})
	for _, p := range partial { // the same order as the loop above
		sum += p
	}
	return sum
}

func (s *simd) Relu(n int, x, y []float32) {
	checkDims("Relu", n)
	checkVector("Relu", "x", n, x)
	checkVector("Relu", "y", n, y)
	if n < simdParallelMin {
		if n > 0 {
			s.relu(n, &x[0], &y[0])
		}
		return
	}
	par.For(n, simdChunk, func(lo, hi int) { s.relu(hi-lo, &x[lo], &y[lo]) })
}

func (s *simd) ReluBackward(n int, x, dy, dx []float32) {
	checkDims("ReluBackward", n)
	checkVector("ReluBackward", "x", n, x)
	checkVector("ReluBackward", "dy", n, dy)
	checkVector("ReluBackward", "dx", n, dx)
	if n < simdParallelMin {
		if n > 0 {
			s.reluBackward(n, &x[0], &dy[0], &dx[0])
		}
		return
	}
	par.For(n, simdChunk, func(lo, hi int) { s.reluBackward(hi-lo, &x[lo], &dy[lo], &dx[lo]) })
}

func (s *simd) AddBias(m, n int, bias []float32, c []float32, ldc int) {
	checkDims("AddBias", m, n)
	checkVector("AddBias", "bias", n, bias)
	checkMatrix("AddBias", "c", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if m*n < simdParallelMin {
		s.addBias(m, n, &bias[0], &c[0], ldc)
		return
	}
	par.For(m, max(1, simdChunk/n), func(lo, hi int) {
		s.addBias(hi-lo, n, &bias[0], &c[lo*ldc], ldc)
	})
}

// SumRows adds the rows in order for every column (as generic does);
// goroutines split the columns, never the rows.
func (s *simd) SumRows(m, n int, a []float32, lda int, beta float32, out []float32) {
	checkDims("SumRows", m, n)
	checkMatrix("SumRows", "a", m, n, a, lda)
	checkVector("SumRows", "out", n, out)
	if n == 0 {
		return
	}
	flags := 0
	if beta != 0 {
		flags |= 1
	}
	if beta == 1 {
		flags |= 2
	}
	if m == 0 {
		// No rows: out = beta*out (beta == 0 writes zeros without reading).
		var zero float32
		s.sumRows(0, n, &zero, lda, beta, &out[0], flags)
		return
	}
	if m*n < simdParallelMin {
		s.sumRows(m, n, &a[0], lda, beta, &out[0], flags)
		return
	}
	// Strips of whole multiples of sumRowsStrip columns, about a chunk of
	// elements each.
	strip := sumRowsStrip * max(1, simdChunk/(m*sumRowsStrip))
	par.For(n, strip, func(j0, j1 int) {
		s.sumRows(m, j1-j0, &a[j0], lda, beta, &out[j0], flags)
	})
}

// im2col runs Im2col for strides of 1 channel by channel through i2cChan,
// with a table, for every tap column j and chunk of i2cLanes output pixels,
// of eleven int64: the AVX2 load mask (eight int32 lanes, all ones where
// the pixel is inside the image row), the byte offset of the chunk's first
// pixel in the image row, the AVX-512 load mask, then the AVX2 and AVX-512
// store masks (the lanes below OutW).
func (s *simd) im2col(g ConvGeom, x, col []float32, ld int) {
	oh, ow := g.OutH(), g.OutW()
	if g.SH != 1 || g.SW != 1 || ld < oh*ow || len(col) < (g.Rows()-1)*ld+oh*ow || len(x) < g.C*g.H*g.W {
		panic("kernels: im2col out of range")
	}
	lanes := s.c2iLanes
	chunks := (ow + lanes - 1) / lanes
	tp := col2imTaps.Get().(*[]int64)
	defer col2imTaps.Put(tp)
	if cap(*tp) < chunks*g.KW*11 {
		*tp = make([]int64, chunks*g.KW*11)
	}
	tab := (*tp)[:chunks*g.KW*11]
	for j := 0; j < g.KW; j++ {
		for ci := 0; ci < chunks; ci++ {
			ox0 := ci * lanes
			e := tab[(j*chunks+ci)*11:][:11]
			sb := min(lanes, ow-ox0)
			a := min(sb, max(0, g.PW-j-ox0))
			b := max(a, min(sb, g.W+g.PW-j-ox0))
			e[0], e[1], e[2], e[3], e[5] = laneMasks(a, b)
			e[4] = int64(4 * (ox0 + j - g.PW))
			e[6], e[7], e[8], e[9], e[10] = laneMasks(0, sb)
		}
	}
	chw, rows := g.H*g.W, g.KH*g.KW*ld
	for c := 0; c < g.C; c++ {
		s.i2cChan(g.H, g.W, g.KH, g.KW, g.PH, oh, ow, chunks, &x[c*chw], &col[c*rows], ld, &tab[0])
	}
}

// laneMasks returns the lanes [a, b) as four int64 of eight int32 VMASKMOVPS
// lane masks and as an AVX-512 mask.
func laneMasks(a, b int) (v0, v1, v2, v3, k int64) {
	var v [4]int64
	for l := a; l < b; l++ {
		if l < 8 {
			v[l/2] |= 0xffffffff << (32 * (l % 2))
		}
		k |= 1 << l
	}
	return v[0], v[1], v[2], v[3], k
}

// col2imTaps holds the tap tables of col2im (see c2iTap).
var col2imTaps = sync.Pool{New: func() any { return new([]int64) }}

// col2im runs Col2im for strides of 1 channel by channel through c2iChan,
// with a table, for every chunk of c2iLanes pixels of an image row and
// every tap j, of six int64: the AVX2 lane mask (eight int32 lanes, all
// ones where tap j reaches the pixel), the byte offset of the chunk's first
// pixel in the tap's column row, and the AVX-512 lane mask.
func (s *simd) col2im(g ConvGeom, col []float32, ld int, x []float32) {
	oh, ow := g.OutH(), g.OutW()
	if g.SH != 1 || g.SW != 1 || ld < oh*ow || len(col) < (g.Rows()-1)*ld+oh*ow || len(x) < g.C*g.H*g.W {
		panic("kernels: col2im out of range")
	}
	lanes := s.c2iLanes
	chunks := (g.W + lanes - 1) / lanes
	tp := col2imTaps.Get().(*[]int64)
	defer col2imTaps.Put(tp)
	if cap(*tp) < chunks*g.KW*6 {
		*tp = make([]int64, chunks*g.KW*6)
	}
	tab := (*tp)[:chunks*g.KW*6]
	for ci := 0; ci < chunks; ci++ {
		x0 := ci * lanes
		for j := 0; j < g.KW; j++ {
			e := tab[(ci*g.KW+j)*6:][:6]
			a := max(0, j-g.PW-x0)
			b := max(a, min(lanes, g.W-x0, j-g.PW+ow-x0))
			var km int64
			e[0], e[1], e[2], e[3], km = laneMasks(a, b)
			e[4], e[5] = int64(4*(x0+g.PW-j)), km
		}
	}
	chw, rows := g.H*g.W, g.KH*g.KW*ld
	for c := 0; c < g.C; c++ {
		s.c2iChan(g.H, g.W, g.KH, g.KW, g.PH, oh, ow, &col[c*rows], ld, &x[c*chw], &tab[0])
	}
}

func (s *simd) hasPool2() bool { return s.pool2Fwd != nil }

// maxPool2 and maxPool2Backward: MaxPool2 has checked the lengths.
func (s *simd) maxPool2(oh, ow int, x []float32, w int, y []float32) {
	s.pool2Fwd(oh, ow, &x[0], w, &y[0])
}

func (s *simd) maxPool2Backward(oh, ow int, x []float32, w int, g, dst []float32) {
	s.pool2Bwd(oh, ow, &x[0], w, &g[0], &dst[0])
}
