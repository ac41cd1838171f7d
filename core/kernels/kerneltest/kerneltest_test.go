package kerneltest_test

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/kernels/kerneltest"
)

// A conformance suite is only as good as the bugs it catches. Each mutant
// below is the generic implementation with one plausible bug; the suite
// must fail on it, in the subtest named. Mutants run in a child process
// (this test binary re-executed) because a failing suite fails its *testing.T
// and that cannot be contained in-process.

// mutant overrides one method of the real implementation.
type mutant struct {
	kernels.Impl
	gemm    func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	axpy    func(n int, alpha float32, x, y []float32)
	dot     func(n int, x, y []float32) float32
	mul     func(n int, x, y, z []float32)
	addBias func(m, n int, bias, c []float32, ldc int)
	sumRows func(m, n int, a []float32, lda int, beta float32, out []float32)
	relu    func(n int, x, y []float32)
	reluBwd func(n int, x, dy, dx []float32)
	softmax func(m, n int, logits []float32, labels []int32, probs, loss []float32)
}

func (f mutant) Gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if f.gemm == nil {
		f.Impl.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	f.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (f mutant) Axpy(n int, alpha float32, x, y []float32) {
	if f.axpy == nil {
		f.Impl.Axpy(n, alpha, x, y)
		return
	}
	f.axpy(n, alpha, x, y)
}

func (f mutant) Dot(n int, x, y []float32) float32 {
	if f.dot == nil {
		return f.Impl.Dot(n, x, y)
	}
	return f.dot(n, x, y)
}

func (f mutant) Mul(n int, x, y, z []float32) {
	if f.mul == nil {
		f.Impl.Mul(n, x, y, z)
		return
	}
	f.mul(n, x, y, z)
}

func (f mutant) AddBias(m, n int, bias, c []float32, ldc int) {
	if f.addBias == nil {
		f.Impl.AddBias(m, n, bias, c, ldc)
		return
	}
	f.addBias(m, n, bias, c, ldc)
}

func (f mutant) SumRows(m, n int, a []float32, lda int, beta float32, out []float32) {
	if f.sumRows == nil {
		f.Impl.SumRows(m, n, a, lda, beta, out)
		return
	}
	f.sumRows(m, n, a, lda, beta, out)
}

func (f mutant) Relu(n int, x, y []float32) {
	if f.relu == nil {
		f.Impl.Relu(n, x, y)
		return
	}
	f.relu(n, x, y)
}

func (f mutant) ReluBackward(n int, x, dy, dx []float32) {
	if f.reluBwd == nil {
		f.Impl.ReluBackward(n, x, dy, dx)
		return
	}
	f.reluBwd(n, x, dy, dx)
}

func (f mutant) SoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs, loss []float32) {
	if f.softmax == nil {
		f.Impl.SoftmaxCrossEntropy(m, n, logits, labels, probs, loss)
		return
	}
	f.softmax(m, n, logits, labels, probs, loss)
}

// mutants maps a name to a broken implementation and the subtest of the
// suite that must catch it.
func mutants() map[string]struct {
	impl    mutant
	subtest string
} {
	g, err := kernels.Lookup("generic")
	if err != nil {
		panic(err)
	}
	type entry = struct {
		impl    mutant
		subtest string
	}
	return map[string]entry{
		// Writes one element into the ld padding of C's first row.
		"gemm writes padding": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			g.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			if m > 1 && ldc > n {
				c[n] = 0
			}
		}}, "Gemm"},
		// Treats beta == 0 as a tiny beta, so it reads C.
		"gemm reads C when beta is 0": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			if beta == 0 {
				beta = math.SmallestNonzeroFloat32
			}
			g.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}}, "Gemm"},
		// Drops the last k-step.
		"gemm drops a term": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			g.Gemm(tA, tB, m, n, max(0, k-1), alpha, a, lda, b, ldb, beta, c, ldc)
		}}, "Gemm"},
		// Assumes tight leading dimensions.
		"gemm ignores ldb": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			if w := map[bool]int{false: n, true: k}[tB]; w > 0 {
				ldb = w
			}
			g.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}}, "Gemm"},
		// Loses precision: relative error 1e-5, far above float32 rounding
		// for small k but invisible to a loose tolerance.
		"gemm imprecise": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			g.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			for i := range m {
				for j := range n {
					c[i*ldc+j] *= 1 + 1e-5
				}
			}
		}}, "Gemm"},
		// Lets a NaN in A through only to its own elements' sum but masks
		// it in the result (a max-based kernel could do this).
		"gemm masks NaN": {mutant{Impl: g, gemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			g.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			for i := range m {
				for j := range n {
					if v := c[i*ldc+j]; v != v {
						c[i*ldc+j] = 0
					}
				}
			}
		}}, "GemmEdgeCases"},
		// Skips the tail of a 4-way unrolled loop.
		"axpy skips tail": {mutant{Impl: g, axpy: func(n int, alpha float32, x, y []float32) {
			g.Axpy(n/4*4, alpha, x, y)
		}}, "Axpy"},
		// Splits the sum by GOMAXPROCS: right, but not deterministic.
		"dot splits by GOMAXPROCS": {mutant{Impl: g, dot: func(n int, x, y []float32) float32 {
			p := runtime.GOMAXPROCS(0)
			var s float32
			for t := range p {
				lo, hi := n*t/p, n*(t+1)/p
				s += g.Dot(hi-lo, x[lo:hi], y[lo:hi])
			}
			return s
		}}, "Determinism"},
		// Copies y into z first: wrong when z aliases x.
		"mul breaks aliasing": {mutant{Impl: g, mul: func(n int, x, y, z []float32) {
			copy(z[:n], y[:n])
			for i := range n {
				z[i] *= x[i]
			}
		}}, "Mul"},
		// Adds the bias across the whole leading dimension.
		"addbias writes padding": {mutant{Impl: g, addBias: func(m, n int, bias, c []float32, ldc int) {
			g.AddBias(m, n, bias, c, ldc)
			if m > 1 && ldc > n {
				c[n] += 1
			}
		}}, "AddBias"},
		// Ignores beta.
		"sumrows ignores beta": {mutant{Impl: g, sumRows: func(m, n int, a []float32, lda int, beta float32, out []float32) {
			g.SumRows(m, n, a, lda, 0, out)
		}}, "SumRows"},
		// Zeroes NaNs.
		"relu swallows NaN": {mutant{Impl: g, relu: func(n int, x, y []float32) {
			for i := range n {
				if x[i] > 0 {
					y[i] = x[i]
				} else {
					y[i] = 0
				}
			}
		}}, "Relu"},
		// Passes the gradient at x == 0.
		"relu backward at zero": {mutant{Impl: g, reluBwd: func(n int, x, dy, dx []float32) {
			for i := range n {
				if x[i] >= 0 {
					dx[i] = dy[i]
				} else {
					dx[i] = 0
				}
			}
		}}, "ReluBackward"},
		// Exponentiates without subtracting the max, in float32.
		"softmax overflows": {mutant{Impl: g, softmax: func(m, n int, logits []float32, labels []int32, probs, loss []float32) {
			for i := range m {
				var sum float32
				for j := range n {
					e := float32(math.Exp(float64(logits[i*n+j])))
					probs[i*n+j] = e
					sum += e
				}
				for j := range n {
					probs[i*n+j] /= sum
				}
				loss[i] = -float32(math.Log(float64(probs[i*n+int(labels[i])])))
			}
		}}, "SoftmaxCrossEntropy"},
		// Trusts its arguments.
		"axpy unchecked": {mutant{Impl: g, axpy: func(n int, alpha float32, x, y []float32) {
			for i := range min(n, len(x), len(y)) {
				y[i] += alpha * x[i]
			}
		}}, "BadArguments"},
	}
}

const mutantEnv = "KERNELTEST_MUTANT"

// TestMutantChild runs the suite against the mutant named in the
// environment; it is a no-op in a normal test run.
func TestMutantChild(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("runs only as the child of TestSuiteCatchesBugs")
	}
	kerneltest.TestImpl(t, mutants()[name].impl)
}

func TestSuiteCatchesBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per mutant")
	}
	for name, m := range mutants() {
		t.Run(name, func(t *testing.T) {
			// -test.failfast stops the child at its first failure, so a
			// caught mutant costs little.
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutantChild$/^"+m.subtest+"$", "-test.failfast")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed an implementation where %s", name)
			}
			if want := "--- FAIL: TestMutantChild/" + m.subtest; !strings.Contains(string(out), want) {
				t.Fatalf("the suite failed, but not in %s:\n%s", m.subtest, out)
			}
		})
	}
}
