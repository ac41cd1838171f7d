//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// simdImpls returns the SIMD implementations this CPU can run.
func simdImpls(t testing.TB) []Impl {
	var out []Impl
	for _, impl := range All() {
		if _, ok := impl.(*simd); ok {
			out = append(out, impl)
		}
	}
	if len(out) == 0 {
		t.Skip("no SIMD implementation runs on this CPU")
	}
	return out
}

// elemLengths covers every tail length of the 16-wide (and 8-wide) loops,
// the unrolled-loop boundaries, Dot's chunks and the parallel split.
func elemLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 1000, dotChunk-1, dotChunk+3, 100003, 669706, simdParallelMin+simdChunk/2+5)
}

const guard = 8 // floats of guard band after every output

// withGuard returns a copy of s with guard NaN-free sentinels appended.
func withGuard(s []float32) []float32 {
	out := append([]float32(nil), s...)
	for i := 0; i < guard; i++ {
		out = append(out, 12345)
	}
	return out
}

func checkGuard(t *testing.T, name string, s []float32, n int) {
	t.Helper()
	for i := n; i < len(s); i++ {
		if s[i] != 12345 {
			t.Fatalf("%s: wrote past n=%d at %d", name, n, i)
		}
	}
}

func closeTo(got, want float64, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func TestSIMDElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, impl := range simdImpls(t) {
		for _, n := range elemLengths() {
			name := fmt.Sprintf("%s/n=%d", impl.Name(), n)
			x, y := randSlice(r, n), randSlice(r, n)

			// Axpy: fused, so within one rounding of the float64 value.
			yy := withGuard(y)
			impl.Axpy(n, 0.75, x, yy)
			checkGuard(t, name+"/Axpy", yy, n)
			for i := 0; i < n; i++ {
				if want := 0.75*float64(x[i]) + float64(y[i]); !closeTo(float64(yy[i]), want, 1e-6) {
					t.Fatalf("%s/Axpy: y[%d] = %v, want %v", name, i, yy[i], want)
				}
			}

			xs := withGuard(x)
			impl.Scale(n, -1.5, xs)
			checkGuard(t, name+"/Scale", xs, n)
			for i := 0; i < n; i++ {
				if xs[i] != -1.5*x[i] {
					t.Fatalf("%s/Scale: x[%d] = %v, want %v", name, i, xs[i], -1.5*x[i])
				}
			}

			z := withGuard(make([]float32, n))
			impl.Mul(n, x, y, z)
			checkGuard(t, name+"/Mul", z, n)
			for i := 0; i < n; i++ {
				if z[i] != x[i]*y[i] {
					t.Fatalf("%s/Mul: z[%d] = %v, want %v", name, i, z[i], x[i]*y[i])
				}
			}
			// Mul with z aliasing x.
			xa := append([]float32(nil), x...)
			impl.Mul(n, xa, y, xa)
			for i := 0; i < n; i++ {
				if xa[i] != x[i]*y[i] {
					t.Fatalf("%s/Mul aliased: z[%d] = %v, want %v", name, i, xa[i], x[i]*y[i])
				}
			}

			var want float64
			for i := 0; i < n; i++ {
				want += float64(x[i]) * float64(y[i])
			}
			if got := impl.Dot(n, x, y); !closeTo(float64(got), want, 1e-6*math.Sqrt(float64(n+1))*4) {
				t.Fatalf("%s/Dot = %v, want %v", name, got, want)
			}

			// Relu with the special values in the input.
			xr := append([]float32(nil), x...)
			if n >= 4 {
				xr[0], xr[1], xr[2], xr[3] = float32(math.NaN()), float32(math.Copysign(0, -1)), float32(math.Inf(-1)), float32(math.Inf(1))
			}
			yr := withGuard(make([]float32, n))
			impl.Relu(n, xr, yr)
			checkGuard(t, name+"/Relu", yr, n)
			for i := 0; i < n; i++ {
				w := max(xr[i], 0)
				if math.Float32bits(yr[i]) != math.Float32bits(w) && !(math.IsNaN(float64(w)) && math.IsNaN(float64(yr[i]))) {
					t.Fatalf("%s/Relu(%v) = %v, want %v", name, xr[i], yr[i], w)
				}
			}
			// ReluBackward, dx aliasing dy.
			dx := withGuard(y)
			impl.ReluBackward(n, xr, dx, dx)
			checkGuard(t, name+"/ReluBackward", dx, n)
			for i := 0; i < n; i++ {
				w := float32(0)
				if xr[i] > 0 {
					w = y[i]
				}
				if math.Float32bits(dx[i]) != math.Float32bits(w) {
					t.Fatalf("%s/ReluBackward(x=%v, dy=%v) = %v, want %v", name, xr[i], y[i], dx[i], w)
				}
			}
		}
	}
}

func TestSIMDBiasAndSumRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, impl := range simdImpls(t) {
		for _, mn := range [][2]int{{0, 1}, {0, 300}, {1, 7}, {3, 10}, {17, 16}, {17, 31}, {128, 129},
			{128, 300}, {128, 512}, {1, 1}, {3, 7}, {2052, 2100}} { // the last is split between goroutines
			m, n := mn[0], mn[1]
			{
				name := fmt.Sprintf("%s/%dx%d", impl.Name(), m, n)
				ld := n + 3
				a := randSlice(r, max(0, (m-1)*ld+n)+guard)
				bias := randSlice(r, n)

				cm := append([]float32(nil), a...)
				impl.AddBias(m, n, bias, cm, ld)
				for i := range cm {
					want := a[i]
					if i < m*ld && i%ld < n {
						want = a[i] + bias[i%ld]
					}
					if cm[i] != want {
						t.Fatalf("%s/AddBias: c[%d] = %v, want %v", name, i, cm[i], want)
					}
				}

				for _, beta := range []float32{0, 1, 0.5} {
					out := withGuard(randSlice(r, n))
					orig := append([]float32(nil), out...)
					if beta == 0 {
						for j := 0; j < n; j++ {
							out[j] = float32(math.NaN())
						}
					}
					impl.SumRows(m, n, a, ld, beta, out)
					checkGuard(t, name+"/SumRows", out, n)
					for j := 0; j < n; j++ {
						var s float32 // rows in order, in float32, as documented
						for i := 0; i < m; i++ {
							s += a[i*ld+j]
						}
						want := float64(s)
						if beta != 0 {
							want += float64(beta) * float64(orig[j])
						}
						if !closeTo(float64(out[j]), want, 1e-6) {
							t.Fatalf("%s/SumRows beta=%v: out[%d] = %v, want %v", name, beta, j, out[j], want)
						}
					}
				}
			}
		}
	}
}

// TestSIMDDeterminism checks bitwise identical results for GOMAXPROCS 1, 2
// and 3 on sizes that are split between goroutines.
func TestSIMDDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, impl := range simdImpls(t) {
		const m, n, k = 200, 300, 700
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		x, y := randSlice(r, simdParallelMin+12345), randSlice(r, simdParallelMin+12345)
		var ref []float32
		var refDot float32
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			c := make([]float32, m*n)
			impl.Gemm(false, true, m, n, k, 1, a, k, b[:n*k], k, 0, c, n)
			impl.Gemm(true, false, m, n, k, 0.5, a, m, b, n, 1, c, n)
			d := impl.Dot(len(x), x, y)
			if procs == 1 {
				ref, refDot = c, d
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%s: Gemm differs between GOMAXPROCS 1 and %d at %d", impl.Name(), procs, i)
				}
			}
			if math.Float32bits(d) != math.Float32bits(refDot) {
				t.Fatalf("%s: Dot differs between GOMAXPROCS 1 and %d", impl.Name(), procs)
			}
		}
	}
}

// TestSIMDAllocs checks that kernels below the parallel thresholds
// allocate nothing: they run in the inner loops of training and curvature
// estimation.
func TestSIMDAllocs(t *testing.T) {
	x, y := make([]float32, 1000), make([]float32, 1000)
	a, b, c := make([]float32, 64*64), make([]float32, 64*64), make([]float32, 64*64)
	for _, impl := range simdImpls(t) {
		for name, f := range map[string]func(){
			"Axpy":         func() { impl.Axpy(1000, 1, x, y) },
			"Scale":        func() { impl.Scale(1000, 1, y) },
			"Mul":          func() { impl.Mul(1000, x, y, y) },
			"Dot":          func() { dotSink = impl.Dot(1000, x, y) },
			"Relu":         func() { impl.Relu(1000, x, y) },
			"ReluBackward": func() { impl.ReluBackward(1000, x, y, y) },
			"AddBias":      func() { impl.AddBias(10, 100, x, y, 100) },
			"SumRows":      func() { impl.SumRows(10, 100, x, 100, 0, y) },
			"GemmNN":       func() { impl.Gemm(false, false, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64) },
			"GemmNT":       func() { impl.Gemm(false, true, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64) },
			"GemmTN":       func() { impl.Gemm(true, false, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64) },
		} {
			if n := testing.AllocsPerRun(50, f); n != 0 {
				t.Errorf("%s/%s: %v allocations per call, want 0", impl.Name(), name, n)
			}
		}
	}
}

var dotSink float32
