//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the float64 reference.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = v
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func testArchGemm(t *testing.T, g *gemmArch) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {8, 32, 16}, {7, 31, 5}, {9, 33, 17}, {16, 64, 256}, {13, 70, 300},
		{33, 97, 513}, {128, 64, 784}, {3, 200, 1}, {200, 3, 2}, {64, 65, 257}, {17, 1, 40}, {1, 17, 40}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1.5, 0.25}} {
				alpha, beta := ab[0], ab[1]
				lda, ldb, ldc := k+3, n+5, n+2
				if tr[0] {
					lda = m + 3
				}
				if tr[1] {
					ldb = k + 5
				}
				ar, ac, br, bc := m, k, k, n
				if tr[0] {
					ar, ac = k, m
				}
				if tr[1] {
					br, bc = n, k
				}
				// Exact lengths: a read past the last element panics.
				a := randSlice(r, (ar-1)*lda+ac)
				b := randSlice(r, (br-1)*ldb+bc)
				c := randSlice(r, m*ldc+16)
				if beta == 0 {
					for i := range c {
						c[i] = float32(math.NaN())
					}
				}
				want := naiveGemm(tr[0], tr[1], m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				got := append([]float32(nil), c...)
				g.gemm(tr[0], tr[1], m, n, k, alpha, a, lda, b, ldb, beta, got[:(m-1)*ldc+n], ldc)
				name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, k, n, tr[0], tr[1], alpha, beta)
				for i := range got {
					inside := i < (m-1)*ldc+n && i%ldc < n
					if !inside {
						if math.Float32bits(got[i]) != math.Float32bits(c[i]) {
							t.Fatalf("%s: wrote outside C at %d", name, i)
						}
						continue
					}
					tol := 1e-5 * float64(k+1) * 4
					if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
						t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i/ldc, i%ldc, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestGemm256(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	testArchGemm(t, gemm256)
}

func TestGemm512(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	testArchGemm(t, gemm512)
}

// TestGemm512PathsAgree checks that the alternative paths of the AVX-512
// GEMM (B read in place, transposed C) give exactly the bits of the packed
// path: the choice between them depends on the shape, and each element
// must be the same FMA chain in the same k order whichever is taken.
func TestGemm512PathsAgree(t *testing.T) {
	if !HasAVX512() {
		t.Skip("no AVX-512")
	}
	testPathsAgree(t, gemm512)
}

// TestGemm256PathsAgree is TestGemm512PathsAgree for AVX2 (B read in place;
// it has no transposed-C kernel).
func TestGemm256PathsAgree(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	testPathsAgree(t, gemm256)
}

// TestGemm256StridedB runs the AVX2 GEMM tests with B read in place
// wherever op(B) = B (edges included: partial panels, rows past C's edge).
func TestGemm256StridedB(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	defer func(sb func(g *gemmArch, m, ldb int) bool) { stridedBPolicy = sb }(stridedBPolicy)
	stridedBPolicy = func(*gemmArch, int, int) bool { return true }
	testArchGemm(t, gemm256)
}

func testPathsAgree(t *testing.T, g *gemmArch) {
	defer func(sb func(g *gemmArch, m, ldb int) bool, tc func(m int) bool) {
		stridedBPolicy, transCPolicy = sb, tc
	}(stridedBPolicy, transCPolicy)
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][3]int{{1, 1, 1}, {24, 300, 100}, {33, 513, 47}, {64, 784, 512}, {200, 100, 3}, {32, 512, 784}, {7, 40, 17}} {
		m, k, n := s[0], s[1], s[2]
		for _, transB := range []bool{false, true} {
			a := randSlice(r, m*k)
			b := randSlice(r, k*n)
			ldb := n
			if transB {
				ldb = k
			}
			c0 := randSlice(r, m*n)
			run := func(alt bool) []float32 {
				stridedBPolicy = func(*gemmArch, int, int) bool { return alt }
				transCPolicy = func(int) bool { return alt }
				c := append([]float32(nil), c0...)
				g.gemm(false, transB, m, n, k, 0.75, a, k, b, ldb, 0.5, c, n)
				return c
			}
			want, got := run(false), run(true)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%dx%dx%d transB=%v: element %d is %v on the alternative path, %v packed",
						m, k, n, transB, i, got[i], want[i])
				}
			}
		}
	}
}
