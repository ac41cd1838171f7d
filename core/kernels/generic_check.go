package kernels

import "fmt"

// Argument checks shared by every implementation. Kernels cannot return
// errors (they sit in the innermost loops of training), so a call that
// breaks the Impl contract panics, and it does so before anything is
// written: a half-updated output would hide the bug. The checks matter most
// for assembly implementations, where an out-of-range access is memory
// corruption rather than a bounds-check panic. Validating user input is the
// job of the layers above (nn, data, cmd); reaching these panics is a bug in
// the caller.

// checkMatrix panics unless s holds a rows x cols row-major matrix with
// leading dimension ld. A matrix with no elements is never accessed, so only
// the leading dimension is checked for it.
func checkMatrix(op, name string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: %s: ld%s = %d, want >= max(1, %d)", op, name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want >= %d for a %dx%d matrix with ld %d",
			op, name, len(s), need, rows, cols, ld))
	}
}

// checkVector panics unless s holds at least n elements.
func checkVector(op, name string, n int, s []float32) {
	if len(s) < n {
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want >= %d", op, name, len(s), n))
	}
}

// checkDims panics if any dimension is negative.
func checkDims(op string, dims ...int) {
	for _, d := range dims {
		if d < 0 {
			panic(fmt.Sprintf("kernels: %s: negative dimension %d", op, d))
		}
	}
}

// checkGemm validates the arguments of Impl.Gemm.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkDims("Gemm", m, n, k)
	if transA {
		checkMatrix("Gemm", "a", k, m, a, lda)
	} else {
		checkMatrix("Gemm", "a", m, k, a, lda)
	}
	if transB {
		checkMatrix("Gemm", "b", n, k, b, ldb)
	} else {
		checkMatrix("Gemm", "b", k, n, b, ldb)
	}
	checkMatrix("Gemm", "c", m, n, c, ldc)
}

// checkSoftmaxCrossEntropy validates the arguments of
// Impl.SoftmaxCrossEntropy, labels included: an out-of-range label would
// otherwise read a neighbouring row's logit and give a plausible but wrong
// loss.
func checkSoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs, loss []float32) {
	checkDims("SoftmaxCrossEntropy", m, n)
	checkVector("SoftmaxCrossEntropy", "logits", m*n, logits)
	checkVector("SoftmaxCrossEntropy", "probs", m*n, probs)
	checkVector("SoftmaxCrossEntropy", "loss", m, loss)
	if len(labels) < m {
		panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: len(labels) = %d, want >= %d", len(labels), m))
	}
	for i, y := range labels[:m] {
		if y < 0 || int(y) >= n {
			panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: labels[%d] = %d, want in [0, %d)", i, y, n))
		}
	}
}
