package kerneltest

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// vector returns a guarded buffer holding n values of the given kind.
func vector(kind dataKind, n int, seed ...int) buffer {
	r := newRand(seed...)
	b := newBuffer(n)
	d := b.data()
	for i := range d {
		d[i] = kind.value(r)
	}
	return b
}

func testAxpy(t *testing.T, impl kernels.Impl) {
	for _, n := range lengths() {
		for _, alpha := range []float32{0, 1, -0.5, 2.75} {
			x, y := vector(normal, n, 1, n), vector(normal, n, 2, n)
			xBefore, y0 := x.snapshot(), y.snapshot()
			impl.Axpy(n, alpha, x.data(), y.data())
			what := describe("Axpy(n=%d, alpha=%v)", n, alpha)
			if !checkUnchanged(t, what+": x", xBefore, x.mem) || !y.checkGuards(t, what+": y") {
				return
			}
			// One product and one sum: separately rounded or fused, the
			// error is at most 2u(|alpha*x| + |y|).
			for i, got := range y.data() {
				ax, yv := float64(alpha)*float64(x.data()[i]), float64(y0[guard+i])
				want, bound := ax+yv, 2*u*(math.Abs(ax)+math.Abs(yv))
				if !(math.Abs(float64(got)-want) <= bound) {
					t.Errorf("%s: y[%d] = %v, want %v within %.3g", what, i, got, want, bound)
					return
				}
			}
		}
	}
}

func testScale(t *testing.T, impl kernels.Impl) {
	for _, n := range lengths() {
		for _, alpha := range []float32{0, 1, -0.5, 2.75} {
			x := vector(normal, n, 3, n)
			x0 := x.snapshot()
			impl.Scale(n, alpha, x.data())
			what := describe("Scale(n=%d, alpha=%v)", n, alpha)
			if !x.checkGuards(t, what) {
				return
			}
			for i, got := range x.data() {
				// One correctly rounded product: exact match.
				if want := x0[guard+i] * alpha; !sameBits(got, want) {
					t.Errorf("%s: x[%d] = %v, want %v", what, i, got, want)
					return
				}
			}
		}
	}
}

func testDot(t *testing.T, impl kernels.Impl) {
	for _, kind := range []dataKind{normal, integers} {
		for _, n := range lengths() {
			x, y := vector(kind, n, 4, n), vector(kind, n, 5, n)
			xs, ys := x.snapshot(), y.snapshot()
			got := impl.Dot(n, x.data(), y.data())
			what := describe("Dot(n=%d, %v data)", n, kind)
			if !checkUnchanged(t, what+": x", xs, x.mem) || !checkUnchanged(t, what+": y", ys, y.mem) {
				return
			}
			var want, abs float64
			for i := range n {
				p := float64(x.data()[i]) * float64(y.data()[i])
				want += p
				abs += math.Abs(p)
			}
			bound := gammaTol(n) * abs
			if kind == integers {
				bound = 0
			}
			if !(math.Abs(float64(got)-want) <= bound) {
				t.Errorf("%s = %v, want %v within %.3g", what, got, want, bound)
			}
		}
	}
	// x and y may be the same slice.
	x := vector(integers, 100, 6)
	var want float32
	for _, v := range x.data() {
		want += v * v
	}
	if got := impl.Dot(100, x.data(), x.data()); got != want {
		t.Errorf("Dot(x, x) = %v, want %v", got, want)
	}
}

func testMul(t *testing.T, impl kernels.Impl) {
	for _, n := range lengths() {
		x, y := vector(normal, n, 7, n), vector(normal, n, 8, n)
		z := newBuffer(n)
		xs, ys := x.snapshot(), y.snapshot()
		impl.Mul(n, x.data(), y.data(), z.data())
		what := describe("Mul(n=%d)", n)
		if !checkUnchanged(t, what+": x", xs, x.mem) || !checkUnchanged(t, what+": y", ys, y.mem) ||
			!z.checkGuards(t, what+": z") {
			return
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = x.data()[i] * y.data()[i]
		}
		if !equalBits(t, what, z.data(), want) {
			return
		}
		// z may alias x, y, or both; the result must not change.
		for _, alias := range []string{"z=x", "z=y", "x=y=z"} {
			xa, ya := vector(normal, n, 7, n), vector(normal, n, 8, n)
			var dst []float32
			switch alias {
			case "z=x":
				dst = xa.data()
				impl.Mul(n, xa.data(), ya.data(), dst)
			case "z=y":
				dst = ya.data()
				impl.Mul(n, xa.data(), ya.data(), dst)
			default:
				dst = xa.data()
				impl.Mul(n, dst, dst, dst)
				want = make([]float32, n)
				for i := range want {
					v := x.data()[i]
					want[i] = v * v
				}
			}
			if !xa.checkGuards(t, what+" "+alias) || !ya.checkGuards(t, what+" "+alias) ||
				!equalBits(t, what+" "+alias, dst, want) {
				return
			}
		}
	}
}

func testAddBias(t *testing.T, impl kernels.Impl) {
	for _, s := range [][2]int{{0, 0}, {0, 3}, {3, 0}, {1, 1}, {1, 67}, {5, 17}, {64, 10}, {33, 257}} {
		m, n := s[0], s[1]
		for _, pad := range []int{0, 5} {
			ld := max(1, n) + pad
			bias := vector(normal, n, 9, n)
			c := newMatrix(m, n, ld)
			r := newRand(10, m, n)
			want := make([]float32, m*n)
			for i := range m {
				for j := range n {
					v := float32(r.NormFloat64())
					c.set(i, j, v)
					want[i*n+j] = v + bias.data()[j]
				}
			}
			bs := bias.snapshot()
			impl.AddBias(m, n, bias.data(), c.data(), ld)
			what := describe("AddBias(m=%d, n=%d, ldc=%d)", m, n, ld)
			if !checkUnchanged(t, what+": bias", bs, bias.mem) || !c.checkOutside(t, what+": C") {
				return
			}
			for i := range m {
				for j := range n {
					if got := c.at(i, j); !sameBits(got, want[i*n+j]) {
						t.Errorf("%s: C[%d,%d] = %v, want %v", what, i, j, got, want[i*n+j])
						return
					}
				}
			}
		}
	}
}

func testSumRows(t *testing.T, impl kernels.Impl) {
	shapes := [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 67}, {67, 1}, {7, 13}, {128, 10}, {64, 512}, {300, 257}, {5, 4099}}
	for _, s := range shapes {
		m, n := s[0], s[1]
		for _, kind := range []dataKind{normal, integers} {
			for bi, beta := range betas {
				pad := 0
				if bi%2 == 1 {
					pad = 4
				}
				ld := max(1, n) + pad
				a := newMatrix(m, n, ld)
				r := newRand(11, m, n, int(kind))
				for i := range m {
					for j := range n {
						a.set(i, j, kind.value(r))
					}
				}
				out := vector(kind, n, 12, n)
				out0 := append([]float32(nil), out.data()...)
				if beta == 0 {
					for i := range out.data() {
						out.data()[i] = float32(math.NaN()) // must not be read
					}
				}
				as := a.snapshot()
				impl.SumRows(m, n, a.data(), ld, beta, out.data())
				what := describe("SumRows(m=%d, n=%d, lda=%d, beta=%v, %v data)", m, n, ld, beta, kind)
				if !checkUnchanged(t, what+": A", as, a.mem) || !out.checkGuards(t, what+": out") {
					return
				}
				tol := gammaTol(m + 2) // m-1 additions, the beta product and the merge
				for j := range n {
					var want, abs float64
					for i := range m {
						v := float64(a.at(i, j))
						want += v
						abs += math.Abs(v)
					}
					if beta != 0 {
						bv := float64(beta) * float64(out0[j])
						want += bv
						abs += math.Abs(bv)
					}
					bound := tol * abs
					if kind == integers {
						bound = 0
					}
					if got := float64(out.data()[j]); !(math.Abs(got-want) <= bound) {
						t.Errorf("%s: out[%d] = %v, want %v within %.3g", what, j, got, want, bound)
						return
					}
				}
			}
		}
	}
}

// reluInputs returns n values of both signs, with the special values at
// the front (where short lengths still see them): +-0, +-Inf and NaN.
func reluInputs(n int, seed int) buffer {
	x := vector(normal, n, seed, n)
	specials := []float32{float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	copy(x.data(), specials)
	return x
}

func testRelu(t *testing.T, impl kernels.Impl) {
	for _, n := range lengths() {
		x := reluInputs(n, 13)
		y := newBuffer(n)
		xs := x.snapshot()
		impl.Relu(n, x.data(), y.data())
		what := describe("Relu(n=%d)", n)
		if !checkUnchanged(t, what+": x", xs, x.mem) || !y.checkGuards(t, what+": y") ||
			!checkRelu(t, what, x.data(), y.data()) {
			return
		}
		impl.Relu(n, x.data(), x.data()) // y may alias x
		if !x.checkGuards(t, what+" in place") || !checkRelu(t, what+" in place", xs[guard:guard+n], x.data()) {
			return
		}
	}
}

// checkRelu checks y = max(x, 0) with NaN propagated. The sign of a zero
// result is not part of the contract.
func checkRelu(t *testing.T, what string, x, y []float32) bool {
	t.Helper()
	for i, v := range x {
		got := y[i]
		switch {
		case v != v:
			if got == got {
				t.Errorf("%s: y[%d] = %v for NaN input, want NaN", what, i, got)
				return false
			}
		case v > 0:
			if !sameBits(got, v) {
				t.Errorf("%s: y[%d] = %v, want %v", what, i, got, v)
				return false
			}
		default:
			if got != 0 {
				t.Errorf("%s: y[%d] = %v for input %v, want 0", what, i, got, v)
				return false
			}
		}
	}
	return true
}

func testReluBackward(t *testing.T, impl kernels.Impl) {
	for _, n := range lengths() {
		x := reluInputs(n, 14)
		dy := vector(normal, n, 15, n)
		dx := newBuffer(n)
		xs, dys := x.snapshot(), dy.snapshot()
		want := make([]float32, n)
		for i, v := range x.data() {
			if v > 0 { // false for NaN and both zeros
				want[i] = dy.data()[i]
			}
		}
		impl.ReluBackward(n, x.data(), dy.data(), dx.data())
		what := describe("ReluBackward(n=%d)", n)
		if !checkUnchanged(t, what+": x", xs, x.mem) || !checkUnchanged(t, what+": dy", dys, dy.mem) ||
			!dx.checkGuards(t, what+": dx") || !equalValues(t, what, dx.data(), want) {
			return
		}
		impl.ReluBackward(n, x.data(), dy.data(), dy.data()) // dx may alias dy
		if !dy.checkGuards(t, what+" in place") || !equalValues(t, what+" in place", dy.data(), want) {
			return
		}
	}
}

// equalBits reports whether got and want are bitwise equal.
func equalBits(t *testing.T, what string, got, want []float32) bool {
	t.Helper()
	for i := range want {
		if !sameBits(got[i], want[i]) {
			t.Errorf("%s: element %d = %v, want %v", what, i, got[i], want[i])
			return false
		}
	}
	return true
}

// equalValues reports whether got and want are equal as numbers (so +0 and
// -0 match).
func equalValues(t *testing.T, what string, got, want []float32) bool {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: element %d = %v, want %v", what, i, got[i], want[i])
			return false
		}
	}
	return true
}
