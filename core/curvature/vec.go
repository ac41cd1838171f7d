package curvature

import (
	"math"

	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// The float64 vector helpers below are written out rather than taken from a
// BLAS so that their summation order is fixed by the length alone: that is
// what makes every estimator bitwise reproducible for any GOMAXPROCS.

// dot returns sum_i x[i]*y[i] with four interleaved partial sums (in a fixed
// order), which is faster than one chain and no less accurate.
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy sets y += a*x.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, xi := range x {
		y[i] += a * xi
	}
}

// scal sets x *= a.
func scal(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}

// nrm2 returns the Euclidean norm of x.
func nrm2(x []float64) float64 { return math.Sqrt(dot(x, x)) }

// convertGrain is the chunk of the float32<->float64 conversions that go
// parallel: 64K elements (768 KB of traffic) per task, so that a vector of
// a small model stays on the caller's goroutine and a block of a large
// one (4 x 670K) spreads over the cores. Conversions are elementwise, so
// any split gives the same bits.
const convertGrain = 1 << 16

// narrow sets dst[i] = float32(src[i]).
func narrow(dst []float32, src []float64) {
	dst = dst[:len(src)]
	par.For(len(src), convertGrain, func(lo, hi int) {
		d := dst[lo:hi]
		for i, x := range src[lo:hi] {
			d[i] = float32(x)
		}
	})
}

// widen sets dst[i] = w*float64(src[i]), or adds it when accumulate.
func widen(dst []float64, src []float32, w float64, accumulate bool) {
	dst = dst[:len(src)]
	par.For(len(src), convertGrain, func(lo, hi int) {
		d := dst[lo:hi]
		if accumulate {
			for i, x := range src[lo:hi] {
				d[i] += w * float64(x)
			}
			return
		}
		for i, x := range src[lo:hi] {
			d[i] = w * float64(x)
		}
	})
}

// newStream returns the random stream for purpose and index under seed.
// Every random vector of an estimator comes from its own (purpose, index)
// stream, so probe j is the same vector however probes are blocked.
func newStream(seed uint64, purpose string, index uint64) *rng.Stream {
	return rng.New(seed, purpose, index)
}

// fillGaussian fills v with standard normal variates.
func fillGaussian(s *rng.Stream, v []float64) {
	for i := range v {
		v[i] = s.Normal()
	}
}

// signTable[b] holds the eight signs encoded by the bits of b, lowest bit
// first (0 -> -1, 1 -> +1).
var signTable = func() (t [256][8]float64) {
	for b := range t {
		for j := range t[b] {
			t[b][j] = float64(int(b>>j&1)*2 - 1)
		}
	}
	return t
}()

// fillRademacher fills v with independent +-1 signs, 64 signs per 64-bit
// draw, expanded eight at a time from a table (one draw and one branch per
// entry made probe generation cost a sixth of a network product).
func fillRademacher(s *rng.Stream, v []float64) {
	for i := 0; i < len(v); i += 64 {
		bits := s.Uint64()
		end := min(i+64, len(v))
		j := i
		for ; j+8 <= end; j += 8 {
			copy(v[j:j+8], signTable[bits&0xff][:])
			bits >>= 8
		}
		for ; j < end; j++ {
			v[j] = signTable[bits&1][0]
			bits >>= 1
		}
	}
}

// orthogonalize removes from w its components along the orthonormal
// vectors of basis by classical Gram-Schmidt, repeated once when the first
// pass cancels more than 30% of w's norm ("twice is enough",
// Kahan-Parlett): the rounding left by one pass is then re-removed. It
// returns the coefficients of the first pass plus those of the second in c
// (so a caller can correct its projections; c needs len(basis) values) and
// the final norm of w.
func orthogonalize(basis [][]float64, w, c []float64) float64 {
	c = c[:len(basis)]
	clear(c)
	if len(basis) == 0 {
		return nrm2(w)
	}
	before := nrm2(w)
	tmp := make([]float64, len(basis))
	for pass := 0; pass < 2; pass++ {
		projectOut(basis, w, tmp)
		for i := range c {
			c[i] += tmp[i]
		}
		after := nrm2(w)
		if after > 0.7*before {
			return after
		}
		before = after
	}
	return before
}

// projectOut computes c = B w and then w -= B^T c, for B the matrix whose
// rows are the basis vectors. Both are blocked over the basis so that it is
// streamed once per pass ("blocked reorthogonalisation"): the first step is
// independent dot products (split over goroutines by basis vector), the
// second is split by coordinates of w (each coordinate sums over the basis
// in a fixed order).
func projectOut(basis [][]float64, w, c []float64) {
	n := len(w)
	par.For(len(basis), max(1, 65536/max(n, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c[i] = dot(basis[i], w)
		}
	})
	par.For(n, 4096, func(lo, hi int) {
		ww := w[lo:hi]
		// Four basis vectors per sweep: a quarter of the loads and stores
		// of w, which dominate this loop.
		i := 0
		for ; i+4 <= len(basis); i += 4 {
			c0, c1, c2, c3 := c[i], c[i+1], c[i+2], c[i+3]
			q0, q1, q2, q3 := basis[i][lo:hi], basis[i+1][lo:hi], basis[i+2][lo:hi], basis[i+3][lo:hi]
			q1, q2, q3 = q1[:len(q0)], q2[:len(q0)], q3[:len(q0)]
			for j, b := range q0 {
				ww[j] -= (c0*b + c1*q1[j]) + (c2*q2[j] + c3*q3[j])
			}
		}
		for ; i < len(basis); i++ {
			ci := c[i]
			for j, b := range basis[i][lo:hi] {
				ww[j] -= ci * b
			}
		}
	})
}

// rowsOf returns views of the m rows of the row-major m x n matrix a.
func rowsOf(a []float64, m, n int) [][]float64 {
	r := make([][]float64, m)
	for i := range r {
		r[i] = a[i*n : (i+1)*n]
	}
	return r
}
