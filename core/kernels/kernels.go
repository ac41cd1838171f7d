package kernels

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Impl is one implementation of every float32 kernel the training core needs.
//
// All matrices are row-major. A matrix with leading dimension ld stores
// element (i, j) at index i*ld + j. Implementations must:
//   - write nothing outside the m x n window of C (or the n elements of a vector);
//   - give bitwise identical results for any GOMAXPROCS (split work by output
//     tiles, never by racing reductions; reduction order may not depend on the
//     number of goroutines);
//   - accept aliasing where a method says so, and no other.
type Impl interface {
	// Name is the ISA label used by SGDCLAIMS_ISA and in every report:
	// "generic", "avx2", "avx512", "cuda".
	Name() string

	// Gemm computes C = alpha*op(A)*op(B) + beta*C where op(A) is m x k and
	// op(B) is k x n. With transA, A is stored k x m (lda >= m), else m x k
	// (lda >= k); with transB, B is stored n x k (ldb >= k), else k x n
	// (ldb >= n). When beta == 0, C is not read (NaNs in C do not propagate).
	// k == 0 scales C by beta.
	Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)

	// Axpy computes y[i] += alpha*x[i] for i < n.
	Axpy(n int, alpha float32, x, y []float32)
	// Scale computes x[i] *= alpha for i < n.
	Scale(n int, alpha float32, x []float32)
	// Dot returns sum_i x[i]*y[i] for i < n, in an order fixed by n alone.
	Dot(n int, x, y []float32) float32
	// Mul computes z[i] = x[i]*y[i] for i < n; z may alias x or y.
	Mul(n int, x, y, z []float32)

	// AddBias adds bias[j] to every row of the m x n matrix C: C[i,j] += bias[j].
	AddBias(m, n int, bias []float32, c []float32, ldc int)
	// SumRows accumulates the column sums of the m x n matrix A into out:
	// out[j] = beta*out[j] + sum_i A[i,j] (the bias gradient). beta == 0 does
	// not read out.
	SumRows(m, n int, a []float32, lda int, beta float32, out []float32)

	// Relu computes y[i] = max(x[i], 0); y may alias x. NaN propagates (a
	// NaN activation must reach the loss, where divergence is detected).
	Relu(n int, x, y []float32)
	// ReluBackward computes dx[i] = dy[i] if x[i] > 0, else 0; dx may alias dy.
	// x is the ReLU input (pre-activation). The same mask applies to the
	// R-operator's tangent pass.
	ReluBackward(n int, x, dy, dx []float32)

	// SoftmaxCrossEntropy reads the m x n matrix of logits (row stride n) and
	// labels[i] in [0, n). It writes probs (m x n, row softmax, may alias
	// logits) and loss[i] = -log softmax(logits[i])[labels[i]], computed
	// stably (max-subtracted, log-sum-exp), for i < m.
	SoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs []float32, loss []float32)
}

// entry is one registered implementation and whether this CPU can run it.
type entry struct {
	impl      Impl
	available func() bool
	rank      int // higher is preferred when several are available
}

var (
	regMu    sync.Mutex
	registry = map[string]entry{}
	active   atomic.Pointer[implBox]
	envErr   error
	initOnce sync.Once
)

type implBox struct{ Impl }

// Register adds an implementation. available reports whether this CPU can
// run it; rank orders the automatic choice (generic 0, avx2 10, avx512 20).
// Implementations register themselves from init functions.
func Register(impl Impl, rank int, available func() bool) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[impl.Name()]; dup {
		panic("kernels: duplicate implementation " + impl.Name())
	}
	if available == nil {
		available = func() bool { return true }
	}
	registry[impl.Name()] = entry{impl: impl, available: available, rank: rank}
}

// All returns every registered implementation this CPU can run, best first.
// Conformance tests and benchmarks loop over it.
func All() []Impl {
	regMu.Lock()
	defer regMu.Unlock()
	var es []entry
	for _, e := range registry {
		if e.available() {
			es = append(es, e)
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].rank > es[j].rank })
	out := make([]Impl, len(es))
	for i, e := range es {
		out[i] = e.impl
	}
	return out
}

// Names lists every registered implementation, available here or not.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Lookup returns the implementation called name, or an error saying why it
// cannot be used on this machine.
func Lookup(name string) (Impl, error) {
	regMu.Lock()
	e, ok := registry[name]
	regMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown ISA %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if !e.available() {
		return nil, fmt.Errorf("ISA %q is not supported by this CPU", name)
	}
	return e.impl, nil
}

// Use makes the named implementation the active one. It overrides the
// start-up choice (SGDCLAIMS_ISA or the CPU's best) for the rest of the
// process, whether or not Active has been called before.
func Use(name string) error {
	// Make the start-up choice first, or the first Active would replace
	// this one with it.
	initOnce.Do(selectInitial)
	impl, err := Lookup(name)
	if err != nil {
		return err
	}
	active.Store(&implBox{impl})
	return nil
}

// Active returns the implementation the package-level functions call. It is
// chosen on first use: SGDCLAIMS_ISA if set and usable, else the best
// available for this CPU.
func Active() Impl {
	initOnce.Do(selectInitial)
	return active.Load().Impl
}

// EnvError reports a SGDCLAIMS_ISA value that could not be honoured (the
// best available implementation is active instead). Commands turn it into a
// usage error; library users may ignore it.
func EnvError() error {
	initOnce.Do(selectInitial)
	return envErr
}

func selectInitial() {
	impl, err := choose(os.Getenv("SGDCLAIMS_ISA"))
	active.Store(&implBox{impl})
	envErr = err
}

// choose returns the implementation that SGDCLAIMS_ISA=env selects: the
// named one if this CPU can run it, else the best available together with
// the reason the name was not honoured. An empty env selects the best.
func choose(env string) (Impl, error) {
	all := All()
	if len(all) == 0 {
		panic("kernels: no implementation registered")
	}
	if env == "" {
		return all[0], nil
	}
	impl, err := Lookup(env)
	if err != nil {
		return all[0], fmt.Errorf("SGDCLAIMS_ISA: %v", err)
	}
	return impl, nil
}

// The package-level functions below call the active implementation; see Impl
// for their contracts.

func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	Active().Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmSerial is Gemm computed on the calling goroutine alone, for callers
// that run independent products in parallel themselves. Gemm's result does
// not depend on how its work is split, so the two give the same bits.
func GemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	impl := Active()
	if s, ok := impl.(serialGemmer); ok {
		s.gemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	impl.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// serialGemmer is implemented by the implementations that can confine a
// Gemm to the calling goroutine.
type serialGemmer interface {
	gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
}

func Axpy(n int, alpha float32, x, y []float32) { Active().Axpy(n, alpha, x, y) }
func Scale(n int, alpha float32, x []float32)   { Active().Scale(n, alpha, x) }
func Dot(n int, x, y []float32) float32         { return Active().Dot(n, x, y) }
func Mul(n int, x, y, z []float32)              { Active().Mul(n, x, y, z) }
func AddBias(m, n int, bias []float32, c []float32, ldc int) {
	Active().AddBias(m, n, bias, c, ldc)
}
func SumRows(m, n int, a []float32, lda int, beta float32, out []float32) {
	Active().SumRows(m, n, a, lda, beta, out)
}
func Relu(n int, x, y []float32)              { Active().Relu(n, x, y) }
func ReluBackward(n int, x, dy, dx []float32) { Active().ReluBackward(n, x, dy, dx) }
func SoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs []float32, loss []float32) {
	Active().SoftmaxCrossEntropy(m, n, logits, labels, probs, loss)
}
