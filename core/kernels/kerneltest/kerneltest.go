// Package kerneltest is the conformance suite that every implementation of
// kernels.Impl must pass, in the manner of gonum's blas/testblas: one set of
// tests, written once against the Impl contract, run for each
// implementation.
//
// Typical use, from a _test.go file of the package that registers
// implementations:
//
//	func TestConformance(t *testing.T) {
//		for _, impl := range kernels.All() {
//			t.Run(impl.Name(), func(t *testing.T) { kerneltest.TestImpl(t, impl) })
//		}
//	}
//
// What the suite checks, for every kernel:
//
//   - Results against float64 references. Where the exact value is
//     order-independent (Scale, Mul, AddBias, Relu, ReluBackward) results
//     must match bit for bit. Where an implementation may legitimately
//     reorder or fuse operations (Gemm, Dot, SumRows, Axpy,
//     SoftmaxCrossEntropy) the error must stay within a rounding-error
//     bound derived from the sizes and magnitudes involved (see gammaTol),
//     and in addition Gemm, Dot and SumRows are run on small-integer data,
//     for which every order of evaluation is exact, and must then match
//     exactly: that catches a dropped or doubled term that a tolerance could
//     hide.
//   - Memory safety: every output lives between guard bands of sentinel
//     values, leading dimensions are padded with sentinels, and slices are
//     exactly as long as the contract requires; after each call the guards,
//     the padding and all inputs must be bitwise unchanged. The sentinel is
//     a NaN, so an implementation that reads padding into a result is caught
//     too.
//   - The edge cases of the contract: empty dimensions, beta == 0 on a
//     NaN-filled output, alpha == 0, k == 0, the aliasing each method
//     allows, huge logits.
//   - Determinism: Gemm, SumRows and Dot give bitwise identical results at
//     GOMAXPROCS 1, 2 and 5, and across repeated calls.
//   - Convolutions: Im2col (shared plain Go) followed by the Gemm, and
//     Col2im after the transposed Gemm, equal direct loops exactly on
//     small-integer data, with guard bands.
//   - Argument checks: calls that break the contract (short slices, small
//     leading dimensions, negative sizes, labels out of range) panic rather
//     than touch memory they do not own.
//
// The suite takes a few seconds per implementation. It changes GOMAXPROCS
// while it runs, so it must not run in parallel with other tests.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// TestImpl runs the whole conformance suite against impl as subtests of t.
func TestImpl(t *testing.T, impl kernels.Impl) {
	t.Run("Gemm", func(t *testing.T) { testGemm(t, impl) })
	t.Run("GemmEdgeCases", func(t *testing.T) { testGemmEdgeCases(t, impl) })
	t.Run("GemmBias", func(t *testing.T) { testGemmBias(t, impl) })
	t.Run("Axpy", func(t *testing.T) { testAxpy(t, impl) })
	t.Run("Scale", func(t *testing.T) { testScale(t, impl) })
	t.Run("Dot", func(t *testing.T) { testDot(t, impl) })
	t.Run("Mul", func(t *testing.T) { testMul(t, impl) })
	t.Run("AddBias", func(t *testing.T) { testAddBias(t, impl) })
	t.Run("SumRows", func(t *testing.T) { testSumRows(t, impl) })
	t.Run("Relu", func(t *testing.T) { testRelu(t, impl) })
	t.Run("ReluBackward", func(t *testing.T) { testReluBackward(t, impl) })
	t.Run("SoftmaxCrossEntropy", func(t *testing.T) { testSoftmaxCrossEntropy(t, impl) })
	t.Run("Conv", func(t *testing.T) { testConv(t, impl) })
	t.Run("Determinism", func(t *testing.T) { testDeterminism(t, impl) })
	t.Run("BadArguments", func(t *testing.T) { testBadArguments(t, impl) })
}

// u is the unit roundoff of float32.
const u = 0x1p-24

// gammaTol is Higham's gamma_n = n*u/(1-n*u): the bound on the relative
// error of any sum or dot product of n terms, in any order, with or without
// fused multiply-adds (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., section 3.1). The error of such a result is at most
// gammaTol(n) times the sum of the absolute values of its terms.
func gammaTol(n int) float64 {
	nu := float64(n) * u
	return nu / (1 - nu)
}

// sentinel fills guard bands and padding. It is a quiet NaN with a payload
// no arithmetic produces, so it is recognisable bit for bit, and it poisons
// any result it leaks into.
var sentinel = math.Float32frombits(0x7fc5a5a5)

// guard is the number of sentinels on each side of every buffer.
const guard = 16

// buffer is a float32 slice between two guard bands.
type buffer struct {
	mem []float32 // guard | data | guard
}

// newBuffer returns a buffer of n sentinels.
func newBuffer(n int) buffer {
	b := buffer{mem: make([]float32, n+2*guard)}
	for i := range b.mem {
		b.mem[i] = sentinel
	}
	return b
}

// data is the part handed to the implementation; its capacity ends where
// the trailing guard begins.
func (b buffer) data() []float32 {
	n := len(b.mem) - guard
	return b.mem[guard:n:n]
}

// snapshot returns a copy of the whole buffer, guards included.
func (b buffer) snapshot() []float32 { return append([]float32(nil), b.mem...) }

// checkGuards reports whether both guard bands still hold sentinels.
func (b buffer) checkGuards(t *testing.T, what string) bool {
	t.Helper()
	n := len(b.mem) - guard
	for i, v := range b.mem {
		if (i < guard || i >= n) && !sameBits(v, sentinel) {
			t.Errorf("%s: guard element %d (offset %d from the data) = %v, was overwritten",
				what, i, i-guard, v)
			return false
		}
	}
	return true
}

// matrix is a rows x cols matrix stored row-major with leading dimension ld
// in a guarded buffer. The slice handed out is exactly (rows-1)*ld + cols
// long, the minimum the contract allows, and the ld padding holds
// sentinels.
type matrix struct {
	buffer
	rows, cols, ld int
}

func newMatrix(rows, cols, ld int) matrix {
	n := 0
	if rows > 0 && cols > 0 {
		n = (rows-1)*ld + cols
	}
	return matrix{buffer: newBuffer(n), rows: rows, cols: cols, ld: ld}
}

func (m matrix) set(i, j int, v float32) { m.data()[i*m.ld+j] = v }
func (m matrix) at(i, j int) float32     { return m.data()[i*m.ld+j] }

// checkOutside reports whether the guards and every element outside the
// rows x cols window (the ld padding) still hold sentinels.
func (m matrix) checkOutside(t *testing.T, what string) bool {
	t.Helper()
	if !m.checkGuards(t, what) {
		return false
	}
	d := m.data()
	for idx, v := range d {
		if idx%m.ld >= m.cols && !sameBits(v, sentinel) {
			t.Errorf("%s: padding element (%d, %d) = %v, was overwritten", what, idx/m.ld, idx%m.ld, v)
			return false
		}
	}
	return true
}

// checkUnchanged reports whether b is bitwise equal to an earlier snapshot.
func checkUnchanged(t *testing.T, what string, before, after []float32) bool {
	t.Helper()
	for i := range before {
		if !sameBits(before[i], after[i]) {
			t.Errorf("%s: input element %d changed from %v to %v", what, i-guard, before[i], after[i])
			return false
		}
	}
	return true
}

func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// newRand returns a generator seeded from the test case, so every run and
// every implementation sees the same data.
func newRand(parts ...int) *rand.Rand {
	seed := uint64(0x5eed)
	for _, p := range parts {
		seed = seed*1_000_003 + uint64(p)
	}
	return rand.New(rand.NewPCG(seed, 0x6b65726e656c73)) // "kernels"
}

// dataKind selects the values a test fills its inputs with.
type dataKind int

const (
	// normal data: N(0,1) values; results are checked against rounding
	// error bounds.
	normal dataKind = iota
	// integers in [-4, 4]: every product and partial sum the kernels form
	// is an exactly representable float32, so every order of evaluation
	// gives the exact result and results are compared exactly.
	integers
)

func (k dataKind) String() string {
	if k == integers {
		return "integers"
	}
	return "normal"
}

func (k dataKind) value(r *rand.Rand) float32 {
	if k == integers {
		return float32(r.IntN(9) - 4)
	}
	return float32(r.NormFloat64())
}

// mustPanic reports an error unless f panics.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() { _ = recover() }()
	f()
	t.Errorf("%s: did not panic", what)
}

// lengths are the vector lengths the elementwise kernels are tested at:
// everything up to past the widest unrolling a SIMD implementation is
// likely to use (4 x 16 lanes), then a few large ones with ragged tails.
func lengths() []int {
	var ns []int
	for n := range 68 {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 257, 1000, 4099, 65537)
}

func describe(format string, args ...any) string { return fmt.Sprintf(format, args...) }
