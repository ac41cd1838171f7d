package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemmSerial checks that GemmSerial gives Gemm's bits with every
// implementation, on shapes large enough for Gemm to split its work.
func TestGemmSerial(t *testing.T) {
	defer func(name string) { _ = Use(name) }(Active().Name())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(3, 4))
	for _, impl := range All() {
		if err := Use(impl.Name()); err != nil {
			t.Fatal(err)
		}
		for it := 0; it < 12; it++ {
			m, n, k := 1+r.IntN(300), 1+r.IntN(700), 1+r.IntN(600)
			if it%3 == 0 {
				m = 32 * (1 + r.IntN(2))
			}
			ta, tb := r.IntN(2) == 1, r.IntN(2) == 1
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			for i := range b {
				b[i] = float32(r.NormFloat64())
			}
			lda, ldb := k, n
			if ta {
				lda = m
			}
			if tb {
				ldb = k
			}
			c0 := make([]float32, m*n)
			for i := range c0 {
				c0[i] = float32(r.NormFloat64())
			}
			c1 := append([]float32(nil), c0...)
			Gemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 1, c0, n)
			GemmSerial(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 1, c1, n)
			for i := range c0 {
				if math.Float32bits(c0[i]) != math.Float32bits(c1[i]) {
					t.Fatalf("%s %dx%dx%d (%v, %v): GemmSerial differs from Gemm at %d", impl.Name(), m, n, k, ta, tb, i)
				}
			}
		}
	}
}
