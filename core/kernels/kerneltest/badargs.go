package kerneltest

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// testBadArguments checks that calls breaking the contract panic. For
// assembly implementations this is what stands between a caller's bug and
// silent memory corruption, so each case is one an implementation that
// trusted its arguments would get wrong.
func testBadArguments(t *testing.T, impl kernels.Impl) {
	s := func(n int) []float32 { return make([]float32, n) }
	const m, n, k = 4, 5, 6
	cases := []struct {
		name string
		call func()
	}{
		{"Gemm negative m", func() { impl.Gemm(false, false, -1, n, k, 1, s(m*k), k, s(k*n), n, 0, s(m*n), n) }},
		{"Gemm lda < k", func() { impl.Gemm(false, false, m, n, k, 1, s(m*k), k-1, s(k*n), n, 0, s(m*n), n) }},
		{"Gemm lda < m with transA", func() { impl.Gemm(true, false, m, n, k, 1, s(m*k), m-1, s(k*n), n, 0, s(m*n), n) }},
		{"Gemm ldb < k with transB", func() { impl.Gemm(false, true, m, n, k, 1, s(m*k), k, s(k*n), k-1, 0, s(m*n), n) }},
		{"Gemm ldc < n", func() { impl.Gemm(false, false, m, n, k, 1, s(m*k), k, s(k*n), n, 0, s(m*n), n-1) }},
		{"Gemm short a", func() { impl.Gemm(false, false, m, n, k, 1, s(m*k-1), k, s(k*n), n, 0, s(m*n), n) }},
		{"Gemm short b", func() { impl.Gemm(false, false, m, n, k, 1, s(m*k), k, s(k*n-1), n, 0, s(m*n), n) }},
		{"Gemm short c", func() { impl.Gemm(false, false, m, n, k, 1, s(m*k), k, s(k*n), n, 0, s(m*n-1), n) }},
		{"Gemm short c, beta 0, alpha 0", func() { impl.Gemm(false, false, m, n, k, 0, s(m*k), k, s(k*n), n, 0, s(m*n-1), n) }},
		{"Axpy short y", func() { impl.Axpy(n, 1, s(n), s(n-1)) }},
		{"Axpy short x", func() { impl.Axpy(n, 1, s(n-1), s(n)) }},
		{"Scale short x", func() { impl.Scale(n, 2, s(n-1)) }},
		{"Dot short y", func() { impl.Dot(n, s(n), s(n-1)) }},
		{"Mul short z", func() { impl.Mul(n, s(n), s(n), s(n-1)) }},
		{"AddBias short bias", func() { impl.AddBias(m, n, s(n-1), s(m*n), n) }},
		{"AddBias ldc < n", func() { impl.AddBias(m, n, s(n), s(m*n), n-1) }},
		{"AddBias short c", func() { impl.AddBias(m, n, s(n), s(m*n-1), n) }},
		{"SumRows short out", func() { impl.SumRows(m, n, s(m*n), n, 0, s(n-1)) }},
		{"SumRows short a", func() { impl.SumRows(m, n, s(m*n-1), n, 0, s(n)) }},
		{"Relu short y", func() { impl.Relu(n, s(n), s(n-1)) }},
		{"ReluBackward short dx", func() { impl.ReluBackward(n, s(n), s(n), s(n-1)) }},
		{"SoftmaxCrossEntropy label = n", func() {
			impl.SoftmaxCrossEntropy(2, n, s(2*n), []int32{0, n}, s(2*n), s(2))
		}},
		{"SoftmaxCrossEntropy label < 0", func() {
			impl.SoftmaxCrossEntropy(2, n, s(2*n), []int32{-1, 0}, s(2*n), s(2))
		}},
		{"SoftmaxCrossEntropy short labels", func() {
			impl.SoftmaxCrossEntropy(2, n, s(2*n), []int32{0}, s(2*n), s(2))
		}},
		{"SoftmaxCrossEntropy short probs", func() {
			impl.SoftmaxCrossEntropy(2, n, s(2*n), []int32{0, 0}, s(2*n-1), s(2))
		}},
		{"SoftmaxCrossEntropy short loss", func() {
			impl.SoftmaxCrossEntropy(2, n, s(2*n), []int32{0, 0}, s(2*n), s(1))
		}},
	}
	for _, c := range cases {
		mustPanic(t, c.name, c.call)
	}
}
