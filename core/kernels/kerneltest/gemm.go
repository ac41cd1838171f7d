package kerneltest

import (
	"math"
	"sync"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// gemmShape is one C = alpha*op(A)*op(B) + beta*C problem: op(A) is m x k,
// op(B) is k x n.
type gemmShape struct{ m, n, k int }

// gemmShapes lists the sizes Gemm is tested at. Implementations block m, n
// and k for registers and caches in different ways, so the list covers the
// degenerate sizes, primes, sizes just around powers of two (where tile
// counts change), a k long enough to be split into many k-blocks, and the
// shapes the MLPs of this project run.
var gemmShapes = []gemmShape{
	// Degenerate and tiny.
	{0, 0, 0}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}, {0, 3, 0},
	{1, 1, 1}, {1, 1, 7}, {7, 1, 1}, {1, 7, 1}, {2, 3, 4}, {3, 2, 5},
	{4, 4, 4}, {5, 7, 3}, {16, 16, 16}, {17, 17, 17}, {8, 32, 16}, {9, 33, 17},
	// Primes.
	{7, 13, 29}, {13, 7, 29}, {29, 13, 7}, {31, 37, 11},
	// Around likely register- and cache-block sizes.
	{63, 64, 65}, {64, 65, 63}, {65, 63, 64},
	{127, 128, 129}, {129, 127, 128}, {128, 129, 127},
	{255, 33, 257}, {33, 257, 255}, {257, 255, 33},
	// Skinny, and a long k split into many k-blocks.
	{1025, 3, 5}, {3, 1025, 5}, {2, 2, 4099}, {37, 41, 1200},
	// Large-ish, and the MLP shapes: the 784-512 layer at batch 128 and the
	// 512-10 output layer at batch 64.
	{300, 257, 513}, {128, 512, 784}, {64, 10, 512},
}

// gemmLarge is the m*n*k above which only a subset of the alpha and beta
// combinations is run, to keep the suite fast.
const gemmLarge = 1 << 22

var (
	alphas = []float32{1, -0.5, 0}
	betas  = []float32{0, 1, 0.75}
)

// gemmScales returns the (alpha, beta) pairs tested for a shape.
func gemmScales(s gemmShape) [][2]float32 {
	if s.m*s.n*s.k > gemmLarge {
		return [][2]float32{{1, 0}, {-0.5, 0.75}, {1, 1}}
	}
	var ab [][2]float32
	for _, a := range alphas {
		for _, b := range betas {
			ab = append(ab, [2]float32{a, b})
		}
	}
	return ab
}

// gemmProblem is the data of one shape and data kind, in logical
// (untransposed) form, with its float64 reference product.
type gemmProblem struct {
	a, b, c0 []float32 // op(A) m x k, op(B) k x n, initial C m x n; row-major, tight
	p        []float64 // op(A)*op(B), exact for integer data
	abs      []float64 // |op(A)|*|op(B)|, for the error bound
}

type gemmKey struct {
	s    gemmShape
	kind dataKind
}

// The references do not depend on the implementation; computing them once
// per process keeps the suite's cost for a second and third implementation
// down to the kernels themselves.
var gemmCache sync.Map // gemmKey -> *gemmProblem

func problem(s gemmShape, kind dataKind) *gemmProblem {
	key := gemmKey{s, kind}
	if p, ok := gemmCache.Load(key); ok {
		return p.(*gemmProblem)
	}
	r := newRand(s.m, s.n, s.k, int(kind))
	p := &gemmProblem{
		a:   make([]float32, s.m*s.k),
		b:   make([]float32, s.k*s.n),
		c0:  make([]float32, s.m*s.n),
		p:   make([]float64, s.m*s.n),
		abs: make([]float64, s.m*s.n),
	}
	for i := range p.a {
		p.a[i] = kind.value(r)
	}
	for i := range p.b {
		p.b[i] = kind.value(r)
	}
	for i := range p.c0 {
		p.c0[i] = kind.value(r)
	}
	for i := range s.m {
		prow, arow := p.p[i*s.n:][:s.n], p.abs[i*s.n:][:s.n]
		for l := range s.k {
			av := float64(p.a[i*s.k+l])
			for j, bv := range p.b[l*s.n:][:s.n] {
				prow[j] += av * float64(bv)
				arow[j] += math.Abs(av * float64(bv))
			}
		}
	}
	gemmCache.Store(key, p)
	return p
}

// layout stores a logical rows x cols matrix the way Gemm reads it: as is,
// or transposed (stored cols x rows), with leading dimension padded by pad.
func layout(logical []float32, rows, cols int, trans bool, pad int) matrix {
	sr, sc := rows, cols
	if trans {
		sr, sc = cols, rows
	}
	m := newMatrix(sr, sc, max(1, sc)+pad)
	for i := range rows {
		for j := range cols {
			if trans {
				m.set(j, i, logical[i*cols+j])
			} else {
				m.set(i, j, logical[i*cols+j])
			}
		}
	}
	return m
}

func testGemm(t *testing.T, impl kernels.Impl) {
	for _, s := range gemmShapes {
		for _, kind := range []dataKind{normal, integers} {
			t.Run(describe("%dx%dx%d/%v", s.m, s.n, s.k, kind), func(t *testing.T) {
				p := problem(s, kind)
				combo := 0
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						for _, ab := range gemmScales(s) {
							// Alternate tight and padded leading dimensions
							// so both meet every shape and transpose.
							pad := 0
							if combo%2 == 1 {
								pad = 3 + combo%5
							}
							combo++
							if !gemmCase(t, impl, s, kind, p, tA, tB, ab[0], ab[1], pad) {
								return // one failure per shape is enough to debug
							}
						}
					}
				}
			})
		}
	}
}

// gemmCase runs one call and checks it; it reports whether all was well.
func gemmCase(t *testing.T, impl kernels.Impl, s gemmShape, kind dataKind, p *gemmProblem,
	tA, tB bool, alpha, beta float32, pad int) bool {
	t.Helper()
	what := describe("Gemm(transA=%v, transB=%v, m=%d, n=%d, k=%d, alpha=%v, beta=%v, ld pad %d, %v data)",
		tA, tB, s.m, s.n, s.k, alpha, beta, pad, kind)
	a := layout(p.a, s.m, s.k, tA, pad)
	b := layout(p.b, s.k, s.n, tB, pad)
	c := newMatrix(s.m, s.n, max(1, s.n)+pad)
	for i := range s.m {
		for j := range s.n {
			v := p.c0[i*s.n+j]
			if beta == 0 {
				v = float32(math.NaN()) // must not be read
			}
			c.set(i, j, v)
		}
	}
	aBefore, bBefore := a.snapshot(), b.snapshot()

	impl.Gemm(tA, tB, s.m, s.n, s.k, alpha, a.data(), a.ld, b.data(), b.ld, beta, c.data(), c.ld)

	ok := checkUnchanged(t, what+": A", aBefore, a.mem) &&
		checkUnchanged(t, what+": B", bBefore, b.mem) &&
		c.checkOutside(t, what+": C")
	if !ok {
		return false
	}
	// Each element is a k-term dot product, scaled by alpha and added to
	// beta*c: at most k products, k-1 additions within a block, one
	// addition and one alpha multiplication per k-block, and the beta
	// product and final addition. 2k+4 roundings bound that for any
	// blocking (blocks of at least one step), with or without FMA.
	tol := gammaTol(2*s.k + 4)
	for i := range s.m {
		for j := range s.n {
			idx := i*s.n + j
			want := float64(alpha) * p.p[idx]
			bound := math.Abs(float64(alpha)) * p.abs[idx]
			if beta != 0 {
				want += float64(beta) * float64(p.c0[idx])
				bound += math.Abs(float64(beta) * float64(p.c0[idx]))
			}
			got := float64(c.at(i, j))
			if kind == integers {
				bound = 0 // every order of evaluation is exact
			}
			if !(math.Abs(got-want) <= tol*bound) {
				t.Errorf("%s: C[%d,%d] = %v, want %v (error %.3g, bound %.3g)",
					what, i, j, got, want, math.Abs(got-want), tol*bound)
				return false
			}
		}
	}
	return true
}

// testGemmEdgeCases covers parts of the contract the data-driven cases
// cannot: what alpha == 0 and k == 0 do to C, and NaN propagation from the
// inputs.
func testGemmEdgeCases(t *testing.T, impl kernels.Impl) {
	const m, n, k = 5, 7, 3
	fill := func(s []float32, v float32) []float32 {
		for i := range s {
			s[i] = v
		}
		return s
	}
	for _, kk := range []int{0, k} {
		// alpha == 0 or k == 0: C = beta*C exactly (alpha*0 adds only a
		// signed zero), and beta == 0 gives exact zeros over NaNs.
		for _, beta := range betas {
			a := fill(make([]float32, m*max(kk, 1)), 2)
			b := fill(make([]float32, max(kk, 1)*n), 3)
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(i) - 11
				if beta == 0 {
					c[i] = float32(math.NaN())
				}
			}
			alpha := float32(0)
			if kk == 0 {
				alpha = 1.5
			}
			impl.Gemm(false, false, m, n, kk, alpha, a, max(kk, 1), b, n, beta, c, n)
			for i, v := range c {
				want := beta * (float32(i) - 11)
				if v != want {
					t.Errorf("Gemm(k=%d, alpha=%v, beta=%v): C[%d] = %v, want %v", kk, alpha, beta, i, v, want)
					break
				}
			}
		}
	}

	// A NaN in A poisons exactly its row of C, a NaN in B exactly its
	// column: an implementation must not mask, skip or spread them.
	a := fill(make([]float32, m*k), 1)
	b := fill(make([]float32, k*n), 1)
	a[2*k+1] = float32(math.NaN()) // row 2
	b[1*n+4] = float32(math.NaN()) // column 4
	c := make([]float32, m*n)
	impl.Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	for i := range m {
		for j := range n {
			if nan := math.IsNaN(float64(c[i*n+j])); nan != (i == 2 || j == 4) {
				t.Errorf("Gemm with NaN at A[2,1] and B[1,4]: C[%d,%d] = %v", i, j, c[i*n+j])
			}
		}
	}
}
